"""CLI: ``setup``, ``feed``, ``worker``, ``dead-letters list|replay``, ``status``.

Thin shells: each parses its options, loads the Settings and calls into ``pipeline.stream``. Heavy
imports (aiokafka, faust, elasticsearch) happen inside the command bodies.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

_T = TypeVar("_T")

if TYPE_CHECKING:
    from pipeline.models import Rejected
    from pipeline.settings import Settings
    from pipeline.stream.feed import FeedResult, FeedSummary

dead_letters_app = typer.Typer(
    help="Show or re-send the messages the worker could not index.", no_args_is_help=True
)

# How long `worker`/`setup` wait for Kafka and Elasticsearch to answer before giving up: long enough
# for a stack that is still starting, short enough to fail visibly when it is not there at all.
STARTUP_WAIT_SECONDS = 60.0


def _settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from pipeline.settings import load_settings

    try:
        settings = load_settings()
    except ValidationError as exc:
        typer.echo(
            f"quotewire: invalid settings: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}", err=True
        )
        raise typer.Exit(2) from None
    updates = {k: v for k, v in overrides.items() if v is not None}
    return settings.model_copy(update=updates) if updates else settings


# --------------------------------------------------------------------------------------------
# setup
# --------------------------------------------------------------------------------------------


def service_down(service: str, address: str, variable: str) -> str:
    """The one line that says which service does not answer and what to do about it."""
    return (
        f"{service} at {address} does not answer: start the local stack with `quotewire devstack up`, "
        f"or set {variable} to your {service}"
    )


def _stderr(line: str) -> None:
    typer.echo(line, err=True)


async def _until_answered(
    call: Callable[[], Awaitable[_T]],
    errors: tuple[type[BaseException], ...],
    down: str,
    deadline: float,
    wait: float,
    notice: Callable[[str], None],
) -> _T:
    """``call()`` retried every 2 s while it raises ``errors``: the first failure is named once through
    ``notice`` (``down`` names the service and the fix), later ones are quiet; past ``deadline`` it is a
    ``TransientError`` with the last error."""
    from pipeline.errors import TransientError

    noticed = False
    while True:
        try:
            return await call()
        except errors as exc:
            if time.monotonic() > deadline:
                raise TransientError(f"{down} (no answer for {wait:.0f} s: {exc!r})") from exc
            if not noticed:
                notice(f"{down}; retrying for up to {wait:.0f} s")
                noticed = True
            await asyncio.sleep(2.0)


async def ensure_all(
    settings: Settings, wait: float = STARTUP_WAIT_SECONDS, notice: Callable[[str], None] = _stderr
) -> list[str]:
    """Topics and indices, created if missing; retries while Kafka/Elasticsearch are still starting.

    A service that does not answer is named once through ``notice`` (with the fix), then retried
    quietly (the client libraries' own connection errors held back) until ``wait`` seconds have passed.
    """
    from aiokafka.errors import KafkaError

    from pipeline.errors import TransientError
    from pipeline.index.client import make_async_client
    from pipeline.index.schema import ensure_indices
    from pipeline.stream.logs import held_back
    from pipeline.stream.topics import ensure_topics
    from pipeline.urls import redact_url

    deadline = time.monotonic() + wait
    kafka_down = service_down("Kafka", redact_url(settings.kafka_bootstrap), "QUOTEWIRE_KAFKA_BOOTSTRAP")
    es_down = service_down("Elasticsearch", redact_url(settings.es_url), "QUOTEWIRE_ES_URL")
    with held_back("aiokafka", "kafka", "elastic_transport"):
        topics = await _until_answered(
            lambda: ensure_topics(settings), (KafkaError, OSError), kafka_down, deadline, wait, notice
        )
        lines = [f"topic {name}: {state}" for name, state in topics.items()]
        lines += await _check_limits(settings)
        client = make_async_client(settings)
        try:
            statuses = await _until_answered(
                lambda: ensure_indices(client, settings), (TransientError,), es_down, deadline, wait, notice
            )
        finally:
            await client.close()
    for s in statuses:
        note = (
            f" (schema v{s.schema_version} < config v{s.config_version}: run `quotewire reindex {s.kind}`)"
            if s.outdated
            else ""
        )
        lines.append(f"index {s.alias} -> {s.index}: {'created' if s.created else 'exists'}{note}")
    return lines


async def _check_limits(settings: Settings) -> list[str]:
    """The topics' record limit as the broker applies it, checked against the settings the worker
    fits its records to; a lower limit (setup could not alter it) is an error, not a surprise later."""
    from pipeline.errors import QuotewireError
    from pipeline.stream.sizes import raw_limit_note, record_budget
    from pipeline.stream.topics import topic_limits

    limits = await topic_limits(settings)
    low = {name: value for name, value in limits.items() if value < settings.kafka_max_message_bytes}
    if low:
        raise QuotewireError(
            "topics accept smaller records than QUOTEWIRE_KAFKA_MAX_MESSAGE_BYTES="
            f"{settings.kafka_max_message_bytes}: "
            + ", ".join(f"{name} max.message.bytes={value}" for name, value in sorted(low.items()))
        )
    lines = [
        f"records up to {record_budget(settings)} bytes (topics' max.message.bytes "
        f"{settings.kafka_max_message_bytes}, producer max_request_size {settings.kafka_max_request_size})"
    ]
    note = raw_limit_note(settings)
    return lines + ([f"note: {note}"] if note else [])


def setup() -> None:
    """Create the Kafka topics and Elasticsearch indices (idempotent: safe to run again)."""
    from pipeline.errors import QuotewireError
    from pipeline.urls import redact_url

    settings = _settings()
    try:
        lines = asyncio.run(ensure_all(settings))
    except QuotewireError as exc:
        typer.echo(redact_url(f"quotewire setup: {exc}"), err=True)
        raise typer.Exit(1) from None
    for line in lines:
        typer.echo(line)


# --------------------------------------------------------------------------------------------
# feed
# --------------------------------------------------------------------------------------------


async def _stdin_lines(stop: asyncio.Event, max_text_chars: int) -> AsyncIterator[FeedResult]:
    from pipeline.stream.feed import parse_json_line

    loop = asyncio.get_running_loop()
    number = 0
    while not stop.is_set():
        line = await loop.run_in_executor(None, sys.stdin.buffer.readline)
        if not line:
            return
        number += 1
        if line.strip():
            yield parse_json_line(line, f"-:{number}", max_text_chars)


async def _follow_results(
    paths: list[Path], stdin: bool, follow: bool, poll: float, stop: asyncio.Event, max_text_chars: int
) -> AsyncIterator[FeedResult]:
    from pipeline.stream.feed import DropFolder, listing_of, parse_document, parse_path

    folders = [p for p in paths if p.is_dir()]
    watched = {folder: DropFolder(sent=listing_of(folder)) for folder in folders} if follow else {}
    for path in paths:
        for result in parse_path(path, max_text_chars):
            yield result
    if stdin:
        if follow:
            async for result in _stdin_lines(stop, max_text_chars):
                yield result
        else:
            data = sys.stdin.buffer.read()
            for result in parse_document("-", data, max_text_chars):
                yield result
    while watched and not stop.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll)
        for folder, state in watched.items():
            for file in state.ready(listing_of(folder)):
                for result in parse_path(file, max_text_chars):
                    yield result


def _progress_callback() -> tuple[Callable[[FeedResult], None], Callable[[], None]]:
    """A live counter on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
        return (lambda _result: None), (lambda: None)
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from pipeline.stream.feed import Outgoing

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    counts = {"sent": 0, "skipped": 0}
    task = progress.add_task("feeding", total=None)
    progress.start()

    def on_result(result: FeedResult) -> None:
        counts["sent" if isinstance(result, Outgoing) else "skipped"] += 1
        progress.update(task, description=f"sent {counts['sent']}, skipped {counts['skipped']}")

    return on_result, progress.stop


def feed(
    paths: Annotated[
        list[str],
        typer.Argument(help="Files or folders (JSON, JSON Lines, ninjs, wire text); - = stdin"),
    ],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep watching folders (or stdin) and send new files")
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds between folder scans with --follow", min=0.1)] = 1.0,
    topic: Annotated[str | None, typer.Option(help="Topic to send to (default: the raw topic)")] = None,
) -> None:
    """Send wire articles to the raw topic (key = article id). Prints sent/skipped; exit 1 if any input
    was not a valid article (the rest is still sent)."""
    from aiokafka.errors import KafkaError

    from pipeline.stream.feed import FeedSummary, send_all
    from pipeline.urls import redact_url

    settings = _settings()
    stdin = "-" in paths
    files = [Path(p) for p in paths if p != "-"]
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise typer.BadParameter(f"no such file or folder: {', '.join(missing)}", param_hint="PATHS")
    summary = FeedSummary()
    on_result, done = _progress_callback()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        results = _follow_results(files, stdin, follow, poll, stop, settings.max_text_chars)
        await send_all(settings, results, summary, on_result, topic=topic)

    try:
        asyncio.run(run())
    except KafkaError as exc:
        done()
        _print_summary(summary, topic or settings.topic_raw)
        typer.echo(
            redact_url(f"quotewire feed: Kafka at {settings.kafka_bootstrap} failed: {exc!r}"), err=True
        )
        raise typer.Exit(1) from None
    done()
    _print_summary(summary, topic or settings.topic_raw)
    if summary.errors:
        raise typer.Exit(1)


def _print_summary(summary: FeedSummary, topic: str) -> None:
    typer.echo(f"sent {summary.sent} article(s) to {topic}")
    if summary.skipped:
        typer.echo(f"skipped {len(summary.skipped)}:")
        for s in summary.skipped:
            typer.echo(f"  {s.origin}: {s.reason}: {s.detail}")
    if summary.replaced:
        typer.echo(f"replaced {len(summary.replaced)} (same article id; the newer version is kept):")
        for r in summary.replaced:
            typer.echo(f"  {r.origin} replaces {r.previous} (id {r.article_id})")


# --------------------------------------------------------------------------------------------
# worker
# --------------------------------------------------------------------------------------------


def worker(
    web_port: Annotated[
        int | None, typer.Option(help="Port of /metrics (default QUOTEWIRE_WORKER_WEB_PORT; 0 = none)")
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(help="Enrichment processes (default QUOTEWIRE_WORKER_PROCESSES; 0 = per core)"),
    ] = None,
    loglevel: Annotated[str, typer.Option(help="debug, info, warning, error")] = "info",
    log_format: Annotated[
        str,
        typer.Option(help="console (for people), json (one object per line), or auto: console on a terminal"),
    ] = "auto",
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit once everything on the raw topic is indexed")
    ] = False,
) -> None:
    """Run the stream worker: raw topic -> enrich -> Elasticsearch (+ enriched and dead-letter topics)."""
    from faust.worker import Worker

    from pipeline.errors import QuotewireError
    from pipeline.stream.app import make_app
    from pipeline.stream.logs import LOG_FORMATS, configure_logging, logging_config
    from pipeline.stream.metrics import PipelineMetrics
    from pipeline.urls import redact_url

    settings = _settings(worker_web_port=web_port, worker_processes=processes)
    if loglevel.lower() not in ("debug", "info", "warning", "error"):
        raise typer.BadParameter(f"unknown log level {loglevel!r}", param_hint="--loglevel")
    if log_format not in LOG_FORMATS:
        raise typer.BadParameter(f"unknown log format {log_format!r}", param_hint="--log-format")
    fmt = configure_logging(loglevel, log_format, kafka=settings.kafka_bootstrap)
    log = logging.getLogger("pipeline.stream.worker")
    problem = _model_problem(settings.spacy_model)
    if problem:
        log.error("%s", problem)
        raise typer.Exit(2)
    try:
        _log_setup(log, asyncio.run(ensure_all(settings, notice=log.warning)))
    except QuotewireError as exc:
        log.error("%s", redact_url(str(exc)))
        raise typer.Exit(1) from None
    fatal: list[str] = []
    metrics = PipelineMetrics()
    app = make_app(settings, metrics, until_idle=until_idle, on_fatal=fatal.append)
    started = time.monotonic()
    # The Worker installs SIGTERM/SIGINT handlers: the in-flight batch finishes, acked offsets are
    # committed, and the process exits 0.
    try:
        Worker(
            app,
            loglevel=loglevel.upper(),
            logging_config=logging_config(
                loglevel, fmt, colors=fmt == "console" and sys.stderr.isatty(), kafka=settings.kafka_bootstrap
            ),
            quiet=True,
            redirect_stdouts=False,
        ).execute_from_commandline()
    except SystemExit as exc:
        if fatal:
            log.error("%s", redact_url(fatal[0]))
            raise typer.Exit(1) from None
        counters = metrics.counters
        log.info(
            "worker stopped after %.0f s: %d articles read, %d indexed, %d superseded, %d dead-lettered",
            time.monotonic() - started,
            counters["articles_in"],
            counters["articles_indexed"],
            counters["articles_superseded"],
            counters["dead_lettered"],
            extra={"event": "stopped", **counters},
        )
        raise exc from None


def _log_setup(log: logging.Logger, lines: list[str]) -> None:
    """What ``ensure_all`` found, in one line unless something was created or needs attention."""
    quiet = [line for line in lines if line.endswith(": exists")]
    for line in lines:
        if line not in quiet:
            attention = "reindex" in line or line.startswith("note:")
            log.log(logging.WARNING if attention else logging.INFO, "%s", line)
    if quiet:
        log.info("%d topics and indices already in place", len(quiet))


def _model_problem(model: str) -> str | None:
    """Cheap check that the spaCy model can be found (a package or a folder), without loading it."""
    import importlib.util

    if Path(model).exists():
        return None
    try:
        if importlib.util.find_spec(model) is not None:
            return None
    except (ImportError, ValueError):
        pass
    return f"spaCy model {model!r} is neither an installed package nor a folder (QUOTEWIRE_SPACY_MODEL)"


# --------------------------------------------------------------------------------------------
# dead-letters
# --------------------------------------------------------------------------------------------


@dead_letters_app.command("list")
def dead_letters_list(
    reason: Annotated[list[str] | None, typer.Option(help="Only these reasons (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One Rejected record (JSON) per line")] = False,
) -> None:
    """Show the dead-letter topic from the beginning (the latest letter per message): when, why, where
    from, and the original's start."""
    from collections import Counter

    from pipeline.stream.deadletter import decode_rejected, describe, latest_letters
    from pipeline.stream.topics import read_topic

    settings = _settings()
    messages = asyncio.run(read_topic(settings, settings.topic_dead_letter))
    letters = latest_letters(decode_rejected(value) for _offset, _key, value in messages)
    shown = [r for r in letters if not reason or r.reason in reason]
    for r in shown:
        typer.echo(r.model_dump_json() if as_json else describe(r))
    if not as_json:
        counts = Counter(r.reason for r in shown)
        typer.echo(
            f"{len(shown)} dead letter(s) in {settings.topic_dead_letter}"
            + (": " + ", ".join(f"{k} {v}" for k, v in counts.most_common()) if counts else "")
        )


@dead_letters_app.command("replay")
def dead_letters_replay(
    reason: Annotated[list[str] | None, typer.Option(help="Only these reasons (repeatable)")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be sent, send nothing")
    ] = False,
) -> None:
    """Re-send dead-lettered originals to the raw topic (after fixing the cause), keys kept, each marked
    as a replay of its letter: one that fails again for the same reason adds no new letter, so replaying
    twice leaves the dead-letter topic as replaying once does. Originals cut to fit the topic are not
    re-sent (their letter names where the whole one was read)."""
    from pipeline.stream.deadletter import decode_rejected, latest_letters
    from pipeline.stream.topics import read_topic

    settings = _settings()
    messages = asyncio.run(read_topic(settings, settings.topic_dead_letter))
    letters = latest_letters(decode_rejected(value) for _offset, _key, value in messages)
    chosen = [r for r in letters if not reason or r.reason in reason]
    cut = [r for r in chosen if r.original_truncated]
    chosen = [r for r in chosen if not r.original_truncated]
    if not dry_run and chosen:
        asyncio.run(_resend(settings, chosen))
    verb = "would re-send" if dry_run else "re-sent"
    typer.echo(f"{verb} {len(chosen)} message(s) to {settings.topic_raw}")
    for r in cut:
        typer.echo(
            f"not re-sent: {r.topic}[{r.partition}]@{r.offset} ({r.reason}): the letter holds only the start "
            f"of its {r.original_size}-byte original (sha256 {r.original_sha256})"
        )


async def _resend(settings: Settings, letters: list[Rejected]) -> None:
    from aiokafka import AIOKafkaProducer

    from pipeline.kafka_clients import kafka_client_kwargs
    from pipeline.stream.deadletter import original_bytes, replay_headers

    producer = AIOKafkaProducer(
        **kafka_client_kwargs(settings),
        acks="all",
        enable_idempotence=True,
        max_request_size=settings.kafka_max_request_size,
    )
    await producer.start()
    try:
        futures = [
            # original_bytes is None for a tombstone: it is replayed as a tombstone, not as b"".
            await producer.send(
                settings.topic_raw,
                original_bytes(letter),
                key=letter.key.encode() if letter.key else None,
                headers=replay_headers(letter),
            )
            for letter in letters
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


# --------------------------------------------------------------------------------------------
# status
# --------------------------------------------------------------------------------------------


def status(
    web_port: Annotated[
        int | None, typer.Option(help="Worker /metrics port to read (default from settings)")
    ] = None,
) -> None:
    """Show the worker's counters (from its /metrics) and the consumer group's lag (from Kafka)."""
    import urllib.error
    import urllib.request

    from pipeline.stream.metrics import parse_samples, status_lines

    settings = _settings()
    port = web_port or settings.worker_web_port
    # The worker's interface; "all interfaces" is reached on loopback.
    host = settings.worker_web_host if settings.worker_web_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    url = f"http://{host}:{port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            page = response.read().decode("utf-8")
    except (urllib.error.URLError, OSError) as exc:
        typer.echo(f"worker: no metrics at {url} ({exc})")
        page = ""
    if page:
        typer.echo(f"worker at {url}")
        for line in status_lines(parse_samples(page)):
            typer.echo(f"  {line.name:<36} {line.value}")
    from pipeline.stream.topics import consumer_group_lag

    try:
        group_lag = asyncio.run(consumer_group_lag(settings))
    except Exception as exc:  # Kafka unreachable or the group unknown: say so, do not crash
        typer.echo(f"consumer group {settings.consumer_group}: unavailable ({exc!r})")
        raise typer.Exit(3) from None
    lag, members, total = group_lag.partitions, group_lag.members, group_lag.total
    typer.echo(
        f"consumer group {settings.consumer_group} on {settings.topic_raw}: {members} member(s), lag {total}"
    )
    for partition, (done, end) in sorted(lag.items()):
        typer.echo(
            f"  partition {partition}: committed {done if done is not None else '-'}, end {end}, "
            f"lag {end - (done or 0)}"
        )
    if not page:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)
    app.command("feed")(feed)
    app.command("worker")(worker)
    app.command("status")(status)
    app.add_typer(dead_letters_app, name="dead-letters")
