"""The real agent code path (``agent.test_context()``, ``store='memory://'``): real enrichment on a
process pool, the real Elasticsearch writer (under a unique index prefix) and real Kafka for the
dead-letter and enriched topics. Only the raw topic is replaced by Faust's in-memory test channel.

Needs the local devstack (Kafka + Elasticsearch), like the integration tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from pipeline.devstack.scratch import remove_scratch, scratch_settings
from pipeline.index.client import make_async_client
from pipeline.index.schema import ensure_indices
from pipeline.settings import Settings
from pipeline.stream.agents import AGENT_NAME
from pipeline.stream.app import make_app
from pipeline.stream.deadletter import decode_rejected
from pipeline.stream.metrics import PipelineMetrics
from pipeline.stream.topics import ensure_topics

pytestmark = pytest.mark.integration

ARTICLES = [
    {
        "id": "agent-1",
        "headline": "Harbour plan",
        "text": '"The harbour will reopen in spring," Mayor Lena Okafor said on Tuesday.',
    },
    {
        "id": "agent-2",
        "text": "French Foreign Minister Paul Girard said that the talks would continue next week.",
    },
]


@pytest.fixture
def settings(devstack: Settings) -> Settings:
    return scratch_settings(
        devstack,
        "qwtest-agent",
        worker_processes=1,  # the machine has two cores, shared with everything else
        worker_batch_seconds=0.2,
    )


@pytest.fixture
async def es(settings: Settings) -> AsyncIterator[Any]:
    client = make_async_client(settings)
    yield client
    await client.close()
    await remove_scratch(settings)


async def _until(check: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def _read_topic(settings: Settings, topic: str, expected: int) -> list[tuple[bytes | None, bytes]]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    out: list[tuple[bytes | None, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while len(out) < expected and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            out += [(r.key, r.value) for records in batches.values() for r in records]
    finally:
        await consumer.stop()
    return out


async def test_agent_indexes_dead_letters_and_acks_only_after_indexing(settings: Settings, es: Any) -> None:
    await ensure_topics(settings)
    # No indices yet: the writer cannot index (alias missing -> TransientError), as when Elasticsearch
    # is unavailable. The batch must wait, unacked, and go through once the indices exist.
    metrics = PipelineMetrics()
    app = make_app(settings, metrics)
    agent = app.agents[AGENT_NAME]
    async with agent.test_context() as ctx:
        events = [await ctx.put(json.dumps(a).encode(), key=a["id"].encode()) for a in ARTICLES]
        events.append(await ctx.put(b"{this is broken json", key=b"broken"))
        events.append(await ctx.put(json.dumps({"id": "agent-3", "text": "  "}).encode(), key=b"agent-3"))

        await _until(lambda: metrics.counters["retries"] >= 2)
        assert not any(e.message.acked for e in events), "acked before the batch was indexed"
        assert metrics.counters["articles_indexed"] == 0

        await ensure_indices(es, settings)
        await _until(lambda: metrics.counters["batches"] >= 1)
        await _until(lambda: all(e.message.acked for e in events), timeout=10)

    assert metrics.counters["articles_in"] == 4
    assert metrics.counters["articles_indexed"] == 2
    assert metrics.counters["dead_lettered"] == 2
    assert metrics.dead_letter_reasons == {"not_json": 1, "empty_text": 1}

    await es.indices.refresh(index=[settings.quotes_alias, settings.articles_alias])
    articles = await es.count(index=settings.articles_alias)
    assert articles["count"] == 2
    quotes = await es.search(index=settings.quotes_alias, size=20)
    speakers = {hit["_source"]["speaker"]["name"] for hit in quotes["hits"]["hits"]}
    assert {"Lena Okafor", "Paul Girard"} <= speakers
    assert metrics.counters["quotes_indexed"] == quotes["hits"]["total"]["value"]

    dead = [decode_rejected(v) for _k, v in await _read_topic(settings, settings.topic_dead_letter, 2)]
    assert sorted((r.reason, r.key) for r in dead if r) == [("empty_text", "agent-3"), ("not_json", "broken")]
    enriched = await _read_topic(settings, settings.topic_enriched, 2)
    assert sorted(k for k, _v in enriched if k) == [b"agent-1", b"agent-2"]
    assert all(json.loads(v)["quotes"] for _k, v in enriched)
