"""Named entities with document-level consistency, and the index of the people an article names.

``extract_entities(doc)`` returns every spaCy entity as an ``Entity`` (offsets into the text, which
``normalize_wire`` keeps equal to the article's), fixed up at document level:

* one person = one canonical full name: "Antonov" after "Anatoly Antonov", "Mr. Smith's" after
  "John Smith" -> "John Smith". Honorifics, titles spaCy put inside the span ("President Biden") and
  possessives never reach the canonical name. A surname shared by two people resolves to the nearest
  full name mentioned before it.
* a known person's surname or full name that spaCy labelled ORG/GPE/NORP/LOC/FAC/PRODUCT somewhere is
  relabelled PERSON, unless the word is a country word ("Moscow"); a known surname spaCy did not tag at
  all ("Antonov underscored ...") becomes a PERSON entity too.

``build_person_index(doc)`` gives a ``PersonIndex`` for speaker resolution: persons in order of mention
with token positions, and ``resolve(text)`` for names, surnames, unambiguous first names (case- and
possessive-insensitive). ``analyse_entities(doc)`` computes both once per Doc (cached on it).

The analysis is an ordered tuple of named passes over one shared state (``_PASSES``): collect the
mentions, fix labels from context, index full names, index one-word names, relabel known names,
assign canonical names, add untagged surnames; then the records are built.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.folding import fold
from pipeline.ingest.normalize import realign_span
from pipeline.models import Entity
from pipeline.nlp.countries import CountryLexicon, doc_text, load_country_lexicon
from pipeline.nlp.titles import TitleLexicon, load_title_lexicon

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Labels spaCy gives a surname by mistake ("Antonov" as ORG); others (DATE, MONEY...) are left alone.
_RELABEL_FROM = frozenset({"ORG", "GPE", "NORP", "LOC", "FAC", "PRODUCT", "WORK_OF_ART"})
# A mis-labelled person mention is short; "Blinken Foundation for Democracy" is an organisation.
_MAX_RELABEL_TOKENS = 3
_POSSESSIVE_TOKENS = frozenset({"'s", "'", "\u2019s", "\u2019"})
_DOC_CACHE_KEY = "quotewire.entities"


@dataclass(frozen=True, slots=True)
class PersonMention:
    """One mention of a person: token range [start, end), character range, surface and full name."""

    start: int
    end: int
    canonical: str
    start_char: int
    end_char: int
    text: str


@dataclass
class PersonIndex:
    """The people of one article; build with ``build_person_index(doc)``."""

    persons: list[PersonMention]  # every mention, in text order
    full_names: dict[str, str] = field(default_factory=dict)  # folded canonical -> canonical
    surnames: dict[str, list[str]] = field(default_factory=dict)  # folded surname -> canonicals
    first_names: dict[str, list[str]] = field(default_factory=dict)  # folded first name -> canonicals
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._starts = [p.start for p in self.persons]

    @property
    def names(self) -> list[str]:
        """Canonical names in order of first mention."""
        seen: dict[str, None] = {}
        for p in self.persons:
            seen.setdefault(p.canonical, None)
        return list(seen)

    def resolve(self, text: str, before_token: int | None = None) -> str | None:
        """The canonical full name ``text`` refers to, or None.

        Accepts a full name, a surname, or a first name that only one person has; case-insensitive,
        possessive- and honorific-tolerant ("mr. antonov's"). When a surname is shared, the person
        mentioned last before ``before_token`` wins (without it: the first-mentioned one).
        """
        words = _clean_words(text.split())
        if not words:
            return None
        key = fold(" ".join(words))
        if key in self.full_names:
            return self.full_names[key]
        last = fold(words[-1])
        candidates = self.surnames.get(last)
        if candidates and (len(words) == 1 or _first_compatible(words[0], candidates)):
            return self._nearest(candidates, before_token)
        if len(words) == 1:
            firsts = self.first_names.get(last)
            if firsts and len(firsts) == 1 and last not in self.surnames:
                return firsts[0]
        return None

    def mentions_of(self, canonical: str) -> list[PersonMention]:
        return [p for p in self.persons if p.canonical == canonical]

    def last_before(self, token_i: int) -> PersonMention | None:
        """The last person mention starting before token ``token_i``."""
        k = bisect.bisect_left(self._starts, token_i)
        return self.persons[k - 1] if k > 0 else None

    def _nearest(self, candidates: list[str], before_token: int | None) -> str:
        if len(candidates) == 1 or before_token is None:
            return candidates[0]
        wanted = set(candidates)
        k = bisect.bisect_left(self._starts, before_token)
        for p in reversed(self.persons[:k]):
            if p.canonical in wanted:
                return p.canonical
        return candidates[0]


@dataclass(frozen=True)
class EntityAnalysis:
    entities: list[Entity]
    persons: PersonIndex
    # Organisation names as written -> their long form in this article: acronyms ("IRCC" ->
    # "Immigration, Refugees and Citizenship Canada") and "the X" variants. Keys are folded.
    org_names: dict[str, str] = field(default_factory=dict)

    def canonical_org(self, text: str) -> str | None:
        """The article's long form of an organisation mention ("the PBO" -> "Parliamentary Budget
        Officer"), or None when the article names no such organisation."""
        key = fold(text.strip())
        for prefix in ("the ", "a "):
            if key.startswith(prefix):
                key = key[len(prefix) :]
        key = key.removesuffix("'s").removesuffix("\u2019s")
        return self.org_names.get(key)


def extract_entities(doc: Doc, original: str | None = None) -> list[Entity]:
    """All entities of ``doc`` with canonical forms and document-level label fixes (see module doc).

    ``doc`` is parsed from ``normalize_wire(original)``. Given ``original``, each entity's ``text`` is
    the original's characters and spans inside editorial brackets are realigned onto the bracketed
    words (``normalize.realign_span``); without it, ``text`` is the clean text's.
    """
    entities = analyse_entities(doc).entities
    if original is None:
        return entities
    # Plain constructors: model_copy deep-copies and costs ten times more per entity.
    if "[" not in original:
        return [
            Entity(
                text=original[e.start : e.end], label=e.label, start=e.start, end=e.end, canonical=e.canonical
            )
            for e in entities
        ]
    out: list[Entity] = []
    for e in entities:
        start, end = realign_span(original, e.start, e.end)
        out.append(
            Entity(text=original[start:end], label=e.label, start=start, end=end, canonical=e.canonical)
        )
    return out


def build_person_index(doc: Doc) -> PersonIndex:
    """The ``PersonIndex`` of ``doc`` (shares the single analysis with ``extract_entities``)."""
    return analyse_entities(doc).persons


def analyse_entities(
    doc: Doc, titles: TitleLexicon | None = None, countries: CountryLexicon | None = None
) -> EntityAnalysis:
    """Entities and person index in one pass; cached on ``doc.user_data``."""
    cached = doc.user_data.get(_DOC_CACHE_KEY)
    if isinstance(cached, EntityAnalysis):
        return cached
    result = _analyse(doc, titles or load_title_lexicon(), countries or load_country_lexicon())
    doc.user_data[_DOC_CACHE_KEY] = result
    return result


# --- implementation --------------------------------------------------------------------------


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    label: str
    words: list[str]  # cleaned name words (persons) or the cleaned text as one item
    span_start: int  # original entity token range (for the Entity record)
    span_end: int
    canonical: str = ""


def _clean_words(words: list[str], titles: TitleLexicon | None = None) -> list[str]:
    """Name words without honorifics/titles in front or possessives/punctuation at the end."""
    lex = titles or load_title_lexicon()
    out = [w for w in words if w]
    while out and out[-1] in _POSSESSIVE_TOKENS:
        out.pop()
    if out:
        last = out[-1]
        for suffix in ("'s", "\u2019s", "'", "\u2019"):
            if last.lower().endswith(suffix) and len(last) > len(suffix):
                out[-1] = last[: -len(suffix)]
                break
        out[-1] = out[-1].rstrip(".,;:")
        if not out[-1]:
            out.pop()
    while len(out) > 1 and (
        out[0].lower() in lex.honorifics or out[0].lower() in lex.title_words or out[0].lower() == "the"
    ):
        out.pop(0)
    return out


def _words_of(text: str, tokens: Iterable[Token]) -> list[str]:
    """The words of a token run as written: "Wilson-Raybould" stays one word (tokens would split it)."""
    toks = [t for t in tokens if not t.is_space]
    if not toks:
        return []
    return text[toks[0].idx : toks[-1].idx + len(toks[-1].text)].split()


def _person_range(
    span: Span, titles: TitleLexicon, countries: CountryLexicon, text: str, lower_words: _LowerWords
) -> tuple[int, int, list[str]]:
    """Token range and words of the name inside a PERSON span (titles and possessives trimmed)."""
    start, end = span.start, span.end
    doc = span.doc
    # A span that runs over a line break is two things glued together: keep the part before it.
    for tok in span:
        if "\n" in tok.text or "\n" in tok.whitespace_:
            end = tok.i + 1 if "\n" not in tok.text else tok.i
            break
    while end > start and (doc[end - 1].text in _POSSESSIVE_TOKENS or doc[end - 1].is_punct):
        end -= 1
    while end - start > 1 and (
        doc[start].lower_ in titles.honorifics
        or doc[start].lower_ in titles.title_words
        or doc[start].lower_ == "the"
        or doc[start].is_space
    ):
        start += 1
    if (
        end - start == 1
        and start > 0
        and _is_untagged_given_name(doc[start - 1], titles, countries, lower_words)
    ):
        start -= 1  # "Mamadou Dia" with only "Dia" tagged: the given name spaCy left out
    words = _clean_words(_words_of(text, doc[start:end]), titles)
    return start, end, words


def _is_untagged_given_name(
    tok: Token, titles: TitleLexicon, countries: CountryLexicon, lower_words: _LowerWords
) -> bool:
    low = tok.lower_
    return (
        tok.pos_ == "PROPN"
        and tok.ent_iob_ == "O"
        and tok.text[:1].isupper()
        and not tok.text.isupper()  # "OTTAWA" of a dateline, "NDP"
        and tok.whitespace_ == " "
        and low not in titles.honorifics
        and low not in titles.title_words
        and low not in titles.role_words
        and low not in titles.org_words
        and fold(tok.text) not in countries.aliases
        and not tok.is_stop  # "Because Kaine ...", "Though Loki ..."
        and not (low.endswith("s") and low[:-1] in titles.title_words)  # "Senators Rubio and Cruz"
        and low not in _CALENDAR_WORDS
        and not _in_title_case_line(tok)
        and low not in lower_words  # "Liberal", "Calls": common words written in lower case too
    )


_CALENDAR_WORDS = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)


class _LowerWords:
    """Words the article also writes in lower case (computed once per analysis, only when needed)."""

    __slots__ = ("_doc", "_words")

    def __init__(self, doc: Doc) -> None:
        self._doc = doc
        self._words: frozenset[str] | None = None

    def __contains__(self, word: object) -> bool:
        if self._words is None:
            self._words = frozenset(t.text for t in self._doc if t.is_lower)
        return word in self._words


def _in_title_case_line(tok: Token) -> bool:
    """Is ``tok`` in a headline-style sentence ("Trump Praises Breitbart's Coverage")? There every word
    is capitalised and spaCy calls them all PROPN, so a capital says nothing about a given name."""
    words = [t for t in tok.sent if t.is_alpha]
    # Four words at least: "Mamadou Dia spoke" is a sentence, not a headline.
    return len(words) >= 4 and sum(t.text[:1].isupper() for t in words) >= 0.8 * len(words)


def _first_compatible(first: str, canonicals: list[str]) -> bool:
    """Does a first name or initial ("J." / "John") fit one of the full names?"""
    f = fold(first).rstrip(".")
    for name in canonicals:
        parts = fold(name).split()
        if len(parts) > 1 and (parts[0] == f or (len(f) == 1 and parts[0].startswith(f))):
            return True
    return False


@dataclass(slots=True)
class _Analysis:
    """The state the entity passes share for one Doc."""

    doc: Doc
    text: str  # the Doc's text, read once (Doc.text joins every token on each access)
    titles: TitleLexicon
    countries: CountryLexicon
    mentions: list[_Mention] = field(default_factory=list)
    full_names: dict[str, str] = field(default_factory=dict)  # folded name -> canonical
    surnames: dict[str, list[str]] = field(default_factory=dict)  # folded surname -> canonicals
    first_names: dict[str, list[str]] = field(default_factory=dict)  # folded first name -> canonicals
    # a word only ever naming a person on its own: how often it is tagged PERSON minus how often not
    single_votes: dict[str, int] = field(default_factory=dict)

    # (token, canonical) of the mentions with a full name, before single words get theirs
    full_name_starts: list[tuple[int, str]] = field(default_factory=list)

    def nearest_full(self, candidates: list[str], token_i: int) -> str:
        """Of several people sharing a surname, the one whose full name was mentioned last before
        ``token_i`` (else the first-mentioned)."""
        if len(candidates) == 1:
            return candidates[0]
        k = bisect.bisect_left(self.full_name_starts, (token_i, ""))
        wanted = set(candidates)
        for _s, name in reversed(self.full_name_starts[:k]):
            if name in wanted:
                return name
        return candidates[0]


def _collect_mentions(a: _Analysis) -> None:
    """Every entity as a mention; a PERSON's name words without titles and possessives."""
    lower_words = _LowerWords(a.doc)
    for ent in a.doc.ents:
        if ent.label_ == "PERSON":
            start, end, words = _person_range(ent, a.titles, a.countries, a.text, lower_words)
            if words:
                a.mentions.append(_Mention(start, end, "PERSON", words, min(start, ent.start), ent.end))
                continue
        a.mentions.append(_Mention(ent.start, ent.end, ent.label_, [], ent.start, ent.end))


def _fix_labels(a: _Analysis) -> None:
    _fix_labels_from_context(a.doc, a.text, a.mentions, a.titles, a.countries)


def _index_full_names(a: _Analysis) -> None:
    """Full names (two words or more), first mention first: the canonical form of each person."""
    by_first_last: dict[tuple[str, str], str] = {}
    suffixes: dict[str, str] = {}  # folded tail of a 3+ word name -> canonical
    for m in a.mentions:
        if m.label != "PERSON" or len(m.words) < 2:
            continue
        first, last = fold(m.words[0]), fold(m.words[-1])
        canonical = by_first_last.get((first, last)) or suffixes.get(fold(" ".join(m.words)))
        if canonical is None:
            # "Ortega Mena" after "Rafael Ortega Mena": a two-word surname is a tail of a full name.
            words = [fold(w) for w in m.words]
            for k in range(1, len(words) - 1):
                suffixes.setdefault(" ".join(words[k:]), " ".join(m.words))
            canonical = " ".join(m.words)
            by_first_last[(first, last)] = canonical
            a.surnames.setdefault(last, []).append(canonical)
            if len(first.rstrip(".")) > 1:
                a.first_names.setdefault(first, []).append(canonical)
        a.full_names.setdefault(fold(" ".join(m.words)), canonical)
        m.canonical = canonical


def _index_single_names(a: _Analysis) -> None:
    """A person only ever named by one word ("Antonov", never "Anatoly Antonov"): that word is both
    their canonical name and their surname. Votes: how often each such word is tagged PERSON vs not."""
    for m in a.mentions:
        if m.label == "PERSON" and len(m.words) == 1:
            key = fold(m.words[0])
            if key in a.surnames or (key in a.first_names and len(a.first_names[key]) == 1):
                continue
            if key not in a.full_names:
                a.full_names[key] = m.words[0]
                a.surnames[key] = [m.words[0]]
            a.single_votes[key] = a.single_votes.get(key, 0) + 1
    for m in a.mentions:
        if m.label != "PERSON" and m.end - m.start == 1:
            key = fold(a.doc[m.start].text)
            if key in a.single_votes:
                a.single_votes[key] -= 1


def _relabel_known_names(a: _Analysis) -> None:
    """Mis-labelled surnames: ORG/GPE/... spans whose text is a known person's name become PERSON. A
    name seen only as one word must be tagged PERSON at least as often as not ("Jordan" in a story
    about the country and one stray PERSON tag stays a place)."""
    countries = a.countries
    for m in a.mentions:
        if m.label not in _RELABEL_FROM or m.end - m.start > _MAX_RELABEL_TOKENS:
            continue
        words = _clean_words(_words_of(a.text, a.doc[m.start : m.end]), a.titles)
        if not words or not words[0][:1].isupper():
            continue
        key = fold(" ".join(words))
        if key in countries.aliases or key in countries.orgs or " ".join(words) in countries.exact:
            continue  # "Moscow" stays a place even if someone is called Moscow
        if key in a.single_votes and a.single_votes[key] < 0:
            continue
        if key in a.full_names or (len(words) == 1 and key in a.surnames):
            m.label = "PERSON"
            m.words = words


def _assign_canonicals(a: _Analysis) -> None:
    """Single-word and other person mentions -> canonical full name."""
    a.full_name_starts = sorted((m.start, m.canonical) for m in a.mentions if m.canonical)
    surnames, first_names, full_names = a.surnames, a.first_names, a.full_names
    for m in a.mentions:
        if m.label != "PERSON" or m.canonical:
            continue
        key = fold(" ".join(m.words))
        last = fold(m.words[-1])
        if key in full_names:
            m.canonical = full_names[key]
        elif last in surnames and (len(m.words) == 1 or _first_compatible(m.words[0], surnames[last])):
            m.canonical = a.nearest_full(surnames[last], m.start)
        elif len(m.words) == 1 and key in first_names and len(first_names[key]) == 1 and key not in surnames:
            m.canonical = first_names[key][0]
        else:
            m.canonical = " ".join(m.words)


def _add_untagged_surnames(a: _Analysis) -> None:
    """Known surnames spaCy left untagged ("Antonov underscored"): PERSON mentions of their own."""
    if not a.surnames:
        return
    # Find the words by regex over the text, then look at those tokens only (a walk over every token
    # costs more than the rest of the entity analysis).
    doc = a.doc
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in a.surnames) + r")\b", re.IGNORECASE)
    for hit in pattern.finditer(a.text):
        span = doc.char_span(hit.start(), hit.end())
        if span is None or len(span) != 1:
            continue
        token = span[0]
        if token.ent_iob_ != "O" or not token.text[:1].isupper() or token.pos_ != "PROPN":
            continue
        key = fold(token.text)
        if key in a.surnames and key not in a.countries.aliases and a.single_votes.get(key, 0) >= 0:
            a.mentions.append(
                _Mention(
                    token.i,
                    token.i + 1,
                    "PERSON",
                    [token.text],
                    token.i,
                    token.i + 1,
                    a.nearest_full(a.surnames[key], token.i),
                )
            )
    a.mentions.sort(key=lambda m: m.span_start)


# The entity analysis, in order: each pass reads and extends the shared ``_Analysis``.
_PASSES: tuple[Callable[[_Analysis], None], ...] = (
    _collect_mentions,
    _fix_labels,
    _index_full_names,
    _index_single_names,
    _relabel_known_names,
    _assign_canonicals,
    _add_untagged_surnames,
)


def _analyse(doc: Doc, titles: TitleLexicon, countries: CountryLexicon) -> EntityAnalysis:
    a = _Analysis(doc, doc_text(doc), titles, countries)
    for run in _PASSES:
        run(a)
    return _records(a)


def _records(a: _Analysis) -> EntityAnalysis:
    """The ``Entity`` records, the person index and the organisation long forms."""
    doc, text_of_doc = a.doc, a.text
    entities: list[Entity] = []
    persons: list[PersonMention] = []
    for m in a.mentions:
        span = doc[m.span_start : m.span_end]
        if m.label == "PERSON":
            canonical = m.canonical or " ".join(m.words)
            inner = doc[m.start : m.end]
            persons.append(
                PersonMention(m.start, m.end, canonical, inner.start_char, inner.end_char, inner.text)
            )
        else:
            canonical = _canonical_text(span, text_of_doc) or span.text
        entities.append(
            Entity(
                text=span.text, label=m.label, start=span.start_char, end=span.end_char, canonical=canonical
            )
        )
    persons.sort(key=lambda p: p.start)
    index = PersonIndex(
        persons=persons, full_names=a.full_names, surnames=a.surnames, first_names=a.first_names
    )
    org_names = _org_names(entities, text_of_doc)
    if org_names:
        entities = [
            e.model_copy(update={"canonical": org_names[fold(e.canonical)]})
            if e.label == "ORG" and fold(e.canonical) in org_names
            else e
            for e in entities
        ]
    return EntityAnalysis(entities=entities, persons=index, org_names=org_names)


# "Immigration, Refugees and Citizenship Canada (IRCC)": a long form and its acronym in parentheses.
_DEFINED_ACRONYM = re.compile(
    r"((?:[A-Z][\w'\u2019.-]*)(?:,? (?:of|and|for|on|the|&|[A-Z][\w'\u2019.-]*)){1,9})\s*\(([A-Z]{2,7})\)"
)
_ACRONYM_SKIP = frozenset({"of", "and", "for", "on", "the", "&", "de", "du", "des", "la", "le", "in"})


def _acronym(name: str) -> str:
    """Initials of the capitalised words: "Parliamentary Budget Officer" -> "PBO"."""
    words = name.replace(",", " ").split()
    return "".join(w[0] for w in words if w.lower() not in _ACRONYM_SKIP and w[:1].isupper())


def _acronym_suffix(name: str, acronym: str) -> str:
    """The words of ``name`` the acronym abbreviates: "London and Hong Kong, the London Stock Exchange"
    + "LSE" -> "London Stock Exchange" (the longest tail whose initials are the acronym), else ``name``."""
    words = name.split()
    for k in range(len(words) - 1):
        tail = " ".join(words[k:])
        if tail.split()[0][:1].isupper() and _acronym(tail).upper() == acronym.upper():
            return tail.strip(" ,")
    return name


def _org_names(entities: list[Entity], text: str) -> dict[str, str]:
    """Folded organisation mention -> long form: each multi-word ORG name under its own key and its
    acronym's, and acronyms defined in parentheses. Only acronyms the article actually uses are kept
    next to the long names (so a lookup never invents a long form)."""
    long_forms: dict[str, str] = {}
    for e in entities:
        if e.label == "ORG" and len(e.canonical.split()) >= 2:
            long_forms.setdefault(fold(e.canonical), e.canonical)
    for match in _DEFINED_ACRONYM.finditer(text):
        name = _acronym_suffix(match.group(1), match.group(2))
        if name.lower().startswith("the "):
            name = name[4:]
        long_forms.setdefault(fold(name), name)
        long_forms.setdefault(fold(match.group(2)), name)
    if not long_forms:
        return {}
    out = dict(long_forms)
    for name in long_forms.values():
        acronym = _acronym(name)
        if len(acronym) >= 2 and " " in name:
            out.setdefault(fold(acronym), name)
    return out


def _canonical_text(span: Span, text: str) -> str:
    """A non-person entity without a leading "the" or a trailing possessive: "the Kremlin's" -> "Kremlin"."""
    tokens: list[Token] = [t for t in span if not t.is_space]
    while tokens and tokens[-1].text in _POSSESSIVE_TOKENS:
        tokens.pop()
    if len(tokens) > 1 and tokens[0].lower_ == "the":
        tokens.pop(0)
    if not tokens:
        return ""
    return text[tokens[0].idx : tokens[-1].idx + len(tokens[-1].text)]


def _fix_labels_from_context(
    doc: Doc, text: str, mentions: list[_Mention], titles: TitleLexicon, countries: CountryLexicon
) -> None:
    """Label fixes that need no canonical names yet.

    * A lone country word tagged PERSON ("Kyiv has not received ...") becomes GPE/NORP.
    * A two- or three-word capitalised name tagged ORG/GPE/... with no organisation word in it becomes
      PERSON when it sits in a role context ("the ministry's spokesperson, Elif Demirtas," / "coach
      Dan Brennan") or ends with the surname of someone tagged PERSON elsewhere ("Nino Niederreiter"
      tagged GPE, "Niederreiter" tagged PERSON; "Caleb Jones" tagged ORG next to "Martin Jones").
    """
    person_last = {fold(m.words[-1]) for m in mentions if m.label == "PERSON" and m.words}
    for m in mentions:
        n = m.span_end - m.span_start
        if m.label == "PERSON" and n == 1:
            hit = countries.aliases.get(fold(doc[m.span_start].text))
            if hit is not None and hit[1] in ("name", "capital"):
                m.label, m.words = "GPE", []
            elif hit is not None and hit[1] == "demonym":
                m.label, m.words = "NORP", []
            continue
        if m.label not in _RELABEL_FROM:
            continue
        tokens: list[Token] = []
        owner_end: int | None = None
        for t in doc[m.span_start : m.span_end]:
            if "\n" in t.text:
                break  # "Morgan McNeely\n\nMcNeely": only the part before the line break
            tokens.append(t)
            if t.text in _POSSESSIVE_TOKENS:
                owner_end = len(tokens)
        if owner_end is not None:
            # "Vancouver's Bo Horvat" (tagged WORK_OF_ART): the name after a possessive.
            tokens = tokens[owner_end:]
        if not 2 <= len(tokens) <= _MAX_RELABEL_TOKENS:
            continue
        if not all(t.text[:1].isupper() and t.pos_ == "PROPN" for t in tokens):
            continue
        if any(t.lower_ in titles.org_words or fold(t.text) in countries.aliases for t in tokens):
            continue
        words = _clean_words(_words_of(text, tokens), titles)
        span = doc[tokens[0].i : tokens[-1].i + 1]
        root = span.root
        before = doc[span.start - 1] if span.start > 0 else None
        in_role_context = (
            (root.dep_ == "appos" and _role_above(root.head, titles))
            or any(c.dep_ == "appos" and titles.is_role_word(c.lower_) for c in root.children)
            or (before is not None and before.lower_ in titles.role_words)
        )
        after_owner = owner_end is not None and m.label != "PERSON"
        if in_role_context or after_owner or (words and fold(words[-1]) in person_last):
            m.label = "PERSON"
            m.words = words
            m.start = m.span_start = span.start
            m.end = m.span_end = span.end


def _role_above(tok: Token, titles: TitleLexicon) -> bool:
    """Is ``tok``, or the noun its prepositional phrase hangs on, a role word? ("ambassador to Turkey,
    Taras Hnatyuk": the name is parsed as an apposition to "Turkey", whose phrase hangs on "ambassador")."""
    for _ in range(3):  # noun <- prep <- pobj: two steps up reach the role noun
        if titles.is_role_word(tok.lower_):
            return True
        if tok.dep_ not in ("pobj", "prep") or tok.head.i == tok.i:
            return False
        tok = tok.head
    return titles.is_role_word(tok.lower_)
