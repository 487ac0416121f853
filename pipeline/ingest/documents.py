"""Input documents (files, stdin) -> articles: the formats ``quotewire feed`` and ``quotewire enrich``
both read, so they accept the same input and report the same reasons.

| suffix | format |
| --- | --- |
| ``.jsonl``, ``.ndjson`` | JSON Lines: one article (or ninjs) object per line |
| ``.json`` | one JSON document: an object, or an array of objects |
| ``.txt``, ``.text`` | plain wire copy: one article, the whole file as its text |
| none (stdin) | sniffed: a JSON document, else JSON Lines if it starts with ``{``, else wire text |

Each input yields ``(origin, Article | BadArticle)``; ``origin`` says where (``file.jsonl:3``,
``file.json[2]``). Folders are walked recursively in name order; files that cannot be articles
(``README.md``) come back with reason ``ignored``, which is not an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pipeline.errors import BadArticle
from pipeline.ingest.decode import decode_object, decode_text
from pipeline.ingest.jsonvalue import load_json
from pipeline.models import Article

JSON_SUFFIXES = frozenset({".json"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
ARTICLE_SUFFIXES = JSON_SUFFIXES | JSONL_SUFFIXES | TEXT_SUFFIXES
# Files a drop folder holds while they are being written, or that editors leave behind.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".swp", "~")
# Not an error: a file in a folder that is not an article (README.md, an image).
IGNORED = "ignored"
STDIN = "-"

Read = tuple[str, Article | BadArticle]


def parse_json_line(line: bytes, origin: str, max_text_chars: int, received: datetime | None = None) -> Read:
    try:
        obj = load_json(line)
    except BadArticle as bad:
        return origin, bad
    return origin, decode_object(obj, max_text_chars, received=received)


def parse_json_lines(
    name: str, data: bytes, max_text_chars: int, received: datetime | None = None
) -> Iterator[Read]:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            yield parse_json_line(line, f"{name}:{number}", max_text_chars, received)


def parse_json_document(
    name: str, data: bytes, max_text_chars: int, received: datetime | None = None
) -> Iterator[Read]:
    try:
        obj = load_json(data)
    except BadArticle as bad:
        yield name, bad
        return
    if isinstance(obj, list):
        for number, item in enumerate(obj, start=1):
            yield f"{name}[{number}]", decode_object(item, max_text_chars, received=received)
    else:
        yield name, decode_object(obj, max_text_chars, received=received)


def parse_wire_text(
    name: str, data: bytes, max_text_chars: int, received: datetime | None = None
) -> Iterator[Read]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield name, BadArticle("not_utf8", f"byte {exc.start} is not UTF-8")
        return
    stem = None if name == STDIN else Path(name).name.split(".")[0]
    yield name, decode_text(text, max_text_chars, name=stem, received=received)


def parse_document(
    name: str, data: bytes, max_text_chars: int, suffix: str = "", received: datetime | None = None
) -> Iterator[Read]:
    """One input document; the format comes from ``suffix``, or is sniffed when there is none."""
    suffix = suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from parse_json_lines(name, data, max_text_chars, received)
    elif suffix in JSON_SUFFIXES:
        yield from parse_json_document(name, data, max_text_chars, received)
    elif suffix in TEXT_SUFFIXES:
        yield from parse_wire_text(name, data, max_text_chars, received)
    elif suffix:
        yield name, BadArticle("unsupported_format", f"{suffix!r} files are not articles (json, jsonl, txt)")
    else:
        yield from _sniffed(name, data, max_text_chars, received)


def _sniffed(name: str, data: bytes, max_text_chars: int, received: datetime | None) -> Iterator[Read]:
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            load_json(data)
        except BadArticle as bad:
            if bad.reason != "not_json":  # not UTF-8 or too deep: no reading makes it an article
                yield name, bad
                return
            if head == b"{":  # not one document: JSON Lines
                yield from parse_json_lines(name, data, max_text_chars, received)
                return
        yield from parse_json_document(name, data, max_text_chars, received)
        return
    yield from parse_wire_text(name, data, max_text_chars, received)


def is_candidate(path: Path) -> bool:
    """A file a drop folder may hold as an article: not hidden, not half-written."""
    return not path.name.startswith(".") and not path.name.endswith(PARTIAL_SUFFIXES)


def folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and is_candidate(p.relative_to(folder)))


def is_article_file(path: Path) -> bool:
    suffix = path.suffix.lower()
    return not suffix or suffix in ARTICLE_SUFFIXES


def parse_path(path: Path, max_text_chars: int, received: datetime | None = None) -> Iterator[Read]:
    """A file, or every file under a folder (recursively, in name order).

    In a folder, files that cannot be articles are reported with reason ``ignored``; a file named
    explicitly must be an article.
    """
    if path.is_dir():
        for file in folder_files(path):
            if is_article_file(file):
                yield from parse_path(file, max_text_chars, received)
            else:
                yield str(file), BadArticle(IGNORED, "not an article file (json, jsonl, txt)")
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield str(path), BadArticle("unreadable", exc.strerror or str(exc))
        return
    yield from parse_document(str(path), data, max_text_chars, path.suffix, received)
