"""Poison messages against a real ``quotewire worker`` (real Kafka, real Elasticsearch): each is followed
by good articles, and the good ones must be searchable; every record the worker writes fits the topics'
limit; a replay run twice leaves the dead-letter topic as one run does; the worker stops on SIGTERM
within 30 s. The same worker is checked for a safe default deployment: its web server answers on
loopback only with Faust's pages off, and the password in its Elasticsearch URL is never printed.

The topics' limit is 256 KiB here (``QUOTEWIRE_KAFKA_MAX_MESSAGE_BYTES``) so the issue's oversize cases
(a 900 KB raw message, a 1.34 MB enriched article under a 1 MiB limit) keep their proportions at a
quarter of the size and time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from stream_harness import (
    Index,
    Worker,
    group_lag,
    isolated_settings,
    produce_raw,
    run_cli,
    wait_for,
)

from pipeline.models import EnrichedArticle, Rejected
from pipeline.settings import Settings
from pipeline.stream.sizes import record_budget
from pipeline.stream.topics import read_topic

pytestmark = pytest.mark.integration

LIMIT = 262_144
PASSWORD = "s3cret-never-printed"


def _good(i: int) -> tuple[bytes, bytes]:
    article = {
        "id": f"good-{i}",
        "headline": f"Bridge {i}",
        "published": "2026-11-30T10:00:00+00:00",
        "text": f'"Bridge number {i} will open in May," Mayor Lena Okafor said on Tuesday in Springfield.',
    }
    return article["id"].encode(), json.dumps(article).encode()


def _many_quotes(count: int) -> bytes:
    sentences = " ".join(
        f'"Plan {i} will cut the cost of heating for families across the region," Minister Ana Kovac said.'
        for i in range(count)
    )
    return json.dumps({"id": "many-quotes", "text": sentences}).encode()


def _chained_said(chars: int) -> bytes:
    # "X said" clauses chained without a sentence end: the output used to grow with the square of this.
    names = ["Ana Kovac", "Paul Girard", "Lena Okafor", "Tom Reyes"]
    words: list[str] = []
    i = 0
    while sum(len(w) + 1 for w in words) < chars:
        words.append(f"{names[i % 4]} said that")
        i += 1
    return json.dumps({"id": "chained", "text": " ".join(words) + " the plan works"}).encode()


POISON: list[tuple[str, bytes | None]] = [
    ("deep", b'{"id": "deep", "text": ' + b"[" * 1000 + b"]" * 1000 + b"}"),  # 2 KB nested 1,000 deep
    ("junk", b"\xff\xfe" + b"x" * 230_000),  # 88 % of the limit: its base64 dead letter is 117 % of it
    ("tombstone", None),
    ("many-quotes", _many_quotes(1_900)),  # ~190 KB of text, quotes whose enriched record is over the limit
    ("chained", _chained_said(16_000)),
    ("not-json", b"{nope"),
]


@pytest.fixture
def settings(devstack: Settings) -> Settings:
    base = isolated_settings(devstack, "poison", kafka_max_message_bytes=LIMIT, kafka_max_request_size=LIMIT)
    # A password in the URL: the devstack node has no security and ignores the header it becomes.
    with_password = base.es_url.replace("://", f"://elastic:{PASSWORD}@", 1)
    return base.model_copy(update={"es_url": with_password, "worker_batch_seconds": 0.3})


@pytest.fixture
def index(settings: Settings) -> Iterator[Index]:
    plain = settings.model_copy(update={"es_url": settings.es_url.replace(f"elastic:{PASSWORD}@", "")})
    index = Index(plain)
    yield index
    index.close()


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (Linux /proc/net/tcp, tcp6)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == "0A":
                found.add(address)
    return found


def _get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_poison_messages_settle_and_good_articles_after_them_are_searchable(
    settings: Settings, index: Index, tmp_path: Path
) -> None:
    setup = run_cli(settings, "setup")
    assert setup.returncode == 0, setup.stderr
    assert f"records up to {record_budget(settings)} bytes" in setup.stdout
    assert PASSWORD not in setup.stdout + setup.stderr

    messages: list[tuple[bytes | None, bytes | None]] = []
    good_ids: list[str] = []
    for n, (name, value) in enumerate(POISON):
        messages.append((name.encode(), value))
        for j in range(2):
            key, good = _good(2 * n + j)
            messages.append((key, good))
            good_ids.append(key.decode())
    asyncio.run(produce_raw(settings, messages))  # type: ignore[arg-type]  # a tombstone is None

    worker = Worker(settings, tmp_path).start().wait_ready(timeout=180)
    try:
        # The good articles after every poison message are indexed and searchable.
        wait_for(lambda: set(good_ids) <= set(index.article_ids()), 420, "the good articles")
        wait_for(lambda: group_lag(settings) == 0, 120, "the whole raw topic to be committed")
        for article_id in good_ids:
            (quote,) = index.quotes(article_id)
            assert quote["speaker"]["name"] == "Lena Okafor"

        letters = {
            (key or b"").decode(): (value, Rejected.model_validate_json(value))
            for _o, key, value in asyncio.run(read_topic(settings, settings.topic_dead_letter))
        }
        reasons = {key: letter.reason for key, (_v, letter) in letters.items()}
        assert reasons["deep"] == "too_deep"
        assert reasons["tombstone"] == "not_json"
        assert reasons["not-json"] == "not_json"
        assert reasons["junk"] == "not_utf8"
        _junk_value, junk = letters["junk"]
        assert junk.original_truncated and junk.original_size == len(POISON[1][1] or b"")
        assert junk.original_sha256 == hashlib.sha256(POISON[1][1] or b"").hexdigest()
        assert (junk.topic, junk.offset) == (settings.topic_raw, junk.offset)
        # Every record the worker wrote fits the limit: nothing was refused, nothing retried forever.
        budget = record_budget(settings)
        for _offset, key, value in asyncio.run(
            read_topic(settings, settings.topic_dead_letter)
        ) + asyncio.run(read_topic(settings, settings.topic_enriched)):
            assert len(value or b"") + len(key or b"") <= budget
        enriched = {
            json.loads(value)["id"]: EnrichedArticle.model_validate_json(value)
            for _o, _k, value in asyncio.run(read_topic(settings, settings.topic_enriched))
        }
        # The large articles are indexed whole; their enriched records say what they left out.
        for big in ("many-quotes", "chained"):
            if big in enriched:
                record = enriched[big]
                assert len(index.quotes(big)) == len(record.quotes) + record.omitted_quotes
        assert "many-quotes" in enriched and enriched["many-quotes"].omitted_quotes > 0
        metrics = worker.metrics() or {}
        assert metrics.get("records_refused", 0) == 0
        assert metrics.get("enriched_capped", 0) >= 1
        assert metrics.get("letters_truncated", 0) >= 1

        # Replay twice = replay once: the still-bad letters fail again for the same reason, no new ones.
        before = len(asyncio.run(read_topic(settings, settings.topic_dead_letter)))
        for _ in range(2):
            replay = run_cli(settings, "dead-letters", "replay")
            assert replay.returncode == 0, replay.stderr
            assert "not re-sent" in replay.stdout  # the cut original of "junk"
        replayed = len(letters) - 1
        wait_for(
            lambda: (worker.metrics() or {}).get("letters_repeated", 0) >= 2 * replayed,
            180,
            "the replayed letters to fail again",
        )
        wait_for(lambda: group_lag(settings) == 0, 120, "the replays to be committed")
        assert len(asyncio.run(read_topic(settings, settings.topic_dead_letter))) == before
        raw = asyncio.run(read_topic(settings, settings.topic_raw))
        tombstones = [value for _o, key, value in raw if key == b"tombstone"]
        assert tombstones == [None, None, None]  # the original and two replays: never b""

        # A safe default deployment: loopback only, /metrics and nothing of Faust's, no password printed.
        assert _listening_addresses(worker.port) == {"0100007F"}
        assert _get(worker.port, "/metrics") == 200
        for path in ("/router/", "/table/", "/graph/", "/stats/", "/performance/"):
            assert _get(worker.port, path) == 404, path
        # Faust's bare index stays (it cannot be switched off): a liveness answer that names nothing.
        with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/", timeout=5) as response:
            assert json.loads(response.read()) == {"status": "OK"}
        log_text = worker.log_path.read_text(errors="replace")
        assert PASSWORD not in log_text
        assert "elastic:***@" in log_text  # the ready line still says where Elasticsearch is

        # SIGTERM: stops within 30 s, cleanly.
        assert worker.proc is not None
        started = time.monotonic()
        worker.proc.send_signal(signal.SIGTERM)
        code = worker.proc.wait(timeout=30)
        stopped = time.monotonic() - started
        assert code == 0, worker.log_tail()
        assert stopped < 30
        print(f"SIGTERM -> exit in {stopped:.1f} s")
    finally:
        worker.stop()


def test_no_listening_socket_on_other_interfaces_helper_sees_loopback() -> None:
    # The helper above reads the kernel's table: a socket on 127.0.0.1 is 0100007F, one on all
    # interfaces 00000000 (the negative the worker test relies on).
    with socket.socket() as loop_only, socket.socket() as everywhere:
        loop_only.bind(("127.0.0.1", 0))
        loop_only.listen()
        everywhere.bind(("0.0.0.0", 0))
        everywhere.listen()
        assert _listening_addresses(loop_only.getsockname()[1]) == {"0100007F"}
        assert _listening_addresses(everywhere.getsockname()[1]) == {"00000000"}
