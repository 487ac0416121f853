"""CLI: ``quotewire people NAME`` -- who a name may be, from the people registry."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.index.commands import _fail, _run

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

    from pipeline.people.lookup import PersonOut
    from pipeline.settings import Settings

# What one line of `quotewire people --json` holds.
_PERSON_LINE = {"person_id", "name", "kind", "role", "country", "quote_count", "last_seen"}


def register(app: typer.Typer) -> None:
    @app.command()
    def people(
        name: Annotated[str, typer.Argument(help="A name or its start, any spelling: 'blin', 'antony b'.")],
        limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
        kind: Annotated[
            str | None, typer.Option(help="Only 'person' or 'organisation' entries of the registry.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    ) -> None:
        """People matching NAME in the people registry: name, role, country, quote count, last seen.
        Speakers indexed before the registry existed are listed by name (no person id) when it has none."""
        from pipeline.index.search import suggest_people
        from pipeline.people.lookup import PersonOut, find_people

        if kind is not None and kind not in ("person", "organisation"):
            raise _fail(f"kind must be person or organisation, not {kind!r}")

        async def lookup(client: AsyncElasticsearch, settings: Settings) -> list[PersonOut]:
            found = await find_people(client, settings, name, limit, kind)
            if found or kind is not None:
                return found
            return [
                PersonOut(
                    person_id="",
                    name=s.name,
                    kind="person",
                    role=s.role,
                    country=s.country,
                    quote_count=s.count,
                )
                for s in await suggest_people(client, settings, name, limit)
            ]

        found = _run(lookup)
        for person in found:
            if as_json:
                sys.stdout.write(person.model_dump_json(include=_PERSON_LINE) + "\n")
            else:
                extra = ", ".join(x for x in (person.role, person.country) if x)
                seen = f"  last seen {person.last_seen:%Y-%m-%d}" if person.last_seen else ""
                ident = f"  [{person.person_id}]" if person.person_id else ""
                typer.echo(
                    f"{person.quote_count:6d}  {person.name}"
                    + (f"  ({extra})" if extra else "")
                    + seen
                    + ident
                )
        if not found and not as_json:
            typer.echo("no people found", err=True)
