"""``quotewire enrich [FILE|-]``: articles in, enriched JSON out.

Input: every format ``quotewire feed`` reads (``pipeline.ingest``: JSON Lines, a JSON object or array,
IPTC ninjs, plain wire text), read by the same code, so a file either command accepts the other does
too, with the same ids, dates and sources.

One JSON line per article on stdout. A bad input gets a one-line error on stderr (``origin: reason:
detail``, e.g. ``in.jsonl:2: not_json: ...``);
the other lines are still processed, and the exit code is 1 at the end.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

if TYPE_CHECKING:
    from pipeline.errors import BadArticle
    from pipeline.models import Article


def register(app: typer.Typer) -> None:
    app.command("enrich")(enrich_command)


def enrich_command(
    source: Annotated[
        str, typer.Argument(help="A JSON Lines/JSON/ninjs file, a plain-text article, or - for stdin.")
    ] = "-",
    batch_size: Annotated[int, typer.Option(min=1, help="Articles per spaCy batch.")] = 32,
) -> None:
    """Enrich articles: entities, quotes with speakers, roles and countries (one JSON line each)."""
    if source != "-" and not Path(source).is_file():
        typer.echo(f"enrich: no such file: {source}", err=True)
        raise typer.Exit(2)
    from pipeline.enrich import Enricher
    from pipeline.settings import load_settings

    settings = load_settings()
    try:
        enricher = Enricher.load(settings)
    except OSError as exc:
        typer.echo(f"enrich: cannot load spaCy model {settings.spacy_model!r}: {exc}", err=True)
        raise typer.Exit(1) from None
    failures = 0
    batch: list[Article] = []
    out = sys.stdout

    def flush() -> None:
        for enriched in enricher.enrich_many(batch, batch_size):
            out.write(enriched.model_dump_json() + "\n")
        out.flush()
        batch.clear()

    handle: BinaryIO = sys.stdin.buffer if source == "-" else Path(source).open("rb")  # noqa: SIM115
    try:
        for item in read_articles(handle, source, settings.max_text_chars, Path(source).suffix):
            if isinstance(item, str):
                failures += 1
                typer.echo(f"enrich: {item}", err=True)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    if failures:
        typer.echo(f"enrich: {failures} input(s) rejected", err=True)
        raise typer.Exit(1)


def read_articles(stream: BinaryIO, name: str, max_chars: int, suffix: str = "") -> Iterator[Article | str]:
    """Articles from one input, read by ``pipeline.ingest`` exactly as ``feed`` and the worker read them.

    JSON Lines (``.jsonl``, or sniffed: a first line that is a whole JSON object) is read line by line
    as it arrives; anything else (a JSON document or array, ninjs, plain wire text) is read whole. A
    string in the output is an error line (``origin: reason: detail``).
    """
    from pipeline.errors import BadArticle
    from pipeline.ingest import documents
    from pipeline.ingest.jsonvalue import load_json

    suffix = suffix.lower()
    first = b""
    if suffix in ("", *documents.JSONL_SUFFIXES):
        first = stream.readline()
        while first and not first.strip():
            first = stream.readline()
        jsonl = suffix in documents.JSONL_SUFFIXES
        if not jsonl and first.lstrip().startswith(b"{"):
            try:
                jsonl = isinstance(load_json(first), dict)
            except BadArticle:
                jsonl = False  # a pretty-printed document: read whole below
        if jsonl:
            for number, line in enumerate(_chain(first, stream), start=1):
                if line.strip():
                    yield _item(documents.parse_json_line(line, f"{name}:{number}", max_chars))
            return
    data = first + stream.read()
    if not data.strip():
        return
    for read in documents.parse_document(name, data, max_chars, suffix):
        yield _item(read)


def _item(read: tuple[str, Article | BadArticle]) -> Article | str:
    from pipeline.models import Article

    origin, decoded = read
    if isinstance(decoded, Article):
        return decoded
    return f"{origin}: {decoded.reason}: {decoded.detail}"


def _chain(first: bytes, stream: BinaryIO) -> Iterator[bytes]:
    yield first
    yield from stream
