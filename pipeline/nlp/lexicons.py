"""Every lexicon the enrichment reads, loaded once into one bundle that is passed to each stage.

``load_lexicons()`` reads ``config/cues.yaml`` (cue verbs, pronouns, honorifics, organisation and
document nouns), ``config/titles.yaml`` (titles and role nouns), ``config/countries.json`` (country
words), ``config/speaker_nouns.yaml`` (descriptions that refer back to an organisation) and the
first-name gender table of the ``gender-guesser`` package. The ``Enricher`` holds the bundle; stages
take it (or the part they need) as an argument, never from a process-wide cache or ``doc.user_data``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pipeline.nlp.countries import CountryLexicon, load_country_lexicon
from pipeline.nlp.quotes import CONFIG_DIR, CueLexicon, load_cue_lexicon
from pipeline.nlp.titles import TitleLexicon, load_title_lexicon

Gender = Literal["m", "f"]
# first name -> (gender, sure): "sure" when the table says male/female rather than mostly_*
NameGender = Callable[[str], "tuple[Gender, bool] | None"]


@dataclass(frozen=True, slots=True)
class SpeakerNouns:
    """``config/speaker_nouns.yaml``: descriptions that refer back to a named organisation."""

    business: frozenset[str]  # "the company", "the firm": the salient organisation named before
    public: frozenset[str]  # name words of public bodies (never "the company")
    own_name: frozenset[str]  # "the ministry": only an organisation whose name contains the noun
    outlet: frozenset[str] = frozenset()  # "the Mirror newspaper": with a name before it, that name


@dataclass(frozen=True, slots=True)
class Lexicons:
    """The loaded lexicons of one process (immutable, shared by every article)."""

    cues: CueLexicon
    titles: TitleLexicon
    countries: CountryLexicon
    speaker_nouns: SpeakerNouns
    name_gender: NameGender | None = None  # None: genders only from honorifics and pronouns


@lru_cache(maxsize=1)
def load_lexicons() -> Lexicons:
    """The bundle from the repository's ``config/`` and the gender table (read once per process)."""
    return Lexicons(
        cues=load_cue_lexicon(),
        titles=load_title_lexicon(),
        countries=load_country_lexicon(),
        speaker_nouns=load_speaker_nouns(),
        name_gender=load_name_genders(),
    )


def load_name_genders() -> NameGender:
    """First name -> gender from the ``gender-guesser`` table (~0.2 s to load)."""
    import gender_guesser.detector as detector

    table = detector.Detector(case_sensitive=False)

    def lookup(first: str) -> tuple[Gender, bool] | None:
        verdict = table.get_gender(first)
        if verdict in ("male", "mostly_male"):
            return "m", verdict == "male"
        if verdict in ("female", "mostly_female"):
            return "f", verdict == "female"
        return None

    return lookup


def load_speaker_nouns() -> SpeakerNouns:
    import yaml

    with (CONFIG_DIR / "speaker_nouns.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}

    def words(key: str) -> frozenset[str]:
        return frozenset(str(w).lower() for w in raw.get(key) or [])

    return SpeakerNouns(
        words("business_nouns"), words("public_words"), words("own_name_nouns"), words("outlet_nouns")
    )
