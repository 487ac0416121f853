"""The worker's one agent: batches of raw messages -> ``BatchProcessor`` -> ack.

Why ``noack_take`` and explicit acks rather than ``take``: ``Stream.take`` acks a batch in a
``finally`` when the consumer asks for the next one - and also when the batch is abandoned (the
agent raises, or its task is cancelled at shutdown and the generator is closed), so a batch that was
never indexed could be committed. ``noack_take`` yields the same batches and leaves the acks to us:
they happen only after ``process`` returned, i.e. after every article of the batch is indexed or
dead-lettered and every produced message is delivered. Faust commits acked offsets (contiguous per
partition) every ``COMMIT_INTERVAL_SECONDS`` and at rebalance/shutdown; a SIGKILL before that means the
batch is read again, and the idempotent index makes the second write a no-op.

One agent instance (``concurrency=1``, faust issue #606: with more, one instance can commit offsets of
messages another has not finished); parallelism comes from the process pool instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipeline.ingest.contracts import ENRICHED_CONTRACT, REJECTED_CONTRACT, headers_for, read_headers
from pipeline.stream.deadletter import REPLAY_COUNT, REPLAY_OF, REPLAY_REASON, Origin, Replay
from pipeline.stream.metrics import PipelineMetrics
from pipeline.stream.pool import EnrichmentPool, pool_size
from pipeline.stream.processor import BatchProcessor, IndexResult, OutRecord, RawMessage
from pipeline.stream.sizes import record_budget
from pipeline.urls import redact_url

if TYPE_CHECKING:
    import faust
    from aiokafka import AIOKafkaProducer
    from elasticsearch import AsyncElasticsearch

    from pipeline.models import EnrichedArticle
    from pipeline.settings import Settings

log = logging.getLogger(__name__)

AGENT_NAME = "quotewire.enrich-and-index"


def raw_message(event: Any) -> RawMessage:
    message = event.message
    key = event.key if isinstance(event.key, bytes | None) else str(event.key).encode()
    value = event.value if isinstance(event.value, bytes | None) else str(event.value).encode()
    stamp = getattr(message, "timestamp", None)  # seconds since the epoch (Kafka's create/append time)
    received = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int | float) and stamp > 0 else None
    headers = read_headers(getattr(message, "headers", None))
    return RawMessage(
        value,
        Origin(message.topic, message.partition, message.offset, key),
        headers=headers,
        received=received,
        replay=replay_of(headers),
    )


def replay_of(headers: Mapping[str, bytes]) -> Replay | None:
    """The letter a replayed message came from (``dead-letters replay`` headers), if any."""
    found = {
        name: value.decode("utf-8", errors="replace")
        for name, value in headers.items()
        if name in (REPLAY_OF, REPLAY_REASON, REPLAY_COUNT)
    }
    if REPLAY_OF not in found or REPLAY_REASON not in found:
        return None
    count = found.get(REPLAY_COUNT, "0")
    return Replay(found[REPLAY_OF], found[REPLAY_REASON], int(count) if count.isdigit() else 0)


def register_agents(
    app: faust.App,
    settings: Settings,
    metrics: PipelineMetrics,
    on_fatal: Callable[[str], None] | None = None,
) -> Any:
    # Raw bytes in: faust.Record does not validate, and a decode error on a typed topic is raised
    # inside the agent; the edge validation is ours (decode.py).
    raw_topic = app.topic(
        settings.topic_raw, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )

    @app.agent(raw_topic, name=AGENT_NAME, concurrency=1)
    async def enrich_and_index(stream: Any) -> None:  # a faust.Stream (StreamT lacks noack_take)
        size, within = settings.worker_batch_size, settings.worker_batch_seconds
        async with worker_runtime(settings, metrics, on_fatal) as processor:
            async for events in stream.noack_take(size, within=within):
                await processor.process([raw_message(e) for e in events])
                for event in events:
                    await stream.ack(event)

    return enrich_and_index


@dataclass(slots=True)
class _Sinks:
    client: AsyncElasticsearch
    producer: AIOKafkaProducer
    settings: Settings
    metrics: PipelineMetrics

    async def write(self, batch: Sequence[EnrichedArticle]) -> IndexResult:
        from pipeline.index.writer import write_articles
        from pipeline.people.registry import PeopleRegistry

        if self.settings.people_linking:
            # Every speaker gets its person_id (issue 11) before the quotes are written; idempotent.
            linked = await PeopleRegistry(self.client, self.settings).link(batch)
            batch = linked.articles
            self.metrics.add("quotes_linked", sum(len(c) for c in linked.contributions.values()))
        report = await write_articles(self.client, self.settings, batch)
        self.metrics.add("retries", report.retries)
        self.metrics.add("versions_unordered", report.unordered)
        self.metrics.add("dates_clamped", report.clamped)
        indexed: dict[int, int] = {}
        superseded: set[int] = set()
        rejected: dict[int, tuple[str, str]] = {}
        for position, outcome in enumerate(report.outcomes):
            if outcome.status == "indexed":
                indexed[position] = outcome.quotes
            elif outcome.status == "superseded":
                superseded.add(position)
            else:
                rejected[position] = (outcome.reason or "index_rejected", outcome.detail or "")
        return IndexResult(indexed, frozenset(superseded), rejected)

    async def publish(self, records: Sequence[OutRecord]) -> list[Exception | None]:
        """Send every record, then wait for each; one result per record (see ``processor.Publish``)."""
        # Every message says what it holds: the enriched-article or the rejected (dead-letter) contract.
        headers = {
            self.settings.topic_enriched: headers_for(ENRICHED_CONTRACT),
            self.settings.topic_dead_letter: headers_for(REJECTED_CONTRACT),
        }
        sent: list[asyncio.Future[Any] | Exception] = []
        for record in records:
            try:
                sent.append(
                    await self.producer.send(
                        record.topic, record.value, key=record.key, headers=headers.get(record.topic)
                    )
                )
            except Exception as exc:  # refused before sending (over max_request_size) or no broker
                sent.append(exc)
        results: list[Exception | None] = []
        for item in sent:
            if isinstance(item, Exception):
                results.append(classify_kafka_error(item))
                continue
            try:
                await item
                results.append(None)
            except Exception as exc:
                results.append(classify_kafka_error(exc))
        return results


def classify_kafka_error(exc: Exception) -> Exception:
    """A produce failure as the processor reads it: ``TransientError`` for what passes by itself (no
    broker, a timeout, a leader moving: aiokafka's ``retriable`` errors), ``RecordRefused`` for a record
    Kafka will never take (size, topic); anything else as it is (retried a bounded number of times)."""
    from aiokafka.errors import (
        InvalidTopicError,
        KafkaConnectionError,
        KafkaError,
        KafkaTimeoutError,
        MessageSizeTooLargeError,
        NoBrokersAvailable,
        RecordListTooLargeError,
        RecordTooLargeError,
    )

    from pipeline.errors import RecordRefused, TransientError

    if isinstance(
        exc, MessageSizeTooLargeError | RecordTooLargeError | RecordListTooLargeError | InvalidTopicError
    ):
        return RecordRefused(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError | NoBrokersAvailable) or (
        isinstance(exc, KafkaError) and exc.retriable
    ):
        return TransientError(f"Kafka produce failed: {type(exc).__name__}: {exc}")
    return exc


@asynccontextmanager
async def worker_runtime(
    settings: Settings, metrics: PipelineMetrics, on_fatal: Callable[[str], None] | None = None
) -> AsyncIterator[BatchProcessor]:
    """The agent's resources for its lifetime: process pool, Elasticsearch client, Kafka producer."""
    from aiokafka import AIOKafkaProducer

    from pipeline.index.client import make_async_client
    from pipeline.kafka_clients import kafka_client_kwargs

    pool = EnrichmentPool(settings.spacy_model, pool_size(settings.worker_processes))
    client = make_async_client(settings)
    # Our own producer for dead letters and enriched articles: acks=all and idempotent, and awaited
    # before the batch is acked, so a dead letter is never lost either.
    producer = AIOKafkaProducer(
        **kafka_client_kwargs(settings),
        acks="all",
        enable_idempotence=True,
        max_request_size=settings.kafka_max_request_size,
    )
    try:
        log.info("starting %d enrichment processes (model %s)", pool.processes, settings.spacy_model)
        try:
            await pool.start()
            await producer.start()
        except Exception as exc:
            # Not a message's fault and not transient (a model that does not load, a broker that
            # refuses us): stop the worker instead of letting Faust's supervisor restart the agent in
            # a loop. Nothing was read or acked yet.
            reason = f"the worker cannot start: {type(exc).__name__}: {exc}"
            log.critical(reason)
            if on_fatal is not None:
                on_fatal(reason)
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.Event().wait()  # until the shutdown cancels this task
        sinks = _Sinks(client, producer, settings, metrics)
        log.info("worker ready: %s -> Elasticsearch %s", settings.topic_raw, redact_url(settings.es_url))
        yield BatchProcessor(
            enricher=pool,
            write=sinks.write,
            publish=sinks.publish,
            metrics=metrics,
            max_text_chars=settings.max_text_chars,
            topic_enriched=settings.topic_enriched,
            topic_dead_letter=settings.topic_dead_letter,
            record_bytes=record_budget(settings),
            attempts=settings.worker_attempts,
        )
    finally:
        await producer.stop()
        await client.close()
        pool.close()
