"""The read path against the real Elasticsearch: person, country, text, filters, facets, paging.

A module-wide index (its own ``qwtest-<random>`` prefix, deleted at the end) holds quotes written for
these tests plus the seed article as the enrichment engine sees it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from pipeline.devstack.scratch import drop_scratch_indices
from pipeline.index.client import make_async_client
from pipeline.index.queries import QuoteQuery
from pipeline.index.schema import ensure_indices
from pipeline.index.search import (
    IndexMissingError,
    get_article,
    list_countries,
    search_quotes,
    speakers_by_country,
    suggest_people,
)
from pipeline.index.writer import write_articles
from pipeline.models import Article, EnrichedArticle, Quote, Speaker
from pipeline.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

SEED = PROJECT_ROOT.parent / "shared" / "data" / "seeds" / "000_6b86da6157363970.txt"
FILLER = 25


def _q(text: str, name: str | None, country: str | None, kind: str = "direct", **extra: Any) -> Quote:
    return Quote.model_validate(
        {
            "text": text,
            "start": 0,
            "end": len(text),
            "kind": kind,
            "cue": "said",
            "speaker": Speaker(
                name=name, type="PERSON" if name else "UNKNOWN", country=country, role=extra.pop("role", None)
            ),
            **extra,
        }
    )


def _articles() -> list[EnrichedArticle]:
    return [
        EnrichedArticle(
            id="t-kyiv",
            text="-",
            headline="Kyiv talks",
            source="Reuters",
            published=datetime(2022, 3, 1, 10, tzinfo=UTC),
            quotes=[
                _q("We will defend every city.", "Volodymyr Zelenskyy", "UA", role="President"),
                _q("Our partners must act faster.", "Volodymyr Zelenskyy", "UA", kind="mixed"),
                _q("The talks with Ukraine are difficult.", "Sergei Lavrov", "RU", countries=["UA"]),
                _q("Nobody <script>wants</script> escalation.", "Sergei Lavrov", "RU"),
            ],
        ),
        EnrichedArticle(
            id="t-bbc",
            text="-",
            headline="Grain corridor",
            source="BBC News",
            published=datetime(2022, 4, 10, 8, tzinfo=UTC),
            quotes=[
                _q("Grain must leave the ports.", "Zelensky", "UA"),
                _q("Diplomacy is patience at the Élysée.", "Gérard Araud", "FR", role="ambassador"),
            ],
        ),
        EnrichedArticle(
            id="t-afp",
            text="-",
            headline="New year remarks",
            source="Agence France-Presse",
            published=datetime(2024, 1, 5, 15, tzinfo=UTC),
            quotes=[_q("The dialogue continues.", "Sergey Lavrov", "RU", kind="indirect")],
        ),
        EnrichedArticle(
            id="t-filler",
            text="-",
            headline="Many remarks",
            source="Reuters",
            published=datetime(2021, 6, 1, tzinfo=UTC),
            quotes=[_q(f"Remark number {i} on trade.", "Pat Filler", "US") for i in range(FILLER)],
        ),
    ]


def _seed() -> EnrichedArticle:
    from pipeline.enrich import Enricher

    article = Article(
        id="seed-000",
        text=SEED.read_text(encoding="utf-8"),
        source="TASS",
        published=datetime(2023, 8, 17, tzinfo=UTC),
    )
    return Enricher.load(Settings()).enrich(article)


@pytest.fixture(scope="module")
def indexed(devstack: Settings) -> Iterator[Settings]:
    settings = devstack.model_copy(update={"index_prefix": f"qwtest-{uuid.uuid4().hex[:10]}"})
    batch = [*_articles(), _seed()]

    async def load() -> None:
        client = make_async_client(settings)
        try:
            await ensure_indices(client, settings)
            report = await write_articles(client, settings, batch, refresh=True)
            assert [o.status for o in report.outcomes] == ["indexed"] * len(batch)
        finally:
            await client.close()

    asyncio.run(load())
    try:
        yield settings
    finally:
        asyncio.run(drop_scratch_indices(settings))


@pytest.fixture
async def client(indexed: Settings) -> AsyncIterator[AsyncElasticsearch]:
    es = make_async_client(indexed)
    try:
        yield es
    finally:
        await es.close()


async def _total(client: AsyncElasticsearch, settings: Settings, **fields: Any) -> int:
    results = await search_quotes(client, settings, QuoteQuery.model_validate({**fields, "facets": False}))
    return results.total


# --- the seed, as issue 5 asks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "total"),
    [
        ({"person": "Antonov"}, 6),
        ({"person": "blinken"}, 2),
        ({"person": "Sergei Ryabkov"}, 1),
        ({"country": "RU", "source": "TASS"}, 7),
        ({"country": "United States", "source": "TASS"}, 2),
    ],
)
async def test_seed_article(
    client: AsyncElasticsearch, indexed: Settings, fields: dict[str, Any], total: int
) -> None:
    assert await _total(client, indexed, **fields) == total


# --- person ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "total"),
    [
        ("Zelenskyy", 3),
        ("Zelensky", 3),
        ("zelenskiy", 3),
        ("ZELENSKII", 3),
        ("Volodymyr Zelenskyy", 3),  # 2 by full name + 1 recorded by surname alone
        ("Lavrov", 3),
        ("Sergey Lavrov", 3),
        ("sergei lavrov", 3),
        ("Foreign Minister Sergey Lavrov", 3),
        ("Russian Foreign Minister Sergei Lavrov", 3),
        ("Gerard Araud", 1),
        ("araud", 1),
        ("Sergey Ryabkov", 1),
        ("Russian Deputy Foreign Minister Sergey Ryabkov", 1),
        ("Antony Blinken", 2),
        ("A. Blinken", 2),
        # negatives
        ("Anatoly Antonov", 6),  # the seed records him by surname alone
        ("Igor Lavrov", 0),  # a different first name than the one recorded
        ("Sergey Zelensky", 1),  # only the surname-only record can be him
        ("Lavrova", 0),
        ("Zelenskyy Lavrov", 0),
        ("Putin", 0),
    ],
)
async def test_person(client: AsyncElasticsearch, indexed: Settings, person: str, total: int) -> None:
    assert await _total(client, indexed, person=person) == total


async def test_full_name_match_ranks_first(client: AsyncElasticsearch, indexed: Settings) -> None:
    results = await search_quotes(client, indexed, QuoteQuery(person="Volodymyr Zelenskyy", facets=False))
    assert [h.speaker.name for h in results.hits] == [
        "Volodymyr Zelenskyy",
        "Volodymyr Zelenskyy",
        "Zelensky",
    ]


# --- country ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "mentioned", "total"),
    [
        ("RU", False, 10),
        ("ru", False, 10),
        ("Russia", False, 10),
        ("russian", False, 10),
        ("UA", False, 3),
        ("Ukrainian", False, 3),
        ("UA", True, 4),  # plus Lavrov's quote naming Ukraine
        ("France", False, 1),
        ("Germany", False, 0),
    ],
)
async def test_country(
    client: AsyncElasticsearch, indexed: Settings, country: str, mentioned: bool, total: int
) -> None:
    assert await _total(client, indexed, country=country, mentioned=mentioned) == total


async def test_unknown_country_is_a_value_error(client: AsyncElasticsearch, indexed: Settings) -> None:
    with pytest.raises(ValueError, match="unknown country 'Narnia'"):
        await search_quotes(client, indexed, QuoteQuery(country="Narnia"))


# --- filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "total"),
    [
        ({"person": "Antonov", "text": "prisoner exchanges"}, 1),
        ({"person": "Antonov", "country": "US"}, 0),
        ({"country": "RU", "since": "2023-01-01"}, 8),
        ({"country": "RU", "since": "2023-01-01", "until": "2023-12-31"}, 7),
        ({"person": "Lavrov", "kind": "indirect"}, 1),
        ({"source": "reuters"}, 4 + FILLER),
        ({"source": "bbc news", "country": "UA"}, 1),
        ({"text": "grain ports"}, 1),
        ({"text": "Gerard"}, 0),  # no quote says it; names are a person filter
        ({"text": "elysee"}, 1),  # accents folded
        ({"text": "Diplomacy is patience"}, 1),
        ({"text": "speaker.country:RU OR *"}, 0),  # words, not syntax
        ({"until": "2021-12-31"}, FILLER),
    ],
)
async def test_filters_combine(
    client: AsyncElasticsearch, indexed: Settings, fields: dict[str, Any], total: int
) -> None:
    assert await _total(client, indexed, **fields) == total


async def test_highlight_marks_matched_words_html_safe(client: AsyncElasticsearch, indexed: Settings) -> None:
    results = await search_quotes(client, indexed, QuoteQuery(text="escalation", facets=False))
    (hit,) = results.hits
    assert hit.highlight == "Nobody &lt;script&gt;wants&lt;&#x2F;script&gt; <mark>escalation</mark>."
    assert hit.text == "Nobody <script>wants</script> escalation."
    stemmed = await search_quotes(client, indexed, QuoteQuery(text="defending cities", facets=False))
    # Stemmed words match; a phrase match is marked as one span.
    assert [h.highlight for h in stemmed.hits] == ["We will <mark>defend every city</mark>."]
    words = await search_quotes(client, indexed, QuoteQuery(text="cities defending", facets=False))
    assert [h.highlight for h in words.hits] == ["We will <mark>defend</mark> every <mark>city</mark>."]


async def test_highlight_without_accents(client: AsyncElasticsearch, indexed: Settings) -> None:
    results = await search_quotes(client, indexed, QuoteQuery(text="elysee", facets=False))
    assert [h.highlight for h in results.hits] == ["Diplomacy is patience at the <mark>Élysée</mark>."]


async def test_paging_is_stable_and_complete(client: AsyncElasticsearch, indexed: Settings) -> None:
    seen: list[str] = []
    for offset in range(0, FILLER, 10):
        page = await search_quotes(
            client, indexed, QuoteQuery(person="Pat Filler", limit=10, offset=offset, facets=False)
        )
        assert page.total == FILLER
        seen.extend(h.id for h in page.hits)
    assert len(seen) == len(set(seen)) == FILLER
    last = await search_quotes(
        client, indexed, QuoteQuery(person="Pat Filler", limit=10, offset=20, facets=False)
    )
    assert len(last.hits) == 5


async def test_newest_first_without_text(client: AsyncElasticsearch, indexed: Settings) -> None:
    for query in (QuoteQuery(country="RU", facets=False), QuoteQuery(person="Lavrov", facets=False)):
        results = await search_quotes(client, indexed, query)
        dates = [h.published for h in results.hits]
        assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
        assert results.hits[0].source == "Agence France-Presse"


# --- facets ----------------------------------------------------------------------------------------


async def test_facets(client: AsyncElasticsearch, indexed: Settings) -> None:
    results = await search_quotes(client, indexed, QuoteQuery(interval="year"))
    facets = results.facets
    assert facets is not None
    speakers = {s.label: s.count for s in facets.speakers}
    assert speakers["Pat Filler"] == FILLER
    assert speakers["Antonov"] == 6
    assert facets.speakers[0].label == "Pat Filler"
    countries = {c.key: (c.count, c.label) for c in facets.countries}
    assert countries["RU"] == (10, "Russia")
    assert countries["US"] == (FILLER + 2, "United States")
    assert {b.start.year: b.count for b in facets.over_time} == {2021: FILLER, 2022: 6, 2023: 9, 2024: 1}
    assert {k.key for k in facets.kinds} == {"direct", "mixed", "indirect"}


async def test_top_speakers_of_a_country(client: AsyncElasticsearch, indexed: Settings) -> None:
    results = await search_quotes(client, indexed, QuoteQuery(country="RU"))
    assert results.facets is not None
    assert [(s.label, s.count) for s in results.facets.speakers] == [
        ("Antonov", 6),
        ("Sergei Lavrov", 3),
        ("Sergey Ryabkov", 1),
    ]
    per_country = await speakers_by_country(client, indexed, QuoteQuery(), countries=2, speakers=2)
    assert [(c.country, c.count) for c in per_country] == [("US", FILLER + 2), ("RU", 10)]
    assert [s.label for s in per_country[1].speakers] == ["Antonov", "Sergei Lavrov"]


# --- people, countries, articles -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("blin", [("Antony Blinken", 2)]),
        ("Antony Bl", [("Antony Blinken", 2)]),
        ("lav", [("Sergei Lavrov", 3)]),  # Sergei/Sergey Lavrov: one person, the commoner spelling shown
        ("zel", [("Volodymyr Zelenskyy", 2), ("Zelensky", 1)]),
        ("gér", [("Gérard Araud", 1)]),
        ("xyz", []),
    ],
)
async def test_people_suggestions(
    client: AsyncElasticsearch, indexed: Settings, prefix: str, expected: list[tuple[str, int]]
) -> None:
    found = await suggest_people(client, indexed, prefix)
    assert [(p.name, p.count) for p in found] == expected


async def test_people_suggestion_details(client: AsyncElasticsearch, indexed: Settings) -> None:
    (first, _second) = await suggest_people(client, indexed, "zel")
    assert (first.role, first.country, first.key) == ("President", "UA", "volodimir zelenski")


async def test_list_countries(client: AsyncElasticsearch, indexed: Settings) -> None:
    countries = {c.code: c for c in await list_countries(client, indexed)}
    assert countries["RU"].quotes == 10 and countries["RU"].name == "Russia"
    assert countries["UA"].mentioned == 1


async def test_get_article(client: AsyncElasticsearch, indexed: Settings) -> None:
    article = await get_article(client, indexed, "t-kyiv")
    assert article is not None
    assert article.headline == "Kyiv talks"
    assert [q.position for q in article.quotes] == [0, 1, 2, 3]
    assert article.quote_count == 4
    assert await get_article(client, indexed, "no-such-article") is None


async def test_missing_indices(devstack: Settings) -> None:
    settings = devstack.model_copy(update={"index_prefix": f"qwtest-absent-{uuid.uuid4().hex[:6]}"})
    es = make_async_client(settings)
    try:
        with pytest.raises(IndexMissingError, match="quotewire setup"):
            await search_quotes(es, settings, QuoteQuery(person="x"))
    finally:
        await es.close()


# --- CLI -------------------------------------------------------------------------------------------


def test_cli_json_matches_the_read_path(indexed: Settings) -> None:
    import json

    from typer.testing import CliRunner

    from pipeline.cli import app

    env = {"QUOTEWIRE_INDEX_PREFIX": indexed.index_prefix, "QUOTEWIRE_ES_URL": indexed.es_url}
    result = CliRunner().invoke(
        app, ["search", "--person", "antonov", "--country", "russian", "--json"], env=env
    )
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]

    async def direct() -> list[str]:
        es = make_async_client(indexed)
        try:
            found = await search_quotes(
                es, indexed, QuoteQuery(person="antonov", country="russian", facets=False)
            )
            return [h.id for h in found.hits]
        finally:
            await es.close()

    assert [line["id"] for line in lines] == asyncio.run(direct())
    assert len(lines) == 6 and {line["speaker"]["name"] for line in lines} == {"Antonov"}

    table = CliRunner().invoke(app, ["search", "--text", "escalation", "--facets"], env=env)
    assert table.exit_code == 0, table.stderr
    assert (
        "1 quote (showing 1-1)" in table.stdout
        and "[escalation]" in table.stdout
        and "<script>wants</script>" in table.stdout
    )
    people = CliRunner().invoke(app, ["people", "blin"], env=env)
    assert people.exit_code == 0 and "Antony Blinken" in people.stdout
