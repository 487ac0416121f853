"""What ``quotewire feed`` sends: input files -> article payloads keyed by article id.

The parsing is pure (bytes in, ``Outgoing`` or ``Skipped`` out) and accepts what a wire feed delivers:

* JSON Lines (``.jsonl``/``.ndjson``), one article per line;
* a JSON document (``.json``): one article object, or an array of them;
* IPTC **ninjs** objects (``uri``/``guid`` -> id, ``headline``, ``body_text`` or ``body_html`` (tags
  stripped), ``versioncreated`` -> version, ``firstcreated`` -> published, ``copyrightholder`` -> source);
* plain-text wire copy (``.txt``, the seed's format): the whole file is the text, the id is the file
  name, the date comes from its ``date YYYY-MM-DD`` header and the source from its dateline;
* folders of these (recursively, in name order).

Every payload is checked with the worker's own decoder before it is sent, so bad input is reported
here with the same reason codes the dead-letter topic uses, and everything else is still sent. Dates
are normalised to ISO 8601 with a time zone (naive wire dates are taken as UTC).

``DropFolder`` is the pure half of ``--follow``: it decides which files in a polled listing are new
and complete. The Kafka producer shell is ``send_all`` at the bottom.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from hashlib import sha256
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import BadArticle
from pipeline.ingest.jsonvalue import load_json, short
from pipeline.models import parse_when
from pipeline.nlp.normalize import parse_wire_header
from pipeline.stream.decode import decode_article

if TYPE_CHECKING:
    from pipeline.settings import Settings

JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
# Files a drop folder holds while they are being written, or that editors leave behind.
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".swp", "~")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One article ready to produce: key = article id (one article's versions stay in order)."""

    key: str
    value: bytes
    origin: str


# The reason given to non-article files found in a folder: reported, but not an error.
IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Skipped:
    """Input that was not sent, where it was, and why (a decode reason code or ``unsupported_format``)."""

    origin: str
    reason: str
    detail: str


FeedResult = Outgoing | Skipped


# --------------------------------------------------------------------------------------------
# Payloads
# --------------------------------------------------------------------------------------------


def is_ninjs(obj: Mapping[str, Any]) -> bool:
    return (
        "text" not in obj
        and "body" not in obj
        and any(k in obj for k in ("uri", "guid", "body_text", "body_html", "versioncreated"))
    )


def article_payload(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An article or ninjs object -> the ``Article`` JSON fields. Raises ValueError for unreadable dates.

    Fields the contract does not know (``dateline``, ``wire``, ninjs ``subject`` ...) are dropped.
    """
    if is_ninjs(obj):
        body = obj.get("body_text")
        if body is None and isinstance(obj.get("body_html"), str):
            body = strip_html(obj["body_html"])
        payload: dict[str, Any] = {
            "id": obj.get("uri") or obj.get("guid"),
            "text": body,
            "headline": obj.get("headline"),
            "published": parse_when(obj.get("firstcreated")),
            "version": parse_when(obj.get("versioncreated")),
            "source": obj.get("copyrightholder") or obj.get("source"),
            "url": _ninjs_url(obj),
        }
    else:
        payload = {
            "id": obj.get("id"),
            "text": obj.get("text", obj.get("body")),
            "headline": obj.get("headline"),
            "published": parse_when(obj.get("published")),
            "version": parse_when(obj.get("version")),
            "source": obj.get("source"),
            "url": obj.get("url"),
        }
    return {k: v for k, v in payload.items() if v is not None}


def _ninjs_url(obj: Mapping[str, Any]) -> str | None:
    for link in obj.get("links") or ():
        if isinstance(link, dict) and link.get("rel") in ("canonical", "self") and link.get("href"):
            return str(link["href"])
    uri = obj.get("uri")
    return uri if isinstance(uri, str) and uri.startswith(("http://", "https://")) else None


class _TextOfHtml(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(html: str) -> str:
    """ninjs ``body_html`` -> plain text, block elements as paragraph breaks."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def wire_text_payload(article_id: str, text: str) -> dict[str, Any]:
    """Plain wire copy: the whole text as received (offsets stay true), date and agency from its header."""
    header = parse_wire_header(text)
    payload: dict[str, Any] = {"id": article_id, "text": text}
    if header.published is not None:
        payload["published"] = datetime.combine(header.published, time(0, 0), UTC).isoformat()
    if header.agency:
        payload["source"] = header.agency
    return payload


# --------------------------------------------------------------------------------------------
# Documents and files
# --------------------------------------------------------------------------------------------


def checked(payload: Mapping[str, Any] | BadArticle, origin: str, max_text_chars: int) -> FeedResult:
    """Run the worker's decoder over a payload: what it would dead-letter is skipped here instead."""
    if isinstance(payload, BadArticle):
        return Skipped(origin, payload.reason, payload.detail)
    value = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    decoded = decode_article(value, max_text_chars)
    if isinstance(decoded, BadArticle):
        return Skipped(origin, decoded.reason, decoded.detail)
    return Outgoing(decoded.id, value, origin)


def _object_payload(obj: Any) -> dict[str, Any] | BadArticle:
    if not isinstance(obj, dict):
        return BadArticle("not_an_object", f"a JSON {type(obj).__name__}, not an object")
    try:
        return article_payload(obj)
    except (ValueError, TypeError, AttributeError) as exc:  # an unreadable date; ninjs links not a list
        return BadArticle("wrong_type", short(str(exc)))


def parse_json_line(line: bytes, origin: str, max_text_chars: int) -> FeedResult:
    try:
        obj = load_json(line)
    except BadArticle as bad:
        return Skipped(origin, bad.reason, bad.detail)
    return checked(_object_payload(obj), origin, max_text_chars)


def parse_json_lines(name: str, data: bytes, max_text_chars: int) -> Iterator[FeedResult]:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            yield parse_json_line(line, f"{name}:{number}", max_text_chars)


def parse_json_document(name: str, data: bytes, max_text_chars: int) -> Iterator[FeedResult]:
    try:
        obj = load_json(data)
    except BadArticle as bad:
        yield Skipped(name, bad.reason, bad.detail)
        return
    if isinstance(obj, list):
        for number, item in enumerate(obj, start=1):
            yield checked(_object_payload(item), f"{name}[{number}]", max_text_chars)
    else:
        yield checked(_object_payload(obj), name, max_text_chars)


def parse_wire_text(name: str, article_id: str, data: bytes, max_text_chars: int) -> Iterator[FeedResult]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield Skipped(name, "not_utf8", f"byte {exc.start} is not UTF-8")
        return
    yield checked(wire_text_payload(article_id, text), name, max_text_chars)


def parse_document(name: str, data: bytes, max_text_chars: int, suffix: str = "") -> Iterator[FeedResult]:
    """One input document; the format comes from ``suffix``, or is sniffed when there is none."""
    suffix = suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from parse_json_lines(name, data, max_text_chars)
    elif suffix in JSON_SUFFIXES:
        yield from parse_json_document(name, data, max_text_chars)
    elif suffix in TEXT_SUFFIXES:
        yield from parse_wire_text(name, Path(name).stem, data, max_text_chars)
    elif suffix:
        yield Skipped(name, "unsupported_format", f"{suffix!r} files are not articles (json, jsonl, txt)")
    else:
        yield from _sniffed(name, data, max_text_chars)


def _sniffed(name: str, data: bytes, max_text_chars: int) -> Iterator[FeedResult]:
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            load_json(data)
        except BadArticle as bad:
            if bad.reason != "not_json":  # not UTF-8 or too deep: no reading makes it an article
                yield Skipped(name, bad.reason, bad.detail)
                return
            # Not one document: JSON Lines if it looks like objects, else a broken JSON document.
            if head == b"{":
                yield from parse_json_lines(name, data, max_text_chars)
                return
        yield from parse_json_document(name, data, max_text_chars)
        return
    article_id = Path(name).stem if name != "-" else f"stdin-{sha256(data).hexdigest()[:16]}"
    yield from parse_wire_text(name, article_id, data, max_text_chars)


def is_candidate(path: Path) -> bool:
    """A file a drop folder may hold as an article: not hidden, not half-written."""
    return not path.name.startswith(".") and not path.name.endswith(_PARTIAL_SUFFIXES)


def folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and is_candidate(p.relative_to(folder)))


def is_article_file(path: Path) -> bool:
    suffix = path.suffix.lower()
    return not suffix or suffix in JSON_SUFFIXES | JSONL_SUFFIXES | TEXT_SUFFIXES


def parse_path(path: Path, max_text_chars: int) -> Iterator[FeedResult]:
    """A file, or every file under a folder (recursively, in name order).

    In a folder, files that cannot be articles (``README.md``, images) are reported with reason
    ``ignored``, which is not an error; a file named explicitly must be an article.
    """
    if path.is_dir():
        for file in folder_files(path):
            if is_article_file(file):
                yield from parse_path(file, max_text_chars)
            else:
                yield Skipped(str(file), IGNORED, "not an article file (json, jsonl, txt)")
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Skipped(str(path), "unreadable", exc.strerror or str(exc))
        return
    yield from parse_document(str(path), data, max_text_chars, path.suffix)


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


@dataclass(slots=True)
class FeedSummary:
    sent: int = 0
    skipped: list[Skipped] = field(default_factory=list)

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
    )
    await producer.start()
    pending: list[asyncio.Future[Any]] = []
    try:
        async for result in _aiter(results):
            if isinstance(result, Outgoing):
                fut = await producer.send(
                    topic or settings.topic_raw, result.value, key=result.key.encode("utf-8")
                )
                pending.append(fut)
                summary.sent += 1
            else:
                summary.skipped.append(result)
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
