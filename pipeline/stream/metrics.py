"""The worker's metrics, kept by ``prometheus_client`` and served on the worker's /metrics (parsed back
by ``quotewire status``).

One ``PipelineMetrics`` per worker, with its own registry (so tests and several workers in one process
never share counters). What it exports:

* ``quotewire_<name>_total`` for every name in ``COUNTERS``; ``quotewire_<name>_total{label=...}`` for
  every name in ``LABELLED_COUNTERS``;
* ``quotewire_<name>_seconds`` histograms for every name in ``HISTOGRAMS`` (batch, enrichment and
  indexing time per batch) and ``quotewire_last_batch_seconds``;
* ``quotewire_consumer_lag{topic,partition}``, ``quotewire_uptime_seconds``;
* the process metrics (``process_*``: CPU, memory, open files) and Python's (``python_gc_*``,
  ``python_info``).

Adding a counter is one line in ``COUNTERS`` (or ``LABELLED_COUNTERS``), then ``metrics.add(name)``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

T = TypeVar("T")

# Counters and histograms also export a `_created` timestamp series each by default: twice the page for
# a value nobody here reads (uptime_seconds says when the worker started). Process-wide, and this
# process's registries are all ours.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in 0.26

PREFIX = "quotewire_"

# name -> help; each is exported as quotewire_<name>_total.
COUNTERS: dict[str, str] = {
    "articles_in": "Messages read from the raw topic.",
    "articles_enriched": "Articles enriched.",
    "articles_indexed": "Articles written to Elasticsearch (new or replacing an older version).",
    "articles_superseded": "Articles not written because a newer version is already indexed.",
    "dead_lettered": "Messages sent to the dead-letter topic.",
    "quotes_indexed": "Quote documents written to Elasticsearch.",
    "enriched_published": "Enriched articles published to the enriched topic.",
    "retries": "Retries after a transient failure (Elasticsearch or Kafka unavailable, 429/5xx).",
    "batches": "Batches processed and acknowledged.",
    "articles_date_unreadable": "Articles kept without a date that could not be read or lay in the future.",
    "articles_not_english": "Articles detected in a language other than English (indexed with a warning).",
    "quotes_capped": "Statements found but not reported because of the enrichment's per-article limits.",
    "records_refused": "Records Kafka refused for good (size, topic); what replaces them is sent instead.",
    "records_lost": "Refused records nothing could replace (each logged as an error).",
    "enriched_capped": "Enriched articles left out of entities/quotes/text to fit one Kafka record.",
    "letters_truncated": "Dead letters whose original was cut to fit one Kafka record (digest kept).",
    "letters_repeated": "Replayed messages that failed again for the same reason (no new dead letter).",
    "versions_unordered": "Versions not orderable by date (undated, far future): the later arrival won.",
    "dates_clamped": "Article dates in the far future, ordered as undated (the later arrival wins).",
    "quotes_linked": "Quote speakers linked to a person in the people registry (pipeline/people).",
}

# name -> (help, label names); each is exported as quotewire_<name>_total{label="..."}.
LABELLED_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dead_lettered_by_reason": ("Dead letters by reason.", ("reason",)),
}

# name -> help; each is a histogram quotewire_<name> of seconds per batch.
HISTOGRAMS: dict[str, str] = {
    "batch_seconds": "Wall time of a batch, from read to acknowledged (retries included).",
    "enrich_seconds": "Time the process pool took to enrich a batch (one attempt).",
    "index_seconds": "Time Elasticsearch took to index a batch (one attempt).",
}

# A batch is up to 32 articles; enrichment runs ~30 articles/s on 2 cores, so a batch takes ~0.05-2 s
# and a long or slow one tens of seconds. The buckets span 10 ms to 2 min to show both ends.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class PipelineMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.started = time.time()
        self._counters = {
            name: Counter(f"{PREFIX}{name}", help_text, registry=self.registry)
            for name, help_text in COUNTERS.items()
        }
        self._labelled = {
            name: Counter(f"{PREFIX}{name}", help_text, labels, registry=self.registry)
            for name, (help_text, labels) in LABELLED_COUNTERS.items()
        }
        self._histograms = {
            name: Histogram(f"{PREFIX}{name}", help_text, registry=self.registry, buckets=BUCKETS)
            for name, help_text in HISTOGRAMS.items()
        }
        self._last_batch = Gauge(
            f"{PREFIX}last_batch_seconds", "Wall time of the last batch.", registry=self.registry
        )
        self._lag = Gauge(
            f"{PREFIX}consumer_lag",
            "Messages not yet committed, per assigned partition (end offset - committed).",
            ("topic", "partition"),
            registry=self.registry,
        )
        uptime = Gauge(f"{PREFIX}uptime_seconds", "Seconds since the worker started.", registry=self.registry)
        uptime.set_function(lambda: time.time() - self.started)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    # --- counting ---------------------------------------------------------------------------------

    def add(self, name: str, n: int = 1, **labels: str) -> None:
        """Count ``n`` more of ``name`` (a name of ``COUNTERS``, or of ``LABELLED_COUNTERS`` with its
        labels). An unknown name is a KeyError: a typo must not count into nowhere."""
        if n < 0:
            raise ValueError(f"counter {name!r} cannot go down ({n})")
        if name in self._labelled:
            self._labelled[name].labels(**labels).inc(n)
        elif labels:
            raise KeyError(f"counter {name!r} has no labels")
        else:
            self._counters[name].inc(n)

    def dead_letter(self, reason: str) -> None:
        self.add("dead_lettered")
        self.add("dead_lettered_by_reason", reason=reason)

    def observe(self, name: str, seconds: float) -> None:
        """One observation of the histogram ``name`` (``batch_seconds`` also sets last_batch_seconds)."""
        self._histograms[name].observe(seconds)
        if name == "batch_seconds":
            self._last_batch.set(seconds)

    async def timed(self, name: str, work: Awaitable[T]) -> T:
        """Await ``work`` and observe how long it took in the histogram ``name`` (also when it fails:
        a timeout is time spent too)."""
        started = time.monotonic()
        try:
            return await work
        finally:
            self.observe(name, time.monotonic() - started)

    # --- reading ----------------------------------------------------------------------------------

    @property
    def counters(self) -> dict[str, int]:
        """Current value of every unlabelled counter, by name."""
        return {name: int(self._value(f"{PREFIX}{name}_total")) for name in COUNTERS}

    @property
    def dead_letter_reasons(self) -> dict[str, int]:
        return self.labelled("dead_lettered_by_reason")

    def labelled(self, name: str) -> dict[str, int]:
        """A one-label counter's values by label value, e.g. dead letters by reason."""
        out: dict[str, int] = {}
        for metric in self._labelled[name].collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    out[next(iter(sample.labels.values()))] = int(sample.value)
        return out

    @property
    def last_batch_seconds(self) -> float:
        return self._value(f"{PREFIX}last_batch_seconds")

    def histogram(self, name: str) -> tuple[int, float]:
        """(observations, total seconds) of the histogram ``name``."""
        return int(self._value(f"{PREFIX}{name}_count")), self._value(f"{PREFIX}{name}_sum")

    def _value(self, sample: str) -> float:
        return self.registry.get_sample_value(sample) or 0.0

    # --- exposition -------------------------------------------------------------------------------

    def render(self, lag: Mapping[tuple[str, int], int] | None = None) -> str:
        """The Prometheus text exposition format (0.0.4), with the consumer lag as given."""
        self._lag.clear()  # partitions this worker no longer holds must not linger
        for (topic, partition), n in (lag or {}).items():
            self._lag.labels(topic=topic, partition=str(partition)).set(n)
        return generate_latest(self.registry).decode("utf-8")


# --- reading a page back (quotewire status, tests) -----------------------------------------------

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)\s*$")
_LABEL = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"')

Sample = tuple[str, tuple[tuple[str, str], ...], float]


def parse_samples(text: str) -> list[Sample]:
    """Samples of a Prometheus text page: (name, sorted labels, value). Comments and junk are skipped."""
    out: list[Sample] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m is None:
            continue
        try:
            value = float(m.group("value"))
        except ValueError:
            continue
        labels = tuple(
            sorted((lm.group("key"), lm.group("value")) for lm in _LABEL.finditer(m.group("labels") or ""))
        )
        out.append((m.group("name"), labels, value))
    return out


@dataclass(frozen=True, slots=True)
class StatusLine:
    name: str
    value: str


def status_lines(samples: list[Sample]) -> list[StatusLine]:
    """What ``quotewire status`` shows of a worker's page: counters (and their labels), gauges, and
    each histogram as its count and mean; buckets, ``_created`` stamps and process metrics are left
    to Prometheus."""
    # A histogram's _count comes before its _sum on the page: read the sums first.
    sums = {
        name.removeprefix(PREFIX).removesuffix("_sum"): v for name, _l, v in samples if name.endswith("_sum")
    }
    lines: list[StatusLine] = []
    for name, labels, value in samples:
        if not name.startswith(PREFIX) or name.endswith(("_bucket", "_created", "_sum", "consumer_lag")):
            continue
        short = name.removeprefix(PREFIX)
        if short.endswith("_count"):
            base = short.removesuffix("_count")
            mean = sums.get(base, 0.0) / value if value else 0.0
            lines.append(StatusLine(base, f"{value:g} batches, mean {mean:.3f} s"))
            continue
        label = "".join(f" {v}" for _k, v in labels)
        lines.append(StatusLine(short.removesuffix("_total") + label, f"{value:g}"))
    return lines


# --- the worker's periodic progress line -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Progress:
    """What the progress line compares between two ticks."""

    at: float  # time.monotonic()
    articles_in: int
    indexed: int
    dead_lettered: int
    lag: int | None  # this worker's partitions; None before it holds any

    @classmethod
    def of(cls, metrics: PipelineMetrics, lag: Mapping[tuple[str, int], int] | None, at: float) -> Progress:
        counters = metrics.counters
        return cls(
            at=at,
            articles_in=counters["articles_in"],
            indexed=counters["articles_indexed"],
            dead_lettered=counters["dead_lettered"],
            lag=sum(lag.values()) if lag else None,
        )


def progress_report(before: Progress, now: Progress) -> tuple[str, dict[str, float | int | None]] | None:
    """The progress line (message, fields) from one tick to the next; None when nothing moved (an idle
    worker stays quiet)."""
    read = now.articles_in - before.articles_in
    # The lag is news when it moved, except from unknown to 0 (partitions assigned, nothing waiting).
    lag_moved = now.lag != before.lag and not (before.lag is None and not now.lag)
    if read == 0 and now.dead_lettered == before.dead_lettered and not lag_moved:
        return None
    seconds = max(now.at - before.at, 1e-9)
    rate = read / seconds
    lag = "-" if now.lag is None else str(now.lag)
    message = (
        f"progress: {rate:.1f} articles/s ({read} in {seconds:.0f} s); {now.indexed} indexed, "
        f"{now.dead_lettered} dead-lettered in all; lag {lag}"
    )
    fields: dict[str, float | int | None] = {
        "articles_per_second": round(rate, 2),
        "articles_in": now.articles_in,
        "indexed": now.indexed,
        "dead_lettered": now.dead_lettered,
        "lag": now.lag,
    }
    return message, fields
