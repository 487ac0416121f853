"""The people registry in Elasticsearch: read candidates, link a batch, write back, all concurrency-safe.

``await PeopleRegistry(client, settings).link(batch)`` is called by the worker just before the batch is
indexed; it returns the batch with ``speaker.person_id`` (and ``country_source="person"`` where the
person lends a country) set.

* **Reads are real-time.** Candidates come from ``mget`` (which sees writes before a refresh), never from
  a search: the surname directory record (``record: surname``, one per kind and surname key, listing
  person ids) and then the people it lists. A person founded one batch earlier, by this worker or
  another, is always seen.
* **Writes use optimistic concurrency.** Every record is written with ``if_seq_no``/``if_primary_term``
  from its read (``create`` for a new one). A 409 means another worker wrote it meanwhile: the record is
  read again, joined with ours and written again (``MAX_CONFLICT_ROUNDS`` rounds, then
  ``TransientError`` and the batch is retried). The join is a lattice join (unions, earliest first seen,
  latest last seen), so it does not matter which worker wins or how often a batch is replayed.
* **Counts are recounted, not incremented.** A person's quote count and country counts are what the
  quotes index holds for them outside this batch's articles plus this batch's quotes, so redelivering a
  batch does not count it twice. The index side sees refreshed quotes only, so a count may trail by a
  second's worth of another worker's writes until the person's next quote.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout as EsConnectionTimeout
from elasticsearch.exceptions import ApiError
from elasticsearch.helpers import async_scan

from pipeline.errors import TransientError
from pipeline.index.names import NameLexicon, default_lexicon
from pipeline.models import EnrichedArticle
from pipeline.people.linking import (
    Directory,
    LinkedBatch,
    Person,
    PersonKind,
    RoleSpan,
    link_batch,
    mention_of,
    sorted_countries,
    surname_doc_id,
)
from pipeline.settings import Settings

log = logging.getLogger(__name__)

# Rounds of read-join-write after optimistic-concurrency conflicts before the batch is retried whole:
# two workers collide on a record only when they quote the same person in the same second.
MAX_CONFLICT_ROUNDS = 5
_SOURCE_FIELD = "speaker.country_source"
_COUNTRIES_PER_PERSON = 50  # countries kept per person: far more than anyone is tied to


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def person_document(person: Person, now: datetime) -> dict[str, Any]:
    return {
        "record": "person",
        "person_id": person.person_id,
        "kind": person.kind,
        "name": person.name,
        "name_key": person.name_key,
        "surname_key": person.surname_key,
        "given_keys": list(person.given_keys),
        "aliases": sorted(person.aliases),
        "alias_keys": sorted({person.name_key}),
        "roles": [
            {"role": r.role, "first_seen": _iso(r.first_seen), "last_seen": _iso(r.last_seen)}
            for r in person.roles
        ],
        "countries": [{"country": c, "count": n} for c, n in person.countries[:_COUNTRIES_PER_PERSON]],
        "organisations": sorted(person.organisations),
        "first_seen": _iso(person.first_seen),
        "last_seen": _iso(person.last_seen),
        "quote_count": person.quote_count,
        "merged_into": person.merged_into,
        "updated_at": _iso(now),
    }


def person_from_document(source: Mapping[str, Any]) -> Person:
    kind: PersonKind = "organisation" if source.get("kind") == "organisation" else "person"
    return Person(
        person_id=str(source["person_id"]),
        kind=kind,
        name=str(source.get("name") or ""),
        name_key=str(source.get("name_key") or ""),
        surname_key=str(source.get("surname_key") or ""),
        given_keys=tuple(source.get("given_keys") or ()),
        aliases=frozenset(source.get("aliases") or ()),
        roles=tuple(
            RoleSpan(str(r["role"]), _date(r.get("first_seen")), _date(r.get("last_seen")))
            for r in source.get("roles") or ()
        ),
        countries=sorted_countries(
            {str(c["country"]): int(c["count"]) for c in source.get("countries") or ()}
        ),
        organisations=frozenset(source.get("organisations") or ()),
        first_seen=_date(source.get("first_seen")),
        last_seen=_date(source.get("last_seen")),
        quote_count=int(source.get("quote_count") or 0),
        merged_into=source.get("merged_into") or None,
    )


def join(a: Person, b: Person) -> Person:
    """Both views of one person in one: unions, earliest first, latest last, the larger counts. Commutative,
    associative and idempotent, so concurrent writers and replays converge on the same record."""
    roles: dict[str, RoleSpan] = {}
    for r in (*a.roles, *b.roles):
        key = r.role.lower()
        old = roles.get(key)
        if old is None:
            roles[key] = r
        else:
            roles[key] = RoleSpan(
                min(old.role, r.role), _min(old.first_seen, r.first_seen), _max(old.last_seen, r.last_seen)
            )
    countries = dict(a.countries)
    for code, n in b.countries:
        countries[code] = max(countries.get(code, 0), n)
    # The fuller name wins; between equals, the alphabetically first (so the order of writers is moot).
    name = min((a.name, b.name), key=lambda n: (-len(n.split()), -len(n), n))
    return Person(
        person_id=a.person_id,
        kind=a.kind,
        name=name,
        name_key=a.name_key,
        surname_key=a.surname_key,
        given_keys=a.given_keys,
        aliases=a.aliases | b.aliases,
        roles=tuple(sorted(roles.values(), key=lambda r: (r.first_seen is None, r.first_seen, r.role))),
        countries=sorted_countries(countries),
        organisations=a.organisations | b.organisations,
        first_seen=_min(a.first_seen, b.first_seen),
        last_seen=_max(a.last_seen, b.last_seen),
        quote_count=max(a.quote_count, b.quote_count),
        # Set once; should two writers ever disagree, the same one wins in both.
        merged_into=min(filter(None, (a.merged_into, b.merged_into)), default=None),
    )


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


class _Versions:
    """``(seq_no, primary_term)`` per record id as last read; absent = not in the index (create it)."""

    def __init__(self) -> None:
        self.of: dict[str, tuple[int, int]] = {}

    def note(self, doc: Mapping[str, Any]) -> None:
        if doc.get("found"):
            self.of[str(doc["_id"])] = (int(doc["_seq_no"]), int(doc["_primary_term"]))


class PeopleRegistry:
    def __init__(
        self, client: AsyncElasticsearch, settings: Settings, lexicon: NameLexicon | None = None
    ) -> None:
        self.client = client
        self.alias = settings.people_alias
        self.quotes_alias = settings.quotes_alias
        self.lexicon = lexicon or default_lexicon()

    async def link(self, batch: Sequence[EnrichedArticle]) -> LinkedBatch:
        """Link the batch's speakers and record what the batch taught about each person."""
        keys: set[tuple[PersonKind, str]] = set()
        for article in batch:
            for quote in article.quotes:
                mention = mention_of(quote.speaker, None, self.lexicon)
                if mention is not None:
                    keys.add((mention.kind, mention.surname_key))
        if not keys:
            return LinkedBatch(list(batch), {}, {})
        versions = _Versions()
        directory = await self._read(sorted(keys), versions)
        before = {(k, s): set(ids) for (k, s), ids in directory.surnames.items()}
        linked = link_batch(batch, directory, self.lexicon)
        await self._recount(directory, linked, batch)
        await self._write(directory, before, versions)
        if linked.merges:
            await self._relink_quotes(linked.merges)
        return linked

    # --- reading -----------------------------------------------------------------------------------

    async def _read(self, keys: Sequence[tuple[PersonKind, str]], versions: _Versions) -> Directory:
        directory = Directory()
        surname_ids = {surname_doc_id(kind, key): (kind, key) for kind, key in keys}
        docs = await self._mget(list(surname_ids), versions)
        person_ids: set[str] = set()
        for doc_id, source in docs.items():
            ids = set(source.get("person_ids") or ())
            directory.surnames[surname_ids[doc_id]] = ids
            person_ids |= ids
        for source in (await self._mget(sorted(person_ids), versions)).values():
            directory.add(person_from_document(source))
        return directory

    async def _mget(self, ids: list[str], versions: _Versions) -> dict[str, Mapping[str, Any]]:
        if not ids:
            return {}
        response = await call_es(self.client.mget(index=self.alias, ids=ids))
        found: dict[str, Mapping[str, Any]] = {}
        for doc in response.get("docs", []):
            if doc.get("error"):
                raise TransientError(f"reading {self.alias} failed: {doc['error']}")
            versions.note(doc)
            if doc.get("found"):
                found[str(doc["_id"])] = doc.get("_source") or {}
        return found

    # --- counting ----------------------------------------------------------------------------------

    async def _recount(
        self, directory: Directory, linked: LinkedBatch, batch: Sequence[EnrichedArticle]
    ) -> None:
        """Counts = the quotes index outside this batch's articles + this batch (idempotent on replay)."""
        # A merged surname-only person's quotes count for the full-named person they turned out to be.
        owner = {pid: pid for pid in linked.contributions} | dict(linked.merges)
        ids = sorted(owner)
        if not ids:
            return
        response = await call_es(
            self.client.search(
                index=self.quotes_alias,
                size=0,
                query={
                    "bool": {
                        "filter": [{"terms": {"speaker.person_id": ids}}],
                        "must_not": [{"terms": {"article_id": sorted({a.id for a in batch})}}],
                    }
                },
                aggs={
                    "people": {
                        "terms": {"field": "speaker.person_id", "size": len(ids)},
                        "aggs": {
                            "evidence": {
                                "filter": {
                                    "bool": {"must_not": [{"term": {"speaker.country_source": "person"}}]}
                                },
                                "aggs": {
                                    "countries": {
                                        "terms": {"field": "speaker.country", "size": _COUNTRIES_PER_PERSON}
                                    }
                                },
                            }
                        },
                    }
                },
            )
        )
        indexed: dict[str, tuple[int, dict[str, int]]] = {}
        for bucket in response["aggregations"]["people"]["buckets"]:
            target = owner[str(bucket["key"])]
            count, countries = indexed.get(target, (0, {}))
            for b in bucket["evidence"]["countries"]["buckets"]:
                countries[b["key"]] = countries.get(b["key"], 0) + int(b["doc_count"])
            indexed[target] = (count + int(bucket["doc_count"]), countries)
        for person_id, contributions in linked.contributions.items():
            count, countries = indexed.get(person_id, (0, {}))
            countries = dict(countries)
            for c in contributions:
                if c.country:
                    countries[c.country] = countries.get(c.country, 0) + 1
            person = directory.people[person_id]
            directory.people[person_id] = replace(
                person, quote_count=count + len(contributions), countries=sorted_countries(countries)
            )

    # --- writing -----------------------------------------------------------------------------------

    async def _write(
        self,
        directory: Directory,
        before: Mapping[tuple[PersonKind, str], set[str]],
        versions: _Versions,
    ) -> None:
        now = datetime.now(UTC)
        people = {pid: directory.people[pid] for pid in directory.touched}
        surnames = {
            surname_doc_id(kind, key): (kind, key, ids)
            for (kind, key), ids in directory.surnames.items()
            if ids != before.get((kind, key), set())
        }
        for _round in range(MAX_CONFLICT_ROUNDS):
            if not people and not surnames:
                return
            operations: list[dict[str, Any]] = []
            order: list[str] = []
            for pid, person in sorted(people.items()):
                operations += [self._op(pid, versions), person_document(person, now)]
                order.append(pid)
            for doc_id, (kind, key, ids) in sorted(surnames.items()):
                source = {"record": "surname", "kind": kind, "surname_key": key, "person_ids": sorted(ids)}
                operations += [self._op(doc_id, versions), source]
                order.append(doc_id)
            response = await call_es(self.client.bulk(operations=operations, require_alias=True))
            conflicted: list[str] = []
            for doc_id, item in zip(order, response["items"], strict=True):
                (body,) = item.values()
                status = int(body.get("status", 500))
                if status == 409:
                    conflicted.append(doc_id)
                elif status >= 300:
                    raise TransientError(
                        f"writing {self.alias} {doc_id} failed: HTTP {status} {body.get('error')}"
                    )
            if not conflicted:
                return
            log.debug("people registry: %d write conflicts, joining and retrying", len(conflicted))
            current = await self._mget(conflicted, versions)
            people = {
                pid: join(person, person_from_document(current[pid])) if pid in current else person
                for pid, person in people.items()
                if pid in conflicted
            }
            surnames = {
                doc_id: (kind, key, ids | set(current.get(doc_id, {}).get("person_ids") or ()))
                for doc_id, (kind, key, ids) in surnames.items()
                if doc_id in conflicted
            }
            await asyncio.sleep(0)
        raise TransientError(f"people registry: still conflicting after {MAX_CONFLICT_ROUNDS} rounds")

    async def _relink_quotes(self, merges: Mapping[str, str]) -> int:
        """Move the quotes of merged surname-only people to the full-named person. Each quote document is
        written again at its own external version (``external_gte``), so a newer version of its article
        written meanwhile is never overwritten (409, skipped). Merges are rare (a full name seen for the
        first time after its surname), so the refresh that makes the latest quotes visible is affordable."""
        await call_es(self.client.indices.refresh(index=self.quotes_alias))
        operations: list[dict[str, Any]] = []
        async for hit in async_scan(
            self.client,
            index=self.quotes_alias,
            query={"query": {"terms": {"speaker.person_id": sorted(merges)}}},
            version=True,
        ):
            source = dict(hit["_source"])
            speaker = dict(source.get("speaker") or {})
            speaker["person_id"] = merges[speaker["person_id"]]
            source["speaker"] = speaker
            operations += [
                {
                    "index": {
                        "_index": hit["_index"],
                        "_id": hit["_id"],
                        "version": hit["_version"],
                        "version_type": "external_gte",
                    }
                },
                source,
            ]
        if not operations:
            return 0
        response = await call_es(self.client.bulk(operations=operations))
        moved = 0
        for item in response["items"]:
            (body,) = item.values()
            status = int(body.get("status", 500))
            if status < 300:
                moved += 1
            elif status != 409:  # 409: a newer version of the article owns the document now
                raise TransientError(f"re-linking quotes failed: HTTP {status} {body.get('error')}")
        log.info(
            "people registry: %d quotes re-linked (%s)",
            moved,
            ", ".join(f"{a} -> {b}" for a, b in merges.items()),
        )
        return moved

    def _op(self, doc_id: str, versions: _Versions) -> dict[str, Any]:
        seen = versions.of.get(doc_id)
        if seen is None:
            return {"create": {"_index": self.alias, "_id": doc_id}}
        seq_no, term = seen
        return {"index": {"_index": self.alias, "_id": doc_id, "if_seq_no": seq_no, "if_primary_term": term}}


async def call_es(awaitable: Any) -> Any:
    try:
        return await awaitable
    except NotFoundError as exc:
        raise TransientError(f"index alias missing ({exc}); run `quotewire setup`") from exc
    except (EsConnectionError, EsConnectionTimeout) as exc:
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc
    except ApiError as exc:
        if exc.status_code == 429 or exc.status_code >= 500:
            raise TransientError(f"HTTP {exc.status_code}: {exc}") from exc
        raise
