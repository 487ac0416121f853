"""``quotewire enrich [FILE|-]``: articles in (JSON Lines or a plain-text wire story), enriched JSON out.

JSON Lines: one ``{"id", "text"}`` object per line (``body`` is accepted for ``text``; optional
``headline``, ``published``, ``source``, ``url``). Anything else is read as one plain-text article whose
id is the file name without its extension (the seed's format: ``date YYYY-MM-DD`` header, desk tag).

One JSON line per article on stdout. A bad line gets a one-line error on stderr (``line N: reason``);
the other lines are still processed, and the exit code is 1 at the end.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

if TYPE_CHECKING:
    from pipeline.models import Article


def register(app: typer.Typer) -> None:
    app.command("enrich")(enrich_command)


def enrich_command(
    source: Annotated[
        str, typer.Argument(help="A JSON Lines file, a plain-text article, or - for stdin.")
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

    handle: TextIO = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    try:
        for item in read_articles(handle, _stem(source), settings.max_text_chars):
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
        if handle is not sys.stdin:
            handle.close()
    if failures:
        typer.echo(f"enrich: {failures} input(s) rejected", err=True)
        raise typer.Exit(1)


def _stem(source: str) -> str:
    return "stdin" if source == "-" else Path(source).stem


def read_articles(handle: TextIO, default_id: str, max_chars: int) -> Iterator[Article | str]:
    """Articles from JSON Lines, one JSON object (an article or IPTC ninjs), or one plain-text article.

    A string in the output is a per-line error message. Lines are decoded exactly as the stream worker
    decodes Kafka messages (``pipeline.stream.decode``), so the reasons match the dead-letter topic's.
    """
    import json

    from pipeline.errors import BadArticle
    from pipeline.ingest.jsonvalue import load_json

    first = handle.readline()
    while first and not first.strip():
        first = handle.readline()
    if not first:
        return
    if not first.lstrip().startswith("{"):
        text = first + handle.read()
        yield _decode(json.dumps({"id": default_id, "text": text}), "file", max_chars)
        return
    try:
        load_json(first)
    except BadArticle:
        # not one object per line: a single (pretty-printed) JSON object
        yield _decode(first + handle.read(), "file", max_chars)
        return
    for line_no, line in enumerate(_chain(first, handle), start=1):
        if line.strip():
            yield _decode(line, f"line {line_no}", max_chars)


def _decode(raw: str, where: str, max_chars: int) -> Article | str:
    import json

    from pipeline.errors import BadArticle
    from pipeline.ingest.jsonvalue import load_json
    from pipeline.stream.decode import decode_article
    from pipeline.stream.feed import article_payload, is_ninjs

    try:
        obj = load_json(raw)
    except BadArticle:
        obj = None  # decode_article below says why
    if isinstance(obj, dict) and is_ninjs(obj):
        try:
            raw = json.dumps(article_payload(obj))
        except (ValueError, TypeError, AttributeError) as exc:
            return f"{where}: wrong_type: {exc}"
    result = decode_article(raw.encode("utf-8"), max_chars)
    if isinstance(result, BadArticle):
        return f"{where}: {result.reason}: {result.detail}"
    return result


def _chain(first: str, handle: TextIO) -> Iterator[str]:
    yield first
    yield from handle
