"""Enrichment on a process pool, so every core parses: the worker's event loop only waits on futures.

spaCy holds the GIL, so threads would not help; each pool process loads the model once (the pool's
``initializer``) and then runs ``pipeline.enrich.enrich_batch`` on JSON strings (cheap to pickle,
nothing stateful crosses the process boundary).

Failures are classified per article, so one article can never stall the stream:

* ``enrich_batch`` reports an article it cannot enrich -> that article is a ``BadArticle``;
* a chunk raises (a bug the article triggers) -> its articles are re-run one by one and the one that
  raises alone becomes ``BadArticle("enrich_failed")``;
* a pool process dies (OOM killer, segfault) -> the pool is rebuilt and the chunk re-run one article at
  a time; an article that kills a process on its own becomes ``BadArticle("enrich_crashed")``.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pipeline.errors import BadArticle
from pipeline.models import Article, EnrichedArticle

log = logging.getLogger(__name__)

EnrichOutcome = EnrichedArticle | BadArticle


# The process-pool entry point: (articles as JSON, model, batch size) -> one result dict per article,
# ``{"ok": EnrichedArticle dict}`` or ``{"error": {"reason", "detail"}}`` (pipeline.enrich.enrich_batch).
EnrichBatch = Callable[[list[str], str, int], list[dict[str, Any]]]


def _start_process(enrich: EnrichBatch, model: str, worker_pid: int) -> None:
    """Pool initializer: watch the worker, then load the model before the first batch arrives."""
    threading.Thread(target=_exit_with, args=(worker_pid,), name="watch-worker", daemon=True).start()
    enrich([], model, 1)


def _exit_with(worker_pid: int) -> None:
    """Exit when the worker is gone. A worker killed with SIGKILL cannot shut its pool down, and a pool
    process never sees EOF on its task queue (it holds both ends), so it would linger forever."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # a different user's process reuses the pid: ours is gone
            os._exit(0)


def _ping() -> int:
    return os.getpid()


def pool_size(configured: int) -> int:
    """0 = one process per CPU core this process may run on (CPU affinity honoured)."""
    if configured:
        return configured
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class EnrichmentPool:
    """A process pool running the enrichment engine; ``start``/``close`` around the worker's life."""

    def __init__(
        self, model: str, processes: int, batch_size: int = 32, enrich_batch: EnrichBatch | None = None
    ) -> None:
        from pipeline.enrich import enrich_batch as engine

        self.model = model
        self.processes = processes
        self.batch_size = batch_size
        # A module-level function (pickled by name into the pool processes); tests pass their own.
        self.enrich_batch: EnrichBatch = enrich_batch or engine
        self._executor: ProcessPoolExecutor | None = None
        # The process tables of broken pools we replaced (see ``_discard``), swept again at ``close``.
        self._discarded: list[dict[int, Any]] = []

    def _new_executor(self) -> ProcessPoolExecutor:
        # forkserver: children fork from a small clean server process (never from the worker, whose
        # event loop, Kafka sockets and threads must not be duplicated) and start faster than spawn.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pipeline.enrich"])
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=context,
            initializer=_start_process,
            initargs=(self.enrich_batch, self.model, os.getpid()),
        )

    async def start(self) -> None:
        """Create the pool and wait until every process has loaded the model."""
        self._executor = self._new_executor()
        loop = asyncio.get_running_loop()
        # One ping per process is not guaranteed to reach every process, but it forces the pool to
        # spawn all of them, and each runs the initializer (the model load) before its first task.
        await asyncio.gather(*(loop.run_in_executor(self._executor, _ping) for _ in range(self.processes)))

    def close(self) -> None:
        for processes in self._discarded:
            _kill_all(processes)
        self._discarded.clear()
        if self._executor is not None:
            executor, self._executor = self._executor, None
            if getattr(executor, "_broken", False):  # broke after the last batch: same as a rebuild
                self._discard(executor)
                _kill_all(self._discarded.pop())
            else:
                executor.shutdown(wait=True, cancel_futures=True)

    def _rebuild(self) -> None:
        log.warning("enrichment pool broken (a process died); starting a new one")
        if self._executor is not None:
            self._discard(self._executor)
        self._executor = self._new_executor()

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        """Drop a broken pool without waiting on it, and kill what is left of its processes.

        Why by hand: the pool's manager thread terminates the processes it knows when it sees the pool
        broken, then joins them all; a process that joined the table after that sweep (seen on CPython
        3.11 when a process dies while the pool is busy) is never signalled, the join never returns and
        neither does interpreter exit. ``shutdown`` drops the executor's reference to the table, so we
        keep our own (the private ``_processes``: the executor has no public handle on its processes).
        """
        processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
        executor.shutdown(wait=False, cancel_futures=True)
        _kill_all(processes)
        self._discarded.append(processes)

    async def _run(self, articles: Sequence[Article]) -> list[dict[str, Any]]:
        if self._executor is None:
            self._executor = self._new_executor()
        loop = asyncio.get_running_loop()
        payload = [a.model_dump_json() for a in articles]
        return await loop.run_in_executor(
            self._executor, self.enrich_batch, payload, self.model, self.batch_size
        )

    async def enrich(self, articles: Sequence[Article]) -> list[EnrichOutcome]:
        """Enrich a batch across all processes; one outcome per article, in order. Never raises
        for an article's sake (only ``CancelledError`` leaves)."""
        if not articles:
            return []
        n = max(1, min(self.processes, len(articles)))
        size = -(-len(articles) // n)  # ceil: n chunks of near-equal size, one per process
        chunks = [list(articles[i : i + size]) for i in range(0, len(articles), size)]
        results = await asyncio.gather(*(self._run(chunk) for chunk in chunks), return_exceptions=True)
        out: list[EnrichOutcome] = []
        broken = any(isinstance(r, BrokenProcessPool) for r in results)
        if broken:
            self._rebuild()
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):
                log.warning("enrichment of a chunk of %d failed (%r); isolating articles", len(chunk), result)
                out.extend([await self._one(article) for article in chunk])
            else:
                out.extend(_outcome(article, item) for article, item in zip(chunk, result, strict=True))
        return out

    async def _one(self, article: Article) -> EnrichOutcome:
        """One article alone: an exception or a dead process is that article's fault."""
        try:
            result = await self._run([article])
        except BrokenProcessPool:
            self._rebuild()
            return BadArticle("enrich_crashed", f"article {article.id!r} killed an enrichment process")
        except Exception as exc:  # the engine failed on this article only: dead-letter it
            return BadArticle("enrich_failed", f"{type(exc).__name__}: {exc}"[:300])
        return _outcome(article, result[0])


def _kill_all(processes: dict[int, Any]) -> None:
    for process in list(processes.values()):
        if process.is_alive():
            process.kill()


def _outcome(article: Article, item: dict[str, Any]) -> EnrichOutcome:
    if "ok" in item:
        return EnrichedArticle.model_validate(item["ok"])
    error = item.get("error") or {}
    return BadArticle(str(error.get("reason", "enrich_failed")), str(error.get("detail", "")))
