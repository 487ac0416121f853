"""Fixtures for the API and browser tests: a real index, filled by the real enricher and writer.

One session-wide index pair under its own ``qwtest-api-<random>`` prefix (deleted at the end) holds
the shared seed article and a spread of corpus articles, each read in place from ``../shared/data`` and
enriched by ``pipeline.enrich`` exactly as the worker would.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from pipeline.devstack.scratch import drop_scratch_indices
from pipeline.models import Article, EnrichedArticle, Quote, Speaker
from pipeline.settings import PROJECT_ROOT, Settings

DATA = PROJECT_ROOT.parent / "shared" / "data"
SEED = DATA / "seeds" / "000_6b86da6157363970.txt"
SEED_ID = SEED.stem
SEED_DAY = "2023-08-17"  # the seed's `date` header: a day no corpus article shares
# (corpus, step): every 50th BBC story and every 1000th Reuters story, about 60 articles in all.
CORPUS_SAMPLE = (
    (DATA / "corpora" / "bbc-news-2004.jsonl", 50),
    (DATA / "corpora" / "reuters-21578.jsonl", 1000),
)


def _every_nth(path: Path, step: int) -> list[Article]:
    """Every ``step``-th article of a JSON Lines corpus: a spread of topics, the same on every run."""
    from pipeline.ingest.decode import decode_object

    out: list[Article] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number % step == 0:
                article = decode_object(json.loads(line), 1_000_000)
                assert isinstance(article, Article), article
                out.append(article)
    return out


# Written for these tests (fictional people): an id that is a URL, a headline, a source and a url.
URL_ARTICLE = Article(
    id="https://wire.example/2024/01/05/corridor talks",
    url="https://wire.example/2024/01/05/corridor talks",
    headline="Corridor talks to resume next week",
    source="Example Wire",
    published=datetime(2024, 1, 5, 9, 30, tzinfo=UTC),
    text=(
        "Italian Foreign Minister Elena Marchetti said on Friday that talks on the humanitarian corridor "
        "would resume next week.\n\n"
        '"We remain ready to host both delegations in Rome," Marchetti told reporters.\n'
    ),
)


def _quote(text: str, quote: str, name: str, cue: str = "said") -> Quote:
    start = text.index(quote)
    kind = "direct" if quote.startswith('"') else "indirect"
    return Quote(
        text=quote, start=start, end=start + len(quote), kind=kind, cue=cue,
        speaker=Speaker(name=name, mention=name, type="PERSON"),
    )  # fmt: skip


# Hand-enriched (the English model does not tag names in other scripts): speakers named in Chinese,
# Greek and Arabic (invented, placeholder-like names), and a hostile ``javascript:`` url that must
# never become a link. Dated 2022, before every other dated test article but the corpus.
SCRIPTS_TEXT = (
    '王小明 said: "The harbour will reopen in May."\n\n'
    "Γιώργος Παπαδόπουλος said the ferries were ready.\n\n"
    "أحمد سالم said the talks would continue."
)
SCRIPTS_ARTICLE = EnrichedArticle(
    id="scripts-test-1",
    text=SCRIPTS_TEXT,
    headline="Harbour to reopen",
    source="Test Desk",
    published=datetime(2022, 3, 9, 8, 0, tzinfo=UTC),
    url="javascript:alert(document.cookie)",
    quotes=[
        _quote(SCRIPTS_TEXT, '"The harbour will reopen in May."', "王小明"),
        _quote(SCRIPTS_TEXT, "the ferries were ready", "Γιώργος Παπαδόπουλος"),
        _quote(SCRIPTS_TEXT, "the talks would continue", "أحمد سالم"),
    ],
)


def sample_articles() -> list[Article]:
    from pipeline.ingest.decode import decode_text

    seed = decode_text(SEED.read_text(encoding="utf-8"), 1_000_000, key=SEED_ID)
    assert isinstance(seed, Article), seed
    corpus = [a for path, step in CORPUS_SAMPLE for a in _every_nth(path, step)]
    return [seed, URL_ARTICLE, *corpus]


async def _fill(settings: Settings, articles: list[Article]) -> int:
    from pipeline.enrich import Enricher
    from pipeline.index.client import make_async_client
    from pipeline.index.schema import ensure_indices
    from pipeline.index.writer import write_articles

    enriched = [*Enricher.load(settings).enrich_many(articles), SCRIPTS_ARTICLE]
    client = make_async_client(settings)
    try:
        await ensure_indices(client, settings)
        report = await write_articles(client, settings, enriched, refresh=True)
        statuses = {o.status for o in report.outcomes}
        assert statuses == {"indexed"}, report.outcomes
        return sum(len(a.quotes) for a in enriched)
    finally:
        await client.close()


@pytest.fixture(scope="session")
def api_settings(devstack: Settings) -> Iterator[Settings]:
    """Settings whose indices hold the seed and the corpus sample (the stack's other settings kept)."""
    # No rate limit: these tests send hundreds of requests as one client (test_security tests the limit).
    settings = devstack.model_copy(
        update={"index_prefix": f"qwtest-api-{uuid.uuid4().hex[:8]}", "api_rate_limit": "off"}
    )
    quotes = asyncio.run(_fill(settings, sample_articles()))
    assert quotes > 50, "the sample should give the facets and pager something to show"
    yield settings
    asyncio.run(drop_scratch_indices(settings))


@pytest.fixture(scope="session")
def api(api_settings: Settings) -> Iterator[TestClient]:
    """The app with its lifespan running (the Elasticsearch client open)."""
    from pipeline.api.app import create_app

    with TestClient(create_app(api_settings)) as client:
        yield client


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def cli_env(api_settings: Settings) -> dict[str, str]:
    """The environment for a subprocess (CLI, server) that uses the test indices on the same stack."""
    return {
        **os.environ,
        "QUOTEWIRE_ES_URL": api_settings.es_url,
        "QUOTEWIRE_INDEX_PREFIX": api_settings.index_prefix,
        "QUOTEWIRE_API_RATE_LIMIT": api_settings.api_rate_limit,
    }


@pytest.fixture(scope="session")
def quotewire_exe() -> str:
    """The ``quotewire`` console script of this environment."""
    exe = Path(sys.executable).with_name("quotewire")
    assert exe.is_file(), f"{exe} missing: install the project (pip install -e .)"
    return str(exe)


SERVER_START_SECONDS = 60.0
Serve = Callable[..., AbstractContextManager[str]]


@contextmanager
def serving(exe: str, env: dict[str, str], log: Path, healthy: bool = True) -> Iterator[str]:
    """``quotewire serve`` on a free port until the block ends; yields its base URL once it answers
    (``/healthz`` 200, or any answer when ``healthy`` is False: a server whose Elasticsearch is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with log.open("w") as out:
        process = subprocess.Popen(
            [exe, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            assert process.poll() is None, f"quotewire serve exited: {log.read_text()}"
            try:
                status = httpx.get(f"{base}/healthz", timeout=5).status_code
                if status == 200 or not healthy:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"quotewire serve did not answer: {log.read_text()}"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def serve() -> Serve:
    """``serve(exe, env, log, healthy=True)``: ``quotewire serve`` on a free port, as a context."""
    return serving
