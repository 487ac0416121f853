"""One batch of raw messages, start to finish: decode -> enrich -> index -> dead-letter -> publish.

``BatchProcessor.process`` returns only when every message of the batch is settled (indexed,
superseded or dead-lettered, and every produced message delivered); the agent acks the batch only
then, so Faust commits its offsets only after the batch is indexed. It never raises for a message's
sake; transient failures (Elasticsearch or Kafka unavailable, ES 429/5xx, an unexpected error) are
retried with capped exponential backoff for as long as it takes - the stream waits rather than lose
anything. Only ``CancelledError`` leaves (worker shutdown): the batch is then not acked and will be
redelivered.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from pipeline.errors import BadArticle, TransientError
from pipeline.ingest.decode import DATE_WARNING, LANGUAGE_WARNING, decode_article, warning_kinds
from pipeline.models import Article, EnrichedArticle, Rejected
from pipeline.stream.deadletter import Origin, encode_rejected, make_rejected
from pipeline.stream.metrics import PipelineMetrics

log = logging.getLogger(__name__)

T = TypeVar("T")

# Backoff: 0.5 s doubling to 30 s. 30 s keeps an outage's retry traffic negligible while a recovered
# Elasticsearch is noticed within half a minute.
BACKOFF_FIRST = 0.5
BACKOFF_CAP = 30.0


@dataclass(frozen=True, slots=True)
class RawMessage:
    value: bytes | None
    origin: Origin
    # Kafka headers (content-type, contract), lower-case names; none from older producers.
    headers: Mapping[str, bytes] = field(default_factory=dict)
    # The message's Kafka timestamp: where an undated article is placed on the timeline.
    received: datetime | None = None


@dataclass(frozen=True, slots=True)
class IndexResult:
    """What the index writer did with each article of a batch, by position in the batch."""

    indexed: dict[int, int] = field(default_factory=dict)  # position -> quotes written
    superseded: frozenset[int] = frozenset()
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)  # position -> (reason, detail)


class Enrich(Protocol):
    async def enrich(self, articles: Sequence[Article]) -> list[EnrichedArticle | BadArticle]: ...


IndexWrite = Callable[[Sequence[EnrichedArticle]], Awaitable[IndexResult]]
# (topic, key, value) triples -> delivered (raises on failure).
Publish = Callable[[Sequence[tuple[str, bytes | None, bytes]]], Awaitable[None]]


@dataclass(slots=True)
class BatchProcessor:
    enricher: Enrich
    write: IndexWrite
    publish: Publish
    metrics: PipelineMetrics
    max_text_chars: int
    topic_enriched: str
    topic_dead_letter: str
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def process(self, messages: Sequence[RawMessage]) -> None:
        started = time.monotonic()
        self.metrics.add("articles_in", len(messages))
        rejected: list[tuple[RawMessage, BadArticle]] = []
        good: list[tuple[RawMessage, Article]] = []
        for message in messages:
            decoded = decode_article(
                message.value,
                self.max_text_chars,
                headers=message.headers,
                key=message.origin.key,
                received=message.received,
            )
            if isinstance(decoded, BadArticle):
                rejected.append((message, decoded))
            else:
                good.append((message, decoded))
        # Warnings cost no article but are counted (pipeline.ingest: "date: ...", "language: ...").
        kinds = [warning_kinds(article.warnings) for _, article in good]
        self.metrics.add("articles_date_unreadable", sum(DATE_WARNING in k for k in kinds))
        self.metrics.add("articles_not_english", sum(LANGUAGE_WARNING in k for k in kinds))

        outcomes = await self._retrying(
            "enrich", lambda: self.metrics.timed("enrich_seconds", self.enricher.enrich([a for _, a in good]))
        )
        enriched: list[tuple[RawMessage, EnrichedArticle]] = []
        for (message, _), outcome in zip(good, outcomes, strict=True):
            if isinstance(outcome, BadArticle):
                rejected.append((message, outcome))
            else:
                enriched.append((message, outcome))
        self.metrics.add("articles_enriched", len(enriched))

        result = await self._retrying(
            "index", lambda: self.metrics.timed("index_seconds", self.write([e for _, e in enriched]))
        )
        out: list[tuple[str, bytes | None, bytes]] = []
        for position, (message, article) in enumerate(enriched):
            if position in result.rejected:
                reason, detail = result.rejected[position]
                rejected.append((message, BadArticle(reason, detail)))
            elif position in result.indexed:
                out.append((self.topic_enriched, article.id.encode(), article.model_dump_json().encode()))

        records: list[Rejected] = [
            make_rejected(message.value, bad.reason, bad.detail, message.origin) for message, bad in rejected
        ]
        out += [
            (self.topic_dead_letter, r.key.encode() if r.key else None, encode_rejected(r)) for r in records
        ]
        await self._retrying("publish", lambda: self.publish(out))

        self.metrics.add("articles_indexed", len(result.indexed))
        self.metrics.add("quotes_indexed", sum(result.indexed.values()))
        self.metrics.add("articles_superseded", len(result.superseded))
        self.metrics.add("enriched_published", len(out) - len(records))
        for record in records:
            self.metrics.dead_letter(record.reason)
            log.info(
                "dead-lettered %s[%s]@%s: %s (%s)",
                record.topic,
                record.partition,
                record.offset,
                record.reason,
                record.detail,
                extra={
                    "event": "dead_letter",
                    "reason": record.reason,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "key": record.key,
                },
            )
        self.metrics.add("batches")
        self.metrics.observe("batch_seconds", time.monotonic() - started)
        log.info(
            "batch of %d: %d indexed, %d superseded, %d dead-lettered in %.2f s",
            len(messages),
            len(result.indexed),
            len(result.superseded),
            len(records),
            self.metrics.last_batch_seconds,
            extra={
                "event": "batch",
                "messages": len(messages),
                "indexed": len(result.indexed),
                "superseded": len(result.superseded),
                "dead_lettered": len(records),
                "quotes": sum(result.indexed.values()),
                "seconds": round(self.metrics.last_batch_seconds, 3),
            },
        )

    async def _retrying(self, step: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` until it succeeds; every failure is waited out (nothing is acked meanwhile)."""
        delay = BACKOFF_FIRST
        while True:
            try:
                return await attempt()
            except asyncio.CancelledError:
                raise
            except TransientError as exc:
                log.warning(
                    "%s: transient failure, retrying in %.1f s: %s",
                    step,
                    delay,
                    exc,
                    extra={"event": "retry", "step": step, "delay": delay},
                )
            except Exception as exc:  # unexpected: never let it escape (Faust would ack the batch)
                log.exception("%s: unexpected failure, retrying in %.1f s: %r", step, delay, exc)
            self.metrics.add("retries")
            # Full jitter keeps several workers from hammering a recovering cluster in step.
            await self.sleep(delay * (0.5 + random.random() / 2))
            delay = min(delay * 2, BACKOFF_CAP)
