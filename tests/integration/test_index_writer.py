"""The index layer against the real Elasticsearch: setup, idempotent writes, versions, rejections.

Each test works under its own index prefix (``qwtest-<random>``) and deletes its indices afterwards.
No refresh happens between writes unless a test says so: the writer must be right before a refresh.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch

from pipeline.errors import QuotewireError, TransientError
from pipeline.index.client import make_async_client
from pipeline.index.documents import article_doc_id, to_documents
from pipeline.index.names import default_lexicon
from pipeline.index.schema import drop_indices, ensure_indices, load_spec, reindex
from pipeline.index.writer import write_articles
from pipeline.models import EnrichedArticle, Quote, Speaker
from pipeline.settings import Settings

pytestmark = pytest.mark.integration

T0 = datetime(2023, 8, 17, 9, 0, tzinfo=UTC)


@pytest.fixture
async def env(devstack: Settings) -> AsyncIterator[tuple[AsyncElasticsearch, Settings]]:
    settings = devstack.model_copy(update={"index_prefix": f"qwtest-{uuid.uuid4().hex[:10]}"})
    client = make_async_client(settings)
    try:
        yield client, settings
    finally:
        await drop_indices(client, settings.index_prefix)
        await client.close()


def _quote(
    text: str, speaker: str | None = "Anatoly Antonov", country: str | None = "RU", **extra: Any
) -> Quote:
    return Quote(
        text=text,
        start=0,
        end=len(text),
        kind="direct",
        cue="said",
        speaker=Speaker(name=speaker, type="PERSON", country=country),
        **extra,
    )


def _article(article_id: str, version: datetime | None, *texts: str, **extra: Any) -> EnrichedArticle:
    return EnrichedArticle(
        id=article_id,
        text="body",
        headline=f"headline {article_id}",
        published=T0,
        version=version,
        source="TASS",
        quotes=[_quote(t) for t in texts],
        **extra,
    )


async def _quotes_of(client: AsyncElasticsearch, settings: Settings, article_id: str) -> list[str]:
    await client.indices.refresh(index=settings.quotes_alias)
    response = await client.search(
        index=settings.quotes_alias,
        query={"term": {"article_id": article_id}},
        size=100,
        sort=[{"position": "asc"}],
    )
    return [hit["_source"]["text"] for hit in response["hits"]["hits"]]


async def _count(client: AsyncElasticsearch, index: str) -> int:
    await client.indices.refresh(index=index)
    return int((await client.count(index=index))["count"])


# --- setup -----------------------------------------------------------------------------------------


async def test_setup_creates_versioned_indices_behind_aliases(
    env: tuple[AsyncElasticsearch, Settings],
) -> None:
    client, settings = env
    first = await ensure_indices(client, settings)
    assert [(s.alias, s.index, s.created) for s in first] == [
        (settings.quotes_alias, load_spec("quotes", settings).concrete_name(), True),
        (settings.articles_alias, load_spec("articles", settings).concrete_name(), True),
        (settings.people_alias, load_spec("people", settings).concrete_name(), True),
    ]
    mapping = (await client.indices.get_mapping(index=settings.quotes_alias)).body
    (quotes_mapping,) = mapping.values()
    assert quotes_mapping["mappings"]["dynamic"] == "strict"
    assert (
        quotes_mapping["mappings"]["properties"]["speaker"]["properties"]["name"]["fields"]["keyword"][
            "normalizer"
        ]
        == "folding"
    )
    # The folding normalizer works on this node: case and accents off.
    analyzed = await client.indices.analyze(
        index=settings.quotes_alias, normalizer="folding", text="Zelénskyy"
    )
    assert [t["token"] for t in analyzed["tokens"]] == ["zelenskyy"]

    again = await ensure_indices(client, settings)
    assert [s.created for s in again] == [False, False, False]
    assert not any(s.outdated for s in again)


async def test_concurrent_setup_is_safe(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    results = await asyncio.gather(*(ensure_indices(client, settings) for _ in range(3)))
    assert sum(s.created for batch in results for s in batch) == 3  # each index created exactly once
    assert {s.index for batch in results for s in batch} == {
        load_spec("quotes", settings).concrete_name(),
        load_spec("articles", settings).concrete_name(),
        load_spec("people", settings).concrete_name(),
    }


async def test_alias_name_taken_by_an_index_is_reported(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    await client.indices.create(index=settings.quotes_alias)
    with pytest.raises(QuotewireError, match="is an index, not an alias"):
        await ensure_indices(client, settings)


# --- writes ----------------------------------------------------------------------------------------


async def test_same_article_twice_leaves_one_copy(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    article = _article("dup-1", T0, "First quote.", "Second quote.")
    one = await write_articles(client, settings, [article])
    two = await write_articles(client, settings, [article, article])  # redelivered, twice in a batch
    assert [o.status for o in one.outcomes] == ["indexed"]
    assert [o.status for o in two.outcomes] == ["indexed", "indexed"]
    assert one.quotes_indexed == 2
    assert await _quotes_of(client, settings, "dup-1") == ["First quote.", "Second quote."]
    assert await _count(client, settings.articles_alias) == 1


async def test_newer_version_replaces_quotes_before_any_refresh(
    env: tuple[AsyncElasticsearch, Settings],
) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    await write_articles(client, settings, [_article("v-1", T0, "Kept.", "Dropped later.", "Also dropped.")])
    # Immediately (no refresh): the writer reads the previous version in real time.
    report = await write_articles(
        client, settings, [_article("v-1", T0 + timedelta(minutes=5), "Kept.", "New.")]
    )
    assert [o.status for o in report.outcomes] == ["indexed"]
    assert report.quotes_deleted == 2
    assert await _quotes_of(client, settings, "v-1") == ["Kept.", "New."]
    doc = await client.get(index=settings.articles_alias, id=article_doc_id("v-1"))
    assert doc["_source"]["quote_count"] == 2


async def test_retry_after_an_interrupted_write_removes_stale_quotes(
    env: tuple[AsyncElasticsearch, Settings],
) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    await write_articles(client, settings, [_article("cut-1", T0, "A.", "B.", "C.")], refresh=True)
    # A write of the next version that stopped after its article document (its deletes never ran):
    v2 = _article("cut-1", T0 + timedelta(hours=1), "A.", "D.")
    docs = to_documents(v2, default_lexicon())
    versioned = {"version": docs.version, "version_type": "external_gte"}
    await client.index(
        index=settings.quotes_alias, id=docs.quotes[1].id, document=docs.quotes[1].source, **versioned
    )
    await client.index(
        index=settings.articles_alias, id=docs.article_doc_id, document=docs.article, **versioned
    )
    await client.indices.refresh(index=[settings.quotes_alias, settings.articles_alias])
    assert sorted(await _quotes_of(client, settings, "cut-1")) == ["A.", "B.", "C.", "D."]  # stale B, C
    # The worker retries the same batch: the older quotes still indexed are found and deleted.
    report = await write_articles(client, settings, [v2])
    assert [o.status for o in report.outcomes] == ["indexed"]
    assert sorted(await _quotes_of(client, settings, "cut-1")) == ["A.", "D."]


async def test_version_with_no_quotes_removes_them_all(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    await write_articles(client, settings, [_article("v-0", T0, "One.", "Two.")], refresh=True)
    await write_articles(client, settings, [_article("v-0", T0 + timedelta(hours=1))])
    assert await _quotes_of(client, settings, "v-0") == []


async def test_older_version_arriving_late_is_ignored(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    await write_articles(client, settings, [_article("late-1", T0 + timedelta(hours=1), "Correction.")])
    report = await write_articles(client, settings, [_article("late-1", T0, "Original.", "Other.")])
    assert [o.status for o in report.outcomes] == ["superseded"]
    assert report.quotes_indexed == 0
    assert await _quotes_of(client, settings, "late-1") == ["Correction."]


async def test_versions_in_one_batch_newest_wins(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    batch = [
        _article("mix-1", T0 + timedelta(hours=2), "Newest."),
        _article("mix-1", T0, "Oldest."),
        _article("mix-2", T0, "Other article."),
    ]
    report = await write_articles(client, settings, batch)
    assert [o.status for o in report.outcomes] == ["indexed", "superseded", "indexed"]
    assert await _quotes_of(client, settings, "mix-1") == ["Newest."]
    assert await _quotes_of(client, settings, "mix-2") == ["Other article."]


FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)


def _undated(article_id: str, *texts: str) -> EnrichedArticle:
    return _article(article_id, None, *texts).model_copy(update={"published": None})


async def _write_as_before(client: AsyncElasticsearch, settings: Settings, article: EnrichedArticle) -> None:
    """What the writer did before the ordering rule: the far-future version straight into the index."""
    docs = to_documents(article, default_lexicon())
    versioned = {"version": docs.version, "version_type": "external_gte", "refresh": True}
    for quote in docs.quotes:
        await client.index(index=settings.quotes_alias, id=quote.id, document=quote.source, **versioned)
    await client.index(
        index=settings.articles_alias, id=docs.article_doc_id, document=docs.article, **versioned
    )


@pytest.mark.parametrize(
    ("first", "then", "wins", "unordered", "clamped"),
    [
        # The lost corrections: an undated correction of a dated article ...
        ("dated", "undated", "then", 1, 0),
        # ... and any correction of a year-2999 article (its date is ordered as undated).
        ("2999", "dated-now", "then", 1, 1),
        # A 2999 version indexed before this rule: it cannot be ordered, the correction wins.
        ("2999-legacy", "dated", "then", 1, 0),
        ("undated", "dated", "then", 1, 0),
        ("undated", "undated", "then", 1, 0),
        # Negatives: dates that order still order.
        ("dated", "dated-older", "first", 0, 0),
        ("dated", "dated-newer", "then", 0, 0),
    ],
)
async def test_a_correction_that_dates_cannot_order_wins_by_arrival(
    env: tuple[AsyncElasticsearch, Settings], first: str, then: str, wins: str, unordered: int, clamped: int
) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    now = datetime.now(UTC)
    versions = {
        "dated": T0,
        "dated-older": T0 - timedelta(days=1),
        "dated-newer": T0 + timedelta(days=1),
        "dated-now": now - timedelta(minutes=1),
        "2999": FAR_FUTURE,
        "2999-legacy": FAR_FUTURE,
    }

    def make(kind: str, text: str) -> EnrichedArticle:
        return _undated("c-1", text) if kind == "undated" else _article("c-1", versions[kind], text)

    counts = [0, 0]
    if first == "2999-legacy":
        await _write_as_before(client, settings, make(first, "First."))
    else:
        report = await write_articles(client, settings, [make(first, "First.")])
        counts = [report.unordered, report.clamped]
    report = await write_articles(client, settings, [make(then, "Then.")])
    assert (counts[0] + report.unordered, counts[1] + report.clamped) == (unordered, clamped)
    assert [o.status for o in report.outcomes] == ["indexed" if wins == "then" else "superseded"]
    assert await _quotes_of(client, settings, "c-1") == (["Then."] if wins == "then" else ["First."])
    # And the version after that is not blocked either: a correction dated now always lands.
    await write_articles(client, settings, [_article("c-1", datetime.now(UTC), "Last.")])
    assert await _quotes_of(client, settings, "c-1") == ["Last."]


async def test_undated_versions_in_one_batch_the_later_arrival_wins(
    env: tuple[AsyncElasticsearch, Settings],
) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    batch = [_article("u-1", T0 + timedelta(hours=2), "Dated."), _undated("u-1", "Undated, later.")]
    report = await write_articles(client, settings, batch)
    assert [o.status for o in report.outcomes] == ["superseded", "indexed"]
    assert report.unordered == 1
    assert await _quotes_of(client, settings, "u-1") == ["Undated, later."]


async def test_mapping_error_rejects_that_article_only(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    await write_articles(client, settings, [_article("bad-1", T0, "Previous version.")])
    broken = EnrichedArticle(
        id="bad-1",
        text="body",
        version=T0 + timedelta(hours=1),
        # An offset beyond the mapping's integer range: Elasticsearch refuses the document.
        quotes=[_quote("Fine quote."), Quote(text="Broken.", start=2**40, end=2**40 + 7, kind="direct")],
    )
    good = _article("good-1", T0, "Good article quote.")
    report = await write_articles(client, settings, [broken, good])
    statuses = {o.article_id: o for o in report.outcomes}
    assert statuses["good-1"].status == "indexed"
    assert statuses["bad-1"].status == "rejected"
    assert statuses["bad-1"].reason == "index_mapping_error"
    assert statuses["bad-1"].detail and "parsing" in statuses["bad-1"].detail
    # The index keeps the previous version of the rejected article, and nothing of the new one.
    assert await _quotes_of(client, settings, "bad-1") == ["Previous version."]
    assert await _quotes_of(client, settings, "good-1") == ["Good article quote."]


async def test_unreachable_elasticsearch_is_transient(devstack: Settings) -> None:
    settings = devstack.model_copy(update={"es_url": "http://127.0.0.1:9", "index_prefix": "qwtest-nowhere"})
    client = make_async_client(settings)
    try:
        with pytest.raises(TransientError):
            await write_articles(client, settings, [_article("x", T0, "q")], attempts=2, backoff=0.01)
        with pytest.raises(TransientError):
            await ensure_indices(client, settings)
    finally:
        await client.close()


async def test_write_block_is_transient_and_nothing_is_lost(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    article = _article("blocked-1", T0, "Waiting quote.")
    await client.indices.put_settings(index=settings.quotes_alias, settings={"index.blocks.write": True})
    try:
        with pytest.raises(TransientError, match="403"):
            await write_articles(client, settings, [article], attempts=1)
    finally:
        await client.indices.put_settings(index=settings.quotes_alias, settings={"index.blocks.write": False})
    # The same batch again once the cluster accepts writes (what the worker does with kept offsets).
    report = await write_articles(client, settings, [article])
    assert [o.status for o in report.outcomes] == ["indexed"]
    assert await _quotes_of(client, settings, "blocked-1") == ["Waiting quote."]


async def test_missing_indices_are_transient_not_autocreated(
    env: tuple[AsyncElasticsearch, Settings],
) -> None:
    client, settings = env
    with pytest.raises(TransientError, match="quotewire setup"):
        await write_articles(client, settings, [_article("x", T0, "q")], attempts=1)
    assert not await client.indices.exists(index=settings.quotes_alias)


# --- reindex ---------------------------------------------------------------------------------------


async def test_reindex_moves_alias_and_keeps_versions(env: tuple[AsyncElasticsearch, Settings]) -> None:
    client, settings = env
    await ensure_indices(client, settings)
    await write_articles(
        client, settings, [_article(f"r-{i}", T0 + timedelta(hours=1), f"Quote {i}.") for i in range(30)]
    )
    spec = load_spec("quotes", settings)
    v2 = type(spec)(spec.kind, spec.alias, spec.schema_version + 1, spec.settings, spec.mappings)
    # An earlier, interrupted reindex left a document in the next index that the old one has since deleted.
    await client.indices.create(index=v2.concrete_name(), settings=spec.settings, mappings=spec.mappings)
    ghost = to_documents(_article("ghost", T0, "Deleted meanwhile."), default_lexicon(), T0).quotes[0]
    await client.index(
        index=v2.concrete_name(), id=ghost.id, document=ghost.source, version=1, version_type="external"
    )
    report = await reindex(client, settings, "quotes", spec=v2, delete_old=True)
    assert (report.old_index, report.new_index) == (spec.concrete_name(), v2.concrete_name())
    assert (report.copied, report.pruned) == (30, 1)
    aliases = (await client.indices.get_alias(name=settings.quotes_alias)).body
    assert list(aliases) == [v2.concrete_name()]
    assert await _count(client, settings.quotes_alias) == 30
    # External versions survived the copy: an older version is still refused.
    await client.indices.refresh(index=settings.articles_alias)
    late = await write_articles(client, settings, [_article("r-3", T0, "Stale.")])
    assert [o.status for o in late.outcomes] == ["superseded"]
    with pytest.raises(QuotewireError, match="already points"):
        await reindex(client, settings, "quotes", spec=v2)
