"""The linking rule as behaviour tables: which person a mention joins, founds or leaves alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.index.names import default_lexicon
from pipeline.models import EnrichedArticle, Quote, Speaker
from pipeline.people.linking import (
    LEAD_RATIO,
    Directory,
    Mention,
    Person,
    decide,
    link_batch,
    mention_of,
    person_id_for,
)

LEX = default_lexicon()
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def person(
    name: str,
    *,
    kind: str = "person",
    countries: tuple[tuple[str, int], ...] = (),
    quotes: int = 1,
    last_seen: datetime = NOW,
    discriminator: str = "",
) -> Person:
    m = mention(name, kind=kind)
    return Person(
        person_id=person_id_for(m.kind, m.full_key, discriminator),
        kind=m.kind,
        name=name,
        name_key=m.full_key,
        surname_key=m.surname_key,
        given_keys=m.given_keys,
        countries=countries,
        quote_count=quotes,
        first_seen=last_seen,
        last_seen=last_seen,
    )


def mention(
    name: str,
    *,
    kind: str = "person",
    country: str | None = None,
    source: str | None = None,
    role: str | None = None,
    when: datetime = NOW,
) -> Mention:
    speaker = Speaker(
        name=name,
        type="ORG" if kind == "organisation" else "PERSON",
        country=country,
        country_source=source,  # type: ignore[arg-type]
        role=role,
    )
    m = mention_of(speaker, when, LEX)
    assert m is not None
    return m


ANTONOV = person("Anatoly Antonov", countries=(("RU", 5),), quotes=5)
ANTONOV_PLACEHOLDER = person("Antonov", quotes=1)
SMITH_GB = person("John Smith", countries=(("GB", 4),), quotes=4)
SMITH_US = person("John Smith", countries=(("US", 3),), quotes=3, discriminator="US")
BLAIR = person("Tony Blair", countries=(("GB", 149),), quotes=149)
CHERIE = person("Cherie Blair", countries=(("GB", 1),), quotes=1)
LAVROV = person("Sergey Lavrov", countries=(("RU", 9),), quotes=9)
ZELENSKY = person("Volodymyr Zelensky", countries=(("UA", 9),), quotes=9)
KREMLIN = person("Kremlin", kind="organisation", quotes=4)
PERSON_KREMLIN = person("Kremlin", quotes=1)  # a person surnamed Kremlin: must stay apart from the ORG


@pytest.mark.parametrize(
    ("case", "m", "candidates", "rule", "expected"),
    [
        ("same full name joins", mention("Anatoly Antonov"), [ANTONOV], "full_name_match", ANTONOV),
        (
            "surname-only joins the one full name",
            mention("Antonov"),
            [ANTONOV],
            "surname_joins_known",
            ANTONOV,
        ),
        (
            "surname-only prefers the full name over the placeholder",
            mention("Antonov"),
            [ANTONOV_PLACEHOLDER, ANTONOV],
            "surname_joins_known",
            ANTONOV,
        ),
        (
            "title mention is a surname mention",
            mention("Ambassador Antonov"),
            [ANTONOV],
            "surname_joins_known",
            ANTONOV,
        ),
        ("transliteration Sergei = Sergey", mention("Sergei Lavrov"), [LAVROV], "full_name_match", LAVROV),
        (
            "transliteration Zelenskyy",
            mention("Volodymyr Zelenskyy"),
            [ZELENSKY],
            "full_name_match",
            ZELENSKY,
        ),
        ("Cyrillic spelling", mention("Сергей Лавров"), [LAVROV], "full_name_match", LAVROV),
        (
            "namesake picked by strong country",
            mention("John Smith", country="US", source="role"),
            [SMITH_GB, SMITH_US],
            "full_name_match",
            SMITH_US,
        ),
        (
            "clear favourite by quotes",
            mention("Blair"),
            [BLAIR, CHERIE],
            "surname_joins_known",
            BLAIR,
        ),
        (
            "surname with the namesake's strong country",
            mention("Smith", country="GB", source="role"),
            [SMITH_GB, SMITH_US],
            "surname_joins_known",
            SMITH_GB,
        ),
        (
            "organisation joins organisation",
            mention("Kremlin", kind="organisation"),
            [KREMLIN],
            "organisation_exact",
            KREMLIN,
        ),
        (
            "placeholder reused",
            mention("Antonov"),
            [ANTONOV_PLACEHOLDER],
            "surname_placeholder",
            ANTONOV_PLACEHOLDER,
        ),
    ],
)
def test_mention_joins(case: str, m: Mention, candidates: list[Person], rule: str, expected: Person) -> None:
    decision = decide(m, candidates)
    assert (decision.rule, decision.person_id, decision.new) == (rule, expected.person_id, None), case


@pytest.mark.parametrize(
    ("case", "m", "candidates", "rule"),
    [
        ("another first name is another person", mention("Vladimir Antonov"), [ANTONOV], "new_person"),
        (
            "conflicting strong country founds a namesake",
            mention("Anatoly Antonov", country="UA", source="role"),
            [ANTONOV],
            "new_person",
        ),
        ("no one of that surname", mention("Antonov"), [], "new_person"),
        ("a person never joins an organisation", mention("Kremlin"), [KREMLIN], "new_person"),
        (
            "an organisation never joins a person",
            mention("Kremlin", kind="organisation"),
            [PERSON_KREMLIN],
            "organisation_exact",
        ),
    ],
)
def test_mention_founds_a_new_person(case: str, m: Mention, candidates: list[Person], rule: str) -> None:
    decision = decide(m, candidates)
    assert decision.rule == rule, case
    assert decision.new is not None and decision.person_id == decision.new.person_id, case
    assert decision.person_id not in {p.person_id for p in candidates}, case


def test_weak_country_does_not_split_people() -> None:
    # A dateline or the article's country is no evidence about who the speaker is.
    decision = decide(mention("Anatoly Antonov", country="GB", source="dateline"), [ANTONOV])
    assert decision.person_id == ANTONOV.person_id


@pytest.mark.parametrize(
    ("case", "m", "candidates"),
    [
        ("two Smiths quoted alike", mention("Smith"), [SMITH_GB, SMITH_US]),
        (
            "a favourite just under the lead ratio",
            mention("Blair"),
            [person("Tony Blair", quotes=int(LEAD_RATIO * 10) - 1), person("Cherie Blair", quotes=10)],
        ),
    ],
)
def test_ambiguous_surname_stays_unlinked(case: str, m: Mention, candidates: list[Person]) -> None:
    decision = decide(m, candidates)
    assert (decision.rule, decision.person_id, decision.new) == ("surname_ambiguous", None, None), case


def test_recency_decides_between_equally_quoted_people() -> None:
    old = person("Tony Blair", quotes=10, last_seen=NOW - timedelta(days=720))
    recent = person("Cherie Blair", quotes=10, last_seen=NOW)
    assert decide(mention("Blair"), [old, recent]).person_id == recent.person_id
    # ... and the same two seen on the same day are too close to call.
    assert (
        decide(
            mention("Blair"), [old, person("Cherie Blair", quotes=10, last_seen=NOW - timedelta(days=720))]
        ).person_id
        is None
    )


def test_namesake_ids_are_deterministic_and_distinct() -> None:
    first = decide(mention("John Smith", country="GB", source="role"), [])
    assert first.person_id == person_id_for("person", "john smith")
    again = decide(mention("John Smith", country="GB", source="role"), [])
    assert again.person_id == first.person_id
    assert first.new is not None
    namesake = decide(
        mention("John Smith", country="US", source="role"), [replace(first.new, countries=(("GB", 3),))]
    )
    assert namesake.person_id == person_id_for("person", "john smith", "US")


def article(article_id: str, *speakers: Speaker, day: int = 1) -> EnrichedArticle:
    return EnrichedArticle(
        id=article_id,
        text="x",
        published=datetime(2026, 10, day, tzinfo=UTC),
        quotes=[
            Quote(text=f"q{i}", start=0, end=1, kind="direct", speaker=s) for i, s in enumerate(speakers)
        ],
    )


def test_batch_links_lends_country_and_never_overrides_article_evidence() -> None:
    ru = Speaker(name="Anatoly Antonov", type="PERSON", country="RU", country_source="role")
    batch = [
        article("a1", ru, day=1),
        article("a2", ru, day=2),
        article("a3", Speaker(name="Antonov", type="PERSON"), day=3),
        article("a4", Speaker(name="Antonov", type="PERSON", country="US", country_source="dateline"), day=4),
        article("a5", Speaker(name=None, type="UNKNOWN"), day=5),
    ]
    directory = Directory()
    linked = link_batch(batch, directory, LEX)
    speakers = [a.quotes[0].speaker for a in linked.articles]
    antonov = person_id_for("person", "anatoli antonov")
    assert [s.person_id for s in speakers] == [antonov, antonov, antonov, antonov, None]
    # a3: no country in the article -> the person's; a4: the article's own (weak) evidence stays.
    assert (speakers[2].country, speakers[2].country_source) == ("RU", "person")
    assert (speakers[3].country, speakers[3].country_source) == ("US", "dateline")
    stored = directory.people[antonov]
    assert stored.quote_count == 4
    # The lent country is not counted back into the person.
    assert dict(stored.countries) == {"RU": 2, "US": 1}
    assert stored.first_seen == datetime(2026, 10, 1, tzinfo=UTC)
    assert stored.last_seen == datetime(2026, 10, 4, tzinfo=UTC)
    assert stored.aliases == {"Anatoly Antonov", "Antonov"}


def test_a_single_quote_lends_no_country() -> None:
    batch = [
        article("a1", Speaker(name="Anatoly Antonov", type="PERSON", country="RU", country_source="role")),
        article("a2", Speaker(name="Antonov", type="PERSON")),
    ]
    linked = link_batch(batch, Directory(), LEX)
    lent = linked.articles[1].quotes[0].speaker
    assert lent.person_id is not None and lent.country is None and lent.country_source is None


def test_linking_is_deterministic_across_runs() -> None:
    batch = [
        article("a1", Speaker(name="Smith", type="PERSON"), Speaker(name="John Smith", type="PERSON")),
        article("a2", Speaker(name="Kremlin", type="ORG"), Speaker(name="Sergei Lavrov", type="PERSON")),
    ]
    first = link_batch(batch, Directory(), LEX)
    second = link_batch(batch, Directory(), LEX)
    assert first.articles == second.articles
    ids = [q.speaker.person_id for a in first.articles for q in a.quotes]
    # "Smith" before "John Smith" is John Smith once his full name appears (re-linking).
    assert None not in ids and ids[0] == ids[1] and len(set(ids)) == 3


def test_role_change_is_kept_with_dates() -> None:
    batch = [
        article("a1", Speaker(name="Jane Doe", type="PERSON", role="Foreign Minister"), day=1),
        article("a2", Speaker(name="Jane Doe", type="PERSON", role="Prime Minister"), day=9),
        article("a3", Speaker(name="Jane Doe", type="PERSON", role="Foreign Minister"), day=5),
    ]
    directory = Directory()
    linked = link_batch(batch, directory, LEX)
    assert len({a.quotes[0].speaker.person_id for a in linked.articles}) == 1
    (doe,) = directory.people.values()
    spans = {
        r.role: (r.first_seen.day if r.first_seen else None, r.last_seen.day if r.last_seen else None)
        for r in doe.roles
    }
    assert spans == {"Foreign Minister": (1, 5), "Prime Minister": (9, 9)}


# --- re-linking: a surname-only person revealed by a later full name ---------------------------------


def _linked_after(directory: Directory, *speakers: Speaker) -> tuple[list[str | None], dict[str, str]]:
    linked = link_batch([article(f"b{i}", s, day=10 + i) for i, s in enumerate(speakers)], directory, LEX)
    return [a.quotes[0].speaker.person_id for a in linked.articles], linked.merges


def test_full_name_after_surname_merges_the_surname_only_person() -> None:
    directory = Directory()
    (early,), _ = _linked_after(directory, Speaker(name="Orlov", type="PERSON", role="farmer"))
    ids, merges = _linked_after(directory, Speaker(name="Pavel Orlov", type="PERSON"))
    orlov = person_id_for("person", "pavel orlov")
    assert ids == [orlov] and merges == {early: orlov}
    assert directory.people[early].merged_into == orlov
    merged = directory.people[orlov]
    assert merged.quote_count == 2 and merged.aliases == {"Orlov", "Pavel Orlov"}
    assert [r.role for r in merged.roles] == ["farmer"]
    # A merged person is never a candidate again: the surname now goes to the full name.
    assert _linked_after(directory, Speaker(name="Orlov", type="PERSON")) == ([orlov], {})


def test_merge_inside_one_batch_relinks_the_batch_too() -> None:
    batch = [
        article("a1", Speaker(name="Orlov", type="PERSON"), day=1),
        article("a2", Speaker(name="Pavel Orlov", type="PERSON"), day=2),
    ]
    linked = link_batch(batch, Directory(), LEX)
    orlov = person_id_for("person", "pavel orlov")
    assert [a.quotes[0].speaker.person_id for a in linked.articles] == [orlov, orlov]
    assert list(linked.contributions) == [orlov] and len(linked.contributions[orlov]) == 2


@pytest.mark.parametrize(
    ("case", "before", "revealed"),
    [
        (
            # "Orlov" (RU) could not be the French Ivan Orlov, but with one quote his country is not
            # established either: Ivan remains as possible as Pavel.
            "another full name of that surname could be him",
            [
                Speaker(name="Ivan Orlov", type="PERSON", country="FR", country_source="role"),
                Speaker(name="Ivan Orlov", type="PERSON", country="FR", country_source="role"),
                Speaker(name="Orlov", type="PERSON", country="RU", country_source="role"),
            ],
            Speaker(name="Pavel Orlov", type="PERSON"),
        ),
        (
            "the surname-only person's country conflicts",
            [Speaker(name="Orlov", type="PERSON", country="FR", country_source="role")] * 2,
            Speaker(name="Pavel Orlov", type="PERSON", country="RU", country_source="role"),
        ),
    ],
)
def test_no_merge_when_not_unambiguous(case: str, before: list[Speaker], revealed: Speaker) -> None:
    directory = Directory()
    early, _ = _linked_after(directory, *before)
    ids, merges = _linked_after(directory, revealed)
    assert merges == {}, case
    surname_only = early[-1]
    assert surname_only is not None and not directory.people[surname_only].given_keys, case
    assert directory.people[surname_only].merged_into is None, case
    assert ids[0] not in early, case
