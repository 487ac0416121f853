"""One batch of raw messages, start to finish: decode -> enrich -> index -> dead-letter -> publish.

``BatchProcessor.process`` returns only when every message of the batch is settled (indexed,
superseded or dead-lettered, and every produced record delivered or replaced); the agent acks the batch
only then, so Faust commits its offsets only after the batch is indexed. It never raises for a
message's sake. Failures are classified (STYLE.md: every failure is bounded):

* **known transient** (``TransientError``: Elasticsearch or Kafka unreachable, ES 429/5xx, an index alias
  missing): waited out with capped exponential backoff for as long as it takes - nothing is acked
  meanwhile, so nothing is lost;
* **anything else** (a bug an article triggers, a refusal): retried ``attempts`` times; then the batch
  is split and each article tried alone, and an article that still fails alone is dead-lettered with
  the step's reason (``enrich_failed``, ``index_failed``) - it never holds up the articles after it;
* **a record Kafka refuses for good** (``RecordRefused``: over a size limit, or any non-transient
  produce error after ``attempts``): what can be sent instead is sent (an enriched article -> a
  ``publish_failed`` dead letter of its raw message; a dead letter -> the same letter without its
  original), else it is logged and counted (``records_lost``).

Only ``CancelledError`` leaves (worker shutdown): the batch is then not acked and will be redelivered.
Records are sized by design (``sizes.py``): an enriched article is fitted below ``record_bytes`` and a
dead letter's original cut to fit, so a size refusal is a misconfiguration, not a stall.
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

from pipeline.errors import BadArticle, RecordRefused, TransientError
from pipeline.ingest.decode import DATE_WARNING, LANGUAGE_WARNING, decode_article, warning_kinds
from pipeline.models import Article, EnrichedArticle, Rejected
from pipeline.stream.deadletter import Origin, Replay, encode_rejected, make_rejected
from pipeline.stream.metrics import PipelineMetrics
from pipeline.stream.sizes import fit_enriched

log = logging.getLogger(__name__)

T = TypeVar("T")
In = TypeVar("In")
Out = TypeVar("Out")

# Backoff: 0.5 s doubling to 30 s. 30 s keeps an outage's retry traffic negligible while a recovered
# Elasticsearch is noticed within half a minute.
BACKOFF_FIRST = 0.5
BACKOFF_CAP = 30.0
# Kafka's default limit minus sizes.ENVELOPE_BYTES; the worker passes sizes.record_budget(settings).
DEFAULT_RECORD_BYTES = 1_048_576 - 4_096
_DETAIL_CHARS = 300  # a detail is read by people in `dead-letters list`


@dataclass(frozen=True, slots=True)
class RawMessage:
    value: bytes | None
    origin: Origin
    # Kafka headers (content-type, contract), lower-case names; none from older producers.
    headers: Mapping[str, bytes] = field(default_factory=dict)
    # The message's Kafka timestamp: where an undated article is placed on the timeline.
    received: datetime | None = None
    # Set when ``dead-letters replay`` sent this message: the letter it came from.
    replay: Replay | None = None


@dataclass(frozen=True, slots=True)
class IndexResult:
    """What the index writer did with each article of a batch, by position in the batch."""

    indexed: dict[int, int] = field(default_factory=dict)  # position -> quotes written
    superseded: frozenset[int] = frozenset()
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)  # position -> (reason, detail)


# Per article: quotes written (indexed), None (superseded: a newer version is indexed) or why not.
IndexOutcome = int | None | BadArticle


@dataclass(frozen=True, slots=True)
class OutRecord:
    """One record to produce; ``instead`` makes what to send if Kafka refuses it for good (given why)."""

    topic: str
    key: bytes | None
    value: bytes
    what: str  # for the logs: "enriched article X", "dead letter of raw[0]@5"
    instead: Callable[[str], OutRecord | None] | None = None


class Enrich(Protocol):
    async def enrich(self, articles: Sequence[Article]) -> list[EnrichedArticle | BadArticle]: ...


IndexWrite = Callable[[Sequence[EnrichedArticle]], Awaitable[IndexResult]]
# Records -> one result per record, in order: None (delivered), TransientError (send again later),
# RecordRefused (never: send what replaces it) or another exception (retried ``attempts`` times).
Publish = Callable[[Sequence[OutRecord]], Awaitable[list[Exception | None]]]


class _GaveUp(Exception):  # noqa: N818 -- internal signal, not an error type callers see
    """A non-transient failure repeated ``attempts`` times."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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
    record_bytes: int = DEFAULT_RECORD_BYTES
    attempts: int = 3

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

        outcomes = await self._contained("enrich", "enrich_failed", [a for _, a in good], self._enrich)
        enriched: list[tuple[RawMessage, EnrichedArticle]] = []
        for (message, _), outcome in zip(good, outcomes, strict=True):
            if isinstance(outcome, BadArticle):
                rejected.append((message, outcome))
            else:
                enriched.append((message, outcome))
        self.metrics.add("articles_enriched", len(enriched))
        self.metrics.add("quotes_capped", sum(article.quotes_capped for _, article in enriched))

        written = await self._contained("index", "index_failed", [e for _, e in enriched], self._index)
        out: list[OutRecord] = []
        indexed = superseded = quotes = 0
        for (message, article), result in zip(enriched, written, strict=True):
            if isinstance(result, BadArticle):
                rejected.append((message, result))
            elif result is None:
                superseded += 1
            else:
                indexed, quotes = indexed + 1, quotes + result
                out.append(self._enriched_record(message, article))
        enriched_out = len(out)

        letters: list[Rejected] = []
        for message, bad in rejected:
            if message.replay is not None and message.replay.reason == bad.reason:
                # A replayed letter that failed again for the same reason: its letter says it all already.
                self.metrics.add("letters_repeated")
                log.info("replayed letter %s failed again: %s (no new letter)", message.replay.letter_id, bad)
                continue
            letters.append(
                make_rejected(message.value, bad.reason, bad.detail, message.origin, replay=message.replay)
            )
        out += [self._letter_record(letter) for letter in letters]
        await self._deliver(out)

        self.metrics.add("articles_indexed", indexed)
        self.metrics.add("quotes_indexed", quotes)
        self.metrics.add("articles_superseded", superseded)
        self.metrics.add("enriched_published", enriched_out)
        for record in letters:
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
        seconds = time.monotonic() - started
        self.metrics.observe("batch_seconds", seconds)
        log.info(
            "batch of %d: %d indexed, %d superseded, %d dead-lettered in %.2f s",
            len(messages),
            indexed,
            superseded,
            len(letters),
            seconds,
            extra={
                "event": "batch",
                "messages": len(messages),
                "indexed": indexed,
                "superseded": superseded,
                "dead_lettered": len(letters),
                "quotes": quotes,
                "seconds": round(seconds, 3),
            },
        )

    # --- the steps ------------------------------------------------------------------------------

    async def _enrich(self, articles: list[Article]) -> list[EnrichedArticle | BadArticle]:
        return await self.metrics.timed("enrich_seconds", self.enricher.enrich(articles))

    async def _index(self, batch: list[EnrichedArticle]) -> list[IndexOutcome]:
        result = await self.metrics.timed("index_seconds", self.write(batch))
        outcomes: list[IndexOutcome] = []
        for position in range(len(batch)):
            if position in result.rejected:
                outcomes.append(BadArticle(*result.rejected[position]))
            elif position in result.indexed:
                outcomes.append(result.indexed[position])
            elif position in result.superseded:
                outcomes.append(None)
            else:
                raise ValueError(f"the index writer said nothing about article {position} of {len(batch)}")
        return outcomes

    async def _contained(
        self, step: str, reason: str, items: list[In], run: Callable[[list[In]], Awaitable[list[Out]]]
    ) -> list[Out | BadArticle]:
        """``run`` over the batch; if it keeps failing (not transiently), over each item alone, and an
        item that keeps failing alone becomes ``BadArticle(reason)``: one article never holds up others."""
        if not items:
            return []
        try:
            return list(await self._attempting(step, lambda: _one_each(run, items)))
        except _GaveUp as exc:
            if len(items) == 1:
                return [BadArticle(reason, exc.detail)]
            log.warning(
                "%s: a batch of %d kept failing (%s); trying its articles one by one",
                step,
                len(items),
                exc.detail,
            )
        out: list[Out | BadArticle] = []
        for item in items:
            try:
                out += await self._attempting(step, lambda item=item: _one_each(run, [item]))  # type: ignore[misc]
            except _GaveUp as exc:
                out.append(BadArticle(reason, exc.detail))
        return out

    async def _attempting(self, step: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` until it succeeds: a transient failure is waited out however long it lasts,
        any other failure at most ``attempts`` times (then ``_GaveUp``)."""
        delay = BACKOFF_FIRST
        failures = 0
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
            except Exception as exc:  # not known to be transient: bounded
                failures += 1
                detail = _detail(exc)
                if failures >= self.attempts:
                    log.warning("%s: failed %d times, giving up: %s", step, failures, detail, exc_info=exc)
                    raise _GaveUp(detail) from exc
                log.warning(
                    "%s: failed (%d of %d attempts), retrying in %.1f s: %s",
                    step,
                    failures,
                    self.attempts,
                    delay,
                    detail,
                    extra={"event": "retry", "step": step, "delay": delay},
                )
            await self._back_off(delay)
            delay = min(delay * 2, BACKOFF_CAP)

    async def _back_off(self, delay: float) -> None:
        self.metrics.add("retries")
        # Full jitter keeps several workers from hammering a recovering cluster in step.
        await self.sleep(delay * (0.5 + random.random() / 2))

    # --- records out ----------------------------------------------------------------------------

    def _enriched_record(self, message: RawMessage, article: EnrichedArticle) -> OutRecord:
        def instead(why: str) -> OutRecord | None:
            letter = make_rejected(
                message.value, "publish_failed", why, message.origin, replay=message.replay
            )
            return self._letter_record(letter)

        key = article.id.encode("utf-8")
        try:
            value, fitted = fit_enriched(article, self.record_bytes)
        except ValueError as exc:  # not even its bare record fits: the index has it, the topic cannot
            letter = make_rejected(
                message.value, "enriched_too_large", str(exc), message.origin, replay=message.replay
            )
            return self._letter_record(letter)
        if fitted is not article:
            self.metrics.add("enriched_capped")
            log.info(
                "enriched article %s capped to fit %d bytes: %d entities, %d quotes%s left out",
                article.id,
                self.record_bytes,
                fitted.omitted_entities,
                fitted.omitted_quotes,
                " and the text" if fitted.omitted_text else "",
            )
        return OutRecord(self.topic_enriched, key, value, f"enriched article {article.id[:80]!r}", instead)

    def _letter_record(self, letter: Rejected) -> OutRecord:
        key = letter.key.encode("utf-8") if letter.key else None
        where = f"{letter.topic}[{letter.partition}]@{letter.offset}"

        def bare(_why: str) -> OutRecord:
            # The letter without its original and key: what is left is small and says where to look.
            shell = letter.model_copy(update={"original_b64": "", "original_truncated": True})
            return OutRecord(
                self.topic_dead_letter, None, encode_rejected(shell), f"bare dead letter of {where}"
            )

        value = encode_rejected(letter)
        if len(value) + len(key or b"") > self.record_bytes:
            self.metrics.add("letters_truncated")
            try:
                value = encode_rejected(letter, self.record_bytes - len(key or b""))
            except ValueError:
                return bare("")
        return OutRecord(self.topic_dead_letter, key, value, f"dead letter of {where}", bare)

    async def _deliver(self, records: list[OutRecord]) -> None:
        """Every record delivered or, if Kafka refuses it for good, replaced by its ``instead``."""
        pending: list[tuple[OutRecord, int]] = [(record, 0) for record in records]
        delay = BACKOFF_FIRST
        while pending:
            try:
                results = await self.publish([record for record, _ in pending])
                if len(results) != len(pending):
                    raise ValueError(f"publish answered for {len(results)} of {len(pending)} records")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                results = [exc] * len(pending)
            again: list[tuple[OutRecord, int]] = []
            wait = False
            for (record, failures), error in zip(pending, results, strict=True):
                if error is None:
                    continue
                if isinstance(error, TransientError):
                    again.append((record, failures))
                    wait = True
                    log.warning(
                        "publish: %s not delivered yet (%s)",
                        record.what,
                        error,
                        extra={"event": "retry", "step": "publish"},
                    )
                elif isinstance(error, RecordRefused) or failures + 1 >= self.attempts:
                    self.metrics.add("records_refused")
                    replacement = record.instead(_detail(error)) if record.instead else None
                    log.error(
                        "publish: Kafka refused %s for good (%s); %s",
                        record.what,
                        _detail(error),
                        f"sending {replacement.what} instead" if replacement else "nothing else to send",
                    )
                    if replacement is None:
                        self.metrics.add("records_lost")
                    else:
                        again.append((replacement, 0))
                else:
                    again.append((record, failures + 1))
                    wait = True
                    log.warning("publish: %s failed (%s), trying again", record.what, _detail(error))
            pending = again
            if pending and wait:
                await self._back_off(delay)
                delay = min(delay * 2, BACKOFF_CAP)


async def _one_each(run: Callable[[list[In]], Awaitable[list[Out]]], items: list[In]) -> list[Out]:
    """``run(items)``, checked to answer once per item (a step that loses track is a failure too)."""
    results = await run(items)
    if len(results) != len(items):
        raise ValueError(f"{len(results)} results for {len(items)} articles")
    return results


def _detail(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"
