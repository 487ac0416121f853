"""An article's language, detected at the edge with py3langid (its model ships inside the PyPI wheel:
nothing is downloaded at run time).

Measured on the research corpora (``python -m pipeline.bench.ingest_edge``, figures in
docs/streaming.md): 1.1 ms per Reuters story (~900 characters) and 2.7-3.5 ms per BBC article (~2,200),
on a shared 2-core machine, after a one-off model load of 1.5-1.8 s per process. Only the first
``SAMPLE_CHARS`` characters are read, so a 200,000-character article costs the same.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# ~300 words: far more than the detector needs to be sure, and a bound on its cost.
SAMPLE_CHARS = 2_000
# Fewer letters than this ("RHM/PR", "OK") says nothing about a language.
MIN_LETTERS = 20
# Normalised probability under which the detector abstains ("und"): short mixed text, lists of names.
MIN_CONFIDENCE = 0.5
UNDETERMINED = "und"  # ISO 639-2's code for "undetermined"
# The language the enrichment engine reads (the spaCy model is English).
ENRICHED_LANGUAGE = "en"


# The languages wire services publish in. Without a list the model also weighs ~60 others, and short
# English market tables ("Shr 1.23 vs 1.10 ...") came out as Nigerian Pidgin (40 of 17,471 Reuters
# stories); with it, they fall back to English or "und".
NEWS_LANGUAGES = (
    "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he", "hi", "hr", "hu", "id",
    "it", "ja", "ka", "ko", "lt", "lv", "ms", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sr", "sv",
    "sw", "th", "tr", "uk", "ur", "vi", "zh",
)  # fmt: skip


@cache
def _identifier() -> Any:
    # Loaded once per process, on the first article (importing this module loads nothing).
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(
        MODEL_FILE, norm_probs=True, min_confidence=MIN_CONFIDENCE
    )
    identifier.set_languages(list(NEWS_LANGUAGES))
    return identifier


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language (``en``, ``de``, ``ru`` ...), or ``und``."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return UNDETERMINED
    language, _confidence = _identifier().classify(sample)
    return str(language) if language in NEWS_LANGUAGES else UNDETERMINED


def language_warning(language: str | None) -> str | None:
    """The warning an article in ``language`` carries, or None when it is read as it should be."""
    if language is None or language in (ENRICHED_LANGUAGE, UNDETERMINED):
        return None
    return f"language: {language} - quotes and speakers are extracted from English text only"
