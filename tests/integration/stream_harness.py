"""Helpers for the streaming integration tests: isolated names per test, real ``quotewire worker``
subprocesses, feeding, waiting on Elasticsearch, and a TCP proxy that can make Elasticsearch vanish
for the worker without touching the shared node.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.devstack.scratch import remove_scratch, scratch_settings, settings_env
from pipeline.settings import PROJECT_ROOT, Settings

DATA = PROJECT_ROOT.parent / "shared" / "data"
QUOTEWIRE = str(Path(sys.executable).parent / "quotewire")


def isolated_settings(base: Settings, label: str, **extra: Any) -> Settings:
    """Unique topics, index prefix and consumer group, so parallel runs never meet."""
    return scratch_settings(base, f"qwtest-{label}", **extra)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def corpus_sample(n_bbc: int, n_reuters: int, skip: int = 0) -> list[dict[str, Any]]:
    """Articles read in place from ../shared/data/corpora (never copied into the repo)."""
    out: list[dict[str, Any]] = []
    for name, n in (("bbc-news-2004.jsonl", n_bbc), ("reuters-21578.jsonl", n_reuters)):
        with (DATA / "corpora" / name).open(encoding="utf-8") as f:
            taken = 0
            for i, line in enumerate(f):
                if i < skip:
                    continue
                if taken >= n:
                    break
                article = json.loads(line)
                if article.get("text", "").strip():
                    out.append(article)
                    taken += 1
    return out


def write_jsonl(path: Path, articles: Iterable[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return path


def run_cli(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [QUOTEWIRE, *args], env=settings_env(settings), capture_output=True, text=True, timeout=timeout
    )


async def produce_raw(
    settings: Settings,
    messages: Iterable[tuple[bytes | None, bytes]],
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Produce exact bytes (malformed input the feed command would refuse to send), with ``headers``
    on every message if given."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(settings.topic_raw, value, key=key, headers=headers)
    finally:
        await producer.stop()


class Worker:
    """A real ``quotewire worker`` subprocess with its own web port and log file."""

    def __init__(self, settings: Settings, log_dir: Path, name: str = "worker", processes: int = 1) -> None:
        self.settings = settings
        self.port = free_port()
        self.processes = processes
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        env = settings_env(self.settings)
        env["QUOTEWIRE_WORKER_WEB_PORT"] = str(self.port)
        env["QUOTEWIRE_WORKER_PROCESSES"] = str(self.processes)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([QUOTEWIRE, "worker"], env=env, stdout=log, stderr=log)
        log.close()
        return self

    def wait_ready(self, timeout: float = 120) -> Worker:
        """Until the agent's process pool has loaded the model and the web server answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            if b"worker ready" in self.log_path.read_bytes() and self.metrics() is not None:
                return self
            time.sleep(0.3)
        raise AssertionError(f"worker not ready after {timeout} s:\n{self.log_tail()}")

    def metrics(self) -> dict[str, float] | None:
        from pipeline.stream.metrics import parse_samples

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                page = r.read().decode()
        except OSError:
            return None
        return {
            name.removeprefix("quotewire_").removesuffix("_total"): value
            for name, labels, value in parse_samples(page)
            if not labels
        }

    def kill(self, sig: int = signal.SIGKILL) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=90)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Index:
    """Synchronous reads of one test's indices."""

    def __init__(self, settings: Settings) -> None:
        from pipeline.index.client import make_client

        self.settings = settings
        self.client = make_client(settings)

    def refresh(self) -> None:
        self.client.indices.refresh(index=[self.settings.quotes_alias, self.settings.articles_alias])

    def article_count(self) -> int:
        self.refresh()
        return int(self.client.count(index=self.settings.articles_alias)["count"])

    def article_ids(self) -> list[str]:
        self.refresh()
        hits = self.client.search(
            index=self.settings.articles_alias, size=10_000, source_includes=["id", "article_id"]
        )["hits"]["hits"]
        return sorted(h["_source"].get("article_id") or h["_source"].get("id") for h in hits)

    def quotes(self, article_id: str | None = None) -> list[dict[str, Any]]:
        self.refresh()
        query: dict[str, Any] = {"term": {"article_id": article_id}} if article_id else {"match_all": {}}
        hits = self.client.search(index=self.settings.quotes_alias, query=query, size=10_000)["hits"]["hits"]
        return [h["_source"] | {"_id": h["_id"]} for h in hits]

    def close(self) -> None:
        """Delete the test's indices and topics (and Faust's leader topic for its group)."""
        self.client.close()
        asyncio.run(remove_scratch(self.settings))


def group_lag(settings: Settings) -> int:
    from pipeline.stream.topics import consumer_group_lag

    return asyncio.run(consumer_group_lag(settings)).total


def enriched_latest(settings: Settings) -> dict[str, dict[str, Any]]:
    """The last enriched article per id on the enriched topic (redeliveries publish again)."""
    from pipeline.stream.topics import read_topic

    latest: dict[str, dict[str, Any]] = {}
    for _offset, _key, value in asyncio.run(read_topic(settings, settings.topic_enriched)):
        article = json.loads(value)
        latest[article["id"]] = article
    return latest


class TcpProxy:
    """127.0.0.1:<port> -> target. ``down()`` closes every connection and refuses new ones, which is
    what a client sees when an Elasticsearch node is stopped; ``up()`` listens on the same port again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def _up(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _down(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def up(self) -> None:
        self._run(self._up())

    def down(self) -> None:
        self._run(self._down())

    def close(self) -> None:
        self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
