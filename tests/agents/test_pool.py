"""The enrichment process pool's failure isolation, on a real forkserver pool.

A stand-in engine (``engine`` below, run inside the pool processes) fails on demand: an article whose
text is ``raise`` makes the batch call raise, ``crash`` kills the process (as a segfault or the OOM
killer would), ``refuse`` is reported as an error by the engine itself. Everything else comes back
enriched. Each failure must cost exactly its own article.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from typing import Any

import pytest

from pipeline.errors import BadArticle
from pipeline.models import Article, EnrichedArticle
from pipeline.stream.pool import EnrichmentPool


def engine(articles_json: list[str], model: str, batch_size: int = 32) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for raw in articles_json:
        article = Article.model_validate_json(raw)
        if article.text == "raise":
            raise RuntimeError("engine bug")
        if article.text == "crash":
            os._exit(9)
        if article.text == "refuse":
            out.append({"error": {"reason": "no_text", "detail": "refused"}})
        else:
            out.append({"ok": EnrichedArticle(id=article.id, text=article.text).model_dump(mode="json")})
    return out


def _articles(*texts: str) -> list[Article]:
    return [Article(id=f"a{i}", text=t) for i, t in enumerate(texts)]


CASES = [
    ("all good", ("x", "y", "z", "w"), {}),
    ("engine reports one", ("x", "refuse", "z"), {1: "no_text"}),
    ("engine raises on one", ("x", "y", "raise", "w", "v"), {2: "enrich_failed"}),
    ("one kills its process", ("x", "crash", "z", "w"), {1: "enrich_crashed"}),
    (
        "everything at once",
        ("crash", "raise", "refuse", "ok", "crash"),
        {0: "enrich_crashed", 1: "enrich_failed", 2: "no_text", 4: "enrich_crashed"},
    ),
]


@pytest.mark.parametrize(("case", "texts", "bad"), CASES, ids=[c[0] for c in CASES])
async def test_each_failure_costs_only_its_article(
    case: str, texts: tuple[str, ...], bad: dict[int, str]
) -> None:
    pool = EnrichmentPool("unused-model", processes=2, enrich_batch=engine)
    await pool.start()
    try:
        outcomes = await pool.enrich(_articles(*texts))
        assert len(outcomes) == len(texts)
        for position, outcome in enumerate(outcomes):
            if position in bad:
                assert isinstance(outcome, BadArticle), (case, position)
                assert outcome.reason == bad[position]
            else:
                assert isinstance(outcome, EnrichedArticle), (case, position, outcome)
                assert outcome.id == f"a{position}"
        # The pool still works after whatever happened.
        again = await pool.enrich(_articles("fine"))
        assert isinstance(again[0], EnrichedArticle)
    finally:
        pool.close()
    # No pool process outlives the pool, broken ones included (a leftover would hang interpreter exit).
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert multiprocessing.active_children() == []
