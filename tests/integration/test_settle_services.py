"""Sizes and refusals against the real Kafka: ``setup`` sets the topics' record limit, a record over
it is refused for good (never retried as transient), and the worker's producer path says so per record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from pipeline.devstack.scratch import remove_scratch, scratch_settings
from pipeline.errors import RecordRefused
from pipeline.kafka_clients import kafka_client_kwargs
from pipeline.settings import Settings
from pipeline.stream.agents import _Sinks
from pipeline.stream.metrics import PipelineMetrics
from pipeline.stream.processor import OutRecord
from pipeline.stream.topics import ensure_topics, read_topic, topic_limits

pytestmark = pytest.mark.integration

LIMIT = 100_000


@pytest.fixture
def settings(devstack: Settings) -> Iterator[Settings]:
    settings = scratch_settings(
        devstack, "qwtest-settle", kafka_max_message_bytes=LIMIT, kafka_max_request_size=LIMIT
    )
    yield settings
    asyncio.run(remove_scratch(settings))


async def _publish(settings: Settings, request_size: int, records: list[OutRecord]) -> list[Exception | None]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        **kafka_client_kwargs(settings), acks="all", enable_idempotence=True, max_request_size=request_size
    )
    await producer.start()
    try:
        sinks = _Sinks(None, producer, settings, PipelineMetrics())  # type: ignore[arg-type]  # no ES here
        return await sinks.publish(records)
    finally:
        await producer.stop()


async def test_setup_sets_the_record_limit_and_resets_a_changed_one(settings: Settings) -> None:
    created = await ensure_topics(settings)
    assert set(created.values()) == {"created"}
    assert set((await topic_limits(settings)).values()) == {LIMIT}
    bigger = settings.model_copy(update={"kafka_max_message_bytes": 2 * LIMIT})
    changed = await ensure_topics(bigger)
    assert all(state == f"exists, max.message.bytes {LIMIT} -> {2 * LIMIT}" for state in changed.values())
    assert set((await topic_limits(bigger)).values()) == {2 * LIMIT}
    assert set((await ensure_topics(bigger)).values()) == {"exists"}  # negative: nothing to change


@pytest.mark.parametrize(
    ("request_size", "value_bytes", "refused"),
    [
        (LIMIT, 150_000, True),  # over the producer's own limit: refused before sending
        (4 * LIMIT, 150_000, True),  # the producer sends it, the broker's topic limit refuses it
        (LIMIT, 50_000, False),  # negative: fits, delivered
    ],
)
async def test_a_record_over_the_limit_is_refused_for_good_not_transient(
    settings: Settings, request_size: int, value_bytes: int, refused: bool
) -> None:
    await ensure_topics(settings)
    records = [
        OutRecord(settings.topic_dead_letter, b"k", b"x" * value_bytes, "big"),
        OutRecord(settings.topic_dead_letter, b"k", b"small", "small"),
    ]
    results = await asyncio.wait_for(_publish(settings, request_size, records), timeout=60)
    assert isinstance(results[0], RecordRefused) == refused
    assert refused or results[0] is None
    assert "MessageSizeTooLarge" in str(results[0]) or not refused
    assert results[1] is None  # the record next to it is delivered either way
    values = [value for _offset, _key, value in await read_topic(settings, settings.topic_dead_letter)]
    assert b"small" in values
    assert (b"x" * value_bytes in values) == (not refused)
