"""Logs for people and for machines, formatted by structlog over the standard ``logging`` records.

* ``console`` (the default on a terminal): ``08:22:06 [info     ] worker ready: ...``, quotewire's own
  lines plus warnings and errors from the libraries; colours on a terminal; extras left out (they repeat
  the message); per-batch lines left out (the progress line every 10 s and the final summary say it);
  tracebacks plain (never with local variables, which may hold credentials).
* ``json`` (the default when stderr is not a terminal, or ``--log-format json``): one object per line,
  ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, every ``extra=`` field (``event``:
  ``batch``, ``progress``, ``retry``, ``dead_letter``, ...) and ``exception``.

Faust, mode, aiokafka and the Elasticsearch transport log at WARNING and above (their INFO is every
service's "Starting..."), unless the level asked for is DEBUG. A warning that repeats (a broker that
refuses connections, a retry loop) is shown once, then at most once per ``REPEAT_SECONDS`` with the
count of lines held back: the first line says what is wrong, the rest would only bury it. Lines a
healthy start produces on a new cluster (``STARTUP_NOISE``) are held back for the first minute; a
broker that goes away mid-run is one line of ours naming it and the fix (``KafkaOutageFilter``), not
aiokafka's half-dozen kinds of connection error.

Faust/mode configure logging from a ``logging.config.dictConfig`` dictionary; ``logging_config``
builds it. ``configure_logging`` applies the same to the other commands.
"""

from __future__ import annotations

import logging
import logging.config
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO

import structlog

LogFormat = Literal["console", "json"]
LOG_FORMATS: tuple[str, ...] = ("auto", "console", "json")

# Loggers of the libraries under the worker: WARNING and above unless DEBUG is asked for.
LIBRARY_LOGGERS = ("faust", "mode", "aiokafka", "kafka", "elastic_transport", "elasticsearch", "aiohttp")

# A repeated warning shows again after this long (with the count held back): an outage that lasts is
# still visible in a log tail, at 1 line per 5 minutes instead of 1 per retry.
REPEAT_SECONDS = 300.0

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged as a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# The fields of a JSON line that are not extras.
_BASE_FIELDS = ("time", "level", "logger", "message", "exception")


def resolve_format(requested: str, stream: TextIO | None = None) -> LogFormat:
    """``auto`` -> ``console`` on a terminal, ``json`` otherwise; ``console``/``json`` as given."""
    if requested not in LOG_FORMATS:
        raise ValueError(f"unknown log format {requested!r} (one of {', '.join(LOG_FORMATS)})")
    if requested == "auto":
        out = stream if stream is not None else sys.stderr
        return "console" if _isatty(out) else "json"
    return "console" if requested == "console" else "json"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


# --- structlog processors over standard records -----------------------------------------------------


def _fields_of_record(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog calls the message ``event``; quotewire's extras use ``event`` for the kind of line.
    Move the message to ``message`` and add the record's extras."""
    event_dict["message"] = event_dict.pop("event", "")
    record = event_dict.get("_record")
    if isinstance(record, logging.LogRecord):
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in _BASE_FIELDS:
                event_dict[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
    return event_dict


def _for_people(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Time, level, message (and the library's name for a library's line); extras dropped."""
    logger = str(event_dict.get("logger", ""))
    kept: dict[str, Any] = {
        "time": event_dict.get("time", ""),
        "level": event_dict.get("level", ""),
        "message": event_dict.get("message", ""),
    }
    if logger and not logger.startswith("pipeline"):
        kept["logger"] = logger
    for key in ("exc_info", "exception"):
        if key in event_dict:
            kept[key] = event_dict[key]
    return kept


def _level_lower(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    if "level" in event_dict:
        event_dict["level"] = str(event_dict["level"]).lower()
    return event_dict


def _json_order(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    ordered = {k: event_dict[k] for k in _BASE_FIELDS[:4] if k in event_dict}
    ordered.update((k, v) for k, v in event_dict.items() if k not in ordered)
    return ordered


def make_formatter(fmt: LogFormat, colors: bool = False) -> logging.Formatter:
    """A ``logging.Formatter`` that renders standard records the structlog way."""
    pre_chain: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _fields_of_record,
    ]
    if fmt == "json":
        pre_chain.insert(0, structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"))
        processors: list[Any] = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _level_lower,
            structlog.processors.format_exc_info,
            _json_order,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    else:
        pre_chain.insert(0, structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False, key="time"))
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _for_people,
            structlog.dev.ConsoleRenderer(
                colors=colors,
                event_key="message",
                timestamp_key="time",
                sort_keys=False,
                pad_event_to=0,
                exception_formatter=structlog.dev.plain_traceback,
            ),
        ]
    return structlog.stdlib.ProcessorFormatter(foreign_pre_chain=pre_chain, processors=processors)


class RepeatFilter(logging.Filter):
    """Warnings and errors that repeat (same logger, same message template, same exception type) pass
    once, then at most once per ``every`` seconds with the number held back; INFO and below always pass
    (a batch line is not a repeat)."""

    def __init__(self, every: float = REPEAT_SECONDS, clock: Any = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self.clock = clock
        self._seen: dict[tuple[str, str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        key = (record.name, str(record.msg), record.levelno, exc_type)
        now = self.clock()
        last = self._seen.get(key)
        if last is None:
            self._seen[key] = (now, 0)
            return True
        shown_at, held = last
        if now - shown_at < self.every:
            self._seen[key] = (shown_at, held + 1)
            return False
        self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last {now - shown_at:.0f} s)"
        return True


# Library lines that a healthy start produces and that resolve themselves (the client retries): on a
# new Kafka cluster the first consumer group makes the broker create __consumer_offsets, and until it
# exists aiokafka logs an ERROR and a WARNING about the group coordinator. (logger prefix, text, why)
STARTUP_NOISE: tuple[tuple[str, str, str], ...] = (
    ("aiokafka.consumer.group_coordinator", "GroupCoordinatorNotAvailable", "offsets topic being created"),
    ("aiokafka.consumer.group_coordinator", "Marking the coordinator dead", "the same, retried"),
)
# How long after start those lines are held back; later they mean a real problem and are shown.
STARTUP_GRACE_SECONDS = 60.0


class StartupNoiseFilter(logging.Filter):
    """Hold back the ``STARTUP_NOISE`` lines during the first ``grace`` seconds of the process."""

    def __init__(self, grace: float = STARTUP_GRACE_SECONDS, clock: Any = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.until = clock() + grace

    def filter(self, record: logging.LogRecord) -> bool:
        if self.clock() >= self.until:
            return True
        message = record.getMessage()
        return not any(
            record.name.startswith(prefix) and text in message for prefix, text, _why in STARTUP_NOISE
        )


# What aiokafka says, in many words, when the broker goes away: connection refused or closed, a node
# not ready, metadata or heartbeats failing. One outage is one line of ours (see KafkaOutageFilter).
KAFKA_UNREACHABLE_MARKERS = (
    "Unable connect",
    "Connection at",
    "KafkaConnectionError",
    "NodeNotReadyError",
    "Unable to update metadata",
    "marking coordinator dead",
    "Marking the coordinator dead",
    "Heartbeat send request failed",
    "Group Coordinator Request failed",
    "Failed fetch messages",
    "Unable to request metadata",
)
# aiokafka retries several times a second while the broker is away: lines further apart than this
# belong to a new outage.
OUTAGE_GAP_SECONDS = 60.0


class KafkaOutageFilter(logging.Filter):
    """A broker that goes away mid-run is one line naming it and the fix; aiokafka's own lines about it
    are held back while it stays away, with a reminder every ``every`` seconds."""

    def __init__(self, kafka: str = "", every: float = REPEAT_SECONDS, clock: Any = time.monotonic) -> None:
        super().__init__()
        self.kafka = kafka
        self.every = every
        self.clock = clock
        self._last_seen: float | None = None
        self._last_shown = 0.0
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("aiokafka") or record.levelno < logging.WARNING:
            return True
        detail = record.getMessage()
        if not any(marker in detail for marker in KAFKA_UNREACHABLE_MARKERS):
            return True
        now = self.clock()
        new_outage = self._last_seen is None or now - self._last_seen > OUTAGE_GAP_SECONDS
        self._last_seen = now
        if not new_outage and now - self._last_shown < self.every:
            self._held += 1
            return False
        where = f" at {self.kafka}" if self.kafka else ""
        if new_outage:
            text = (
                f"Kafka{where} does not answer ({detail}); retrying quietly. If it is the local stack, "
                "start it with `quotewire devstack up`"
            )
        else:
            text = f"Kafka{where} still does not answer ({self._held} client messages held back): {detail}"
        record.msg, record.args, record.exc_info, record.exc_text = text, None, None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        self._last_shown, self._held = now, 0
        return True


class PerBatchFilter(logging.Filter):
    """For people: the per-batch lines (``event="batch"``, one a second at full speed) are left to the
    JSON log and to ``--loglevel debug``; the progress line and the final summary say the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "event", None) != "batch"


def logging_config(
    level: str, fmt: LogFormat = "json", colors: bool = False, kafka: str = ""
) -> dict[str, Any]:
    """The ``dictConfig`` for the worker (given to Faust) and the other commands; ``kafka``: the
    bootstrap address named when the broker goes away."""
    level = level.upper()
    library_level = "DEBUG" if level == "DEBUG" else "WARNING"
    filters = ["startup_noise", "kafka_outage", "repeats"]
    if fmt == "console" and level != "DEBUG":
        filters.append("per_batch")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"quotewire": {"()": make_formatter, "fmt": fmt, "colors": colors}},
        "filters": {
            "startup_noise": {"()": StartupNoiseFilter},
            "kafka_outage": {"()": KafkaOutageFilter, "kafka": kafka},
            "repeats": {"()": RepeatFilter},
            "per_batch": {"()": PerBatchFilter},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "quotewire",
                "filters": filters,
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"level": library_level} for name in LIBRARY_LOGGERS},
    }


def configure_logging(level: str = "warning", requested: str = "auto", kafka: str = "") -> LogFormat:
    """Apply ``logging_config`` in this process (``auto``: console on a terminal); the format used."""
    fmt = resolve_format(requested)
    colors = fmt == "console" and _isatty(sys.stderr)
    logging.config.dictConfig(logging_config(level, fmt, colors=colors, kafka=kafka))
    return fmt


@contextmanager
def held_back(*names: str) -> Iterator[None]:
    """Silence these libraries' loggers for the block: a wait that names the service down itself
    (one line with the fix) needs no "Unable connect" per retry underneath."""
    # A level above CRITICAL on the parent: its children (aiokafka.conn, ...) inherit it.
    loggers = [logging.getLogger(name) for name in names]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, before, strict=True):
            lg.setLevel(level)
