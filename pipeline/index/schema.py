"""Index setup from ``config/index/*.json``: versioned concrete indices behind aliases.

Each kind (``quotes``, ``articles``) has a mapping file with ``mappings._meta.schema_version``. The
concrete index is ``<prefix>-<kind>-v<schema_version>`` and everything else (writer, search) uses the
alias ``<prefix>-<kind>`` (``Settings.quotes_alias`` / ``Settings.articles_alias``).

* ``ensure_indices(client, settings)`` -- idempotent, safe to run from several processes at once
  (``quotewire setup``, every worker start): creates a missing index together with its alias in one
  request, re-attaches the alias if only the index exists, and reports an alias whose index has an
  older schema version than the config (``IndexStatus.outdated``) without touching it.
* ``reindex(client, settings, kind)`` -- rolls a mapping change out without the reindex module:
  create the new concrete index from the config, copy every document with scroll + bulk keeping each
  document's external version, swap the alias atomically, then copy again what was written to the old
  index during the copy (by ``indexed_at``), with ``external_gte`` so nothing newer is overwritten, and
  finally delete from the new index what was copied but deleted from the old one meanwhile (a document
  older than the start of the copy that the old index no longer has). Workers may keep running.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources.abc import Traversable
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch, BadRequestError, NotFoundError
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout as EsConnectionTimeout
from elasticsearch.helpers import async_bulk, async_scan

from pipeline.errors import QuotewireError, TransientError
from pipeline.resources import config_files
from pipeline.settings import Settings

log = logging.getLogger(__name__)

IndexKind = Literal["quotes", "articles", "people"]
KINDS: tuple[IndexKind, ...] = ("quotes", "articles", "people")
INDEX_CONFIG_DIR = config_files() / "index"


@dataclass(frozen=True)
class IndexSpec:
    kind: IndexKind
    alias: str
    schema_version: int
    settings: dict[str, Any]
    mappings: dict[str, Any]

    def concrete_name(self, version: int | None = None) -> str:
        return f"{self.alias}-v{self.schema_version if version is None else version}"


@dataclass(frozen=True)
class IndexStatus:
    kind: IndexKind
    alias: str
    index: str
    created: bool
    schema_version: int  # of the index the alias points at
    config_version: int  # in config/index/<kind>.json

    @property
    def outdated(self) -> bool:
        return self.schema_version < self.config_version


@dataclass(frozen=True)
class ReindexReport:
    alias: str
    old_index: str
    new_index: str
    copied: int
    caught_up: int
    pruned: int  # copied documents the old index no longer had at the end (deleted during the copy)
    deleted_old: bool


def load_spec(kind: IndexKind, settings: Settings, config_dir: Traversable = INDEX_CONFIG_DIR) -> IndexSpec:
    """The index definition of one kind, from ``config/index/<kind>.json``."""
    raw = json.loads((config_dir / f"{kind}.json").read_text(encoding="utf-8"))
    mappings = raw["mappings"]
    version = int(mappings.get("_meta", {}).get("schema_version", 1))
    alias = {
        "quotes": settings.quotes_alias,
        "articles": settings.articles_alias,
        "people": settings.people_alias,  # the people registry (pipeline/people)
    }[kind]
    return IndexSpec(
        kind=kind, alias=alias, schema_version=version, settings=raw["settings"], mappings=mappings
    )


async def ensure_indices(client: AsyncElasticsearch, settings: Settings) -> list[IndexStatus]:
    """Create what is missing (quotes, articles, people); report what exists. Raises ``TransientError``
    when Elasticsearch cannot be reached and ``QuotewireError`` when an alias name is taken by an index."""
    return [await ensure_index(client, load_spec(kind, settings)) for kind in KINDS]


async def ensure_index(client: AsyncElasticsearch, spec: IndexSpec) -> IndexStatus:
    try:
        current = await _alias_target(client, spec.alias)
        if current is not None:
            return IndexStatus(
                spec.kind,
                spec.alias,
                current,
                False,
                await _schema_version(client, current),
                spec.schema_version,
            )
        if await client.indices.exists(index=spec.alias):
            raise QuotewireError(
                f"{spec.alias} is an index, not an alias (written without `quotewire setup`?): "
                "delete it or choose another QUOTEWIRE_INDEX_PREFIX"
            )
        name = spec.concrete_name()
        try:
            await client.indices.create(
                index=name,
                settings=spec.settings,
                mappings=spec.mappings,
                aliases={spec.alias: {"is_write_index": True}},
            )
            log.info("created index %s with alias %s", name, spec.alias)
            return IndexStatus(spec.kind, spec.alias, name, True, spec.schema_version, spec.schema_version)
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
        # Created by a concurrent setup, or the alias was removed: (re)attach it; idempotent.
        await client.indices.put_alias(index=name, name=spec.alias, is_write_index=True)
        return IndexStatus(
            spec.kind, spec.alias, name, False, await _schema_version(client, name), spec.schema_version
        )
    except (EsConnectionError, EsConnectionTimeout) as exc:
        raise TransientError(f"Elasticsearch unreachable: {exc}") from exc


async def drop_indices(client: AsyncElasticsearch, prefix: str) -> list[str]:
    """Delete every index named ``<prefix>-*`` (also hidden or closed ones); returns their names.
    For runs with their own prefix (benchmarks, tests). Deletes need concrete names
    (``action.destructive_requires_name``): the pattern is listed first."""
    found = await client.indices.get(index=f"{prefix}-*", expand_wildcards="all")
    names = sorted(found.body)
    if names:
        await client.indices.delete(index=",".join(names))
    return names


async def _alias_target(client: AsyncElasticsearch, alias: str) -> str | None:
    """The index an alias writes to (its write index, or its only index); None if no such alias."""
    try:
        response = await client.indices.get_alias(name=alias)
    except NotFoundError:
        return None
    indices = dict(response.body)
    for index, data in indices.items():
        if data.get("aliases", {}).get(alias, {}).get("is_write_index"):
            return str(index)
    return str(sorted(indices)[-1]) if indices else None


async def _schema_version(client: AsyncElasticsearch, index: str) -> int:
    response = await client.indices.get_mapping(index=index)
    meta = response.body.get(index, {}).get("mappings", {}).get("_meta", {})
    return int(meta.get("schema_version", 0))


async def reindex(
    client: AsyncElasticsearch,
    settings: Settings,
    kind: IndexKind,
    *,
    spec: IndexSpec | None = None,
    delete_old: bool = False,
) -> ReindexReport:
    """Copy ``kind``'s documents into a new concrete index built from the config and move the alias."""
    spec = spec or load_spec(kind, settings)
    status = await ensure_index(client, spec)
    target = spec.concrete_name()
    if status.index == target:
        raise QuotewireError(
            f"{spec.alias} already points at {target}: bump mappings._meta.schema_version in "
            f"config/index/{kind}.json to roll out a mapping change"
        )
    started = datetime.now(UTC)
    try:
        await client.indices.create(index=target, settings=spec.settings, mappings=spec.mappings)
    except BadRequestError as exc:
        if exc.error != "resource_already_exists_exception":
            raise
        log.info("%s exists (an earlier, interrupted reindex?): copying into it again", target)
    copied = await _copy(client, status.index, target, None)
    await client.indices.update_aliases(
        actions=[
            {"remove": {"index": status.index, "alias": spec.alias}},
            {"add": {"index": target, "alias": spec.alias, "is_write_index": True}},
        ]
    )
    # Writes that reached the old index between the start of the copy and the swap.
    caught_up = await _copy(
        client, status.index, target, {"range": {"indexed_at": {"gte": started.isoformat()}}}
    )
    # Deletions made in the old index while it was being copied: drop those documents from the new one.
    pruned = await _prune(client, status.index, target, started)
    if delete_old:
        await client.indices.delete(index=status.index)
    return ReindexReport(spec.alias, status.index, target, copied, caught_up, pruned, delete_old)


async def _copy(client: AsyncElasticsearch, source: str, target: str, query: dict[str, Any] | None) -> int:
    await client.indices.refresh(index=source)

    async def actions() -> Any:
        async for hit in async_scan(
            client, index=source, query={"query": query or {"match_all": {}}}, version=True, size=1000
        ):
            yield {
                "_op_type": "index",
                "_index": target,
                "_id": hit["_id"],
                "_source": hit["_source"],
                "version": hit["_version"],
                "version_type": "external_gte",
            }

    ok, errors = await async_bulk(client, actions(), raise_on_error=False, ignore_status=(409,))
    if errors:
        failures = errors if isinstance(errors, list) else []
        raise QuotewireError(
            f"reindex {source} -> {target}: {len(failures)} documents failed: {failures[:3]}"
        )
    return ok


async def _prune(client: AsyncElasticsearch, old: str, target: str, started: datetime) -> int:
    """Delete from ``target`` the documents written before ``started`` that ``old`` no longer has."""
    await client.indices.refresh(index=target)
    query = {"query": {"range": {"indexed_at": {"lt": started.isoformat()}}}, "_source": False}
    gone: list[tuple[str, int]] = []
    page: list[tuple[str, int]] = []

    async def check(candidates: list[tuple[str, int]]) -> None:
        found = await client.mget(index=old, ids=[doc_id for doc_id, _ in candidates], source=False)
        present = {doc["_id"] for doc in found["docs"] if doc.get("found")}
        gone.extend(c for c in candidates if c[0] not in present)

    async for hit in async_scan(client, index=target, query=query, version=True, size=1000):
        page.append((hit["_id"], hit["_version"]))
        if len(page) == 1000:
            await check(page)
            page = []
    if page:
        await check(page)
    actions = [
        # external_gte at the copied version: a document rewritten since (newer version) stays.
        {
            "_op_type": "delete",
            "_index": target,
            "_id": doc_id,
            "version": version,
            "version_type": "external_gte",
        }
        for doc_id, version in gone
    ]
    deleted, _errors = await async_bulk(client, actions, raise_on_error=False, ignore_status=(404, 409))
    return deleted
