"""The whole stream on the real devstack: ``quotewire feed`` -> Kafka -> ``quotewire worker``
subprocesses (Faust, process-pool enrichment) -> Elasticsearch, searched back.

Every test has its own topics, index prefix and consumer group (``stream_harness.isolated_settings``),
so runs in parallel or after a crash never see each other's data. Corpus articles are read in place
from ``../shared/data`` and written only to pytest's temporary folder.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stream_harness import (
    DATA,
    Index,
    TcpProxy,
    Worker,
    corpus_sample,
    enriched_latest,
    group_lag,
    isolated_settings,
    produce_raw,
    run_cli,
    wait_for,
    write_jsonl,
)

from pipeline.models import Article
from pipeline.settings import Settings

pytestmark = pytest.mark.integration

SEED = DATA / "seeds" / "000_6b86da6157363970.txt"


def _seed_id() -> str:
    """The seed's article id as pipeline.ingest names a plain-text file (source:name:digest)."""
    from pipeline.ingest.documents import parse_path

    ((_origin, article),) = parse_path(SEED, 1_000_000)
    assert isinstance(article, Article), article
    return article.id


@pytest.fixture
def cleanup() -> Iterator[list[Index]]:
    indices: list[Index] = []
    yield indices
    for index in indices:
        index.close()


@pytest.fixture
def workers(cleanup: list[Index]) -> Iterator[list[Worker]]:
    # Depends on cleanup so workers stop before their topics and indices are deleted.
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def _setup(settings: Settings, cleanup: list[Index]) -> Index:
    result = run_cli(settings, "setup")
    assert result.returncode == 0, result.stderr
    index = Index(settings)
    cleanup.append(index)
    return index


def _feed(settings: Settings, *paths: Path) -> None:
    result = run_cli(settings, "feed", *map(str, paths))
    assert result.returncode == 0, result.stdout + result.stderr


def _drained(settings: Settings, index: Index, expected: int) -> bool:
    return index.article_count() >= expected and group_lag(settings) == 0


def test_seed_and_corpus_indexed_exactly_once_and_searchable(
    devstack: Settings, tmp_path: Path, workers: list[Worker], cleanup: list[Index]
) -> None:
    settings = isolated_settings(devstack, "main", worker_batch_size=32)
    index = _setup(settings, cleanup)
    sample = corpus_sample(n_bbc=150, n_reuters=150)
    half = len(sample) // 2
    first = write_jsonl(tmp_path / "first.jsonl", sample[:half])
    second = write_jsonl(tmp_path / "second.jsonl", sample[half:])

    workers.append(Worker(settings, tmp_path, processes=2).start().wait_ready())
    _feed(settings, SEED, first)
    # Malformed messages between good ones, produced as raw bytes (feed itself refuses to send them).
    malformed = [
        (b"m1", b"{not json"),
        (b"m2", b'{"id": "m2", "text": ""}'),
        (b"m3", b'{"id": "m3", "text": 42}'),
        (b"m4", b"\xff\xfe\xfa"),
        (None, b'["an", "array"]'),
        (b"m6", b'{"text": "no id here"}'),
        (b"m7", json.dumps({"id": "m7", "text": "x" * (settings.max_text_chars + 1)}).encode()),
    ]
    asyncio.run(produce_raw(settings, malformed))
    _feed(settings, second)

    expected_ids = sorted({a["id"] for a in sample} | {_seed_id()})
    wait_for(lambda: _drained(settings, index, len(expected_ids)), 300, "all articles indexed and committed")

    # Exactly once: one article document per input id, nothing else.
    assert index.article_ids() == expected_ids
    # Quote documents: exactly the quotes of each article's enrichment, no duplicates.
    latest = enriched_latest(settings)
    assert sorted(latest) == expected_ids
    quotes = index.quotes()
    assert len(quotes) == sum(len(a["quotes"]) for a in latest.values())
    assert len({q["_id"] for q in quotes}) == len(quotes)

    # Searchable by speaker and by country through the CLI.
    by_person = run_cli(settings, "search", "--person", "Antonov", "--json", "--limit", "50")
    assert by_person.returncode == 0, by_person.stderr
    antonov = [json.loads(line) for line in by_person.stdout.splitlines() if line.strip()]
    assert antonov, "no quotes for Antonov"
    assert all(SEED.stem in json.dumps(hit) for hit in antonov)
    by_country = run_cli(settings, "search", "--country", "RU", "--json", "--limit", "50")
    assert by_country.returncode == 0, by_country.stderr
    assert any(SEED.stem in line for line in by_country.stdout.splitlines())

    # The malformed messages, and only they, are dead letters - with their reasons.
    listed = run_cli(settings, "dead-letters", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    dead = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert sorted(d["reason"] for d in dead) == sorted(
        ["not_json", "empty_text", "wrong_type", "not_utf8", "not_an_object", "missing_id", "oversize"]
    )
    assert all(d["topic"] == settings.topic_raw and d["offset"] is not None for d in dead)

    metrics = workers[0].metrics()
    assert metrics is not None
    assert metrics["articles_in"] == len(expected_ids) + len(malformed)
    assert metrics["articles_indexed"] == len(expected_ids)
    assert metrics["dead_lettered"] == len(malformed)

    status = run_cli(settings, "status", "--web-port", str(workers[0].port))
    assert status.returncode == 0, status.stdout + status.stderr
    assert "lag 0" in status.stdout


def test_redelivery_and_versions_leave_exactly_the_newest_quotes(
    devstack: Settings, tmp_path: Path, workers: list[Worker], cleanup: list[Index]
) -> None:
    settings = isolated_settings(devstack, "versions", worker_batch_seconds=0.3)
    index = _setup(settings, cleanup)
    workers.append(Worker(settings, tmp_path).start().wait_ready())

    def ninjs(version: str, body: str) -> dict[str, Any]:
        return {"uri": "urn:test:story-1", "versioncreated": version, "headline": "Talks", "body_text": body}

    v1 = ninjs(
        "2024-03-01T10:00:00Z",
        '"The bridge stays closed," Mayor Lena Okafor said.\n\n'
        '"We need another month," Engineer Tomas Brandt told reporters.',
    )
    v2 = ninjs("2024-03-01T12:00:00Z", '"The bridge opens on Friday," Mayor Lena Okafor said.')
    v0 = ninjs("2024-03-01T08:00:00Z", '"No comment," Mayor Lena Okafor said.')

    def quote_texts() -> list[str]:
        return sorted(q["text"] for q in index.quotes("urn:test:story-1"))

    (tmp_path / "v1.json").write_text(json.dumps(v1))
    _feed(settings, tmp_path / "v1.json", tmp_path / "v1.json")  # the same article twice
    wait_for(lambda: len(quote_texts()) == 2 and group_lag(settings) == 0, 120, "version 1 indexed")
    first = quote_texts()
    assert any("stays closed" in t for t in first)

    (tmp_path / "v2.json").write_text(json.dumps(v2))
    _feed(settings, tmp_path / "v2.json")
    wait_for(lambda: any("opens on Friday" in t for t in quote_texts()), 120, "version 2 indexed")
    (tmp_path / "v0.json").write_text(json.dumps(v0))
    _feed(settings, tmp_path / "v0.json")  # an older version arriving late
    wait_for(lambda: group_lag(settings) == 0, 120, "late version consumed")

    assert quote_texts() == ['"The bridge opens on Friday,"']
    assert index.article_ids() == ["urn:test:story-1"]
    metrics = workers[0].metrics()
    assert metrics is not None
    assert metrics["articles_superseded"] == 1


def test_sigkill_mid_batch_then_restart_loses_and_duplicates_nothing(
    devstack: Settings, tmp_path: Path, workers: list[Worker], cleanup: list[Index]
) -> None:
    settings = isolated_settings(devstack, "sigkill", worker_batch_size=16)
    index = _setup(settings, cleanup)
    sample = corpus_sample(n_bbc=120, n_reuters=80, skip=500)
    _feed(settings, write_jsonl(tmp_path / "sample.jsonl", sample))

    first = Worker(settings, tmp_path, name="first").start()
    workers.append(first)
    first.wait_ready()

    def in_flight() -> bool:
        m = first.metrics()
        return (
            m is not None
            and m["batches"] >= 2
            and m["articles_in"] > m["articles_indexed"] + m["dead_lettered"]
        )

    wait_for(in_flight, 180, "a batch in flight after some were indexed", interval=0.05)
    assert first.kill(signal.SIGKILL) == -signal.SIGKILL
    indexed_before = index.article_count()
    assert 0 < indexed_before < len(sample), "the kill should land mid-stream"

    second = Worker(settings, tmp_path, name="second").start()
    workers.append(second)
    second.wait_ready()
    expected_ids = sorted({a["id"] for a in sample})
    wait_for(lambda: _drained(settings, index, len(expected_ids)), 300, "the restarted worker to finish")

    assert index.article_ids() == expected_ids
    latest = enriched_latest(settings)
    quotes = index.quotes()
    assert len(quotes) == sum(len(a["quotes"]) for a in latest.values())
    assert len({q["_id"] for q in quotes}) == len(quotes)
    metrics = second.metrics()
    assert metrics is not None
    # The second worker re-read what the first had not committed (redelivery), never less.
    assert metrics["articles_in"] >= len(sample) - indexed_before


def test_two_workers_share_partitions_and_survive_one_being_killed(
    devstack: Settings, tmp_path: Path, workers: list[Worker], cleanup: list[Index]
) -> None:
    settings = isolated_settings(devstack, "pair", worker_batch_size=8)
    index = _setup(settings, cleanup)
    a = Worker(settings, tmp_path, name="a").start()
    b = Worker(settings, tmp_path, name="b").start()
    workers += [a, b]
    a.wait_ready()
    b.wait_ready()
    wait_for(
        lambda: "2 member(s)" in run_cli(settings, "status", "--web-port", str(a.port)).stdout,
        60,
        "both workers in the group",
    )

    sample = corpus_sample(n_bbc=60, n_reuters=140, skip=900)
    _feed(settings, write_jsonl(tmp_path / "sample.jsonl", sample))

    def both_working() -> bool:
        ma, mb = a.metrics(), b.metrics()
        return bool(ma and mb and ma["articles_indexed"] > 0 and mb["articles_indexed"] > 0)

    wait_for(both_working, 180, "both workers indexing (partitions shared)", interval=0.1)
    assert a.kill(signal.SIGKILL) == -signal.SIGKILL

    expected_ids = sorted({x["id"] for x in sample})
    wait_for(lambda: _drained(settings, index, len(expected_ids)), 300, "the surviving worker to finish")
    assert index.article_ids() == expected_ids
    mb = b.metrics()
    assert mb is not None
    assert b.proc is not None and b.proc.poll() is None


def test_elasticsearch_outage_loses_nothing(
    devstack: Settings, tmp_path: Path, workers: list[Worker], cleanup: list[Index]
) -> None:
    """Elasticsearch 'stopped' for the worker, then 'restarted'.

    The worker reaches Elasticsearch through a TCP proxy; ``down()`` aborts every open connection and
    refuses new ones - exactly what a client sees when a node process stops - while the shared node
    others test against keeps running. (Starting a second node for this test would cost ~1 GB and most
    of a core on a 2-core CI machine; a write block would answer 403, a permanent refusal rather than
    an outage.)
    """
    from urllib.parse import urlsplit

    target = urlsplit(devstack.es_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 9200)
    proxy.up()
    try:
        direct = isolated_settings(devstack, "outage")
        index = _setup(direct, cleanup)  # the test reads Elasticsearch directly, the worker via the proxy
        settings = direct.model_copy(update={"es_url": f"http://127.0.0.1:{proxy.port}"})
        worker = Worker(settings, tmp_path).start()
        workers.append(worker)
        worker.wait_ready()

        sample = corpus_sample(n_bbc=30, n_reuters=90, skip=1500)
        _feed(settings, write_jsonl(tmp_path / "before.jsonl", sample[:40]))
        wait_for(lambda: _drained(settings, index, 40), 180, "the first articles indexed")

        proxy.down()
        _feed(settings, write_jsonl(tmp_path / "during.jsonl", sample[40:]))
        wait_for(lambda: (worker.metrics() or {}).get("retries", 0) >= 3, 120, "the worker retrying")
        assert group_lag(settings) > 0, "offsets were committed while Elasticsearch was down"
        assert index.article_count() == 40

        proxy.up()
        expected_ids = sorted({a["id"] for a in sample})
        wait_for(lambda: _drained(settings, index, len(expected_ids)), 240, "catching up after the outage")
        assert index.article_ids() == expected_ids
        assert worker.proc is not None and worker.proc.poll() is None
    finally:
        proxy.close()


def test_worker_sigterm_is_clean(devstack: Settings, tmp_path: Path, cleanup: list[Index]) -> None:
    settings = isolated_settings(devstack, "sigterm")
    index = _setup(settings, cleanup)
    worker = Worker(settings, tmp_path).start().wait_ready()
    _feed(settings, SEED)
    wait_for(lambda: _drained(settings, index, 1), 120, "the seed indexed")
    assert worker.kill(signal.SIGTERM) == 0
    assert "Traceback" not in worker.log_path.read_text()


def test_dead_letters_replay_after_the_cause_is_fixed(
    devstack: Settings, tmp_path: Path, cleanup: list[Index]
) -> None:
    """An article too long for the configured limit is dead-lettered; after the limit is raised,
    `dead-letters replay` sends the original again and a one-shot worker (`--until-idle`) indexes it."""
    strict = isolated_settings(devstack, "replay", max_text_chars=200)
    index = _setup(strict, cleanup)
    long_text = "The harbour master said the quay would reopen. " * 10  # ~470 characters
    write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "short-1", "text": '"We are ready," Mayor Lena Okafor said.'},
            {"id": "long-1", "text": long_text},
        ],
    )
    # Produced raw: `feed` applies the same limit and would refuse to send the long one.
    lines = (tmp_path / "in.jsonl").read_bytes().splitlines()
    asyncio.run(produce_raw(strict, [(b"short-1", lines[0]), (b"long-1", lines[1])]))

    first = run_cli(strict, "worker", "--until-idle", "--web-port", "0", timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    assert index.article_ids() == ["short-1"]
    listed = run_cli(strict, "dead-letters", "list")
    assert "oversize" in listed.stdout and "1 dead letter(s)" in listed.stdout

    relaxed = strict.model_copy(update={"max_text_chars": 200_000})
    replay = run_cli(relaxed, "dead-letters", "replay", "--reason", "oversize")
    assert replay.returncode == 0, replay.stderr
    assert "re-sent 1 message(s)" in replay.stdout
    second = run_cli(relaxed, "worker", "--until-idle", "--web-port", "0", timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    assert index.article_ids() == ["long-1", "short-1"]


def test_feed_follow_sends_files_dropped_into_a_folder(
    devstack: Settings, tmp_path: Path, cleanup: list[Index]
) -> None:
    import subprocess
    import time

    from stream_harness import QUOTEWIRE, settings_env

    from pipeline.stream.topics import read_topic

    settings = isolated_settings(devstack, "follow")
    _setup(settings, cleanup)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "early.json").write_text(json.dumps({"id": "early", "text": "Sent at start."}))
    proc = subprocess.Popen(
        [QUOTEWIRE, "feed", "--follow", "--poll", "0.2", str(drop)],
        env=settings_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def keys() -> list[bytes | None]:
            return sorted(k for _o, k, _v in asyncio.run(read_topic(settings, settings.topic_raw)))

        wait_for(lambda: keys() == [b"early"], 60, "the file present at start")
        (drop / "late.json.part").write_text(json.dumps({"id": "late", "text": "Dropped later."}))
        time.sleep(1.0)
        assert keys() == [b"early"], "a half-written file was sent"
        (drop / "late.json.part").rename(drop / "late.json")
        (drop / "broken.json").write_text("{")
        wait_for(lambda: keys() == [b"early", b"late"], 60, "the dropped file")
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "sent 2 article(s)" in out, out + err
    assert "broken.json: not_json" in out
    assert proc.returncode == 1  # a malformed file was reported
