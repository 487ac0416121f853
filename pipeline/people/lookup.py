"""The registry's read path: people matching a typed name, one person by id. For ``quotewire people``
and the API.

A typed name is cut into token keys the way speaker names are (``pipeline.index.names``), so any
spelling, script or title finds the person. Every typed key must be one of the person's given keys or
their surname key; the last one may be the start of either (``"blin"`` finds Blinken, as people type).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from elasticsearch import AsyncElasticsearch
from pydantic import BaseModel, ConfigDict

from pipeline.index.names import NameLexicon, default_lexicon, name_keys
from pipeline.models import PERSON_ID_PATTERN
from pipeline.people.registry import call_es, person_from_document
from pipeline.settings import Settings

PERSON_ID = re.compile(PERSON_ID_PATTERN)


def is_person_id(text: str) -> bool:
    return bool(PERSON_ID.match(text.strip()))


class RoleOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class PersonOut(BaseModel):
    """One registry entry as the CLI and the API show it."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str
    kind: str
    role: str | None = None  # the latest role
    country: str | None = None  # the most quoted country
    quote_count: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    aliases: list[str] = []
    roles: list[RoleOut] = []
    countries: dict[str, int] = {}


def person_out(source: dict[str, Any]) -> PersonOut:
    person = person_from_document(source)
    latest = max(person.roles, key=lambda r: (r.last_seen is not None, r.last_seen), default=None)
    return PersonOut(
        person_id=person.person_id,
        name=person.name,
        kind=person.kind,
        role=latest.role if latest else None,
        country=person.countries[0][0] if person.countries else None,
        quote_count=person.quote_count,
        first_seen=person.first_seen,
        last_seen=person.last_seen,
        aliases=sorted(person.aliases),
        roles=[RoleOut(role=r.role, first_seen=r.first_seen, last_seen=r.last_seen) for r in person.roles],
        countries=dict(person.countries),
    )


def people_query(name: str, lexicon: NameLexicon | None = None, kind: str | None = None) -> dict[str, Any]:
    """The registry query for a typed name (pure). ``kind``: "person" or "organisation" to keep one."""
    keys = name_keys(name, lexicon or default_lexicon())
    if not keys:
        raise ValueError(f"name {name!r} has no letters or digits")
    filters: list[dict[str, Any]] = [
        {"term": {"record": "person"}},
        {"bool": {"must_not": [{"exists": {"field": "merged_into"}}]}},  # merged: listed as the full name
    ]
    if kind is not None:
        filters.append({"term": {"kind": kind}})
    for position, key in enumerate(keys):
        should: list[dict[str, Any]] = [{"term": {"surname_key": key}}, {"term": {"given_keys": key}}]
        if position == len(keys) - 1:
            should += [{"prefix": {"surname_key": key}}, {"prefix": {"given_keys": key}}]
        filters.append({"bool": {"should": should, "minimum_should_match": 1}})
    return {"bool": {"filter": filters}}


async def find_people(
    client: AsyncElasticsearch, settings: Settings, name: str, limit: int = 10, kind: str | None = None
) -> list[PersonOut]:
    """People matching ``name``, most quoted first (then most recently seen)."""
    response = await call_es(
        client.search(
            index=settings.people_alias,
            query=people_query(name, kind=kind),
            size=limit,
            sort=[{"quote_count": "desc"}, {"last_seen": {"order": "desc", "missing": "_last"}}, "_doc"],
        )
    )
    return [person_out(hit["_source"]) for hit in response["hits"]["hits"]]


async def get_person(client: AsyncElasticsearch, settings: Settings, person_id: str) -> PersonOut | None:
    """One person by id (real-time), or None."""
    response = await call_es(client.mget(index=settings.people_alias, ids=[person_id]))
    (doc,) = response["docs"]
    source = doc.get("_source") if doc.get("found") else None
    if not source or source.get("record") != "person":
        return None
    return person_out(source)
