"""Worker counters and consumer lag, rendered in the Prometheus text format (and parsed back by
``quotewire status``). Pure: the worker owns one ``PipelineMetrics`` and serves ``render`` on /metrics.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

# name -> help; every counter is exported as quotewire_<name>_total.
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
}
PREFIX = "quotewire_"


@dataclass(slots=True)
class PipelineMetrics:
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    last_batch_seconds: float = 0.0

    def add(self, name: str, n: int = 1) -> None:
        if name not in self.counters:
            raise KeyError(f"unknown counter {name!r}")
        self.counters[name] += n

    def dead_letter(self, reason: str) -> None:
        self.counters["dead_lettered"] += 1
        self.dead_letter_reasons[reason] = self.dead_letter_reasons.get(reason, 0) + 1

    def render(self, lag: Mapping[tuple[str, int], int] | None = None) -> str:
        """Prometheus text exposition format 0.0.4."""
        lines: list[str] = []
        for name, help_text in COUNTERS.items():
            metric = f"{PREFIX}{name}_total"
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
            lines.append(f"{metric} {self.counters[name]}")
        metric = f"{PREFIX}dead_lettered_by_reason_total"
        lines += [f"# HELP {metric} Dead letters by reason.", f"# TYPE {metric} counter"]
        for reason, n in sorted(self.dead_letter_reasons.items()):
            lines.append(f'{metric}{{reason="{_escape(reason)}"}} {n}')
        metric = f"{PREFIX}consumer_lag"
        lines += [
            f"# HELP {metric} Messages not yet committed, per assigned partition (end offset - committed).",
            f"# TYPE {metric} gauge",
        ]
        for (topic, partition), n in sorted((lag or {}).items()):
            lines.append(f'{metric}{{topic="{_escape(topic)}",partition="{partition}"}} {n}')
        lines += [
            f"# HELP {PREFIX}last_batch_seconds Wall time of the last batch.",
            f"# TYPE {PREFIX}last_batch_seconds gauge",
            f"{PREFIX}last_batch_seconds {self.last_batch_seconds:.3f}",
            f"# HELP {PREFIX}uptime_seconds Seconds since the worker started.",
            f"# TYPE {PREFIX}uptime_seconds gauge",
            f"{PREFIX}uptime_seconds {time.time() - self.started:.1f}",
        ]
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


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
