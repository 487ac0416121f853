"""The real Kafka broker of the devstack, through aiokafka with the project's client kwargs."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError

from pipeline.devstack.kafka_broker import ensure_topics
from pipeline.kafka_clients import kafka_client_kwargs
from pipeline.settings import Settings

pytestmark = pytest.mark.integration


def _topic() -> str:
    return f"test.devstack.{uuid.uuid4().hex[:12]}"


async def test_produce_and_consume_through_the_broker(devstack: Settings) -> None:
    topic = _topic()
    await ensure_topics(devstack, [(topic, 2)])
    sent = {f"key-{i}".encode(): f"message {i}".encode() for i in range(6)}

    producer = AIOKafkaProducer(**kafka_client_kwargs(devstack), acks="all")
    await producer.start()
    try:
        for key, value in sent.items():
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        **kafka_client_kwargs(devstack),
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: dict[bytes, bytes] = {}
    partitions: set[int] = set()
    try:
        async with asyncio.timeout(30):
            while len(received) < len(sent):
                message = await consumer.getone()
                assert message.key is not None and message.value is not None
                received[message.key] = message.value
                partitions.add(message.partition)
        await consumer.commit()
    finally:
        await consumer.stop()

    assert received == sent
    assert partitions <= {0, 1}


async def test_ensure_topics_creates_once_with_the_partitions_asked(devstack: Settings) -> None:
    topic = _topic()
    assert await ensure_topics(devstack, [(topic, 3)]) == [topic]
    assert await ensure_topics(devstack, [(topic, 3)]) == []  # idempotent

    admin = AIOKafkaAdminClient(**kafka_client_kwargs(devstack))
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    assert len(described["partitions"]) == 3


async def test_topics_are_not_auto_created(devstack: Settings) -> None:
    """Like most managed clusters: producing to a topic nobody created fails, it does not appear."""
    topic = _topic()
    producer = AIOKafkaProducer(**kafka_client_kwargs(devstack), request_timeout_ms=3000)
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.send_and_wait(topic, b"nobody created this topic")
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(**kafka_client_kwargs(devstack))
    await admin.start()
    try:
        assert topic not in await admin.list_topics()
    finally:
        await admin.close()
