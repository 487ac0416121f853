"""Worker logs (console for people, JSON for machines), held-back repeats, the progress line, and the
one line that names a service that does not answer."""

from __future__ import annotations

import io
import json
import logging
import socket
import sys

import pytest

from pipeline.errors import TransientError
from pipeline.stream.logs import (
    LIBRARY_LOGGERS,
    KafkaOutageFilter,
    RepeatFilter,
    StartupNoiseFilter,
    held_back,
    logging_config,
    make_formatter,
    resolve_format,
)
from pipeline.stream.metrics import PipelineMetrics, Progress, progress_report


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("requested", "stream", "expected"),
    [
        ("auto", _Tty(), "console"),
        ("auto", io.StringIO(), "json"),  # a pipe or a file: for machines
        ("json", _Tty(), "json"),
        ("console", io.StringIO(), "console"),
    ],
)
def test_log_format_follows_the_terminal_unless_asked(
    requested: str, stream: io.StringIO, expected: str
) -> None:
    assert resolve_format(requested, stream) == expected


@pytest.mark.parametrize("requested", ["", "text", "JSON "])
def test_unknown_log_format_is_refused(requested: str) -> None:
    with pytest.raises(ValueError, match="unknown log format"):
        resolve_format(requested)


def _record(
    name: str, level: int, msg: str, *args: object, exc: bool = False, **extra: object
) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            exc_info = sys.exc_info()
    record = logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_lines_carry_time_level_logger_message_and_extras() -> None:
    formatter = make_formatter("json")
    line = formatter.format(
        _record("pipeline.stream.processor", logging.INFO, "batch of %d", 6, event="batch", indexed=6)
    )
    entry = json.loads(line)
    assert list(entry)[:4] == ["time", "level", "logger", "message"]
    assert entry["time"].endswith("Z") and entry["level"] == "info"
    assert entry["message"] == "batch of 6"
    assert (entry["event"], entry["indexed"]) == ("batch", 6)

    failed = json.loads(formatter.format(_record("x", logging.ERROR, "Zürich «down»", exc=True)))
    assert failed["message"] == "Zürich «down»"
    assert "RuntimeError: boom" in failed["exception"]
    assert "\n" not in formatter.format(_record("x", logging.ERROR, "a", exc=True))


def test_console_lines_are_for_people() -> None:
    formatter = make_formatter("console")
    own = formatter.format(
        _record("pipeline.stream.processor", logging.INFO, "batch of %d", 6, event="batch", indexed=6)
    )
    assert own.endswith("batch of 6")
    assert "{" not in own and "event" not in own and "pipeline.stream" not in own  # no extras, no logger
    assert "\x1b[" not in own  # colours only when asked (a terminal)
    library = formatter.format(_record("aiokafka.conn", logging.ERROR, "Unable connect"))
    assert "aiokafka.conn" in library and "error" in library
    crash = formatter.format(_record("pipeline.x", logging.ERROR, "failed", exc=True, secret="s3cr3t"))
    assert "RuntimeError: boom" in crash
    assert "s3cr3t" not in crash


def test_people_get_progress_not_a_line_per_batch() -> None:
    batch = _record("pipeline.stream.processor", logging.INFO, "batch of %d", 32, event="batch")
    progress = _record("pipeline.stream.app", logging.INFO, "progress: ...", event="progress")

    def shown(config: dict[str, object], record: logging.LogRecord) -> bool:
        handler = config["handlers"]["stderr"]  # type: ignore[index]
        named = config["filters"]  # type: ignore[index]
        return all(named[f]["()"]().filter(record) for f in handler["filters"])  # fresh filters

    console, console_debug, json_info = (
        logging_config("info", "console"),
        logging_config("debug", "console"),
        logging_config("info", "json"),
    )
    assert not shown(console, batch) and shown(console, progress)
    assert shown(console_debug, batch) and shown(json_info, batch)


def test_libraries_log_warnings_only_unless_debugging() -> None:
    info = logging_config("info", "json")
    assert info["root"]["level"] == "INFO"
    assert {name: cfg["level"] for name, cfg in info["loggers"].items()} == dict.fromkeys(
        LIBRARY_LOGGERS, "WARNING"
    )
    debug = logging_config("debug", "console")
    assert {cfg["level"] for cfg in debug["loggers"].values()} == {"DEBUG"}


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_repeated_warning_shows_once_then_rarely_with_the_count() -> None:
    clock = _Clock()
    repeats = RepeatFilter(every=300, clock=clock)
    refused = [_record("aiokafka.conn", logging.ERROR, "Unable connect to %r", "x:1") for _ in range(31)]
    shown = [repeats.filter(r) for r in refused]
    assert shown == [True] + [False] * 30
    clock.now += 301
    later = _record("aiokafka.conn", logging.ERROR, "Unable connect to %r", "x:1")
    assert repeats.filter(later)
    assert "and 30 more like it" in later.getMessage()
    # Another message, another logger, or INFO lines (batch lines repeat by design) are not repeats.
    assert repeats.filter(_record("aiokafka.conn", logging.ERROR, "Unable to update metadata"))
    assert repeats.filter(_record("faust.worker", logging.ERROR, "Unable connect to %r", "x:1"))
    assert all(repeats.filter(_record("pipeline.p", logging.INFO, "batch of %d", 6)) for _ in range(5))


def test_startup_noise_of_a_new_cluster_is_held_back_only_at_start() -> None:
    clock = _Clock()
    quiet = StartupNoiseFilter(grace=60, clock=clock)
    coordinator = "aiokafka.consumer.group_coordinator"
    noise = _record(
        coordinator,
        logging.ERROR,
        "Group Coordinator Request failed: [Error 15] %s",
        "GroupCoordinatorNotAvailableError",
    )
    assert not quiet.filter(noise)
    assert not quiet.filter(
        _record(coordinator, logging.WARNING, "Marking the coordinator dead (node 1)for group g.")
    )
    # Anything else at start is shown: a broker that refuses connections, another library's error.
    assert quiet.filter(_record("aiokafka.conn", logging.ERROR, "Unable connect to %r", "x:1"))
    assert quiet.filter(_record("faust.worker", logging.ERROR, "GroupCoordinatorNotAvailable"))
    clock.now += 61  # later, the same line means a coordinator that stays away: shown
    assert quiet.filter(noise)


def test_a_broker_going_away_is_one_line_with_the_fix_then_reminders() -> None:
    clock = _Clock()
    outage = KafkaOutageFilter(kafka="127.0.0.1:9092", every=300, clock=clock)
    burst = [
        _record(
            "aiokafka.consumer.fetcher", logging.ERROR, "Failed fetch messages from 1: KafkaConnectionError"
        ),
        _record("aiokafka", logging.ERROR, "Unable connect to node with id 1: [Errno 111]"),
        _record("aiokafka", logging.ERROR, "Unable to update metadata from [1]"),
        _record(
            "aiokafka.consumer.group_coordinator",
            logging.ERROR,
            "Heartbeat send request failed: NodeNotReadyError",
        ),
    ]
    shown = [r for r in burst if outage.filter(r)]
    assert shown == burst[:1]
    line = shown[0].getMessage()
    assert "Kafka at 127.0.0.1:9092 does not answer" in line and "quotewire devstack up" in line
    assert shown[0].levelname == "WARNING"
    reminders = []
    for _ in range(160):  # aiokafka retrying every 2 s for 320 s while it stays away
        clock.now += 2
        record = _record("aiokafka", logging.ERROR, "Unable connect to node with id 1")
        if outage.filter(record):
            reminders.append(record.getMessage())
    assert len(reminders) == 1  # one reminder after 5 minutes, counting the burst (3) and the retries
    assert "still does not answer (152 client messages held back)" in reminders[0]
    clock.now += 3600  # back for an hour, then away again: a new outage, a new first line
    again = _record("aiokafka", logging.ERROR, "Unable connect to node with id 1")
    assert outage.filter(again) and "does not answer (" in again.getMessage()
    # Not about reachability, or not from aiokafka: untouched.
    other = _record("aiokafka.producer", logging.ERROR, "Message too large")
    assert outage.filter(other) and other.getMessage() == "Message too large"
    assert outage.filter(_record("faust.worker", logging.ERROR, "Unable connect"))


def test_held_back_silences_a_library_and_its_children_then_restores() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    child = logging.getLogger("aiokafka.conn")
    child.addHandler(handler)
    try:
        with held_back("aiokafka"):
            child.error("Unable connect")
        assert stream.getvalue() == ""
        child.error("after")
        assert "after" in stream.getvalue()
    finally:
        child.removeHandler(handler)


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        # nothing moved: an idle worker says nothing
        (Progress(0, 10, 9, 1, 0), Progress(10, 10, 9, 1, 0), None),
        (Progress(0, 10, 9, 1, None), Progress(10, 10, 9, 1, None), None),
        (Progress(0, 10, 9, 1, None), Progress(10, 10, 9, 1, 0), None),  # partitions assigned, none waiting
        (Progress(0, 10, 9, 1, None), Progress(10, 10, 9, 1, 70), "lag 70"),  # assigned with a backlog
        # articles read: the rate over the interval, totals, this worker's lag
        (Progress(0, 10, 9, 1, 5), Progress(10, 60, 55, 2, 30), "5.0 articles/s (50 in 10 s)"),
        # the lag moved without reading (a backlog arriving): say so
        (Progress(0, 10, 9, 1, 0), Progress(10, 10, 9, 1, 400), "lag 400"),
        # a dead letter alone is news
        (Progress(0, 10, 9, 1, 0), Progress(10, 10, 9, 2, 0), "2 dead-lettered"),
    ],
)
def test_progress_line(before: Progress, now: Progress, expected: str | None) -> None:
    report = progress_report(before, now)
    if expected is None:
        assert report is None
    else:
        assert report is not None and expected in report[0]
        assert report[1]["indexed"] == now.indexed and report[1]["lag"] == now.lag


def test_progress_reads_the_metrics() -> None:
    metrics = PipelineMetrics()
    metrics.add("articles_in", 7)
    metrics.dead_letter("not_json")
    p = Progress.of(metrics, {("raw", 0): 3, ("raw", 1): 2}, at=5.0)
    assert (p.articles_in, p.dead_lettered, p.lag) == (7, 1, 5)
    assert Progress.of(metrics, {}, at=5.0).lag is None


async def test_kafka_down_is_named_once_with_the_fix_then_retried_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from pipeline.settings import Settings
    from pipeline.stream.commands import ensure_all

    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notices: list[str] = []
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TransientError) as failure:
        await ensure_all(Settings(kafka_bootstrap=f"127.0.0.1:{port}"), wait=5.0, notice=notices.append)
    assert len(notices) == 1
    assert f"Kafka at 127.0.0.1:{port} does not answer" in notices[0]
    assert "quotewire devstack up" in notices[0] and "QUOTEWIRE_KAFKA_BOOTSTRAP" in notices[0]
    assert "quotewire devstack up" in str(failure.value)
    assert not [r for r in caplog.records if r.name.startswith("aiokafka")]
