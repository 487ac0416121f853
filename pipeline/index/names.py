"""Person-name keys: how a typed name and an indexed speaker name meet. Pure; no I/O after loading.

People type names loosely: surname alone ("Blinken"), any case, no accents ("Zelenskyy" for
"Zelenskyy", "Sergei" for "Sergey"), with the role in front ("Foreign Minister Sergey Lavrov"). Both
sides, the speaker name at index time and the person at query time, go through the same steps:

1. ``fold``: lower case, accents and ligatures off (``Łukasz`` -> ``lukasz``, ``Gérard`` -> ``gerard``),
   Cyrillic romanised (``Лавров`` -> ``lavrov``), possessives and apostrophes dropped (``Lavrov's`` ->
   ``lavrov``, ``O'Brien`` -> ``obrien``), words split on anything else.
2. ``name_tokens``: role words, titles and connectors dropped (``config/name_variants.yaml`` plus the
   honorifics and connectors of the NLP layer's ``config/titles.yaml`` when present); at query time
   also a country word or demonym directly
   before a title ("*Russian* Deputy Foreign Minister ..."). A name made only of title words keeps them,
   so a speaker recorded as "The President" can still be found.
3. ``token_key``: transliteration folding, so common romanisations of one name give one key:
   ``-iy/-yy/-ii/-yi`` endings and ``y`` -> ``i`` (Zelensky/Zelenskyy/Zelenskiy, Sergey/Sergei,
   Dmitry/Dmitriy), ``x`` -> ``ks`` (Alexei/Aleksei), ``kh`` -> ``h`` (Mikhail/Mihail), initial ``ye`` ->
   ``e`` (Yevgeny/Evgeny), doubled letters single (Mohammed/Mohamed), then the explicit variant groups
   of the config file for what rules cannot reach (Gaddafi/Qaddafi).

The index stores every token key of the speaker name (``speaker.name_keys``) and the joined key
(``speaker.name_key``, one value per person for facets); a person query requires every token key of
what was typed, so "Lavrov" finds "Sergey Lavrov" but "Sergey Lavrov" does not find "Sergey Ryabkov".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from pipeline.folding import fold as fold_text
from pipeline.resources import config_files

CONFIG_DIR = config_files()

_POSSESSIVE = re.compile(r"['\u2019]s\b")  # "Lavrov's" -> lavrov; "O'Sullivan" keeps its s
_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")
# Unicode categories that make up a word: letters, marks (Devanagari vowel signs, Arabic harakat that
# NFKD keeps) and digits. Everything else (spaces, punctuation, symbols, "_") separates words.
_WORD_CATEGORIES = frozenset("LMN")
_FINAL_IY = re.compile(r"(?:iy|yy|ii|ij|yi|yj)$")
_DOUBLED = re.compile(r"(.)\1+")

# Country words and demonyms are only dropped from what users type, and only right before a title.
CountryWord = Callable[[str], bool]


@dataclass(frozen=True)
class NameLexicon:
    """Title words, connectors and explicit variant groups (spelling key -> canonical key)."""

    titles: frozenset[str] = frozenset()
    connectors: frozenset[str] = frozenset()
    variants: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(
        cls, titles: Iterable[str], connectors: Iterable[str], variant_groups: Iterable[Iterable[str]]
    ) -> NameLexicon:
        folded_titles = frozenset(t for word in titles for t in fold_words(word))
        folded_connectors = frozenset(t for word in connectors for t in fold_words(word))
        variants: dict[str, str] = {}
        for group in variant_groups:
            keys = [_rule_key(t) for spelling in group for t in fold_words(spelling)]
            if keys:
                for key in keys:
                    variants[key] = keys[0]
        return cls(folded_titles, folded_connectors, variants)

    @classmethod
    def load(cls, config_dir: Traversable = CONFIG_DIR) -> NameLexicon:
        """Read ``name_variants.yaml`` and, when it exists, the title words of ``titles.yaml``."""
        data = _read_yaml(config_dir / "name_variants.yaml")
        shared = _read_yaml(config_dir / "titles.yaml")
        titles = [*_strings(data.get("titles")), *_strings(shared.get("honorifics"))]
        connectors = [*_strings(data.get("connectors")), *_strings(shared.get("title_connectors"))]
        return cls.from_data(titles, connectors, data.get("variants") or [])


@lru_cache(maxsize=1)
def default_lexicon() -> NameLexicon:
    """The lexicon from the repository's ``config/``, read once per process."""
    return NameLexicon.load()


def _read_yaml(path: Traversable) -> dict[str, Any]:
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def _strings(value: Any) -> list[str]:
    """A YAML list of words (anything else: none). Only the NLP lexicon's honorifics and connectors are
    taken from titles.yaml: its title words include surnames ("King", "Major", "Judge") that must stay
    searchable as names."""
    return [str(v) for v in value] if isinstance(value, list) else []


def fold(text: str) -> str:
    """The shared ``pipeline.folding.fold``, then possessives and apostrophes dropped
    (``"Gérard O'Brien's"`` -> ``"gerard obrien"``): people type "obrien" as often as "o'brien".
    NFC at the end puts back what the shared fold's NFKD split but did not mark (Hangul syllables
    from their jamo), so a Korean name stays the syllables Elasticsearch also sees."""
    return unicodedata.normalize("NFC", _APOSTROPHES.sub("", _POSSESSIVE.sub("", fold_text(text))))


def fold_words(text: str) -> list[str]:
    """The folded words of ``text``: runs of letters, digits and their marks, in any script.

    Latin, Greek and Cyrillic come out lower case without accents (Cyrillic romanised); other scripts
    keep their letters ("习近平", "محمد", "नरेंद्र"), so a name typed in its own script meets the same
    name in the index. A run of Han, kana or Hangul is one word, as Chinese names are written."""
    words: list[str] = []
    current: list[str] = []
    for char in fold(text):
        if unicodedata.category(char)[0] in _WORD_CATEGORIES:
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _rule_key(token: str) -> str:
    if not token.isascii():  # the romanisation rules are about Latin spellings only
        return token
    key = token
    if key.startswith("ye") and len(key) > 3:  # Yevgeny/Evgeny, Yelena/Elena
        key = "e" + key[2:]
    key = key.replace("x", "ks").replace("kh", "h")
    key = _FINAL_IY.sub("i", key)  # Zelenskyy/Zelenskiy/Zelenskii -> zelenski
    key = key.replace("y", "i")  # Sergey/Sergei, Zelensky, Tymoshenko/Timoshenko
    return _DOUBLED.sub(r"\1", key)  # Mohammed/Mohamed, Zelenskyy's yy already gone


def token_key(token: str, lexicon: NameLexicon) -> str:
    """The transliteration-folded key of one folded word."""
    key = _rule_key(token)
    return lexicon.variants.get(key, key)


def name_tokens(name: str, lexicon: NameLexicon, country_word: CountryWord | None = None) -> list[str]:
    """Folded words of a person name without titles, role words and connectors.

    ``country_word`` (query side): a predicate for country names/demonyms; such a word is dropped
    when the next word is a title ("US Secretary of State Antony Blinken"), and kept otherwise
    ("Jordan Peterson").
    """
    words = fold_words(name)
    named = [w for w in words if w not in lexicon.titles and w not in lexicon.connectors]
    if country_word is not None:
        kept: list[str] = []
        for i, word in enumerate(words):
            if word in lexicon.titles or word in lexicon.connectors:
                continue
            nxt = words[i + 1] if i + 1 < len(words) else None
            if nxt is not None and nxt in lexicon.titles and country_word(word):
                continue
            kept.append(word)
        named = kept
    if named:
        return named
    # Only titles (a speaker recorded as "The President"): the words are all there is to match.
    return [w for w in words if w not in lexicon.connectors] or words


def name_keys(name: str, lexicon: NameLexicon, country_word: CountryWord | None = None) -> list[str]:
    """Token keys of a name, in order, without repeats."""
    keys: list[str] = []
    for token in name_tokens(name, lexicon, country_word):
        key = token_key(token, lexicon)
        if key not in keys:
            keys.append(key)
    return keys


def name_key(name: str, lexicon: NameLexicon) -> str:
    """One key per person name: its token keys joined by spaces (``""`` when it has no words)."""
    return " ".join(name_keys(name, lexicon))
