"""Each quote speaker's profile: role and country, from what the article says about them.

``profile_speakers`` runs after :mod:`pipeline.nlp.speakers` has resolved every quote's speaker; it reads
the descriptions of :mod:`pipeline.nlp.roles` and never changes who the speaker is.

The country comes from the most specific evidence the article gives, tried in order; the first that
decides is recorded as the speaker's ``country_source``:

1. ``role``: a country word in the speaker's title or apposition ("Russian Deputy Foreign Minister",
   "Canada's ambassador", "foreign minister of Ukraine"), or an office or party that only some states
   have ("Labour MP", "Tory leader", "Chancellor of the Exchequer": config/offices.yaml);
2. ``organisation``: the country of the organisation they speak for or that speaks ("the Russian
   embassy", "RCMP", "Calgary-based TransCanada", "the Pentagon", "the Senate committee"), or of the
   outlet the statement went out on ("said on the Russian embassy's Telegram channel");
3. ``place``: a town the article ties them to ("Toronto police", "a Halifax resident", "Jane Roe, 45,
   of Moncton", "Halifax oncologist Jo Li"), from the gazetteer (config/countries.json ``places``);
4. ``dateline``: the place the story was filed from ("MONCTON, N.B. —");
5. ``article``: the article's own country, only where its evidence (country words, places, single-state
   institutions, the dateline) clearly points at one country.

Evidence that names several candidate states ("MP", "Tory", "Hamilton") is settled by the article's
evidence; an international body (UN, EU, NATO: config/offices.yaml ``international``) has no country,
and nothing after it is tried.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from pipeline.folding import fold
from pipeline.models import CountrySource
from pipeline.nlp.countries import CountryLexicon, CountryMention, doc_text
from pipeline.nlp.entities import PersonMention
from pipeline.nlp.quotes import QuoteMatch
from pipeline.nlp.roles import SpeakerDescription
from pipeline.nlp.speakers import Describe, ResolvedSpeaker

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


@dataclass(frozen=True, slots=True)
class SpeakerProfile:
    role: str | None
    country: str | None  # ISO 3166-1 alpha-2
    country_source: CountrySource | None = None


_CHANNEL_PREPS = frozenset({"on", "in", "via", "through", "to"})
_PLACE_LABELS = frozenset({"GPE", "LOC"})
# The article's own country is used for a speaker with no evidence of their own only when its evidence
# is clear: at least this many pieces, and this share of all of them for one country.
_ARTICLE_MIN_EVIDENCE = 2
_ARTICLE_MIN_SHARE = 0.6
# A dateline counts as this many pieces of article evidence: it is where the story happened.
_DATELINE_WEIGHT = 2
# ... and only when the article is mostly about the dateline's country (its share of the evidence).
_DATELINE_MIN_SHARE = 0.5
# Where a dateline may be: the first characters of the story (after a byline and blank lines).
_DATELINE_WINDOW = 600
_DATELINE = re.compile(
    r"(?m)^[ \t]*(?P<place>[A-Z][A-Z.'\u2019]+(?:[ -][A-Z][A-Z.'\u2019]+){0,3})"
    r"(?:, (?P<region>[A-Z][A-Za-z.]+(?: [A-Z][A-Za-z.]+){0,2}))?"
    r"(?:,? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2})?"
    r"(?: \([^)\n]{1,40}\))? ?(?:\u2014|\u2013|--|-) "
)
# Capitals at a line start that open a story without being a place ("UPDATE -", "ANALYSIS -").
_NOT_DATELINES = frozenset({"update", "updated", "analysis", "exclusive", "breaking", "opinion", "editorial"})
# "U.S. dollars", "Canadian dlrs": a currency says nothing about where the story is.
_CURRENCY = re.compile(
    r"\s*(?:dollars?|dlrs?|cents|yen|pounds? sterling|francs?|marks?|currency)\b", re.IGNORECASE
)
# "Calgary-based TransCanada", "a Quebec-based firm": the organisation's base.
_BASED = re.compile(r"([A-Z][\w.'\u2019]*(?: [A-Z][\w.'\u2019]*){0,2})-based\b")
# How far left of a person's name a place may open their description ("Halifax radiation oncologist").
_PLACE_PREMODIFIER_TOKENS = 5
_POSTING = re.compile(r"\b(?:to|in|at|near|toward|towards|across|outside)\b")
# Country words that name a town rather than the country ("Toronto", "Ottawa"): the place rule's.
_TOWNS = frozenset({"place", "capital"})
# How far an apposition after a name may run (", principal architect at Studio X, Carmel, Calif.,").
_APPOSITION_TOKENS = 15
_PREMODIFIER_STOP_POS = frozenset({"VERB", "AUX", "PRON", "SCONJ", "CCONJ", "ADP", "DET", "PUNCT", "NUM"})


@dataclass(frozen=True, slots=True)
class ArticleCountries:
    """The article's country evidence: pieces per country, and the dateline's country."""

    counts: dict[str, int] = field(default_factory=dict)
    dateline: str | None = None

    def choose(self, candidates: Sequence[str]) -> str | None:
        """One country among ``candidates``: the only one; else the one the article's evidence names
        most (ties: the earlier candidate); else, in an article that names no country at all, the
        first; else none (the article is about other countries)."""
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return None
        best = max(candidates, key=lambda c: (self.counts.get(c, 0), -candidates.index(c)))
        if self.counts.get(best, 0) > 0:
            return best
        return candidates[0] if not self.counts else None

    def dominant(self) -> str | None:
        """The article's country when its evidence clearly points at one (see the thresholds)."""
        total = sum(self.counts.values())
        if total < _ARTICLE_MIN_EVIDENCE:
            return None
        code, n = max(self.counts.items(), key=lambda kv: kv[1])
        return code if n >= _ARTICLE_MIN_SHARE * total else None


def article_countries(
    doc: Doc, lexicon: CountryLexicon, original_text: str | None = None
) -> ArticleCountries:
    """Count the article's country evidence: country words (one per mention), places the gazetteer
    knows for one country, offices/institutions/parties of one state, the dateline (weighted); then
    the offices and places with several candidates, settled by the first count."""
    text = original_text if original_text is not None else doc.text
    mentions = [m for m in lexicon.mentions(doc) if not _CURRENCY.match(text, m.end)]
    counts: Counter[str] = Counter(m.code for m in mentions)
    mentioned = {m.start for m in lexicon.mentions(doc)}
    unsettled: list[tuple[str, ...]] = []
    for ent in doc.ents:
        if ent.label_ in _PLACE_LABELS and ent.start_char not in mentioned:
            codes = lexicon.place_codes(ent.text)
            if len(codes) == 1:
                counts[codes[0]] += 1
            elif codes:
                unsettled.append(codes)
    ends = {m.end for m in lexicon.mentions(doc)}
    for start, _end, codes in lexicon.institution_hits(text, proper_only=True):
        if start - 1 in ends or start in ends:
            continue  # "the German Foreign Office": the country word before it says whose
        if len(codes) == 1:
            counts[codes[0]] += 1
        elif codes:
            unsettled.append(codes)
    dateline = dateline_country(text, lexicon, ArticleCountries(dict(counts)))
    if dateline is not None and (
        counts.get(dateline, 0) < max(counts.values(), default=0)
        or counts.get(dateline, 0) + _DATELINE_WEIGHT
        < _DATELINE_MIN_SHARE * (sum(counts.values()) + _DATELINE_WEIGHT)
    ):
        # "SINGAPORE -- World markets ... U.S. President Donald Trump": filed from a desk abroad, about
        # other countries (or about several): the dateline says where the reporter was, not who spoke
        dateline = None
    if dateline is not None:
        counts[dateline] += _DATELINE_WEIGHT
    first = ArticleCountries(dict(counts))
    for codes in unsettled:
        # "Labour", "the Tories", "the Commons" in an article naming no country vote for their first
        # candidate; otherwise for the candidate the rest of the evidence names
        code = first.choose(codes)
        if code is not None:
            counts[code] += 1
    return ArticleCountries(dict(counts), dateline)


def dateline_country(text: str, lexicon: CountryLexicon, article: ArticleCountries) -> str | None:
    """The country of the story's dateline ("TROUT BROOK, N.B. —" -> CA, "SINGAPORE --" -> SG)."""
    match = _DATELINE.search(text[:_DATELINE_WINDOW])
    if match is None:
        return None
    place = match.group("place")
    if place.lower() in _NOT_DATELINES or sum(ch.isalpha() for ch in place) < 3:
        return None
    for part in (match.group("region"), place.title()):
        if part:
            code = article.choose(lexicon.place_codes(part))
            if code is not None:
                return code
    return None


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What one quote's speaker is, for the country rules."""

    doc: Doc
    lexicon: CountryLexicon
    article: ArticleCountries
    speaker: ResolvedSpeaker
    known: SpeakerDescription | None  # the person's merged description, all mentions
    own: SpeakerDescription | None  # this mention's description
    mention: Span | None
    person_spans: tuple[tuple[int, int], ...]  # token ranges of the person's mentions
    named_tokens: dict[int, str]  # token -> the multi-word name it is part of ("Obama" of Barack Obama)
    mentions: tuple[CountryMention, ...]  # the document's country words, in text order
    mention_starts: tuple[int, ...]
    doc_places: frozenset[str]  # folded names spaCy tags as places somewhere in the article
    channel: Callable[[], str | None]  # the outlet's country, read only when the rules get that far


# A rule: evidence -> candidate countries (empty: no evidence), or None for "has no country" (stop).
_Rule = Callable[[_Evidence], "tuple[str, ...] | None"]
_NO_COUNTRY: tuple[str, ...] = ()


def _other_person(ev: _Evidence, i: int) -> bool:
    """Is token ``i`` part of someone else's name?"""
    name = ev.named_tokens.get(i)
    return name is not None and name != ev.speaker.name


def _descriptions(ev: _Evidence) -> list[SpeakerDescription]:
    return [d for d in (ev.known, ev.own) if d is not None]


def _org_of(desc: SpeakerDescription, lexicon: CountryLexicon) -> bool:
    """Did the description's country come from its organisation?"""
    return (
        bool(desc.org) and desc.country is not None and lexicon.country_of_org(desc.org or "") == desc.country
    )


def _international(ev: _Evidence) -> bool:
    texts = [
        ev.speaker.name or "",
        *(d.org or "" for d in _descriptions(ev)),
        *(d.role or "" for d in _descriptions(ev)),
    ]
    return any(() in ev.lexicon.institutions_in(t) for t in texts if t)


def _role_rule(ev: _Evidence) -> tuple[str, ...] | None:
    """A country word in the title or apposition; else an office or party of some states."""
    if _international(ev):
        return None
    for desc in _descriptions(ev):
        if desc.country and not _org_of(desc, ev.lexicon):
            return (desc.country,)
    for desc in _descriptions(ev):
        for codes in ev.lexicon.institutions_in(desc.role or ""):
            if ev.article.choose(codes):
                return codes
    return _NO_COUNTRY


def _organisation_rule(ev: _Evidence) -> tuple[str, ...] | None:
    """The organisation's country: named in it, known, its base ("Calgary-based"), the outlet."""
    for desc in _descriptions(ev):
        if desc.country:
            return (desc.country,)
    names = [d.org for d in _descriptions(ev) if d.org]
    if ev.speaker.type in ("ORG", "GPE", "NORP") and ev.speaker.name:
        names.insert(0, ev.speaker.name)
        code = ev.lexicon.country_of_org(ev.speaker.name)
        if code:
            return (code,)
    for name in names:
        for codes in ev.lexicon.institutions_in(name):
            if ev.article.choose(codes):
                return codes
    for text in [*names, *(d.role or "" for d in _descriptions(ev))]:
        for base in _BASED.findall(text):
            codes = ev.lexicon.place_codes(base)
            if codes:
                return codes
    for _start, end in ev.person_spans:
        codes = _org_after(ev.doc, end, ev)
        if codes:
            return codes
    if ev.speaker.type != "PERSON" and ev.mention is not None:
        code = _org_context_country(ev.doc, ev.mention, ev)
        if code:
            return (code,)
    for desc in _descriptions(ev):
        for run in _CAPITALISED_RUN.findall(desc.role or ""):
            code = ev.lexicon.orgs.get(fold(run.rstrip(".")))  # "RCMP Sgt.": a known organisation
            if code is None:
                code = next(
                    (ev.lexicon.orgs[fold(w)] for w in run.split(" ") if fold(w) in ev.lexicon.orgs), None
                )
            if code:
                return (code,)
    channel = ev.channel()
    if channel:
        return (channel,)
    return _NO_COUNTRY


def _org_after(doc: Doc, end: int, ev: _Evidence) -> tuple[str, ...]:
    """ "Sgt. Jo Li of the RCMP", "Jo Li with the Pentagon": a known organisation or institution
    right after the name."""
    k = end
    if k >= len(doc) or doc[k].lower_ not in ("of", "with", "at"):
        return ()
    stop = k + 1
    while stop < len(doc) and stop - k <= _PLACE_PREMODIFIER_TOKENS and not doc[stop].is_punct:
        if doc[stop].pos_ in ("VERB", "AUX", "PRON"):
            break
        stop += 1
    phrase = doc[k + 1 : stop].text
    key = fold(phrase)
    code = ev.lexicon.orgs.get(key[4:] if key.startswith("the ") else key)
    if code:
        return (code,)
    for codes in ev.lexicon.institutions_in(phrase):
        if codes and ev.article.choose(codes):
            return codes
    return ()


def _org_context_country(doc: Doc, mention: Span, ev: _Evidence) -> str | None:
    """A country word around an organisation's name: before it in its noun phrase ("the Belgian news
    agency Belga") or in its apposition ("Abbey National, the second largest building society in the
    U.K.,"): where an organisation is, unlike a person's posting, is its base."""
    lo = mention.start
    while lo > 0 and mention.start - lo < _PLACE_PREMODIFIER_TOKENS:
        tok = doc[lo - 1]
        if tok.is_space or tok.pos_ in _PREMODIFIER_STOP_POS or _other_person(ev, tok.i):
            break
        lo -= 1
    spans = [(lo, mention.start), _apposition(doc, mention.end)]
    for start, end in spans:
        if start >= end:
            continue
        first, last = doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text)
        k = bisect.bisect_left(ev.mention_starts, first)
        while k < len(ev.mentions) and ev.mentions[k].end <= last:
            m = ev.mentions[k]
            # a town ("Saskatoon police") is the place rule's: a local body of a named place
            if ev.lexicon.kind_of(doc_text(doc)[m.start : m.end]) not in _TOWNS:
                return m.code
            k += 1
    return None


def _apposition(doc: Doc, end: int) -> tuple[int, int]:
    """Token range of the apposition right after a name: ", the second largest X in Y," (up to the
    next comma, the sentence end or a verb); empty when no comma follows the name."""
    if end >= len(doc) or doc[end].text != ",":
        return end, end
    k = end + 1
    while k < len(doc) and k - end <= _APPOSITION_TOKENS:
        tok = doc[k]
        if tok.text in (",", ";", ".") or tok.is_sent_start or tok.pos_ in ("VERB", "AUX"):
            break
        k += 1
    return end + 1, k


def _place_rule(ev: _Evidence) -> tuple[str, ...] | None:
    """A town in the speaker's own words: their role or description ("a Halifax resident", "Toronto
    police"), the words right before the person's name ("Halifax oncologist Jo Li"), or after it ("Jo
    Li, 45, of Moncton"). spaCy's small model tags rare towns as anything (Moncton as a person), so
    capitalised words are looked up whatever their label, other people's names excepted."""
    doc = ev.doc
    # a role's place, up to a posting ("ambassador to France", "manager in Manitoba" say where they
    # work, not whose they are)
    texts = [_POSTING.split(d.role or "", maxsplit=1)[0] for d in _descriptions(ev)]
    own_name = (
        any(start < ev.mention.end and ev.mention.start < end for start, end in ev.person_spans)
        if ev.mention is not None
        else False
    )
    if ev.mention is not None and not own_name:  # a name is no place ("Ann Poole": Ann, Myanmar)
        lo = ev.mention.start
        while lo > 0 and lo > ev.mention.start - _PLACE_PREMODIFIER_TOKENS and _place_word(doc[lo - 1], ev):
            lo -= 1  # "Saskatoon police": the parser may leave the town outside the mention
        texts.append(doc[lo : ev.mention.end].text)
    for start, _end in ev.person_spans:
        texts.append(_premodifier_text(doc, start, ev))
    for text in texts:
        codes = _places_in(text, ev.lexicon, ev.doc_places)
        if codes:
            return codes
    for _start, end in ev.person_spans:
        codes = _place_after(doc, end, ev)
        if codes:
            return codes
    return _NO_COUNTRY


# Capitalised word runs: the places a description may name ("Drayton Valley", "St. Louis").
_CAPITALISED_RUN = re.compile(r"[A-Z][\w.'\u2019-]*(?:[ ][A-Z][\w.'\u2019-]*){0,3}")


def _places_in(text: str, lexicon: CountryLexicon, known: Collection[str]) -> tuple[str, ...]:
    """The candidates of the first place named in ``text``, longest name first (``known``: see
    ``CountryLexicon.place_codes``)."""
    for run in _CAPITALISED_RUN.findall(text):
        words = [w[:-2] if w.endswith(("'s", "\u2019s")) else w for w in run.split(" ")]
        for i in range(len(words)):
            for j in range(len(words), i, -1):
                codes = lexicon.place_codes(" ".join(words[i:j]), known)
                if codes:
                    return codes
    return ()


def _place_word(tok: Token, ev: _Evidence) -> bool:
    """A capitalised word that may be (part of) a town: not another person's name, not furniture."""
    return (
        tok.text[:1].isupper()
        and tok.pos_ in ("PROPN", "NOUN", "ADJ", "ADV")
        and not _other_person(ev, tok.i)
    )


def _premodifier_text(doc: Doc, start: int, ev: _Evidence) -> str:
    """The words right before a name, up to a verb, determiner or punctuation ("Halifax radiation
    oncologist" of "Halifax radiation oncologist Jo Li")."""
    j = start
    while j > 0 and start - j < _PLACE_PREMODIFIER_TOKENS:
        tok = doc[j - 1]
        if tok.is_space or tok.pos_ in _PREMODIFIER_STOP_POS or _other_person(ev, tok.i):
            break
        j -= 1
    return doc[j:start].text


def _place_after(doc: Doc, end: int, ev: _Evidence) -> tuple[str, ...]:
    """ "Name, 45, of Moncton, N.B.," / "Name of Halifax" / "Name, from Calgary,": the home town."""
    k = end
    if k < len(doc) and doc[k].text == ",":
        k += 1
        if k + 1 < len(doc) and doc[k].like_num and doc[k + 1].text == ",":
            k += 2
    if k >= len(doc) or doc[k].lower_ not in ("of", "from"):
        return ()
    k += 1
    stop = k
    while stop < len(doc) and stop - k < 3 and doc[stop].text[:1].isupper() and not doc[stop].is_punct:
        stop += 1
    if stop == k:
        return ()
    # "of Milton, Ont.": the region settles the town
    if stop + 1 < len(doc) and doc[stop].text == ",":
        region = ev.lexicon.place_codes(doc[stop + 1].text)
        if len(region) == 1:
            return region
    return _places_in(doc[k:stop].text, ev.lexicon, ev.doc_places)


def _placeless(ev: _Evidence) -> bool:
    """An unnamed speaker known by what they know ("experts", "sources familiar with the talks")."""
    if ev.speaker.proper and ev.speaker.name:
        return False
    words = (ev.speaker.mention or ev.speaker.name or "").lower().split()
    return any(w.strip(",.") in ev.lexicon.placeless for w in words)


def _dateline_rule(ev: _Evidence) -> tuple[str, ...] | None:
    if _placeless(ev):
        return _NO_COUNTRY
    return (ev.article.dateline,) if ev.article.dateline else _NO_COUNTRY


def _article_rule(ev: _Evidence) -> tuple[str, ...] | None:
    if _placeless(ev):
        return _NO_COUNTRY
    code = ev.article.dominant()
    return (code,) if code else _NO_COUNTRY


COUNTRY_RULES: tuple[tuple[CountrySource, _Rule], ...] = (
    ("role", _role_rule),
    ("organisation", _organisation_rule),
    ("place", _place_rule),
    ("dateline", _dateline_rule),
    ("article", _article_rule),
)
_RANK = {source: k for k, (source, _rule) in enumerate(COUNTRY_RULES)}


def speaker_country(ev: _Evidence) -> tuple[str | None, CountrySource | None]:
    """The first rule whose evidence settles on one country, and its name."""
    for source, rule in COUNTRY_RULES:
        codes = rule(ev)
        if codes is None:
            return None, None  # an international body: no country, whatever the article says
        if codes:
            code = ev.article.choose(codes)
            if code is not None:
                return code, source
    return None, None


def profile_speakers(
    doc: Doc,
    matches: Sequence[QuoteMatch],
    resolved: Sequence[ResolvedSpeaker],
    people_desc: dict[str, SpeakerDescription],
    describe: Describe,
    lexicon: CountryLexicon,
    people: Sequence[PersonMention] = (),
    original_text: str | None = None,
) -> list[SpeakerProfile]:
    """Role, country and the country's source for each quote's speaker (see module doc).

    Role: the person's title or apposition anywhere in the article, else this mention's own words. A
    person's role and country hold for all their quotes: the most specific evidence of any of them.
    """
    article = article_countries(doc, lexicon, original_text)
    # a name the article gives a person is no town, whatever spaCy tags it elsewhere ("Mark Norman")
    person_words = {fold(w) for person in people for w in person.canonical.split()}
    doc_places = frozenset(
        fold(e.text) for e in doc.ents if e.label_ in _PLACE_LABELS and fold(e.text) not in person_words
    )
    mentions = tuple(lexicon.mentions(doc))
    mention_starts = tuple(m.start for m in mentions)
    spans_of: dict[str, list[tuple[int, int]]] = {}
    named_tokens: dict[int, str] = {}
    for person in people:
        spans_of.setdefault(person.canonical, []).append((person.start, person.end))
        if " " in person.canonical:
            named_tokens.update((i, person.canonical) for i in range(person.start, person.end))
    out: list[SpeakerProfile] = []
    decided: dict[tuple[object, ...], tuple[str | None, CountrySource | None]] = {}
    for m, r in zip(matches, resolved, strict=True):
        known = people_desc.get(r.name or "") if r.type == "PERSON" else None
        mention: Span | None = None
        own: SpeakerDescription | None = None
        if r.mention_start is not None and r.mention_end is not None:
            mention = doc.char_span(r.mention_start, r.mention_end, alignment_mode="expand")
            if mention is not None and len(mention) == 1 and mention[0].pos_ == "PRON":
                mention = None
            own = describe(mention) if mention is not None else None
        role = (known.role if known else None) or (own.role if own else None)
        if role is None and mention is not None and (r.name is None or not r.proper):
            role = _description_role(mention)
        ev = _Evidence(
            doc=doc,
            lexicon=lexicon,
            article=article,
            speaker=r,
            known=known,
            own=own,
            mention=mention,
            person_spans=tuple(spans_of.get(r.name or "", ())) if r.type == "PERSON" else (),
            named_tokens=named_tokens,
            mentions=mentions,
            mention_starts=mention_starts,
            doc_places=doc_places,
            channel=partial(_channel_country, doc, m.cue_token, describe),
        )
        # one person's evidence is read once, not once per quote (an article quoting someone a thousand
        # times costs one reading): the key is what can differ between their quotes
        own_words = (
            None if mention is None or _overlaps(mention, ev.person_spans) else (mention.start, mention.end)
        )
        key = (
            r.name,
            r.type,
            own_words,
            r.mention_start if r.name is None else None,
            _channel_cue(doc, m.cue_token),
        )
        if key not in decided:
            decided[key] = speaker_country(ev)
        country, source = decided[key]
        out.append(SpeakerProfile(role, country, source))
    # a person's role and country established by one quote hold for the others: the most specific
    best: dict[str, SpeakerProfile] = {}
    for p, r in zip(out, resolved, strict=True):
        if r.type != "PERSON" or not r.name:
            continue
        prev = best.get(r.name)
        role = (prev.role if prev else None) or p.role
        if prev is None or (
            p.country_source is not None
            and (prev.country_source is None or _RANK[p.country_source] < _RANK[prev.country_source])
        ):
            best[r.name] = SpeakerProfile(role, p.country, p.country_source)
        else:
            best[r.name] = SpeakerProfile(role, prev.country, prev.country_source)
    return [
        best.get(r.name or "", p) if r.type == "PERSON" and r.name else p
        for p, r in zip(out, resolved, strict=True)
    ]


# How far a description's own modifiers may reach past its mention ("sources familiar with the talks").
_DESCRIPTION_TAIL_TOKENS = 8
# Words that open a description without describing: "a Defra spokesman", "some residents", "his aides".
_DESCRIPTION_OPENERS = frozenset(
    {
        "a",
        "an",
        "the",
        "some",
        "several",
        "many",
        "most",
        "his",
        "her",
        "its",
        "their",
        "my",
        "our",
        "your",
        "one",
    }
)


def _description_role(mention: Span) -> str | None:
    """An unnamed speaker is known by its description, which is its role ("a Defra spokesman" ->
    "Defra spokesman", "sources familiar with the talks", "protesters")."""
    doc = mention.doc
    # the description's own modifiers after it: "sources [familiar with the talks]"
    end = mention.end
    limit = min(len(doc), mention.root.right_edge.i + 1, mention.end + _DESCRIPTION_TAIL_TOKENS)
    while end < limit and not doc[end].is_punct and doc[end].pos_ not in ("VERB", "AUX"):
        end += 1
    words = [t for t in doc[mention.start : end] if not t.is_space]
    while words and (words[0].lower_ in _DESCRIPTION_OPENERS or words[0].is_punct):
        words = words[1:]
    while words and words[-1].is_punct:
        words = words[:-1]
    if not words or not any(t.pos_ == "NOUN" for t in words) or all(t.pos_ == "PRON" for t in words):
        return None
    return " ".join(t.text for t in words)


def _overlaps(span: Span, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(start < span.end and span.start < end for start, end in ranges)


def _channel_cue(doc: Doc, cue: int | None) -> int | None:
    """The cue when it names a channel (its country may differ between quotes), else None."""
    if cue is None:
        return None
    has_channel = any(c.dep_ == "prep" and c.lower_ in _CHANNEL_PREPS for c in doc[cue].children)
    return cue if has_channel else None


def _channel_country(doc: Doc, cue: int | None, describe: Describe) -> str | None:
    """`said on the Russian embassy's Telegram channel`, `told Russia's TASS`: the outlet's country."""
    if cue is None:
        return None
    for prep in doc[cue].children:
        if prep.dep_ == "prep" and prep.lower_ in _CHANNEL_PREPS:
            obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
            if obj is not None:
                lo, hi = int(obj.left_edge.i), int(obj.right_edge.i) + 1
                desc = describe(doc[lo:hi])
                if desc.country:
                    return desc.country
    return None
