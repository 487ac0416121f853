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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pipeline.nlp.quotes import CONFIG_DIR, CueLexicon, QuoteMatch, _paragraphs, speaker_mention_span
from pipeline.nlp.roles import SpeakerDescription

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

SpeakerKind = Literal["PERSON", "ORG", "GPE", "NORP", "UNKNOWN"]
Gender = Literal["m", "f"]

# How many paragraphs back a previous speaker still anchors a pronoun or a floating quote.
MAX_SPEAKER_GAP_PARAGRAPHS = 3


# a mention span -> what the text says the speaker is (pipeline.nlp.roles.describe_speaker, bound)
Describe = Callable[["Span"], SpeakerDescription]
# first name -> (gender, sure): "sure" when the table says male/female rather than mostly_*
NameGender = Callable[[str], "tuple[Gender, bool] | None"]


@lru_cache(maxsize=1)
def load_name_genders() -> NameGender:
    """First name -> gender from the ``gender-guesser`` table (loaded once per process, ~0.2 s)."""
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


@dataclass(frozen=True, slots=True)
class SpeakerNouns:
    """``config/speaker_nouns.yaml``: descriptions that refer back to a named organisation."""

    business: frozenset[str]  # "the company", "the firm": the salient organisation named before
    public: frozenset[str]  # name words of public bodies (never "the company")
    own_name: frozenset[str]  # "the ministry": only an organisation whose name contains the noun


@lru_cache(maxsize=1)
def load_speaker_nouns() -> SpeakerNouns:
    import yaml

    with (CONFIG_DIR / "speaker_nouns.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}

    def words(key: str) -> frozenset[str]:
        return frozenset(str(w).lower() for w in raw.get(key) or [])

    return SpeakerNouns(words("business_nouns"), words("public_words"), words("own_name_nouns"))


@dataclass(frozen=True, slots=True)
class PersonMention:
    """A person named in the article: token range and canonical full name."""

    start: int  # token index
    end: int
    canonical: str


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


def _name_key(text: str) -> str:
    return text.lower().replace("\u2019s", "").replace("'s", "").strip(" .,")


def _surname_index(people: Sequence[PersonMention]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in people:
        parts = p.canonical.split()
        if parts:
            out.setdefault(_name_key(parts[-1]), p.canonical)
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
        guess = name_gender(parts[0]) if name_gender is not None and len(parts) >= 2 else None
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
    parser hung on a place inside it (`the ambassador to Turkey, Taras Hnatyuk,` -> Hnatyuk)."""
    out = [c for c in head.children if c.dep_ in ("appos", "compound") and c.i > head.i]
    if head.pos_ == "NOUN":
        for prep in head.children:
            if prep.dep_ == "prep" and prep.i > head.i:
                for obj in prep.children:
                    if obj.dep_ == "pobj" and obj.ent_type_ in ("GPE", "LOC"):
                        out.extend(c for c in obj.children if c.dep_ == "appos" and c.pos_ == "PROPN")
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
            hit = ctx.surnames.get(_name_key(tok.text))
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
    lex: CueLexicon,
    quoted_ranges: Sequence[tuple[int, int]] = (),
    name_gender: NameGender | None = None,
    people_desc: dict[str, SpeakerDescription] | None = None,
    describe: Describe | None = None,
    text: str | None = None,
) -> list[ResolvedSpeaker]:
    """One resolved speaker per match (same order). ``people`` sorted by position, outside quotes or not."""
    repaired = []
    for p in sorted(people, key=lambda p: p.start):
        name = person_name(p.canonical)
        if name:
            repaired.append(p if name == p.canonical else PersonMention(p.start, p.end, name))
    people = repaired
    ctx = _Context(
        doc=doc,
        lex=lex,
        people=list(people),
        person_starts=[p.start for p in people],
        surnames=_surname_index(people),
        genders=_genders(doc, people, lex, name_gender),
        people_desc=people_desc or {},
        describe=describe,
        quoted=list(quoted_ranges),
        nouns=load_speaker_nouns(),
    )
    out: list[ResolvedSpeaker] = [ResolvedSpeaker(None, None, "UNKNOWN")] * len(matches)
    previous: _Previous | None = None
    last_person: _Previous | None = None
    pending_floating: list[int] = []
    order = sorted(range(len(matches)), key=lambda i: matches[i].start)
    p_starts = [start for start, _ in _paragraphs(text if text is not None else doc.text)]
    tok_starts: list[int] = []  # token start offsets, built on the first floating quote (a full token walk)
    prev_end = 0  # end of the previous quote: narrative before a floating quote starts after it
    for i in order:
        m = matches[i]
        this_prev_end, prev_end = prev_end, max(prev_end, m.end)
        if m.floating or m.speaker_token is None:
            named = _named_before(ctx, m, p_starts, tok_starts, this_prev_end)
            if named is not None:
                out[i] = ResolvedSpeaker(named, None, "PERSON")
                previous = last_person = _Previous(named, "PERSON", m.paragraph)
            elif previous is not None and m.paragraph - previous.paragraph <= 1 and previous.name:
                out[i] = ResolvedSpeaker(previous.name, None, previous.type, proper=previous.proper)
            else:
                pending_floating.append(i)
            continue
        resolved = _resolve_mention(ctx, m, previous, last_person)
        out[i] = resolved
        if resolved.name:
            previous = _Previous(resolved.name, resolved.type, m.paragraph, resolved.proper)
            if resolved.type == "PERSON":
                last_person = previous
            # a floating quote at a paragraph's start, before its attributed sibling
            for j in pending_floating:
                if matches[j].paragraph == m.paragraph:
                    out[j] = ResolvedSpeaker(resolved.name, None, resolved.type, proper=resolved.proper)
        pending_floating = [
            j for j in pending_floating if matches[j].paragraph == m.paragraph and not out[j].name
        ]
    return out


def _named_before(
    ctx: _Context, m: QuoteMatch, p_starts: list[int], tok_starts: list[int], prev_end: int
) -> str | None:
    """A floating quotation after narrative that names a person in the same paragraph: that person.

    ("Durning did not need much coaxing. "I'm thankful ..."")
    """
    p_start = p_starts[m.paragraph] if m.paragraph < len(p_starts) else 0
    lo_char = max(p_start, prev_end)
    if lo_char >= m.start:
        return None
    if not tok_starts:
        tok_starts.extend(t.idx for t in ctx.doc)
    lo = bisect.bisect_left(tok_starts, lo_char)
    hi = bisect.bisect_left(tok_starts, m.start)
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
            hit = ctx.surnames.get(_name_key(tok.text))
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


def _resolve_mention(
    ctx: _Context, m: QuoteMatch, previous: _Previous | None, last_person: _Previous | None
) -> ResolvedSpeaker:
    doc = ctx.doc
    assert m.speaker_token is not None
    head = doc[m.speaker_token]
    span = speaker_mention_span(doc, m.speaker_token)
    mention = span.text
    m_start, m_end = span.start_char, span.end_char

    def made(name: str | None, kind: SpeakerKind, proper: bool = True) -> ResolvedSpeaker:
        return ResolvedSpeaker(name, mention, kind, m_start, m_end, head.i, proper)

    def described(kind: SpeakerKind) -> ResolvedSpeaker:
        """An unnamed speaker: the description identifies them, it is not a name."""
        if _acronym_like(head.text):  # `The CIPS`, `M&S`: a name the tagger did not see
            return made(mention, kind)
        return made(mention, kind, proper=False)

    def again(prev: _Previous, refers: bool = True) -> ResolvedSpeaker:
        if prev.proper:
            return made(prev.name, prev.type)
        if not refers:
            return made(prev.name, prev.type, proper=False)
        # `Authorities said ... They said`: the description that identifies the speaker, not "They"
        return ResolvedSpeaker(prev.name, prev.name, prev.type, m_start, m_end, head.i, False)

    if head.pos_ == "PROPN":
        relabeled = _relabeled_name(ctx, head)
        if relabeled is not None:
            return made(*relabeled)
    # `Trudeau's office`, `Norman's lawyers`: a common noun owned by a person is not that person
    person = _person_at(ctx, span) if head.pos_ != "NOUN" else _person_at(ctx, doc[head.i : head.i + 1])
    if person:
        return made(person, "PERSON")
    # `DeLaet's agent, Danny Fritz, told ...`: the apposition names the speaker
    for child in _appositions(head):
        named = _person_at(ctx, doc[child.i : child.i + 1])
        if named:
            return made(named, "PERSON")
        # the tagger calls many foreign names ORG: after a person's role ("ambassador") it is a name
        role_head = head.pos_ == "NOUN" and (_person_noun(span) or _has_role(ctx, span))
        if child.ent_type_ in ("ORG", "GPE", "NORP") and not (child.dep_ == "appos" and role_head):
            return made(_entity_name(doc, child.i), child.ent_type_)  # type: ignore[arg-type]
        if child.dep_ == "appos" and child.pos_ == "PROPN" and head.pos_ == "NOUN":
            # an apposed name the tagger missed: `Ukraine's ambassador, Taras Hnatyuk, wrote`
            return made(_name_chunk(doc, child.i), "PERSON")
    # `Arsenal vice-chairman David Dein said`: a title the tagger cut, then the name
    after = _person_right_after(ctx, span)
    if after:
        return made(after, "PERSON")

    is_pronoun, gender, plural = _pronoun_gender(ctx, head.lower_)
    if not is_pronoun and head.pos_ == "NOUN":
        # `her statement`, `his office`: the possessor speaks
        poss = next((c for c in head.children if c.dep_ == "poss"), None)
        if poss is not None:
            is_pronoun, gender, plural = _pronoun_gender(ctx, poss.lower_)
    if is_pronoun:
        if plural:
            if previous is not None and previous.type != "PERSON" and previous.name:
                return again(previous)
            return described("UNKNOWN")

        def compatible(name: str) -> bool:
            return gender is None or ctx.genders.get(name, gender) == gender

        nearest = _previous_person(ctx, head.i, gender)
        near_gap = _paragraph_gap(ctx, nearest, head.i) if nearest else 1_000
        recent_speaker = (
            last_person is not None
            and last_person.name is not None
            and m.paragraph - last_person.paragraph <= 1
            and compatible(last_person.name)
        )
        if recent_speaker and last_person is not None and (near_gap >= 1 or nearest == last_person.name):
            return again(last_person)
        if nearest and near_gap <= 2:
            return made(nearest, "PERSON")
        if last_person is not None and last_person.name and compatible(last_person.name):
            return again(last_person)
        if nearest:
            return made(nearest, "PERSON")
        return made(None, "PERSON")

    if head.pos_ == "PRON" or head.lower_ in ("it", "its"):
        # `It said`, `it added`: an organisation (the previous one quoted, else the salient one named
        # shortly before); a pronoun is never a name
        if (
            previous is not None
            and previous.type != "PERSON"
            and previous.name
            and previous.proper
            and m.paragraph - previous.paragraph <= 1
        ):
            return again(previous)
        org = (
            _org_antecedent(ctx, head.i, None, previous, m.paragraph)
            if head.lower_ in ("it", "its")
            else None
        )
        return made(org, "ORG") if org else made(None, "ORG" if head.lower_ in ("it", "its") else "UNKNOWN")

    ent = head.ent_type_
    if ent in ("ORG", "GPE", "NORP") and head.pos_ != "NOUN":  # the tagger calls "the defenceman" ORG
        name = _entity_name(doc, head.i)
        generic = name.lower()
        if ctx.nouns is not None and generic in ctx.nouns.business | ctx.nouns.own_name:
            # `the Bank said` (the central bank named before), `Company officials said`
            org = _org_antecedent(ctx, head.i, generic, previous, m.paragraph, True)
            return made(org, "ORG") if org else described("ORG")
        return made(name, ent)  # type: ignore[arg-type]

    if head.pos_ == "PROPN":
        if ent == "PERSON":
            # a name outside the article's people: by its own words when they are a whole name (not
            # "Walter van" of "Walter van der Veen")
            words = [
                w for w in mention.split() if not any(w.lower() in h for h in ctx.lex.honorifics.values())
            ]
            whole = person_name(" ".join(words[1:] if words and words[0].lower() == "the" else words))
            return made(whole, "PERSON") if whole else made(None, "PERSON")
        name = mention
        if name.split()[0].lower() in ("the", "a", "an"):
            name = name.split(maxsplit=1)[-1]
        if ctx.nouns is not None and name.lower() in ctx.nouns.business | ctx.nouns.own_name:
            org = _org_antecedent(ctx, head.i, name.lower(), previous, m.paragraph, True)  # `the Bank said`
            return made(org, "ORG") if org else described("ORG")
        return made(name, "UNKNOWN") if name.count("(") == name.count(")") else described("UNKNOWN")

    # a description
    lemma = head.lemma_.lower()
    if lemma in ctx.lex.document_nouns or head.lower_ in ctx.lex.document_nouns:
        # `a study by X said`, `according to the memo`: the author speaks
        author = next(
            (t for t in head.subtree if t.dep_ == "pobj" and t.head.lower_ == "by" and t.pos_ == "PROPN"),
            None,
        )
        if author is not None:
            named = _person_at(ctx, doc[author.i : author.i + 1])
            if named:
                return made(named, "PERSON")
            return made(_entity_name(doc, author.i), author.ent_type_ or "ORG")  # type: ignore[arg-type]
        owner = _org_owner(head)
        if owner is not None:  # `Shell's statement`: the organisation speaks
            name = _entity_name(doc, owner.i)
            if ctx.nouns is not None and name.lower() in ctx.nouns.business | ctx.nouns.own_name:
                # `the Bank's inflation report`: the bank the article names, if it does
                name = _org_antecedent(ctx, head.i, name.lower(), previous, m.paragraph, True) or ""
            return made(name, "ORG") if name else described("ORG")
        if previous is not None and previous.name and m.paragraph - previous.paragraph <= 2:
            return again(previous, refers=False)
        return described("ORG")
    determiner = next((c.lower_ for c in head.children if c.dep_ == "det"), None)
    nouns = ctx.nouns
    org_like = lemma in ctx.lex.org_nouns or head.lower_ in ctx.lex.org_nouns
    if nouns is not None and (org_like or lemma in nouns.business) and head.tag_ not in ("NNS", "NNPS"):
        owner = next((c for c in head.children if c.dep_ == "poss" and c.pos_ == "PROPN"), None)
        if owner is not None and owner.ent_type_ not in ("GPE", "LOC", "NORP"):
            # `Trudeau's office`: the office of a named owner, by the owner's full name
            who = _person_at(ctx, doc[owner.i : owner.i + 1])
            if who is None:
                return made(mention, "ORG")
            return made(
                f"{who}'s {doc[owner.i + 1 : span.end].text.removeprefix(chr(39) + 's').strip()}", "ORG"
            )
        brand = next(
            (
                c
                for c in head.children
                if c.i > head.i and c.dep_ in ("appos", "compound", "npadvmod") and c.pos_ == "PROPN"
            ),
            None,
        )
        if brand is not None:  # `media buying company GroupM`
            return made(_name_chunk(doc, brand.i), "ORG")
        if determiner in ("the", "this", "that") and not _has_proper_modifier(head):
            # `the company said`, `the firm added`: the organisation the article has been naming
            if (
                previous is not None
                and previous.name
                and not previous.proper
                and previous.type == "ORG"
                and m.paragraph - previous.paragraph <= 1
                and lemma in previous.name.lower().split()
            ):
                return again(previous)  # `a media company said ... the company said`
            org = _org_antecedent(ctx, head.i, lemma, previous, m.paragraph)
            if org:
                return made(org, "ORG")
        return described("ORG")
    if head.ent_type_ == "ORG" and head.text[:1].isupper():
        return made(_entity_name(doc, head.i), "ORG")  # `Fosters said` (parsed as a plural noun)
    if org_like or head.tag_ in ("NNS", "NNPS"):
        return described("ORG")  # `analysts`, `the unions`, `officials`: a group, no name
    if determiner not in ("the", "this", "that"):
        # `a private security professional`: a new, unnamed speaker
        return described("PERSON")
    the_person = _described_person(ctx, span, head.i, last_person, _reported_gender(ctx, m))
    if the_person:
        return made(the_person, "PERSON")
    if ctx.describe is not None and not ctx.describe(span).groups and not _person_noun(span):
        return described("UNKNOWN")  # `the operator`, `the family`: no person is described
    found = _previous_person(ctx, head.i, None)
    if found and _paragraph_gap(ctx, found, head.i) <= 1:
        return made(found, "PERSON")
    if last_person is not None and last_person.name:
        return again(last_person)
    found = _next_person(ctx, head.i)
    if found:
        return made(found, "PERSON")
    return described("UNKNOWN")


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
        return ctx.surnames.get(_name_key(name), name), "PERSON"
    nouns = ctx.nouns
    org_noun = nouns is not None and (low in nouns.business or low in ctx.lex.org_nouns)
    if org_noun and head.ent_type_ == "PERSON" and before.pos_ == "NOUN" and start == head.i:
        # a one-word "person" named by an organisation noun right before it
        name = head.text
        if ctx.surnames.get(_name_key(name), name) == name:  # not the surname of a full name
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
            or _name_key(name.split()[-1]) in ctx.surnames  # a person the tagger called ORG
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
