"""Resolve each quote's speaker mention to a name: full names, surnames, pronouns, descriptions, floating.

Input: the parsed ``Doc``, the ``QuoteMatch`` list from :mod:`pipeline.nlp.quotes`, and the people of the
article (canonical full name per mention). Output: one :class:`ResolvedSpeaker` per quote.

Rules, in order, for a mention:

1. It contains a person's name -> that person's canonical full name ("Antonov" -> "Anatoly Antonov").
2. A pronoun (he/she/they/I) -> the previous speaker when compatible, else the nearest preceding person
   of compatible gender (gender from honorifics and from the pronouns that follow a name).
3. A proper name spaCy did not tag as a person but which is a known person's surname -> that person;
   an organisation, place or nationality -> itself (organisations can be speakers).
4. A description ("the diplomat", "the top US diplomat", "a spokesperson for the ministry") -> the last
   person whose title fits the description ("the diplomat" fits "Ambassador", "Secretary of State"),
   else the previous person speaker, else the next person named; organisation-like nouns ("the
   ministry", "the statement") stand for themselves.
5. A floating quote continues the previous quote's speaker (or, at a paragraph's start, the speaker
   of the next quote in the same paragraph).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from pipeline.folding import name_key
from pipeline.models import Entity, SpeakerConfidence
from pipeline.nlp.entities import PersonMention
from pipeline.nlp.lexicons import Gender, Lexicons, NameGender, SpeakerNouns
from pipeline.nlp.quotes import CueLexicon, QuoteMatch, _paragraphs, speaker_mention_span
from pipeline.nlp.roles import SpeakerDescription
from pipeline.nlp.tokens import TokenIndex

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

SpeakerKind = Literal["PERSON", "ORG", "GPE", "NORP", "UNKNOWN"]

# How many paragraphs back a previous speaker still anchors a pronoun or a floating quote.
MAX_SPEAKER_GAP_PARAGRAPHS = 3


# a mention span -> what the text says the speaker is (pipeline.nlp.roles.describe_speaker, bound)
Describe = Callable[["Span"], SpeakerDescription]


@dataclass(frozen=True, slots=True)
class ResolvedSpeaker:
    name: str | None
    mention: str | None
    type: SpeakerKind
    mention_start: int | None = None  # char offsets of the mention
    mention_end: int | None = None
    head: int | None = None  # token index of the mention head
    # False when ``name`` is a description ("the operator", "analysts", "It"), not a proper name: it
    # identifies the speaker across quotes but is never published as a name
    proper: bool = True
    rule: str = ""  # the rule that resolved it ("person_named", "pronoun.recent_speaker", ...)


@dataclass(slots=True)
class _Context:
    doc: Doc
    lex: CueLexicon
    people: list[PersonMention]
    person_starts: list[int]
    surnames: dict[str, str]
    genders: dict[str, Gender]
    people_desc: dict[str, SpeakerDescription]  # canonical -> role/country/groups from all mentions
    describe: Describe | None
    quoted: list[tuple[int, int]] = field(default_factory=list)  # token ranges inside quotations
    nouns: SpeakerNouns | None = None
    orgs: list[tuple[int, int, str]] | None = None  # ORG entities outside quotations (lazy)
    # canonicals of "people" that are places, organisations or amounts elsewhere in the article
    not_people: frozenset[str] = frozenset()
    paragraph_starts: list[int] = field(default_factory=list)  # char offsets (quotes._paragraphs)
    name_gender: NameGender | None = None

    def paragraph_of(self, token: int) -> int:
        return bisect.bisect_right(self.paragraph_starts, self.doc[token].idx) - 1


def _surname_index(people: Sequence[PersonMention]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in people:
        parts = p.canonical.split()
        if parts:
            out.setdefault(name_key(parts[-1]), p.canonical)
    return out


def _genders(
    doc: Doc, people: Sequence[PersonMention], lex: CueLexicon, name_gender: NameGender | None
) -> dict[str, Gender]:
    """Gender per person: an honorific before the name, else the first name, else following pronouns.

    One pass over the tokens: each he/she/his/her votes for the last person named before it.
    """
    votes: dict[str, Counter[str]] = {}
    male, female = lex.pronouns.get("male", frozenset()), lex.pronouns.get("female", frozenset())
    hon_m, hon_f = lex.honorifics.get("male", frozenset()), lex.honorifics.get("female", frozenset())
    fixed: dict[str, Gender] = {}
    for p in people:
        if p.start > 0:
            prev = doc[p.start - 1].lower_
            if prev in hon_m:
                fixed[p.canonical] = "m"
            elif prev in hon_f:
                fixed[p.canonical] = "f"
    k = 0
    last: str | None = None
    for tok in doc:
        while k < len(people) and people[k].start <= tok.i:
            last = people[k].canonical
            k += 1
        if last is None:
            continue
        low = tok.lower_
        if low in male:
            votes.setdefault(last, Counter())["m"] += 1
        elif low in female:
            votes.setdefault(last, Counter())["f"] += 1
    # Pronoun votes decide when clear (the article's own usage beats a first-name table); otherwise
    # the first name decides; a lone vote decides only names the table does not know.
    out: dict[str, Gender] = {}
    for p in people:
        name = p.canonical
        if name in out:
            continue
        counter = votes.get(name, Counter())
        total = sum(counter.values())
        top, n = counter.most_common(1)[0] if counter else ("m", 0)
        parts = name.split()
        guess = name_gender(parts[0]) if name_gender is not None and parts else None
        if guess is not None and len(parts) == 1 and not guess[1]:
            guess = None  # a one-word name may be a surname: only a sure first name tells ("Chloe")
        if guess is not None and guess[1]:
            out[name] = guess[0]
        elif total >= 2 and n / total >= 0.75:
            out[name] = "m" if top == "m" else "f"
        elif guess is not None:
            out[name] = guess[0]
        elif total >= 1 and n / total > 0.5:
            out[name] = "m" if top == "m" else "f"
    out.update(fixed)
    return out


def _inside(ranges: list[tuple[int, int]], i: int) -> bool:
    return any(lo <= i < hi for lo, hi in ranges)


def _has_role(ctx: _Context, span: Span) -> bool:
    return ctx.describe is not None and bool(ctx.describe(span).groups)


def _appositions(head: Token) -> list[Token]:
    """Right-hand appositions/compounds of a mention head; for a description also an apposition the
    parser hung on a name inside it: a place (`the ambassador to Turkey, Taras Hnatyuk,` -> Hnatyuk),
    or a person's name after an organisation or a person (`A spokesman for Valero, Steve Fry,` -> Fry;
    `A spokeswoman for Trudeau, Eleanore Catenaro,` -> Catenaro; not `for the company, Shell,`)."""
    out = [c for c in head.children if c.dep_ in ("appos", "compound") and c.i > head.i]
    if head.pos_ == "NOUN":
        for prep in head.children:
            if prep.dep_ == "prep" and prep.i > head.i:
                for obj in prep.children:
                    if obj.dep_ != "pobj":
                        continue
                    for c in obj.children:
                        if c.dep_ != "appos" or c.pos_ != "PROPN":
                            continue
                        if obj.ent_type_ in ("GPE", "LOC") or (
                            obj.pos_ == "PROPN" and c.ent_type_ in ("PERSON", "")
                        ):
                            out.append(c)
    return out


def _name_chunk(doc: Doc, head: int) -> str:
    """The proper-noun run ending at ``head`` ("Taras Hnatyuk")."""
    start = head
    while start > 0 and doc[start - 1].pos_ == "PROPN" and doc[start - 1].dep_ in ("compound", "flat"):
        start -= 1
    return doc[start : head + 1].text


def _person_at(ctx: _Context, span: Span) -> str | None:
    k = bisect.bisect_right(ctx.person_starts, span.end - 1) - 1
    while k >= 0 and ctx.people[k].end > span.start:
        if ctx.people[k].start < span.end:
            return ctx.people[k].canonical
        k -= 1
    for tok in span:
        if tok.pos_ == "PROPN" or tok.text[:1].isupper():
            hit = ctx.surnames.get(name_key(tok.text))
            if hit:
                return hit
    return None


def _previous_person(ctx: _Context, before: int, gender: Gender | None) -> str | None:
    k = bisect.bisect_left(ctx.person_starts, before) - 1
    while k >= 0:
        p = ctx.people[k]
        if not _inside(ctx.quoted, p.start) and (
            gender is None or ctx.genders.get(p.canonical, gender) == gender
        ):
            return p.canonical
        k -= 1
    return None


def _pronoun_antecedent(ctx: _Context, before: int, gender: Gender | None) -> str | None:
    """The person a he/she/I before token ``before`` refers to.

    Candidates are person mentions outside quotations, of the pronoun's gender, that can be a person:
    not a name modifying a common noun ("the Kinder Morgan pipeline", "the Ford government") and not
    a name the article also uses for a place, an organisation or an amount. The nearest wins, unless
    it is no subject and a subject of the same sentence is a candidate too ("Gokool is hopeful the
    minister will heed Parker's plea. ... she said" -> Gokool): the subject is what the story is about.
    """
    nearest: PersonMention | None = None
    k = bisect.bisect_left(ctx.person_starts, before) - 1
    while k >= 0:
        p = ctx.people[k]
        k -= 1
        if (
            _inside(ctx.quoted, p.start)
            or (gender is not None and ctx.genders.get(p.canonical, gender) != gender)
            or not _can_be_referred_to(ctx, p)
        ):
            continue
        if nearest is None:
            nearest = p
            if _is_subject(ctx.doc, p):
                return p.canonical
            continue
        if ctx.doc[p.start].sent.start != ctx.doc[nearest.start].sent.start:
            break  # only a subject of the nearest candidate's sentence
        if _is_subject(ctx.doc, p):
            return p.canonical
    return nearest.canonical if nearest is not None else None


_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})


def _is_subject(doc: Doc, p: PersonMention) -> bool:
    """Is the mention a clause's subject (or apposed/joined to one: "coach Dan Brennan, 54, said")?"""
    root = doc[p.start : p.end].root
    if root.dep_ == "ROOT":
        return True  # a name the parser made a sentence of its own ("Wang Chao-ming, vice chairman, ...")
    return root.dep_ in _SUBJECT_DEPS or (root.dep_ in ("appos", "conj") and root.head.dep_ in _SUBJECT_DEPS)


def _can_be_referred_to(ctx: _Context, p: PersonMention) -> bool:
    """Can a personal pronoun refer to this person mention?"""
    if p.canonical in ctx.not_people:
        return False
    root = ctx.doc[p.start : p.end].root
    # a name modifying a common noun names a thing ("the Kinder Morgan pipeline", "the Ford government")
    return not (root.dep_ in ("compound", "nmod", "amod") and root.head.pos_ == "NOUN")


# Entity labels whose names are never a person's, even when the tagger calls another mention PERSON.
_NOT_PERSON_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "MONEY", "WORK_OF_ART"})


def _not_people(
    people: Sequence[PersonMention], entities: Sequence[Entity], lexicons: Lexicons
) -> frozenset[str]:
    """Canonical "person" names that are something else: a name the article's entities (after the
    document-level label fixes) give as a place, an organisation or an amount ("Surrey", "Stella",
    "U.S. Dlrs"), one that starts with a country's name, or one that ends with an organisation's word
    ("Surrey Police")."""
    others = {name_key(e.canonical) for e in entities if e.label in _NOT_PERSON_LABELS}
    out = set()
    for p in people:
        words = p.canonical.split()
        countries = lexicons.countries
        # "U.S. Dlrs", "Moscow Narodny": a country's or capital's name first (asked as a name, not a
        # place: an ambiguous word such as "Jordan" is a given name)
        country_first = (
            bool(words)
            and countries.code_for(words[0], "ORG") is not None
            and countries.kind_of(words[0]) in (None, "name", "capital")
        )
        # "Surrey Police", "Valero Energy": an organisation's word in the name
        org_word = len(words) > 1 and words[-1].lower() in lexicons.titles.org_words
        if name_key(p.canonical) in others or country_first or org_word:
            out.add(p.canonical)
    return frozenset(out)


def _next_person(ctx: _Context, after: int) -> str | None:
    k = bisect.bisect_right(ctx.person_starts, after)
    while k < len(ctx.people):
        p = ctx.people[k]
        if not _inside(ctx.quoted, p.start):
            return p.canonical
        k += 1
    return None


@dataclass(slots=True)
class _Previous:
    name: str | None
    type: SpeakerKind
    paragraph: int
    proper: bool = True


# lower-case words inside a person's name ("Walter van der Veen", "Ibn al Haytham")
_NAME_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "du",
        "dos",
        "das",
        "le",
        "la",
        "al",
        "el",
        "bin",
        "ibn",
        "ben",
        "abu",
        "st",
        "st.",
        "y",
        "e",
    ]
)


def _capitalised(word: str) -> bool:
    """A name word: "Dein", "O'Neill", also a particle glued by a hyphen ("al-Sabah", "bin-Laden")."""
    if word[:1].isupper():
        return True
    head, _, rest = word.partition("-")
    return head.lower() in _NAME_PARTICLES and rest[:1].isupper()


def person_name(canonical: str) -> str | None:
    """The searchable name in a person's canonical form, or None when it is not a name.

    A span the tagger ran past the name is cut at a dash or bracket ("Florian Hamm - the club's largest
    investor"); the name is the run of capitalised words (and inner particles) that ends it ("Fund
    manager Florian Hamm" -> "Florian Hamm"); a span cut inside a name or a title ("Arsenal vice" of
    "vice-chairman", "Walter van" of "Walter van der Veen", "Swedish trades") is no name.
    """
    for cut in (" - ", " \u2013 ", " \u2014 ", " (", ", "):
        canonical = canonical.split(cut)[0]
    words = canonical.split()
    if not words or not _capitalised(words[-1]):
        return None
    k = len(words) - 1
    while k > 0 and (_capitalised(words[k - 1]) or words[k - 1].lower() in _NAME_PARTICLES):
        k -= 1
    while k < len(words) and not _capitalised(words[k]):
        k += 1  # a name does not start with a particle
    name = " ".join(words[k:])
    return name if name.count("(") == name.count(")") else None


def resolve_speakers(
    doc: Doc,
    matches: Sequence[QuoteMatch],
    people: Sequence[PersonMention],
    lexicons: Lexicons,
    *,
    quoted_ranges: Sequence[tuple[int, int]] = (),
    tokens: TokenIndex | None = None,
    entities: Sequence[Entity] = (),
    people_desc: dict[str, SpeakerDescription] | None = None,
    describe: Describe | None = None,
    text: str | None = None,
) -> list[ResolvedSpeaker]:
    """One resolved speaker per match (same order). ``people`` sorted by position, outside quotes or not.

    Attributed quotes go through ``MENTION_RULES`` (the first rule with an answer decides); floating
    quotes (no speaker mention) through ``_floating_speaker`` and, failing that, the speaker of the next
    quote of the same paragraph. Each result records the rule that made it (``ResolvedSpeaker.rule``).
    """
    repaired = []
    for p in sorted(people, key=lambda p: p.start):
        name = person_name(p.canonical)
        if name:
            repaired.append(p if name == p.canonical else replace(p, canonical=name))
    people = repaired
    lex = lexicons.cues
    ctx = _Context(
        doc=doc,
        lex=lex,
        people=list(people),
        person_starts=[p.start for p in people],
        surnames=_surname_index(people),
        genders=_genders(doc, people, lex, lexicons.name_gender),
        people_desc=people_desc or {},
        describe=describe,
        quoted=list(quoted_ranges),
        nouns=lexicons.speaker_nouns,
        not_people=_not_people(people, entities, lexicons),
        name_gender=lexicons.name_gender,
        paragraph_starts=[start for start, _ in _paragraphs(text if text is not None else doc.text)],
    )
    out: list[ResolvedSpeaker] = [_UNRESOLVED] * len(matches)
    previous: _Previous | None = None
    last_person: _Previous | None = None
    pending_floating: list[int] = []
    order = sorted(range(len(matches)), key=lambda i: matches[i].start)
    p_starts = ctx.paragraph_starts
    tokens = tokens if tokens is not None else TokenIndex(doc)
    prev_end = 0  # end of the previous quote: narrative before a floating quote starts after it
    for i in order:
        m = matches[i]
        this_prev_end, prev_end = prev_end, max(prev_end, m.end)
        if m.floating or m.speaker_token is None:
            floating = _floating_speaker(ctx, m, previous, p_starts, tokens, this_prev_end)
            if floating is None:
                pending_floating.append(i)
                continue
            out[i] = floating
            if floating.rule == "floating.named_before":
                previous = last_person = _Previous(floating.name, "PERSON", m.paragraph)
            elif previous is not None:
                # the speaker who just spoke again is as recent as this quote
                if last_person is not None and last_person.name == previous.name:
                    last_person = replace(last_person, paragraph=m.paragraph)
                previous = replace(previous, paragraph=m.paragraph)
            continue
        resolved = _resolve_mention(ctx, _Mention.of(ctx, m, previous, last_person))
        out[i] = resolved
        if resolved.name:
            previous = _Previous(resolved.name, resolved.type, m.paragraph, resolved.proper)
            if resolved.type == "PERSON":
                last_person = previous
            # a floating quote at a paragraph's start, before its attributed sibling
            for j in pending_floating:
                if matches[j].paragraph == m.paragraph:
                    out[j] = ResolvedSpeaker(
                        resolved.name,
                        None,
                        resolved.type,
                        proper=resolved.proper,
                        rule="floating.next_in_paragraph",
                    )
        pending_floating = [
            j for j in pending_floating if matches[j].paragraph == m.paragraph and not out[j].name
        ]
    return out


_UNRESOLVED = ResolvedSpeaker(None, None, "UNKNOWN", rule="unresolved")

# rule -> confidence level, from each rule's measured precision on ggt-dev and speakers-dev
# (docs/enrichment.md gives the precision of each level); a rule not listed is "low" (new unnamed
# descriptions, documents with no author, far or unresolved pronouns: about 60% or less).
_HIGH_RULES = (  # 96-100% each
    "person_named",
    "relabeled_name",
    "apposition",
    "apposed_to_name",
    "pronoun.recent_speaker",
    "pronoun.nearest_person",
    "floating.named_before",
    "floating.continues_previous",
)
_MEDIUM_RULES = (  # 75-90% each, or too rare to tell
    "named_entity",
    "proper_name",
    "group",
    "plural_pronoun",
    "plural_pronoun.organisation",
    "it",
    "pronoun.last_speaker",
    "pronoun.untagged_name",
    "named_modifier",
    "generic_name.antecedent",
    "document.author",
    "document.owner",
    "document.previous_speaker",
    "organisation_noun",
    "organisation_noun.owner",
    "organisation_noun.brand",
    "organisation_noun.antecedent",
    "organisation_plural",
    "described_person",
    "no_person_described",
    "description.nearest_person",
    "description.last_speaker",
    "floating.next_in_paragraph",
    "floating.resumes_previous",
)
RULE_CONFIDENCE: dict[str, SpeakerConfidence] = {
    **dict.fromkeys(_MEDIUM_RULES, "medium"),
    **dict.fromkeys(_HIGH_RULES, "high"),
}


def speaker_confidence(speaker: ResolvedSpeaker) -> SpeakerConfidence | None:
    """How far the speaker may be trusted (None when there is no speaker at all)."""
    if not speaker.name and not speaker.mention:
        return None
    return RULE_CONFIDENCE.get(speaker.rule, "low")


def _floating_speaker(
    ctx: _Context,
    m: QuoteMatch,
    previous: _Previous | None,
    p_starts: list[int],
    tokens: TokenIndex,
    prev_end: int,
) -> ResolvedSpeaker | None:
    """A quote with no speaker mention: the subject of the narrative before it in its paragraph, else
    the previous speaker when the quote follows within a paragraph; None leaves it to the next quote."""
    named = _named_before(ctx, m, p_starts, tokens, prev_end)
    if named is not None:
        return ResolvedSpeaker(named, None, "PERSON", rule="floating.named_before")
    if previous is not None and m.paragraph - previous.paragraph <= 1 and previous.name:
        return ResolvedSpeaker(
            previous.name, None, previous.type, proper=previous.proper, rule="floating.continues_previous"
        )
    if (
        previous is not None
        and previous.name
        and m.paragraph - previous.paragraph == 2
        and not _person_named_between(ctx, tokens.at_or_after(prev_end), tokens.before(m.start))
    ):
        # a paragraph of narration naming nobody, then the story goes back to its last speaker
        return ResolvedSpeaker(
            previous.name, None, previous.type, proper=previous.proper, rule="floating.resumes_previous"
        )
    return None


def _person_named_between(ctx: _Context, lo: int, hi: int) -> bool:
    """Is a person named (outside quotations) in the tokens [lo, hi)?"""
    k = bisect.bisect_left(ctx.person_starts, lo)
    while k < len(ctx.people) and ctx.people[k].start < hi:
        if not _inside(ctx.quoted, ctx.people[k].start):
            return True
        k += 1
    return False


def _named_before(
    ctx: _Context, m: QuoteMatch, p_starts: list[int], tokens: TokenIndex, prev_end: int
) -> str | None:
    """A floating quotation after narrative that names a person in the same paragraph: that person.

    ("Durning did not need much coaxing. "I'm thankful ..."")
    """
    p_start = p_starts[m.paragraph] if m.paragraph < len(p_starts) else 0
    lo_char = max(p_start, prev_end)
    if lo_char >= m.start:
        return None
    lo, hi = tokens.token_range(lo_char, m.start)
    k = bisect.bisect_left(ctx.person_starts, hi) - 1
    while k >= 0 and ctx.people[k].start >= lo:
        p = ctx.people[k]
        k -= 1
        if _inside(ctx.quoted, p.start):
            continue
        # the subject of the narrative ("Durning did not need much coaxing"), not an object or a name
        # in passing ("told Finnish broadcaster Yle")
        if any(t.dep_ in ("nsubj", "nsubjpass") for t in ctx.doc[p.start : p.end]):
            return p.canonical
    # a known surname the tagger missed as the narrative's subject
    for tok in ctx.doc[lo:hi]:
        if tok.dep_ in ("nsubj", "nsubjpass") and tok.text[:1].isupper():
            hit = ctx.surnames.get(name_key(tok.text))
            if hit:
                return hit
    return None


def _pronoun_gender(ctx: _Context, low: str) -> tuple[bool, Gender | None, bool]:
    """(is a pronoun, gender, plural)."""
    p = ctx.lex.pronouns
    if low in p.get("male", frozenset()):
        return True, "m", False
    if low in p.get("female", frozenset()):
        return True, "f", False
    if low in p.get("plural", frozenset()):
        return True, None, True
    if low in p.get("first", frozenset()):
        return True, None, low == "we"
    return False, None, False


# --- the mention rules ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Mention:
    """The speaker mention of one attributed quote, and the speakers before it."""

    match: QuoteMatch
    head: Token
    span: Span  # the mention's noun phrase
    previous: _Previous | None  # the previous quote's speaker
    last_person: _Previous | None  # the last person quoted

    @classmethod
    def of(
        cls, ctx: _Context, m: QuoteMatch, previous: _Previous | None, last_person: _Previous | None
    ) -> _Mention:
        assert m.speaker_token is not None
        return cls(
            m, ctx.doc[m.speaker_token], speaker_mention_span(ctx.doc, m.speaker_token), previous, last_person
        )

    def made(
        self, name: str | None, kind: SpeakerKind, proper: bool = True, rule: str = ""
    ) -> ResolvedSpeaker:
        span = self.span
        return ResolvedSpeaker(
            name, span.text, kind, span.start_char, span.end_char, self.head.i, proper, rule
        )

    def described(self, kind: SpeakerKind, rule: str = "") -> ResolvedSpeaker:
        """An unnamed speaker: the description identifies them, it is not a name."""
        if _acronym_like(self.head.text):  # `The CIPS`, `M&S`: a name the tagger did not see
            return self.made(self.span.text, kind, rule=rule)
        return self.made(self.span.text, kind, proper=False, rule=rule)

    def again(self, prev: _Previous, refers: bool = True, rule: str = "") -> ResolvedSpeaker:
        """A speaker quoted before, referred to again."""
        if prev.proper:
            return self.made(prev.name, prev.type, rule=rule)
        if not refers:
            return self.made(prev.name, prev.type, proper=False, rule=rule)
        # `Authorities said ... They said`: the description that identifies the speaker, not "They"
        span = self.span
        return ResolvedSpeaker(
            prev.name, prev.name, prev.type, span.start_char, span.end_char, self.head.i, False, rule
        )


# (context, mention) -> the speaker, or None when the rule does not apply
MentionRule = Callable[[_Context, _Mention], "ResolvedSpeaker | None"]


def _resolve_mention(ctx: _Context, mention: _Mention) -> ResolvedSpeaker:
    """The first rule of ``MENTION_RULES`` that answers; each result records its rule's name."""
    for name, rule in MENTION_RULES:
        found = rule(ctx, mention)
        if found is not None:
            return found if found.rule else replace(found, rule=name)
    return mention.described("UNKNOWN", rule="unresolved")


def _rule_relabeled_name(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`retail bank Absa said` (tagged PERSON) is an organisation, `Mr Mukerjee` (tagged GPE) a person."""
    if mn.head.pos_ != "PROPN":
        return None
    relabeled = _relabeled_name(ctx, mn.head)
    return mn.made(*relabeled) if relabeled is not None else None


def _rule_person_named(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """The mention contains a person's name (or a known surname) -> that person's full name."""
    head = mn.head
    # `Trudeau's office`, `Norman's lawyers`: a common noun owned by a person is not that person
    person = _person_at(ctx, mn.span if head.pos_ != "NOUN" else ctx.doc[head.i : head.i + 1])
    return mn.made(person, "PERSON") if person else None


def _rule_apposition(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`DeLaet's agent, Danny Fritz, told ...`: the apposition names the speaker."""
    doc, head, span = ctx.doc, mn.head, mn.span
    for child in _appositions(head):
        named = _person_at(ctx, doc[child.i : child.i + 1])
        if named:
            return mn.made(named, "PERSON")
        # the tagger calls many foreign names ORG: after a person's role ("ambassador") it is a name
        role_head = head.pos_ == "NOUN" and (_person_noun(span) or _has_role(ctx, span))
        if child.ent_type_ in ("ORG", "GPE", "NORP") and not (child.dep_ == "appos" and role_head):
            return mn.made(_entity_name(doc, child.i), child.ent_type_)  # type: ignore[arg-type]
        if child.dep_ == "appos" and child.pos_ == "PROPN" and head.pos_ == "NOUN":
            # an apposed name the tagger missed: `Ukraine's ambassador, Taras Hnatyuk, wrote`
            return mn.made(_name_chunk(doc, child.i), "PERSON")
    return None


def _rule_person_right_after(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`Arsenal vice-chairman David Dein said`: a title the tagger cut, then the name."""
    after = _person_right_after(ctx, mn.span)
    return mn.made(after, "PERSON") if after else None


def _personal_pronoun(ctx: _Context, head: Token) -> tuple[bool, Gender | None, bool]:
    """(is a personal pronoun, gender, plural) of the head, or of its possessor when the head is a
    document (`her statement`, `his letter`); `his father`, `her lawyer`, `his office` are someone else."""
    is_pronoun, gender, plural = _pronoun_gender(ctx, head.lower_)
    if not is_pronoun and head.pos_ == "NOUN" and _is_document(ctx, head):
        # `her statement`, `his tweet`: the possessor speaks
        poss = next((c for c in head.children if c.dep_ == "poss"), None)
        if poss is not None:
            is_pronoun, gender, plural = _pronoun_gender(ctx, poss.lower_)
    return is_pronoun, gender, plural


def _rule_plural_pronoun(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`they said`, `we`: the previous speaker when it was no person, else an unnamed group."""
    is_pronoun, _, plural = _personal_pronoun(ctx, mn.head)
    if not (is_pronoun and plural):
        return None
    previous = mn.previous
    if previous is not None and previous.type != "PERSON" and previous.name:
        return mn.again(previous)
    org = _subject_organisation(ctx, mn.head)
    if org is not None:
        return mn.made(org, "ORG", rule="plural_pronoun.organisation")
    return mn.described("UNKNOWN", rule="plural_pronoun.group")


def _subject_organisation(ctx: _Context, pronoun: Token) -> str | None:
    """`they` can be an organisation: the one the previous sentence (same paragraph) is about, when an
    organisation is its subject and no person is named in it (`The council voted to close the bridge.
    "It is not safe," they said.`)."""
    sent = pronoun.sent
    if sent.start == 0:
        return None
    before = ctx.doc[sent.start - 1].sent
    if ctx.paragraph_of(before.start) != ctx.paragraph_of(pronoun.i):
        return None
    if _person_named_between(ctx, before.start, pronoun.i):
        return None
    for tok in before:
        if tok.dep_ in _SUBJECT_DEPS and tok.ent_type_ == "ORG" and not _inside(ctx.quoted, tok.i):
            name = _entity_name(ctx.doc, tok.i)
            generic = ctx.nouns is not None and name.lower() in ctx.nouns.business | ctx.nouns.own_name
            return None if generic else name
    return None


def _rule_personal_pronoun(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """he/she/I: the last person quoted when recent and of the pronoun's gender, else the nearest
    preceding person of that gender."""
    is_pronoun, gender, _ = _personal_pronoun(ctx, mn.head)
    if not is_pronoun:
        return None
    head, last_person = mn.head, mn.last_person

    def compatible(name: str) -> bool:
        return gender is None or ctx.genders.get(name, gender) == gender

    nearest = _pronoun_antecedent(ctx, head.i, gender)
    near_gap = _paragraph_gap(ctx, nearest, head.i) if nearest else 1_000
    recent_speaker = (
        last_person is not None
        and last_person.name is not None
        and mn.match.paragraph - last_person.paragraph <= 1
        and compatible(last_person.name)
    )
    if recent_speaker and last_person is not None and (near_gap >= 1 or nearest == last_person.name):
        return mn.again(last_person, rule="pronoun.recent_speaker")
    if nearest and near_gap <= 2:
        return mn.made(nearest, "PERSON", rule="pronoun.nearest_person")
    if last_person is not None and last_person.name and compatible(last_person.name):
        return mn.again(last_person, rule="pronoun.last_speaker")
    if nearest:
        return mn.made(nearest, "PERSON", rule="pronoun.far_person")
    named = _untagged_subject(ctx, head.i, gender)
    if named:
        return mn.made(named, "PERSON", rule="pronoun.untagged_name")
    return mn.made(None, "PERSON", rule="pronoun.unresolved")


_UNTAGGED_LOOKBACK_TOKENS = 150


def _untagged_subject(ctx: _Context, before: int, gender: Gender | None) -> str | None:
    """A name the tagger did not call a person, as the subject of a sentence of the pronoun's paragraph
    (or the one before), whose first word is a first name of the pronoun's gender ("Leo Hart credits
    his cat ... he says" with "Leo Hart" tagged ORG)."""
    if ctx.name_gender is None or gender is None:
        return None
    doc = ctx.doc
    lowest = ctx.paragraph_of(before) - 1
    # bounded look-back: two news paragraphs rarely reach it, and text without paragraphs stays linear
    for tok in reversed(doc[max(0, before - _UNTAGGED_LOOKBACK_TOKENS) : before]):
        if ctx.paragraph_of(tok.i) < lowest:
            break
        if tok.dep_ not in _SUBJECT_DEPS or tok.pos_ != "PROPN" or _inside(ctx.quoted, tok.i):
            continue
        words = _name_chunk(doc, tok.i).split()
        guess = ctx.name_gender(words[0]) if len(words) >= 2 else None
        if guess is not None and guess == (gender, True):
            return " ".join(words)
    return None


def _rule_it(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`It said`, `it added`: an organisation (the previous one quoted, else the salient one named
    shortly before); a pronoun is never a name."""
    head, previous = mn.head, mn.previous
    if not (head.pos_ == "PRON" or head.lower_ in ("it", "its")):
        return None
    if (
        previous is not None
        and previous.type != "PERSON"
        and previous.name
        and previous.proper
        and mn.match.paragraph - previous.paragraph <= 1
    ):
        return mn.again(previous)
    org = (
        _org_antecedent(ctx, head.i, None, previous, mn.match.paragraph)
        if head.lower_ in ("it", "its")
        else None
    )
    if org:
        return mn.made(org, "ORG")
    return mn.made(None, "ORG" if head.lower_ in ("it", "its") else "UNKNOWN", rule="it.unresolved")


def _rule_named_entity(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """An organisation, place or nationality named as the speaker speaks by its name; `the Bank said`
    (a generic word tagged as a name) is the bank the article named."""
    head = mn.head
    ent = head.ent_type_
    if ent not in ("ORG", "GPE", "NORP") or head.pos_ == "NOUN":  # the tagger calls "the defenceman" ORG
        return None
    name = _entity_name(ctx.doc, head.i)
    generic = name.lower()
    if ctx.nouns is not None and generic in ctx.nouns.business | ctx.nouns.own_name:
        # `the Bank said` (the central bank named before), `Company officials said`
        org = _org_antecedent(ctx, head.i, generic, mn.previous, mn.match.paragraph, True)
        return mn.made(org, "ORG", rule="generic_name.antecedent") if org else mn.described("ORG")
    return mn.made(name, ent)  # type: ignore[arg-type]


def _rule_proper_name(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """A proper name outside the article's people and entities: by its own words."""
    head, mention = mn.head, mn.span.text
    if head.pos_ != "PROPN":
        return None
    if head.ent_type_ == "PERSON":
        # a name outside the article's people: by its own words when they are a whole name (not
        # "Walter van" of "Walter van der Veen")
        words = [w for w in mention.split() if not any(w.lower() in h for h in ctx.lex.honorifics.values())]
        whole = person_name(" ".join(words[1:] if words and words[0].lower() == "the" else words))
        return mn.made(whole, "PERSON") if whole else mn.made(None, "PERSON", rule="proper_name.partial")
    name = mention
    if name.split()[0].lower() in ("the", "a", "an"):
        name = name.split(maxsplit=1)[-1]
    if ctx.nouns is not None and name.lower() in ctx.nouns.business | ctx.nouns.own_name:
        org = _org_antecedent(
            ctx, head.i, name.lower(), mn.previous, mn.match.paragraph, True
        )  # `the Bank said`
        return mn.made(org, "ORG", rule="generic_name.antecedent") if org else mn.described("ORG")
    if name.count("(") == name.count(")"):
        return mn.made(name, "UNKNOWN")
    return mn.described("UNKNOWN")


def _rule_apposed_to_name(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`Abbey National, the second largest building society, said`: a description apposed to a name
    is that name speaking."""
    head = mn.head
    named = head.head
    if head.pos_ != "NOUN" or head.dep_ != "appos" or named.pos_ != "PROPN" or named.i >= head.i:
        return None
    person = _person_at(ctx, ctx.doc[named.i : named.i + 1])
    if person:
        return mn.made(person, "PERSON")
    if named.ent_type_ in ("ORG", "GPE", "NORP"):
        return mn.made(_entity_name(ctx.doc, named.i), named.ent_type_)  # type: ignore[arg-type]
    return None


def _name_modifier(ctx: _Context, head: Token) -> Token | None:
    """The organisation's name before an organisation or document noun (`the Mirror newspaper`, `the
    Globe report`, `A National Audit Office report`); never a place, a nationality or a person (`the
    Australian government`, `the Trump administration` stay descriptions)."""
    nouns = ctx.nouns
    low, lemma = head.lower_, head.lemma_.lower()
    # documents, outlets and businesses; not a public body whose noun is part of its name (`the Commons
    # standards committee`, `the Conservative party`) nor a group (`Finance officials`)
    kinds = ctx.lex.document_nouns | (nouns.business | nouns.outlet if nouns else frozenset())
    if head.pos_ != "NOUN" or head.tag_ == "NNS" or not (low in kinds or lemma in kinds):
        return None
    for c in head.children:
        if c.i < head.i and c.dep_ in ("compound", "nmod") and c.pos_ == "PROPN":
            if c.ent_type_ in ("ORG", "") and not (c.ent_type_ == "" and name_key(c.text) in ctx.surnames):
                return c
            return None
    return None


def _rule_named_modifier(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`The Mirror newspaper said`, `the Globe report found`: the organisation named before the noun."""
    owner = _name_modifier(ctx, mn.head)
    if owner is None:
        return None
    name = _entity_name(ctx.doc, owner.i) if owner.ent_type_ else _name_chunk(ctx.doc, owner.i)
    if name.split()[0].lower() in ("the", "a", "an"):
        name = name.split(maxsplit=1)[-1]
    generic = ctx.nouns is not None and name.lower() in ctx.nouns.business | ctx.nouns.own_name
    return None if generic else mn.made(name, "ORG")


def _is_document(ctx: _Context, head: Token) -> bool:
    return head.lemma_.lower() in ctx.lex.document_nouns or head.lower_ in ctx.lex.document_nouns


def _rule_document(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`a study by X said`, `Shell's statement`, `the Globe report`, `according to the memo`: the author
    speaks."""
    doc, head, previous = ctx.doc, mn.head, mn.previous
    if not _is_document(ctx, head):
        return None
    author = next(
        (t for t in head.subtree if t.dep_ == "pobj" and t.head.lower_ == "by" and t.pos_ == "PROPN"),
        None,
    )
    if author is not None:
        named = _person_at(ctx, doc[author.i : author.i + 1])
        if named:
            return mn.made(named, "PERSON", rule="document.author")
        return mn.made(_entity_name(doc, author.i), author.ent_type_ or "ORG", rule="document.author")  # type: ignore[arg-type]
    owner = _org_owner(head)
    if owner is not None:  # `Shell's statement`: the organisation speaks
        name = _entity_name(doc, owner.i)
        if ctx.nouns is not None and name.lower() in ctx.nouns.business | ctx.nouns.own_name:
            # `the Bank's inflation report`: the bank the article names, if it does
            name = _org_antecedent(ctx, head.i, name.lower(), previous, mn.match.paragraph, True) or ""
        return (
            mn.made(name, "ORG", rule="document.owner")
            if name
            else mn.described("ORG", rule="document.owner")
        )
    if previous is not None and previous.name and mn.match.paragraph - previous.paragraph <= 2:
        return mn.again(previous, refers=False, rule="document.previous_speaker")
    return mn.described("ORG")


def _rule_organisation_noun(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`the company said`, `Trudeau's office`, `media buying company GroupM`: an organisation noun."""
    doc, head, span, previous = ctx.doc, mn.head, mn.span, mn.previous
    lemma = head.lemma_.lower()
    nouns = ctx.nouns
    org_like = lemma in ctx.lex.org_nouns or head.lower_ in ctx.lex.org_nouns
    if nouns is None or not (org_like or lemma in nouns.business) or head.tag_ in ("NNS", "NNPS"):
        return None
    owner = next((c for c in head.children if c.dep_ == "poss" and c.pos_ == "PROPN"), None)
    if owner is not None and owner.ent_type_ not in ("GPE", "LOC", "NORP"):
        # `Trudeau's office`: the office of a named owner, by the owner's full name
        who = _person_at(ctx, doc[owner.i : owner.i + 1])
        if who is None:
            return mn.made(span.text, "ORG", rule="organisation_noun.owner")
        office = doc[owner.i + 1 : span.end].text.removeprefix(chr(39) + "s").strip()
        return mn.made(f"{who}'s {office}", "ORG", rule="organisation_noun.owner")
    brand = next(
        (
            c
            for c in head.children
            if c.i > head.i and c.dep_ in ("appos", "compound", "npadvmod") and c.pos_ == "PROPN"
        ),
        None,
    )
    if brand is not None:  # `media buying company GroupM`
        return mn.made(_name_chunk(doc, brand.i), "ORG", rule="organisation_noun.brand")
    determiner = next((c.lower_ for c in head.children if c.dep_ == "det"), None)
    if determiner in ("the", "this", "that") and not _has_proper_modifier(head):
        # `the company said`, `the firm added`: the organisation the article has been naming
        if (
            previous is not None
            and previous.name
            and not previous.proper
            and previous.type == "ORG"
            and mn.match.paragraph - previous.paragraph <= 1
            and lemma in previous.name.lower().split()
        ):
            return mn.again(
                previous, rule="organisation_noun.antecedent"
            )  # `a media company said ... the company said`
        org = _org_antecedent(ctx, head.i, lemma, previous, mn.match.paragraph)
        if org:
            return mn.made(org, "ORG", rule="organisation_noun.antecedent")
    return mn.described("ORG")


def _rule_organisation_plural(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`Fosters said` (an organisation parsed as a plural noun)."""
    head = mn.head
    if head.ent_type_ == "ORG" and head.text[:1].isupper():
        return mn.made(_entity_name(ctx.doc, head.i), "ORG")
    return None


def _rule_group(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`analysts`, `the unions`, `officials`: a group, no name."""
    head = mn.head
    lemma = head.lemma_.lower()
    if lemma in ctx.lex.org_nouns or head.lower_ in ctx.lex.org_nouns or head.tag_ in ("NNS", "NNPS"):
        return mn.described("ORG")
    return None


def _determiner(head: Token) -> str | None:
    return next((c.lower_ for c in head.children if c.dep_ == "det"), None)


def _rule_new_description(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`a private security professional`: a new, unnamed speaker."""
    if _determiner(mn.head) not in ("the", "this", "that"):
        return mn.described("PERSON")
    return None


def _rule_described_person(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`the top US diplomat` -> the person whose title fits the description."""
    found = _described_person(ctx, mn.span, mn.head.i, mn.last_person, _reported_gender(ctx, mn.match))
    if found and mn.last_person is not None and found == mn.last_person.name and not mn.last_person.proper:
        return mn.again(mn.last_person)  # the description that identifies them ("His father"), no name
    return mn.made(found, "PERSON") if found else None


def _rule_no_person_described(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """`the operator`, `the family`: no person is described."""
    if ctx.describe is not None and not ctx.describe(mn.span).groups and not _person_noun(mn.span):
        return mn.described("UNKNOWN")
    return None


def _rule_description_nearest_person(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """A person description right after a person was named (same or previous paragraph): that person."""
    found = _previous_person(ctx, mn.head.i, None)
    if found and _paragraph_gap(ctx, found, mn.head.i) <= 1:
        return mn.made(found, "PERSON")
    return None


def _rule_description_last_speaker(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """A person description, no person named near: the last person quoted."""
    if mn.last_person is not None and mn.last_person.name:
        return mn.again(mn.last_person)
    return None


def _rule_description_next_person(ctx: _Context, mn: _Mention) -> ResolvedSpeaker | None:
    """A person description before anyone is named: the next person named."""
    found = _next_person(ctx, mn.head.i)
    return mn.made(found, "PERSON") if found else None


# The rules in order; the first that answers decides. Names appear in ``ResolvedSpeaker.rule`` (a rule
# may name a finer case, "pronoun.nearest_person").
MENTION_RULES: tuple[tuple[str, MentionRule], ...] = (
    ("relabeled_name", _rule_relabeled_name),
    ("person_named", _rule_person_named),
    ("apposition", _rule_apposition),
    ("person_right_after", _rule_person_right_after),
    ("apposed_to_name", _rule_apposed_to_name),
    ("plural_pronoun", _rule_plural_pronoun),
    ("pronoun", _rule_personal_pronoun),
    ("it", _rule_it),
    ("named_entity", _rule_named_entity),
    ("proper_name", _rule_proper_name),
    ("named_modifier", _rule_named_modifier),
    ("document", _rule_document),
    ("organisation_noun", _rule_organisation_noun),
    ("organisation_plural", _rule_organisation_plural),
    ("group", _rule_group),
    ("new_description", _rule_new_description),
    ("described_person", _rule_described_person),
    ("no_person_described", _rule_no_person_described),
    ("description.nearest_person", _rule_description_nearest_person),
    ("description.last_speaker", _rule_description_last_speaker),
    ("description.next_person", _rule_description_next_person),
)


def _relabeled_name(ctx: _Context, head: Token) -> tuple[str, SpeakerKind] | None:
    """The tagger's label corrected from the words before a name: `retail bank Absa` (tagged PERSON) is
    an organisation, `Mr Mukerjee` (tagged GPE) a person."""
    doc = ctx.doc

    def is_honorific(tok: Token) -> bool:
        return any(tok.lower_ in words for words in ctx.lex.honorifics.values())

    start = head.i
    while (
        start > 0
        and doc[start - 1].pos_ == "PROPN"
        and doc[start - 1].dep_ in ("compound", "flat")
        and not is_honorific(doc[start - 1])
    ):
        start -= 1
    if start == 0:
        return None
    before = doc[start - 1]
    low = before.lower_
    honorific = is_honorific(before)
    if honorific and head.ent_type_ in ("ORG", "GPE", "NORP", "LOC", ""):
        name = doc[start : head.i + 1].text
        return ctx.surnames.get(name_key(name), name), "PERSON"
    nouns = ctx.nouns
    org_noun = nouns is not None and (low in nouns.business or low in ctx.lex.org_nouns)
    if org_noun and head.ent_type_ == "PERSON" and before.pos_ == "NOUN" and start == head.i:
        # a one-word "person" named by an organisation noun right before it
        name = head.text
        if ctx.surnames.get(name_key(name), name) == name:  # not the surname of a full name
            return name, "ORG"
    return None


def _acronym_like(word: str) -> bool:
    """`CIPS`, `M&S`, `OPEC`: capitals after the first letter."""
    return word[:1].isupper() and (any(c.isupper() for c in word[1:]) or "&" in word)


def _person_right_after(ctx: _Context, span: Span) -> str | None:
    """A person named within a few tokens after the mention, in the same clause, no verb between
    (`Arsenal vice-chairman David Dein` with "Arsenal vice" tagged as the person)."""
    k = bisect.bisect_left(ctx.person_starts, span.end)
    if k >= len(ctx.people):
        return None
    p = ctx.people[k]
    if p.start - span.end > 3 or _inside(ctx.quoted, p.start):
        return None
    between = ctx.doc[span.end : p.start]
    if any(t.pos_ in ("VERB", "AUX") or t.is_sent_start or t.text in ',;:"' for t in between):
        return None
    return p.canonical


def _entity_name(doc: Doc, i: int) -> str:
    """The name of the entity at token ``i``: the entity span (not the whole noun phrase) without a
    leading "the", a possessive or a bracketed acronym ("The World Health Organisation (WHO)" ->
    "World Health Organisation")."""
    tok = doc[i]
    if tok.ent_iob_ == "O":
        span = speaker_mention_span(doc, i)
    else:
        lo = i
        while lo > 0 and doc[lo].ent_iob_ == "I":
            lo -= 1
        hi = i + 1
        while hi < len(doc) and doc[hi].ent_iob_ == "I":
            hi += 1
        span = doc[lo:hi]
    tokens = [t for t in span if not t.is_space]
    while tokens and (
        (tokens[-1].text in ("'s", "\u2019s", "'", "\u2019") and tokens[-1].head.dep_ == "poss")
        or (tokens[-1].is_punct and tokens[-1].text not in ("'s", "\u2019s"))
    ):
        if tokens[-1].text == ")" and any(t.text == "(" for t in tokens):
            break
        tokens.pop()
    if len(tokens) > 1 and tokens[0].lower_ in ("the", "a", "an"):
        tokens.pop(0)
    if not tokens:
        return span.text
    end = tokens[-1].i + 1
    if tokens[-1].lower_ in _CONNECTORS and end < len(doc) and doc[end].text[:1].isupper():
        # `the Organisation for Economic Co-operation and | Development`: the tagger stopped early
        while end < len(doc) and (doc[end].text[:1].isupper() or doc[end].lower_ in _CONNECTORS):
            end += 1
        while end - 1 > tokens[0].i and doc[end - 1].lower_ in _CONNECTORS:
            end -= 1
        tokens.append(doc[end - 1])
    text = doc[tokens[0].i : end].text.rstrip("<>*_=+#|")
    cut = text.find(" (")
    if cut > 0:  # `(WHO)` or an unclosed `(WHO`: the name before it
        text = text[:cut]
    return text


_CONNECTORS = frozenset({"of", "the", "and", "for", "&", "de", "on"})


def _org_owner(head: Token) -> Token | None:
    """The organisation owning a document (`the Bank's minutes`, `Shell's statement`)."""
    for c in head.children:
        if c.dep_ == "poss" and c.pos_ == "PROPN" and c.ent_type_ == "ORG":
            return c
    return None


def _has_proper_modifier(head: Token) -> bool:
    """`the Australian government`, `the US company`: a description naming a place or a brand."""
    return any(c.pos_ == "PROPN" or c.ent_type_ for c in head.children if c.i < head.i)


# How far back (tokens) an organisation may be named for `the company` / `it` to refer to it.
_ORG_WINDOW_TOKENS = 250


def _org_mentions(ctx: _Context) -> list[tuple[int, int, str]]:
    """(start, end, name) of the ORG entities outside quotations, in order (computed once per doc)."""
    if ctx.orgs is None:
        ctx.orgs = [
            (e.start, e.end, _entity_name(ctx.doc, e.start))
            for e in ctx.doc.ents
            if e.label_ == "ORG" and not _inside(ctx.quoted, e.start)
        ]
    return ctx.orgs


def _org_antecedent(
    ctx: _Context,
    at: int,
    noun: str | None,
    previous: _Previous | None,
    paragraph: int,
    named_by_noun: bool = False,
) -> str | None:
    """The organisation a description (`the company`, `the bank`) or `it` refers to.

    Candidates: organisations named in the ``_ORG_WINDOW_TOKENS`` before ``at``, of a kind the noun
    allows (a business noun excludes public bodies; `the ministry` needs "Ministry" in the name). The
    most salient wins: mentions so far (a short form counts for its long form), the noun in the name,
    being the previous speaker; ties go to the most recent. ``named_by_noun``: the noun is written as
    a name (`the Bank said`), so the organisation's name must contain it.
    """
    nouns = ctx.nouns
    orgs = [o for o in _org_mentions(ctx) if o[1] <= at]
    window = [o for o in orgs if o[0] >= at - _ORG_WINDOW_TOKENS]

    words = _org_words

    def allowed(name: str) -> bool:
        if noun is None or nouns is None:
            return True
        if named_by_noun:
            return noun in words(name)
        if noun in nouns.own_name and (noun not in nouns.business):
            return noun in words(name)
        if noun in nouns.business:
            return not (words(name) & nouns.public) or noun in words(name)
        return False

    if (
        previous is not None
        and previous.name
        and previous.proper
        and previous.type == "ORG"
        and paragraph - previous.paragraph <= 1
        and allowed(previous.name)
    ):
        return previous.name  # `Shell said ... The company said`: the organisation just quoted
    generic = nouns.business | nouns.own_name if nouns is not None else frozenset()
    best = _most_salient(ctx, window, orgs, noun, previous, generic, allowed)
    if best is None and noun is not None:
        # `the Bank` far below the `Bank of England` of the first paragraph
        best = _most_salient(
            ctx, [o for o in orgs if noun in words(o[2])], orgs, noun, previous, generic, allowed
        )
    return best


def _org_words(name: str) -> set[str]:
    return {w.lower().strip(".,'") for w in name.split()}


def _related(a: str, b: str) -> bool:
    """The same organisation, or a short form of it ("Cairn" / "Cairn Energy")."""
    a, b = a.lower(), b.lower()
    return a == b or a.startswith(b + " ") or b.startswith(a + " ")


def _most_salient(
    ctx: _Context,
    candidates: list[tuple[int, int, str]],
    orgs: list[tuple[int, int, str]],
    noun: str | None,
    previous: _Previous | None,
    generic: frozenset[str],
    allowed: Callable[[str], bool],
) -> str | None:
    """The most salient allowed candidate: mentions so far, the noun in its name, the previous speaker."""
    best: tuple[float, int, str] | None = None
    for start, _, name in candidates:
        if (
            not name[:1].isupper()
            or name.lower() in generic  # `Bank` is the description again, not a name
            or not allowed(name)
            or name_key(name.split()[-1]) in ctx.surnames  # a person the tagger called ORG
        ):
            continue
        score = float(sum(1 for o in orgs if _related(o[2], name)))
        if noun is not None and noun in _org_words(name):
            score += 3
        if (
            previous is not None
            and previous.name
            and previous.type == "ORG"
            and _related(previous.name, name)
        ):
            score += 2
        key = (score, start, name)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def _person_noun(span: Span) -> bool:
    """Words that describe a person ("the 26-year-old right wing", "the defenceman", "the scientist")."""
    return any(
        t.like_num or t.lower_.endswith(("man", "woman", "ist", "ian", "ee", "ent", "er")) for t in span
    )


def _reported_gender(ctx: _Context, m: QuoteMatch) -> Gender | None:
    """`The minister said she would ...`: the pronoun subject of the reported clause is the speaker."""
    if m.cue_token is None:
        return None
    for comp in ctx.doc[m.cue_token].children:
        if comp.dep_ == "ccomp":
            for subj in comp.children:
                if subj.dep_ == "nsubj":
                    _, gender, _ = _pronoun_gender(ctx, subj.lower_)
                    return gender
    return None


def _described_person(
    ctx: _Context, span: Span, before: int, last_person: _Previous | None, gender: Gender | None = None
) -> str | None:
    """The person a description refers to ("the top US diplomat" -> the Secretary of State).

    First a person before ``before`` whose title contains the description's role ("the prime minister"
    -> "Prime Minister ..."); then the last person quoted, if nothing contradicts it (a person whose
    title the text never gave is often the one described: "Trudeau ... The prime minister said");
    then the last person whose title is in the same role group. A country in the description must not
    contradict the person's.
    """
    if ctx.describe is None:
        return None
    desc = ctx.describe(span)
    if not desc.groups:
        return None
    role = (desc.role or "").lower()
    role_head = role.split()[-1] if role else ""
    ordered: list[str] = []
    k = bisect.bisect_left(ctx.person_starts, before) - 1
    while k >= 0:
        name = ctx.people[k].canonical
        k -= 1
        if name not in ordered:
            ordered.append(name)

    if gender is not None:
        ordered = [n for n in ordered if ctx.genders.get(n, gender) == gender]

    def compatible(known: SpeakerDescription | None) -> bool:
        return not (desc.country and known and known.country and desc.country != known.country)

    for name in ordered:
        known = ctx.people_desc.get(name)
        if known and known.role and role_head and role_head in known.role.lower() and compatible(known):
            return name
    if (
        last_person is not None
        and last_person.name
        and desc.country is None
        and (gender is None or ctx.genders.get(last_person.name, gender) == gender)
    ):
        # (a description naming a country, "the top US diplomat", is not taken on trust)
        known = ctx.people_desc.get(last_person.name)
        if known is None or not known.groups:
            return last_person.name
    for name in ordered:
        known = ctx.people_desc.get(name)
        if known is not None and known.groups & desc.groups and compatible(known):
            return name
    return None


def _paragraph_gap(ctx: _Context, canonical: str, at: int) -> int:
    """Paragraph breaks between the last mention of ``canonical`` before token ``at`` and ``at``."""
    k = bisect.bisect_left(ctx.person_starts, at) - 1
    while k >= 0 and ctx.people[k].canonical != canonical:
        k -= 1
    if k < 0:
        return 1_000
    return ctx.doc[ctx.people[k].start : at].text.count("\n\n") if at > ctx.people[k].start else 0
