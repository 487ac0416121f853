"""Bulk writer: a batch of ``EnrichedArticle`` -> Elasticsearch, idempotent and version-safe.

Contract (the stream worker relies on it)::

    report = await write_articles(client, settings, batch)   # may raise TransientError
    for outcome in report.outcomes:                           # one per article, in batch order
        outcome.status in {"indexed", "superseded", "rejected"}
        outcome.reason / outcome.detail                        # set when rejected: for the dead letter

* **indexed** -- the article and its quotes are in the index (also when the same version was already
  there: redelivery rewrites identical documents under the same ids, so there is exactly one copy).
* **superseded** -- a newer version of this article is already indexed (or a newer one is in the same
  batch); nothing was written. Not an error: commit the offset.
* **rejected** -- Elasticsearch refused one of its documents for good (mapping/parse error): dead-letter
  the article; the other articles of the batch are unaffected, and the index keeps the previous version.
* ``TransientError`` -- Elasticsearch unreachable, timing out, 429 or 5xx after a few quick retries with
  backoff. Nothing is lost: every write is idempotent, so keep the offsets and call again with the same
  batch later.

How versions are kept (no scripts, no delete_by_query, so it also runs on the embedded devstack node):
every document carries the article's external version (``documents.article_version``: epoch ms of
``versioncreated``, else ``published``) with ``version_type=external_gte``, so Elasticsearch itself
refuses to let an older version overwrite a newer document. Per batch:

1. in-batch duplicates collapse to the newest version; the articles index is read with a real-time
   ``mget`` (sees writes not yet refreshed) for each article's indexed version and quote ids; articles
   whose indexed version is newer are *superseded* (``order_versions`` below);
2. the new quote documents are written; a refusal rolls back that article's new quotes;
3. the article documents are written (they record the quote ids of that version);
4. quotes that are gone are deleted with a versioned delete: the previous version's ``quote_ids`` plus
   any older-version quotes a term query finds for articles indexed before (these cover a retry after a
   partial failure).

Versions that cannot be ordered never drop news silently (``order_versions``): a version is *dated*
when the article has a ``version``/``published`` date no more than ``FUTURE_TOLERANCE`` ahead of the
clock. A date further ahead is a wrong date, not news from the future: its version is ordered as
undated (0) and counted (``dates_clamped``), so it can never block the versions after it. When either
side is undated - or an indexed version is far in the future (written before this rule) - the two
cannot be ordered, and the *later arrival wins*: it is written under the higher of the two versions
(Elasticsearch's ``external_gte`` accepts an equal one), logged and counted (``versions_unordered``).

Searchable latency: nothing is refreshed per batch (``refresh=False``); the indices have
``refresh_interval: 1s``, so a write is searchable about a second later. Pass ``refresh=True`` only in
tests or one-off tools.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout as EsConnectionTimeout
from elasticsearch.exceptions import ApiError
from elasticsearch.helpers import async_scan, async_streaming_bulk

from pipeline.errors import TransientError
from pipeline.index.documents import ArticleDocs, QuoteDoc, to_documents
from pipeline.index.names import NameLexicon, default_lexicon
from pipeline.models import EnrichedArticle
from pipeline.settings import Settings

log = logging.getLogger(__name__)

Status = Literal["indexed", "superseded", "rejected"]
# How a version compares with the one before it: later by date, earlier by date, or not orderable.
Order = Literal["newer", "older", "unordered"]

# How far ahead of the clock a version date may be and still be taken as given: time zones and clock
# skew are hours, an embargo a few; beyond a day it is a wrong date (a year 2999 typo).
FUTURE_TOLERANCE = timedelta(days=1)

# Quick retries inside one call; a longer outage is the caller's to wait out (TransientError).
DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF = 0.5  # seconds, doubled per attempt: 0.5 + 1 + 2 = 3.5 s before giving up
_STALE_PAGE = 10_000  # index.max_result_window: beyond it the stale-quote lookup scrolls
_REASON_CHARS = 500
# Item statuses that are verdicts on the document itself: 400 = it can never be indexed (mapping/parse),
# 404 = a delete found nothing, 409 = a newer version is there. Anything else is about the cluster.
_ITEM_VERDICTS = (400, 404, 409)


@dataclass(frozen=True)
class ArticleOutcome:
    article_id: str
    status: Status
    version: int
    quotes: int = 0  # quote documents written for this article
    reason: str | None = None  # short code when rejected, e.g. "index_mapping_error"
    detail: str | None = None  # Elasticsearch's error type and reason when rejected


@dataclass(frozen=True)
class WriteReport:
    outcomes: tuple[ArticleOutcome, ...]  # one per input article, in batch order
    quotes_deleted: int = 0
    retries: int = 0  # bulk attempts repeated because of 429/5xx/connection trouble
    unordered: int = 0  # versions written by arrival because their dates could not order them
    clamped: int = 0  # far-future version dates ordered as undated

    @property
    def indexed(self) -> list[ArticleOutcome]:
        return [o for o in self.outcomes if o.status == "indexed"]

    @property
    def superseded(self) -> list[ArticleOutcome]:
        return [o for o in self.outcomes if o.status == "superseded"]

    @property
    def rejected(self) -> list[ArticleOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    @property
    def quotes_indexed(self) -> int:
        return sum(o.quotes for o in self.indexed)


@dataclass(frozen=True)
class _Existing:
    version: int
    quote_ids: frozenset[str]


@dataclass
class _Work:
    """One article being written (the newest of its id in the batch)."""

    docs: ArticleDocs
    existing: _Existing | None = None
    status: Status | None = None
    reason: str | None = None
    detail: str | None = None
    written_quotes: set[str] = field(default_factory=set)
    stale: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Item:
    """The result of one bulk action."""

    status: int
    error_type: str | None
    error_reason: str | None

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500

    @property
    def ok(self) -> bool:
        return self.error_type is None and self.status < 300


@dataclass
class _Session:
    """What every phase of one ``write_articles`` call shares: the client, the names, the retry
    policy (``attempts`` tries, the first pause ``backoff`` s, doubling) and the retries made."""

    client: AsyncElasticsearch
    settings: Settings
    attempts: int
    backoff: float
    retries: int = 0

    async def pause_before(self, attempt: int) -> None:
        """Before try ``attempt`` (0-based): nothing for the first, else count a retry and back off."""
        if attempt:
            self.retries += 1
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))


async def write_articles(
    client: AsyncElasticsearch,
    settings: Settings,
    batch: Sequence[EnrichedArticle],
    *,
    lexicon: NameLexicon | None = None,
    refresh: bool = False,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
) -> WriteReport:
    """Index a batch; see the module docstring for outcomes and guarantees."""
    if not batch:
        return WriteReport(outcomes=())
    lex = lexicon or default_lexicon()
    now = datetime.now(UTC)
    all_docs = [to_documents(article, lex, now) for article in batch]
    session = _Session(client, settings, attempts, backoff)
    clock = int(now.timestamp() * 1000)
    clamped = 0
    for i, docs in enumerate(all_docs):
        if docs.version > clock + _TOLERANCE_MS:
            log.warning(
                "article %s: version date %d ms is in the far future; ordered as undated",
                docs.article_id,
                docs.version,
                extra={"event": "date_clamped", "article_id": docs.article_id},
            )
            all_docs[i] = _restamp(docs, 0)
            clamped += 1
    unordered = 0

    # One winner per article id inside the batch, in arrival order (the later delivery wins ties and
    # anything undated).
    winners: dict[str, int] = {}
    for i, docs in enumerate(all_docs):
        current = winners.get(docs.article_id)
        if current is None:
            winners[docs.article_id] = i
            continue
        order = order_versions(docs.version, all_docs[current].version, clock)
        if order != "older":
            if order == "unordered":
                unordered += 1
                all_docs[i] = _restamp(docs, max(docs.version, all_docs[current].version))
            winners[docs.article_id] = i
    work = {i: _Work(all_docs[i]) for i in winners.values()}

    existing = await _fetch_existing(session, [w.docs.article_doc_id for w in work.values()])
    for w in work.values():
        w.existing = existing.get(w.docs.article_doc_id)
        if w.existing is None:
            continue
        order = order_versions(w.docs.version, w.existing.version, clock)
        if order == "older":
            w.status = "superseded"
        elif order == "unordered":
            unordered += 1
            log.info(
                "article %s: version %d cannot be ordered against the indexed %d (undated or far-future "
                "date); the later arrival wins",
                w.docs.article_id,
                w.docs.version,
                w.existing.version,
                extra={"event": "version_unordered", "article_id": w.docs.article_id},
            )
            w.docs = _restamp(w.docs, max(w.docs.version, w.existing.version))

    live = [w for w in work.values() if w.status is None]
    await _write_quotes(session, live)
    live = [w for w in live if w.status is None]
    await _write_article_docs(session, live)
    live = [w for w in live if w.status is None]
    for w in live:
        w.status = "indexed"
    deleted = await _delete_stale(session, live)

    if refresh:
        await _call(client.indices.refresh(index=[settings.quotes_alias, settings.articles_alias]))

    outcomes: list[ArticleOutcome] = []
    for i, docs in enumerate(all_docs):
        winner = work[winners[docs.article_id]]
        if i != winners[docs.article_id] and (docs.version, docs.quote_ids) != (
            all_docs[winners[docs.article_id]].version,
            all_docs[winners[docs.article_id]].quote_ids,
        ):
            # An earlier delivery replaced in this batch (a redelivered duplicate shares its outcome).
            outcomes.append(ArticleOutcome(docs.article_id, "superseded", docs.version))
            continue
        status = winner.status or "indexed"
        outcomes.append(
            ArticleOutcome(
                article_id=docs.article_id,
                status=status,
                version=docs.version,
                quotes=len(winner.docs.quotes) if status == "indexed" else 0,
                reason=winner.reason,
                detail=winner.detail,
            )
        )
    report = WriteReport(
        outcomes=tuple(outcomes),
        quotes_deleted=deleted,
        retries=session.retries,
        unordered=unordered,
        clamped=clamped,
    )
    log.debug(
        "bulk write: %d indexed, %d superseded, %d rejected, %d quotes, %d stale deleted, %d retries",
        len(report.indexed),
        len(report.superseded),
        len(report.rejected),
        report.quotes_indexed,
        deleted,
        session.retries,
    )
    return report


_TOLERANCE_MS = int(FUTURE_TOLERANCE.total_seconds() * 1000)


def order_versions(incoming: int, previous: int, clock: int) -> Order:
    """How the ``incoming`` version (epoch ms, 0 = undated) compares with the ``previous`` one, at
    ``clock`` (epoch ms): by date when both are dated and neither is beyond ``FUTURE_TOLERANCE``, else
    ``unordered`` (the caller lets the later arrival win)."""
    horizon = clock + _TOLERANCE_MS
    if not (0 < incoming <= horizon and 0 < previous <= horizon):
        return "unordered"
    return "newer" if incoming >= previous else "older"


def _restamp(docs: ArticleDocs, version: int) -> ArticleDocs:
    """The same documents written under another external version."""
    if version == docs.version:
        return docs
    return replace(
        docs,
        version=version,
        article={**docs.article, "version": version},
        quotes=tuple(QuoteDoc(q.id, {**q.source, "article_version": version}) for q in docs.quotes),
    )


# --- phases ----------------------------------------------------------------------------------------


async def _fetch_existing(session: _Session, doc_ids: list[str]) -> dict[str, _Existing]:
    """Indexed version and quote ids per article document id (real-time GET semantics)."""
    if not doc_ids:
        return {}
    response = await _with_retries(
        session,
        lambda: session.client.mget(
            index=session.settings.articles_alias, ids=doc_ids, source_includes=["version", "quote_ids"]
        ),
    )
    found: dict[str, _Existing] = {}
    for doc in response.get("docs", []):
        error = doc.get("error")
        if error:
            if isinstance(error, dict) and error.get("type") == "index_not_found_exception":
                raise TransientError(
                    f"index alias {session.settings.articles_alias} missing; run `quotewire setup`"
                )
            raise TransientError(f"reading {session.settings.articles_alias} failed: {error}")
        if doc.get("found"):
            source = doc.get("_source") or {}
            found[doc["_id"]] = _Existing(
                int(source.get("version", 0)), frozenset(source.get("quote_ids") or [])
            )
    return found


async def _write_quotes(session: _Session, live: list[_Work]) -> None:
    actions: list[dict[str, Any]] = []
    owners: list[tuple[_Work, str]] = []
    for w in live:
        for quote in w.docs.quotes:
            actions.append(
                _index_action(session.settings.quotes_alias, quote.id, quote.source, w.docs.version)
            )
            owners.append((w, quote.id))
    items = await _bulk(session, actions)
    for (w, quote_id), item in zip(owners, items, strict=True):
        if item.ok:
            w.written_quotes.add(quote_id)
        else:
            _fail(w, item)
    failed = [w for w in live if w.status is not None]
    await _roll_back(session, failed)


async def _write_article_docs(session: _Session, live: list[_Work]) -> None:
    actions = [
        _index_action(session.settings.articles_alias, w.docs.article_doc_id, w.docs.article, w.docs.version)
        for w in live
    ]
    items = await _bulk(session, actions)
    for w, item in zip(live, items, strict=True):
        if not item.ok:
            _fail(w, item)
    await _roll_back(session, [w for w in live if w.status is not None])


async def _delete_stale(session: _Session, done: list[_Work]) -> int:
    if not done:
        return 0
    # Only articles indexed before can have older-version quotes; a batch of new articles (the common
    # case in a live feed) skips the lookup.
    seen_before = [w for w in done if w.existing is not None]
    older = await _older_quote_ids(session, seen_before)
    actions: list[dict[str, Any]] = []
    for w in done:
        keep = set(w.docs.quote_ids)
        previous = w.existing.quote_ids if w.existing else frozenset()
        for quote_id in sorted((previous | older.get(w.docs.article_id, set())) - keep):
            actions.append(_delete_action(session.settings.quotes_alias, quote_id, w.docs.version))
    items = await _bulk(session, actions)
    # 404: already gone; 409: a newer version owns the id now. Both fine.
    deleted = sum(1 for item in items if item.ok)
    for item in items:
        if not item.ok and item.status not in (404, 409):
            log.warning("stale quote not deleted: %s %s", item.error_type, item.error_reason)
    return deleted


async def _older_quote_ids(session: _Session, done: list[_Work]) -> dict[str, set[str]]:
    """Quote ids of older versions of these articles that the index can see (i.e. refreshed)."""
    if not done:
        return {}
    query = {
        "bool": {
            "should": [
                {
                    "bool": {
                        "filter": [
                            {"term": {"article_id": w.docs.article_id}},
                            {"range": {"article_version": {"lt": w.docs.version}}},
                        ]
                    }
                }
                for w in done
            ],
            "minimum_should_match": 1,
        }
    }
    response = await _with_retries(
        session,
        lambda: session.client.search(
            index=session.settings.quotes_alias,
            query=query,
            size=_STALE_PAGE,
            source_includes=["article_id"],
            track_total_hits=True,
        ),
    )
    hits = response["hits"]["hits"]
    if response["hits"]["total"]["value"] > len(hits):
        hits = [
            hit
            async for hit in async_scan(
                session.client,
                index=session.settings.quotes_alias,
                query={"query": query},
                _source_includes=["article_id"],
            )
        ]
    older: dict[str, set[str]] = {}
    for hit in hits:
        older.setdefault(hit["_source"]["article_id"], set()).add(hit["_id"])
    return older


async def _roll_back(session: _Session, failed: list[_Work]) -> None:
    """Remove quotes a failed article wrote that its previous version did not have (best effort)."""
    actions = [
        _delete_action(session.settings.quotes_alias, quote_id, w.docs.version)
        for w in failed
        for quote_id in sorted(w.written_quotes - (w.existing.quote_ids if w.existing else frozenset()))
    ]
    if actions:
        await _bulk(session, actions)


def _fail(w: _Work, item: _Item) -> None:
    if w.status is not None:
        return
    if item.status == 409:  # a newer version of this article got there first
        w.status = "superseded"
        return
    w.status = "rejected"
    w.reason = "index_mapping_error"
    w.detail = f"{item.error_type}: {item.error_reason}"[:_REASON_CHARS]


# --- bulk plumbing ---------------------------------------------------------------------------------


def _index_action(index: str, doc_id: str, source: Mapping[str, Any], version: int) -> dict[str, Any]:
    return {
        "_op_type": "index",
        "_index": index,
        "_id": doc_id,
        "_source": source,
        "version": version,
        "version_type": "external_gte",
    }


def _delete_action(index: str, doc_id: str, version: int) -> dict[str, Any]:
    # external_gte: deletes a document written by this version or an older one, never a newer one.
    return {
        "_op_type": "delete",
        "_index": index,
        "_id": doc_id,
        "version": version,
        "version_type": "external_gte",
    }


def _item(result: Mapping[str, Any]) -> _Item:
    (body,) = result.values()
    error = body.get("error")
    if isinstance(error, Mapping):
        reason = str(error.get("reason", ""))
        caused = error.get("caused_by")
        if isinstance(caused, Mapping) and caused.get("reason"):
            reason = f"{reason} ({caused.get('type')}: {caused.get('reason')})"
        return _Item(int(body.get("status", 500)), str(error.get("type", "error")), reason)
    if error is not None:
        return _Item(int(body.get("status", 500)), "error", str(error))
    return _Item(int(body.get("status", 200)), None, None)


async def _bulk(session: _Session, actions: list[dict[str, Any]]) -> list[_Item]:
    """Run actions; retry the ones refused with 429/5xx and whole requests that fail to connect."""
    results: list[_Item | None] = [None] * len(actions)
    pending = list(range(len(actions)))
    problem = ""
    for attempt in range(session.attempts):
        if not pending:
            break
        await session.pause_before(attempt)
        try:
            items = [
                _item(info)
                async for _ok, info in async_streaming_bulk(
                    session.client,
                    [actions[i] for i in pending],
                    raise_on_error=False,
                    raise_on_exception=True,
                    max_retries=0,
                    yield_ok=True,
                    require_alias=True,
                )
            ]
        except (EsConnectionError, EsConnectionTimeout) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            continue
        except ApiError as exc:
            if exc.status_code == 429 or exc.status_code >= 500:
                problem = f"HTTP {exc.status_code}: {exc}"
                continue
            raise
        still: list[int] = []
        for i, item in zip(pending, items, strict=True):
            if item.transient:
                still.append(i)
                problem = f"HTTP {item.status} {item.error_type}: {item.error_reason}"
            elif item.error_type == "index_not_found_exception":
                raise TransientError(f"index alias missing ({item.error_reason}); run `quotewire setup`")
            elif not item.ok and item.status not in _ITEM_VERDICTS:
                # Not the document's fault (a write block, missing privileges, ...): keep the offsets.
                raise TransientError(
                    f"Elasticsearch refused writes: HTTP {item.status} {item.error_type}: {item.error_reason}"
                )
            else:
                results[i] = item
        pending = still
    if pending:
        raise TransientError(f"Elasticsearch bulk write failed after {session.attempts} attempts: {problem}")
    return [r for r in results if r is not None]


async def _with_retries(session: _Session, call: Any) -> Any:
    problem = ""
    for attempt in range(session.attempts):
        await session.pause_before(attempt)
        try:
            return await call()
        except NotFoundError as exc:
            raise TransientError(f"index alias missing ({exc}); run `quotewire setup`") from exc
        except (EsConnectionError, EsConnectionTimeout) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        except ApiError as exc:
            if exc.status_code != 429 and exc.status_code < 500:
                raise
            problem = f"HTTP {exc.status_code}: {exc}"
    raise TransientError(f"Elasticsearch request failed after {session.attempts} attempts: {problem}")


async def _call(awaitable: Any) -> Any:
    try:
        return await awaitable
    except (EsConnectionError, EsConnectionTimeout) as exc:
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc
