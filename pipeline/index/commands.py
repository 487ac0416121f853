"""CLI: ``quotewire setup``, ``search``, ``countries``, ``reindex``. Thin: parse, call
``pipeline.index.search`` / ``schema``, print. Results go to stdout, messages to stderr; a bad argument
is one line on stderr and exit code 2; Elasticsearch trouble is one line and exit code 1."""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

    from pipeline.index.search import QuoteResults
    from pipeline.settings import Settings

T = TypeVar("T")
_MARK = re.compile(r"</?mark>")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _run(work: Callable[[AsyncElasticsearch, Settings], Awaitable[T]]) -> T:
    """Open a client, run one async call, close the client; classify failures into one line."""
    from pydantic import ValidationError

    from pipeline.errors import QuotewireError, TransientError
    from pipeline.index.client import make_async_client
    from pipeline.settings import load_settings

    try:
        settings = load_settings()
    except ValidationError as exc:
        raise _fail(f"settings: {_first_error(exc)}") from None

    async def main() -> T:
        client = make_async_client(settings)
        try:
            return await work(client, settings)
        finally:
            await client.close()

    try:
        return asyncio.run(main())
    except ValidationError as exc:
        raise _fail(_first_error(exc)) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except TransientError as exc:
        raise _fail(str(exc), 1) from None
    except QuotewireError as exc:
        raise _fail(str(exc), 1) from None


def _first_error(exc: Any) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "__root__")
    message = str(error.get("msg", exc)).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def register(app: typer.Typer) -> None:
    # `quotewire setup` (topics + these indices) is registered by pipeline.stream.commands.

    @app.command()
    def search(
        person: Annotated[str | None, typer.Option(help="Speaker: surname, full name, any spelling.")] = None,
        country: Annotated[str | None, typer.Option(help="Speaker country: RU, Russia, russian.")] = None,
        mentioned: Annotated[
            bool, typer.Option("--mentioned", help="Country may also be named in the quote.")
        ] = False,
        text: Annotated[str | None, typer.Option(help="Words in the quote.")] = None,
        since: Annotated[str | None, typer.Option(help="From date (YYYY-MM-DD or ISO time).")] = None,
        until: Annotated[str | None, typer.Option(help="To date, inclusive.")] = None,
        source: Annotated[str | None, typer.Option(help="Source, e.g. Reuters.")] = None,
        kind: Annotated[str | None, typer.Option(help="direct, mixed or indirect.")] = None,
        language: Annotated[str | None, typer.Option(help="Article language: en, de, ru ... (und).")] = None,
        limit: Annotated[int, typer.Option(help="Results per page (1-100).")] = 20,
        offset: Annotated[int, typer.Option(help="Skip this many results.")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
        facets: Annotated[
            bool, typer.Option("--facets", help="Also show top speakers and countries.")
        ] = False,
    ) -> None:
        """Quotes by person, country, words, source, date or kind."""
        from pydantic import ValidationError

        from pipeline.index.queries import QuoteQuery
        from pipeline.index.search import search_quotes

        try:
            query = QuoteQuery.model_validate(
                {
                    "person": person,
                    "country": country,
                    "mentioned": mentioned,
                    "text": text,
                    "since": since,
                    "until": until,
                    "source": source,
                    "kind": kind,
                    "language": language,
                    "limit": limit,
                    "offset": offset,
                    "facets": facets and not as_json,
                }
            )
        except ValidationError as exc:
            raise _fail(_first_error(exc)) from None

        results = _run(lambda client, settings: search_quotes(client, settings, query))
        if as_json:
            for hit in results.hits:
                sys.stdout.write(hit.model_dump_json() + "\n")
            return
        _print_table(results)

    @app.command()
    def countries(
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    ) -> None:
        """Countries with quotes: by their speakers, and naming them."""
        from pipeline.index.search import list_countries

        for item in _run(list_countries):
            if as_json:
                sys.stdout.write(item.model_dump_json() + "\n")
            else:
                name = item.name or "?"
                typer.echo(
                    f"{item.code}  {name:32.32}  {item.quotes:7d} quotes  {item.mentioned:7d} mentions"
                )

    @app.command()
    def reindex(
        kind: Annotated[str, typer.Argument(help="quotes or articles")],
        delete_old: Annotated[
            bool, typer.Option("--delete-old", help="Delete the old index after the alias moved.")
        ] = False,
    ) -> None:
        """Roll out a mapping change: copy into a new index from config/, then move the alias."""
        from pipeline.index.schema import KINDS
        from pipeline.index.schema import reindex as run_reindex

        if kind not in KINDS:
            raise _fail(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        report = _run(lambda client, settings: run_reindex(client, settings, kind, delete_old=delete_old))  # type: ignore[arg-type]
        typer.echo(
            f"{report.alias}: {report.old_index} -> {report.new_index}, {report.copied} copied, "
            f"{report.caught_up} caught up, {report.pruned} pruned"
            + (", old index deleted" if report.deleted_old else "")
        )


def _plain(highlight: str) -> str:
    """A highlight for a terminal: tags to brackets, HTML entities back to characters."""
    return html.unescape(_MARK.sub(lambda m: "]" if m.group().startswith("</") else "[", highlight))


def _print_table(results: QuoteResults) -> None:
    shown = f"{results.offset + 1}-{results.offset + len(results.hits)}" if results.hits else "0"
    noun = "quote" if results.total == 1 else "quotes"
    typer.echo(f"{results.total} {noun} (showing {shown})")
    for hit in results.hits:
        when = hit.published.date().isoformat() if isinstance(hit.published, datetime) else "----------"
        who = hit.speaker.name or hit.speaker.mention or "?"
        tags = ", ".join(x for x in (hit.speaker.role, hit.speaker.country) if x)
        quote = _plain(hit.highlight) if hit.highlight else hit.text
        typer.echo("")
        typer.echo(f"{when}  {who}" + (f" ({tags})" if tags else "") + f"  [{hit.kind}]  {hit.source or ''}")
        typer.echo(f"    {quote}")
        if hit.headline:
            typer.echo(f"    -- {hit.headline}  <{hit.article_id}>")
    if results.facets:
        f = results.facets
        if f.speakers:
            typer.echo("\ntop speakers: " + ", ".join(f"{b.label} ({b.count})" for b in f.speakers))
        if f.countries:
            typer.echo("countries: " + ", ".join(f"{b.key} ({b.count})" for b in f.countries))
