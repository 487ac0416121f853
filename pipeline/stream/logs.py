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
count of lines held back: the first line says what is wrong, the rest would only bury it.

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


class PerBatchFilter(logging.Filter):
    """For people: the per-batch lines (``event="batch"``, one a second at full speed) are left to the
    JSON log and to ``--loglevel debug``; the progress line and the final summary say the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "event", None) != "batch"


def logging_config(level: str, fmt: LogFormat = "json", colors: bool = False) -> dict[str, Any]:
    """The ``dictConfig`` for the worker (given to Faust) and the other commands."""
    level = level.upper()
    library_level = "DEBUG" if level == "DEBUG" else "WARNING"
    filters = ["repeats"]
    if fmt == "console" and level != "DEBUG":
        filters.append("per_batch")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"quotewire": {"()": make_formatter, "fmt": fmt, "colors": colors}},
        "filters": {"repeats": {"()": RepeatFilter}, "per_batch": {"()": PerBatchFilter}},
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


def configure_logging(level: str = "warning", requested: str = "auto") -> LogFormat:
    """Apply ``logging_config`` in this process (``auto``: console on a terminal); the format used."""
    fmt = resolve_format(requested)
    logging.config.dictConfig(logging_config(level, fmt, colors=fmt == "console" and _isatty(sys.stderr)))
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
