"""Linking speakers to people: which person a quote's speaker is, as named rules over plain records.

Pure: no client, no clock. The registry (``pipeline.people.registry``) reads the candidates from
Elasticsearch, calls ``link_batch`` and writes back what changed. Given the same registry state and the
same batch, the answer is always the same (ids are hashes, ties are broken by ``person_id``), so
redelivery and replay link every quote to the same person.

A mention is a speaker's name cut into token keys (``pipeline.index.names``: titles dropped,
transliterations folded, so Sergey/Sergei and Zelensky/Zelenskyy give one key; Cyrillic romanised). Its
*surname key* is the last token key; the keys before it are its *given keys*. Candidates are the people
of the same kind with the same surname key. The rules, in order (``RULES``), each return a decision or
pass:

1. ``organisation_exact`` -- an organisation (ORG/GPE/NORP speaker) joins the organisation with the same
   full key, or founds it.
2. ``full_name_match`` -- a full name joins the compatible person with the same given keys.
3. ``surname_joins_known`` -- a surname-only mention joins the one compatible full-named person; with
   several, the best by quotes and recency if it clearly leads (``LEAD_RATIO``), else it stays unlinked.
4. ``surname_placeholder`` -- a surname-only mention no full-named person fits joins (or founds) the
   surname-only person of that surname.
5. ``new_person`` -- anything else founds a person: id from the name key, or from the name key and a
   discriminator (country, else role) when a namesake already holds that id.

Compatible means no conflict: a country the article states from strong evidence (the speaker's role,
organisation or a place) differs from the person's established country. Roles are recorded over time
(first/last seen) and never conflict by themselves: a minister who becomes prime minister is one person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from pipeline.index.names import NameLexicon, name_keys
from pipeline.models import EnrichedArticle, Quote, Speaker

PersonKind = Literal["person", "organisation"]

# A surname-only mention joins the best of several compatible people only if its score is at least this
# many times the runner-up's: a clear favourite (149 quotes of Tony Blair vs 1 of another Blair) links,
# two people quoted about equally leave the mention unlinked rather than guessed.
LEAD_RATIO = 3.0
# Recency: a candidate's weight halves for every this many days between its last quote and the mention.
RECENCY_HALF_LIFE_DAYS = 90.0
# The person's country a quote may take: the top country of at least this many of their quotes ...
ESTABLISHED_MIN_QUOTES = 2
# ... holding at least this share of their country-bearing quotes (a person split between two countries
# lends neither).
ESTABLISHED_MIN_SHARE = 0.6
# Article evidence strong enough to keep namesakes apart; a dateline or the article's main country is not
# (a Briton quoted in a Moscow-datelined story is still the same Briton).
STRONG_COUNTRY_SOURCES = frozenset({"role", "organisation", "place"})
_ORGANISATION_TYPES = frozenset({"ORG", "GPE", "NORP"})
_ID_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class RoleSpan:
    role: str
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True)
class Person:
    """One registry record (the ``people`` index's ``record: person`` documents)."""

    person_id: str
    kind: PersonKind
    name: str
    name_key: str
    surname_key: str
    given_keys: tuple[str, ...]
    aliases: frozenset[str] = frozenset()
    roles: tuple[RoleSpan, ...] = ()
    countries: tuple[tuple[str, int], ...] = ()  # (ISO code, quotes), most quoted first
    organisations: frozenset[str] = frozenset()
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    quote_count: int = 0
    # Set once, when a surname-only person turns out to be a full-named one (re-linking): the person
    # whose quotes these now are. A merged person is never a candidate again.
    merged_into: str | None = None

    @property
    def full(self) -> bool:
        return bool(self.given_keys) or self.kind == "organisation"

    @property
    def established_country(self) -> str | None:
        """The country this person is known for, or None when too few quotes or split between several."""
        total = sum(n for _, n in self.countries)
        if not self.countries:
            return None
        code, top = self.countries[0]
        if top >= ESTABLISHED_MIN_QUOTES and top >= ESTABLISHED_MIN_SHARE * total:
            return code
        return None


@dataclass(frozen=True)
class Mention:
    """A speaker as the linking rules see it."""

    name: str
    kind: PersonKind
    keys: tuple[str, ...]
    role: str | None
    country: str | None
    country_source: str | None
    seen: datetime | None

    @property
    def surname_key(self) -> str:
        return self.keys[-1]

    @property
    def given_keys(self) -> tuple[str, ...]:
        return self.keys[:-1] if self.kind == "person" else ()

    @property
    def full_key(self) -> str:
        return " ".join(self.keys)

    @property
    def strong_country(self) -> str | None:
        return self.country if self.country_source in STRONG_COUNTRY_SOURCES else None


@dataclass(frozen=True)
class Decision:
    """A rule's answer: the person to join (existing or new), or ``None`` for an ambiguous mention."""

    rule: str
    person_id: str | None
    new: Person | None = None


def person_id_for(kind: PersonKind, key: str, discriminator: str = "") -> str:
    """Deterministic id: the same name (and discriminator) always gives the same id, in any worker."""
    raw = _ID_SEPARATOR.join(("person", kind, key, discriminator))
    return "p-" + hashlib.blake2b(raw.encode("utf-8"), digest_size=8).hexdigest()


def surname_doc_id(kind: PersonKind, surname_key: str) -> str:
    """The ``_id`` of the directory record listing the people of one surname key."""
    raw = _ID_SEPARATOR.join(("surname", kind, surname_key))
    return "s-" + hashlib.blake2b(raw.encode("utf-8"), digest_size=8).hexdigest()


def mention_of(speaker: Speaker, seen: datetime | None, lexicon: NameLexicon) -> Mention | None:
    """The speaker as a mention, or None when there is no name to link (an unnamed speaker)."""
    name = (speaker.name or "").strip()
    if not name:
        return None
    keys = tuple(name_keys(name, lexicon))
    if not keys:
        return None
    kind: PersonKind = "organisation" if speaker.type in _ORGANISATION_TYPES else "person"
    return Mention(
        name=name,
        kind=kind,
        keys=keys,
        role=(speaker.role or "").strip() or None,
        country=speaker.country.upper() if speaker.country else None,
        country_source=speaker.country_source,
        seen=seen,
    )


def conflicts(mention: Mention, person: Person) -> bool:
    """True when the mention cannot be this person: another kind, or another country by strong evidence."""
    if mention.kind != person.kind:
        return True
    country = mention.strong_country
    established = person.established_country
    return country is not None and established is not None and country != established


def score(person: Person, when: datetime | None) -> float:
    """How likely a surname-only mention means this person: quotes, halved per half-life of silence."""
    weight = float(max(person.quote_count, 1))
    if when is not None and person.last_seen is not None:
        days = max(0.0, (when - person.last_seen).total_seconds() / 86400)
        weight *= 0.5 ** (days / RECENCY_HALF_LIFE_DAYS)
    return weight


# --- the rules -------------------------------------------------------------------------------------

Rule = Callable[[Mention, Sequence[Person]], Decision | None]


def organisation_exact(mention: Mention, candidates: Sequence[Person]) -> Decision | None:
    if mention.kind != "organisation":
        return None
    for person in sorted(candidates, key=lambda p: p.person_id):
        if person.name_key == mention.full_key and not conflicts(mention, person):
            return Decision("organisation_exact", person.person_id)
    return _found(mention, candidates, "organisation_exact")


def full_name_match(mention: Mention, candidates: Sequence[Person]) -> Decision | None:
    if mention.kind != "person" or not mention.given_keys:
        return None
    same = [p for p in candidates if p.given_keys == mention.given_keys and not conflicts(mention, p)]
    if not same:
        return None
    best = _ranked(same, mention.seen)[0]
    return Decision("full_name_match", best.person_id)


def surname_joins_known(mention: Mention, candidates: Sequence[Person]) -> Decision | None:
    if mention.kind != "person" or mention.given_keys:
        return None
    known = [p for p in candidates if p.given_keys and not conflicts(mention, p)]
    if not known:
        return None
    ranked = _ranked(known, mention.seen)
    if len(ranked) == 1:
        return Decision("surname_joins_known", ranked[0].person_id)
    first, second = score(ranked[0], mention.seen), score(ranked[1], mention.seen)
    if first >= LEAD_RATIO * second:
        return Decision("surname_joins_known", ranked[0].person_id)
    return Decision("surname_ambiguous", None)


def surname_placeholder(mention: Mention, candidates: Sequence[Person]) -> Decision | None:
    if mention.kind != "person" or mention.given_keys:
        return None
    fitting = [p for p in candidates if not p.given_keys and not conflicts(mention, p)]
    if fitting:
        return Decision("surname_placeholder", _ranked(fitting, mention.seen)[0].person_id)
    return None


def new_person(mention: Mention, candidates: Sequence[Person]) -> Decision | None:
    return _found(mention, candidates, "new_person")


RULES: tuple[Rule, ...] = (
    organisation_exact,
    full_name_match,
    surname_joins_known,
    surname_placeholder,
    new_person,
)


def decide(mention: Mention, candidates: Sequence[Person]) -> Decision:
    """The first rule with an answer decides (``new_person`` always answers)."""
    for rule in RULES:
        decision = rule(mention, candidates)
        if decision is not None:
            return decision
    raise AssertionError("new_person always decides")  # pragma: no cover


def _ranked(people: Iterable[Person], when: datetime | None) -> list[Person]:
    return sorted(people, key=lambda p: (-score(p, when), p.person_id))


def _found(mention: Mention, candidates: Sequence[Person], rule: str) -> Decision:
    """A new person for the mention; a namesake holding the plain id makes the id carry a discriminator."""
    taken = {p.person_id for p in candidates}
    discriminators = ("", mention.strong_country or "", (mention.role or "").lower(), mention.country or "")
    person_id = ""
    for discriminator in discriminators:
        person_id = person_id_for(mention.kind, mention.full_key, discriminator)
        if person_id not in taken:
            break
    n = 1
    while person_id in taken:  # every discriminator taken: number the namesakes (deterministic order)
        person_id = person_id_for(mention.kind, mention.full_key, f"#{n}")
        n += 1
    new = Person(
        person_id=person_id,
        kind=mention.kind,
        name=mention.name,
        name_key=mention.full_key,
        surname_key=mention.surname_key,
        given_keys=mention.given_keys,
    )
    return Decision(rule, person_id, new)


# --- a batch ---------------------------------------------------------------------------------------


@dataclass
class Directory:
    """The registry as one batch sees it: people by id and ids by (kind, surname key). Updated as the
    batch is linked, so a person founded by one article is found by the next one of the same batch."""

    people: dict[str, Person] = field(default_factory=dict)
    surnames: dict[tuple[PersonKind, str], set[str]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)

    def candidates(self, mention: Mention) -> list[Person]:
        ids = self.surnames.get((mention.kind, mention.surname_key), set())
        return [
            self.people[i] for i in sorted(ids) if i in self.people and self.people[i].merged_into is None
        ]

    def add(self, person: Person) -> None:
        self.people[person.person_id] = person
        self.surnames.setdefault((person.kind, person.surname_key), set()).add(person.person_id)


@dataclass(frozen=True)
class Contribution:
    """What one quote adds to a person (summed per batch; counts are recomputed idempotently)."""

    article_id: str
    name: str
    role: str | None
    country: str | None
    seen: datetime | None


def observe(person: Person, c: Contribution) -> Person:
    """The person after one more quote: aliases, roles over time, countries, seen dates, count."""
    roles = {r.role.lower(): r for r in person.roles}
    if c.role:
        old = roles.get(c.role.lower())
        roles[c.role.lower()] = RoleSpan(
            old.role if old else c.role,
            _earliest(old.first_seen if old else None, c.seen),
            _latest(old.last_seen if old else None, c.seen),
        )
    countries = dict(person.countries)
    if c.country:
        countries[c.country] = countries.get(c.country, 0) + 1
    name = person.name
    # A fuller spelling names the person better ("Anatoly Antonov" over "Antonov"); ties keep the first.
    if len(c.name) > len(name) and len(name.split()) < len(c.name.split()):
        name = c.name
    return replace(
        person,
        name=name,
        aliases=person.aliases | {c.name},
        roles=tuple(sorted(roles.values(), key=lambda r: (r.first_seen is None, r.first_seen, r.role))),
        countries=sorted_countries(countries),
        first_seen=_earliest(person.first_seen, c.seen),
        last_seen=_latest(person.last_seen, c.seen),
        quote_count=person.quote_count + 1,
    )


def sorted_countries(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class LinkedBatch:
    articles: list[EnrichedArticle]
    contributions: dict[str, list[Contribution]]  # person_id -> this batch's quotes
    decisions: dict[str, int]  # rule -> how many quotes it decided
    # Surname-only people found to be a full-named person this batch: placeholder id -> full person id.
    # Their earlier quotes are re-linked by the registry.
    merges: dict[str, str] = field(default_factory=dict)


def placeholder_to_merge(mention: Mention, founded: Person, candidates: Sequence[Person]) -> Person | None:
    """When a full name is first seen, the surname-only person it reveals, if that is unambiguous: one
    compatible surname-only person of the same surname, and no other full-named person it could be."""
    if mention.kind != "person" or not founded.given_keys:
        return None
    placeholders = [p for p in candidates if not p.given_keys and not conflicts(mention, p)]
    if len(placeholders) != 1:
        return None
    (placeholder,) = placeholders
    others = [
        p
        for p in candidates
        if p.given_keys and p.person_id != founded.person_id and not _conflict_between(placeholder, p)
    ]
    return None if others else placeholder


def _conflict_between(a: Person, b: Person) -> bool:
    return a.kind != b.kind or (
        a.established_country is not None
        and b.established_country is not None
        and a.established_country != b.established_country
    )


def absorb(full: Person, placeholder: Person) -> Person:
    """The full-named person with what was known of them under their surname alone."""
    roles = {r.role.lower(): r for r in full.roles}
    for r in placeholder.roles:
        old = roles.get(r.role.lower())
        roles[r.role.lower()] = (
            r
            if old is None
            else RoleSpan(
                old.role, _earliest(old.first_seen, r.first_seen), _latest(old.last_seen, r.last_seen)
            )
        )
    countries = dict(full.countries)
    for code, n in placeholder.countries:
        countries[code] = countries.get(code, 0) + n
    return replace(
        full,
        aliases=full.aliases | placeholder.aliases,
        roles=tuple(sorted(roles.values(), key=lambda r: (r.first_seen is None, r.first_seen, r.role))),
        countries=sorted_countries(countries),
        first_seen=_earliest(full.first_seen, placeholder.first_seen),
        last_seen=_latest(full.last_seen, placeholder.last_seen),
        quote_count=full.quote_count + placeholder.quote_count,
    )


def article_moment(article: EnrichedArticle) -> datetime | None:
    """When the article's quotes were said, as far as we know (UTC; naive times are read as UTC)."""
    moment = article.published or article.version or article.received
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def link_batch(batch: Sequence[EnrichedArticle], directory: Directory, lexicon: NameLexicon) -> LinkedBatch:
    """Give every named speaker of the batch a ``person_id`` (None when ambiguous) and, when the article
    has no country for them, the person's established country (``country_source="person"``)."""
    out: list[EnrichedArticle] = []
    contributions: dict[str, list[Contribution]] = {}
    decisions: dict[str, int] = {}
    merges: dict[str, str] = {}
    for article in batch:
        seen = article_moment(article)
        quotes: list[Quote] = []
        for quote in article.quotes:
            mention = mention_of(quote.speaker, seen, lexicon)
            if mention is None:
                quotes.append(quote)
                continue
            decision = decide(mention, directory.candidates(mention))
            decisions[decision.rule] = decisions.get(decision.rule, 0) + 1
            if decision.person_id is None:
                quotes.append(quote)
                continue
            if decision.new is not None:
                placeholder = placeholder_to_merge(mention, decision.new, directory.candidates(mention))
                directory.add(decision.new)
                if placeholder is not None:
                    # The surname-only person was this one all along: re-link their quotes.
                    merges[placeholder.person_id] = decision.new.person_id
                    directory.people[decision.new.person_id] = absorb(decision.new, placeholder)
                    directory.people[placeholder.person_id] = replace(
                        placeholder, merged_into=decision.new.person_id
                    )
                    directory.touched.add(placeholder.person_id)
            person = directory.people[decision.person_id]
            speaker = quote.speaker.model_copy(update={"person_id": person.person_id})
            # Article evidence always wins; the person's country only fills a gap, and is never counted
            # back into the person (it would confirm itself).
            article_country = speaker.country if speaker.country_source != "person" else None
            if speaker.country is None and person.established_country is not None:
                speaker = speaker.model_copy(
                    update={"country": person.established_country, "country_source": "person"}
                )
            contribution = Contribution(article.id, mention.name, mention.role, article_country, seen)
            directory.people[person.person_id] = observe(person, contribution)
            directory.touched.add(person.person_id)
            contributions.setdefault(person.person_id, []).append(contribution)
            quotes.append(quote.model_copy(update={"speaker": speaker}))
        out.append(article.model_copy(update={"quotes": quotes}))
    if merges:
        out = [_relinked(article, merges) for article in out]
        for old, new in merges.items():
            # This batch's quotes of the placeholder count for the full-named person.
            contributions.setdefault(new, []).extend(contributions.pop(old, []))
    return LinkedBatch(out, contributions, decisions, merges)


def _relinked(article: EnrichedArticle, merges: dict[str, str]) -> EnrichedArticle:
    if not any(q.speaker.person_id in merges for q in article.quotes):
        return article
    quotes = [
        q.model_copy(
            update={"speaker": q.speaker.model_copy(update={"person_id": merges[q.speaker.person_id]})}
        )
        if q.speaker.person_id in merges
        else q
        for q in article.quotes
    ]
    return article.model_copy(update={"quotes": quotes})


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
