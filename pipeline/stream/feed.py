"""What ``quotewire feed`` sends: input files -> article messages keyed by article id.

The formats and their decoding live in ``pipeline.ingest`` (one home, shared with ``quotewire enrich``
and the worker): every input is decoded there exactly as the worker would decode it, so what the worker
would dead-letter is reported here with the same reason codes, and everything else is sent as the
``Article`` contract's JSON (dates in ISO 8601, language detected, ``received`` set), with the headers
``content-type: application/json`` and ``contract: quotewire.article/1``.

``FeedSummary`` also says which input replaced which: two inputs with the same article id in one run
are two versions of one story (the later one supersedes), or a collision worth seeing.

``DropFolder`` is the pure half of ``--follow``: it decides which files in a polled listing are new
and complete. The Kafka producer shell is ``send_all`` at the bottom.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import BadArticle
from pipeline.ingest import documents
from pipeline.ingest.contracts import ARTICLE_CONTRACT, headers_for
from pipeline.ingest.documents import IGNORED, Read, folder_files

if TYPE_CHECKING:
    from pipeline.settings import Settings

__all__ = ["IGNORED", "DropFolder", "FeedSummary", "Outgoing", "Skipped", "folder_files"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One article ready to produce: key = article id (one article's versions stay in order)."""

    key: str
    value: bytes
    origin: str
    headers: tuple[tuple[str, bytes], ...] = tuple(headers_for(ARTICLE_CONTRACT))


@dataclass(frozen=True, slots=True)
class Skipped:
    """Input that was not sent, where it was, and why (a decode reason code or ``unsupported_format``)."""

    origin: str
    reason: str
    detail: str


FeedResult = Outgoing | Skipped


def to_result(read: Read) -> FeedResult:
    origin, decoded = read
    if isinstance(decoded, BadArticle):
        return Skipped(origin, decoded.reason, decoded.detail)
    value = decoded.model_dump_json(exclude_none=True).encode("utf-8")
    return Outgoing(decoded.id, value, origin)


def parse_json_line(line: bytes, origin: str, max_text_chars: int) -> FeedResult:
    return to_result(documents.parse_json_line(line, origin, max_text_chars, datetime.now(UTC)))


def parse_document(name: str, data: bytes, max_text_chars: int, suffix: str = "") -> Iterator[FeedResult]:
    for read in documents.parse_document(name, data, max_text_chars, suffix, datetime.now(UTC)):
        yield to_result(read)


def parse_path(path: Path, max_text_chars: int) -> Iterator[FeedResult]:
    for read in documents.parse_path(path, max_text_chars, datetime.now(UTC)):
        yield to_result(read)


# --------------------------------------------------------------------------------------------
# --follow on a folder: which files are new and complete
# --------------------------------------------------------------------------------------------

Stamp = tuple[int, int]  # (mtime_ns, size)


@dataclass(slots=True)
class DropFolder:
    """Pure state of a watched drop folder.

    A file is sent once its size and mtime have not changed between two polls (wire systems write
    files progressively); a file that changes after it was sent (a corrected story saved over the old
    one) is sent again. Files already sent before watching began are passed in as ``sent``.
    """

    sent: dict[Path, Stamp] = field(default_factory=dict)
    _pending: dict[Path, Stamp] = field(default_factory=dict)

    def ready(self, listing: Mapping[Path, Stamp]) -> list[Path]:
        out: list[Path] = []
        for path in sorted(listing):
            stamp = listing[path]
            if self.sent.get(path) == stamp:
                continue
            if self._pending.get(path) == stamp:
                out.append(path)
                self.sent[path] = stamp
                del self._pending[path]
            else:
                self._pending[path] = stamp
        for gone in set(self._pending) - set(listing):
            del self._pending[gone]
        return out


def listing_of(folder: Path) -> dict[Path, Stamp]:
    out: dict[Path, Stamp] = {}
    for path in folder_files(folder):
        try:
            st = path.stat()
        except OSError:  # removed between listing and stat: it will simply not be seen
            continue
        out[path] = (st.st_mtime_ns, st.st_size)
    return out


# --------------------------------------------------------------------------------------------
# Producer shell
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replaced:
    """Two inputs of one run with the same article id: ``origin`` is sent after ``previous``."""

    article_id: str
    origin: str
    previous: str


@dataclass(slots=True)
class FeedSummary:
    sent: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    replaced: list[Replaced] = field(default_factory=list)
    _origins: dict[str, str] = field(default_factory=dict)

    def add(self, result: FeedResult) -> None:
        if isinstance(result, Skipped):
            self.skipped.append(result)
            return
        self.sent += 1
        previous = self._origins.get(result.key)
        if previous is not None and previous != result.origin:
            self.replaced.append(Replaced(result.key, result.origin, previous))
        self._origins[result.key] = result.origin

    @property
    def errors(self) -> list[Skipped]:
        """Input that should have been an article and was not (``ignored`` files are not errors)."""
        return [s for s in self.skipped if s.reason != IGNORED]


async def send_all(
    settings: Settings,
    results: AsyncIterator[FeedResult] | Iterable[FeedResult],
    summary: FeedSummary,
    on_result: Callable[[FeedResult], None] | None = None,
    topic: str | None = None,
) -> FeedSummary:
    """Produce every ``Outgoing`` to the raw topic (acks=all, idempotent, key = article id)."""
    from aiokafka import AIOKafkaProducer

    from pipeline.kafka_clients import kafka_client_kwargs

    producer = AIOKafkaProducer(
        **kafka_client_kwargs(settings),
        # Every in-sync replica has the article before it counts as sent; idempotence keeps a
        # retried send from duplicating it or reordering an article's versions.
        acks="all",
        enable_idempotence=True,
        linger_ms=20,  # small batches: a folder of files goes out in a few requests
        # The topics' record limit as the settings name it (pipeline/stream/sizes.py).
        max_request_size=settings.kafka_max_request_size,
    )
    await producer.start()
    pending: list[asyncio.Future[Any]] = []
    try:
        async for result in _aiter(results):
            if isinstance(result, Outgoing):
                fut = await producer.send(
                    topic or settings.topic_raw,
                    result.value,
                    key=result.key.encode("utf-8"),
                    headers=list(result.headers),
                )
                pending.append(fut)
            summary.add(result)
            if on_result is not None:
                on_result(result)
            if len(pending) >= 500:  # bound memory; also surfaces a delivery failure early
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        await producer.flush()
    finally:
        await producer.stop()
    return summary


async def _aiter(items: AsyncIterator[FeedResult] | Iterable[FeedResult]) -> AsyncIterator[FeedResult]:
    if isinstance(items, AsyncIterator):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
