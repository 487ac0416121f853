"""The three topics, created idempotently with the aiokafka admin client.

* raw articles in: ``settings.topic_partitions`` partitions, so several workers in one group share them;
* enriched articles out: the same partition count (keyed by article id, like the raw topic);
* dead letters: one partition - a low-volume audit log read from the beginning by ``dead-letters list``.

Size: every topic gets ``max.message.bytes`` = ``settings.kafka_max_message_bytes`` (at creation, and set
again on an existing topic whose value differs), the limit the worker fits its records below
(``sizes.py``).

Replication: three copies where the cluster has three brokers (the usual production minimum), else one
per broker (1 on the devstack). aiokafka's ``NewTopic`` refuses ``-1`` (the broker's default), so the
factor is computed from the cluster's broker count.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.settings import Settings

log = logging.getLogger(__name__)

# Three copies survive one broker down during another's maintenance: the common production choice.
MAX_REPLICATION = 3


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int


def topic_specs(settings: Settings) -> list[TopicSpec]:
    return [
        TopicSpec(settings.topic_raw, settings.topic_partitions),
        TopicSpec(settings.topic_enriched, settings.topic_partitions),
        TopicSpec(settings.topic_dead_letter, 1),
    ]


MAX_MESSAGE_BYTES = "max.message.bytes"
# How long a topic config change may take to read back (milliseconds on one broker).
CONFIG_SETTLE_SECONDS = 10.0


def topic_configs(settings: Settings) -> dict[str, str]:
    """The configuration ``setup`` gives each of the three topics."""
    return {MAX_MESSAGE_BYTES: str(settings.kafka_max_message_bytes)}


async def ensure_topics(settings: Settings) -> dict[str, str]:
    """Create the missing topics; returns ``{name: "created" | "exists" | "exists, max.message.bytes
    A -> B"}``.

    An existing topic with fewer partitions than configured is reported (not altered: adding partitions
    changes which partition a key maps to, which would break per-article ordering).
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    from pipeline.kafka_clients import kafka_client_kwargs

    admin = AIOKafkaAdminClient(**kafka_client_kwargs(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        specs = topic_specs(settings)
        missing = [s for s in specs if s.name not in existing]
        outcome = {s.name: "exists" for s in specs if s.name in existing}
        if missing:
            cluster = await admin.describe_cluster()
            replication = max(1, min(MAX_REPLICATION, len(cluster.get("brokers", ())) or 1))
            response = await admin.create_topics(
                [
                    NewTopic(s.name, s.partitions, replication, topic_configs=topic_configs(settings))
                    for s in missing
                ]
            )
            for name, code, message in _errors(response):
                if code == 0:
                    outcome[name] = "created"
                elif code == TopicAlreadyExistsError.errno:  # created concurrently by another worker
                    outcome[name] = "exists"
                else:
                    raise RuntimeError(f"could not create topic {name}: error {code} {message or ''}")
        for spec in specs:
            if outcome.get(spec.name) == "exists":
                described = await admin.describe_topics([spec.name])
                have = len(described[0].get("partitions", [])) if described else 0
                if have < spec.partitions:
                    log.warning(
                        "topic %s has %d partitions; %d are configured (not changed)",
                        spec.name,
                        have,
                        spec.partitions,
                    )
        existing_names = [s.name for s in specs if outcome.get(s.name) == "exists"]
        for name, (before, after) in (await _align_configs(admin, settings, existing_names)).items():
            outcome[name] = f"exists, {MAX_MESSAGE_BYTES} {before} -> {after}"
        return outcome
    finally:
        await admin.close()


async def _align_configs(admin: Any, settings: Settings, names: list[str]) -> dict[str, tuple[str, str]]:
    """Set ``max.message.bytes`` on existing topics where it differs; returns {topic: (before, after)}."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    if not names:
        return {}
    wanted = topic_configs(settings)
    found = await topic_config_values(admin, names, MAX_MESSAGE_BYTES)
    changed = {
        name: (found.get(name, "?"), wanted[MAX_MESSAGE_BYTES])
        for name in names
        if found.get(name) != wanted[MAX_MESSAGE_BYTES]
    }
    if changed:
        # AlterConfigs replaces a topic's whole override set; these topics carry no override but ours.
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, wanted) for name in changed]
        )
        log.info("topics %s: %s set to %s", ", ".join(changed), MAX_MESSAGE_BYTES, wanted[MAX_MESSAGE_BYTES])
        # The broker applies a config change asynchronously: wait until it reads back, so the start-up
        # check after this never sees the old value.
        deadline = time.monotonic() + CONFIG_SETTLE_SECONDS
        while time.monotonic() < deadline:
            found = await topic_config_values(admin, list(changed), MAX_MESSAGE_BYTES)
            if all(found.get(name) == wanted[MAX_MESSAGE_BYTES] for name in changed):
                break
            await asyncio.sleep(0.2)
    return changed


async def topic_config_values(admin: Any, names: list[str], key: str) -> dict[str, str]:
    """The effective value of one config key per topic (its override, else the broker's default)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, None) for name in names]
    )
    values: dict[str, str] = {}
    for response in responses:
        # DescribeConfigs response: resources = [(error_code, error_message, type, name, [entries])],
        # each entry (name, value, read_only, ...).
        for resource in getattr(response, "resources", ()):
            name, entries = resource[3], resource[4]
            for entry in entries:
                if entry[0] == key:
                    values[name] = str(entry[1])
    return values


async def topic_limits(settings: Settings) -> dict[str, int]:
    """``max.message.bytes`` of each of the three topics as the broker applies it (missing: absent)."""
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.kafka_clients import kafka_client_kwargs

    admin = AIOKafkaAdminClient(**kafka_client_kwargs(settings))
    await admin.start()
    try:
        names = [s.name for s in topic_specs(settings)]
        present = [n for n in names if n in set(await admin.list_topics())]
        found = await topic_config_values(admin, present, MAX_MESSAGE_BYTES)
    finally:
        await admin.close()
    return {name: int(value) for name, value in found.items() if value.isdigit()}


def _errors(response: object) -> list[tuple[str, int, str | None]]:
    """(topic, error code, message) from a CreateTopics response of any version."""
    out: list[tuple[str, int, str | None]] = []
    for item in getattr(response, "topic_errors", ()):
        name, code = item[0], item[1]
        message = item[2] if len(item) > 2 and isinstance(item[2], str) else None
        out.append((name, code, message))
    return out


async def topic_partitions(settings: Settings, topic: str) -> list[int]:
    """The partition numbers of a topic ([] if it does not exist)."""
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.kafka_clients import kafka_client_kwargs

    admin = AIOKafkaAdminClient(**kafka_client_kwargs(settings))
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    found = [d for d in described if not d.get("error_code")]
    return sorted(p["partition"] for d in found for p in d.get("partitions", []))


TopicMessage = tuple[int, bytes | None, bytes]  # offset, key, value


async def read_topic(settings: Settings, topic: str) -> list[TopicMessage]:
    """Every message of a topic, from the beginning to its end as of the call (no consumer group)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from pipeline.kafka_clients import kafka_client_kwargs

    tps = [TopicPartition(topic, p) for p in await topic_partitions(settings, topic)]
    out: list[TopicMessage] = []
    if not tps:
        return out
    consumer = AIOKafkaConsumer(**kafka_client_kwargs(settings), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                out += [(r.offset, r.key, r.value) for r in records if r.offset < ends[tp]]
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return out


@dataclass(frozen=True, slots=True)
class GroupLag:
    """The consumer group on the raw topic, as the broker sees it."""

    members: int
    # partition -> (committed offset or None, end offset)
    partitions: dict[int, tuple[int | None, int]]

    @property
    def total(self) -> int:
        return sum(end - (done or 0) for done, end in self.partitions.values())


async def consumer_group_lag(settings: Settings) -> GroupLag:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.kafka_clients import kafka_client_kwargs

    tps = [
        TopicPartition(settings.topic_raw, p) for p in await topic_partitions(settings, settings.topic_raw)
    ]
    admin = AIOKafkaAdminClient(**kafka_client_kwargs(settings))
    consumer = AIOKafkaConsumer(**kafka_client_kwargs(settings), group_id=None, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(settings.consumer_group)
        groups = await admin.describe_consumer_groups([settings.consumer_group])
        # DescribeGroups response: groups = [(error, group, state, protocol_type, protocol, members), ...]
        members = len(groups[0].groups[0][5]) if groups and getattr(groups[0], "groups", None) else 0
        ends = await consumer.end_offsets(tps) if tps else {}
        partitions: dict[int, tuple[int | None, int]] = {}
        for tp in tps:
            meta = committed.get(tp)
            offset = meta.offset if meta is not None and meta.offset >= 0 else None
            partitions[tp.partition] = (offset, ends[tp])
        return GroupLag(members, partitions)
    finally:
        await consumer.stop()
        await admin.close()


async def delete_topics(settings: Settings) -> list[str]:
    """Delete the topics these settings name and the leader topic Faust creates for the consumer
    group; returns those that existed. For runs with their own names (benchmarks, tests), never the
    production topics' clean-up: nothing asks before deleting."""
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.kafka_clients import kafka_client_kwargs

    admin = AIOKafkaAdminClient(**kafka_client_kwargs(settings))
    await admin.start()
    try:
        mine = {
            settings.topic_raw,
            settings.topic_enriched,
            settings.topic_dead_letter,
            f"{settings.consumer_group}-__assignor-__leader",
        }
        existing = sorted(t for t in await admin.list_topics() if t in mine)
        if existing:
            await admin.delete_topics(existing)
        return existing
    finally:
        await admin.close()
