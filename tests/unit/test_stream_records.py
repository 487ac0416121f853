"""Dead-letter records, metrics exposition, and the batch processor's failure classes (pure parts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from pipeline.errors import BadArticle, TransientError
from pipeline.models import Article, EnrichedArticle
from pipeline.stream.deadletter import (
    Origin,
    decode_rejected,
    describe,
    encode_rejected,
    make_rejected,
    original_bytes,
)
from pipeline.stream.metrics import PipelineMetrics, parse_samples, status_lines
from pipeline.stream.processor import BatchProcessor, IndexResult, OutRecord, RawMessage


@pytest.mark.parametrize("original", [b"not json", b"\xff\xfe\x00", b"", None])
def test_rejected_round_trip_keeps_original_bytes(original: bytes | None) -> None:
    when = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    record = make_rejected(original, "not_json", "detail", Origin("raw", 2, 41, b"key-1"), now=when)
    back = decode_rejected(encode_rejected(record))
    assert back == record
    assert original_bytes(record) == original  # a tombstone stays a tombstone (None), never b""
    assert (record.topic, record.partition, record.offset, record.key) == ("raw", 2, 41, "key-1")
    assert "not_json" in describe(record)
    assert "raw[2]@41" in describe(record)


@pytest.mark.parametrize("raw", [None, b"", b"{}", b'{"reason": "x"}', b"garbage"])
def test_decode_rejected_ignores_what_is_not_a_record(raw: bytes | None) -> None:
    assert decode_rejected(raw) is None


def test_metrics_render_and_parse_back() -> None:
    metrics = PipelineMetrics()
    metrics.add("articles_in", 5)
    metrics.add("quotes_indexed", 12)
    metrics.dead_letter("not_json")
    metrics.dead_letter("not_json")
    metrics.observe("batch_seconds", 0.3)
    metrics.observe("batch_seconds", 7.0)
    page = metrics.render({("raw", 0): 3, ("raw", 1): 0})
    samples = {(name, labels): value for name, labels, value in parse_samples(page)}
    assert samples[("quotewire_articles_in_total", ())] == 5
    assert samples[("quotewire_quotes_indexed_total", ())] == 12
    assert samples[("quotewire_dead_lettered_total", ())] == 2
    assert samples[("quotewire_dead_lettered_by_reason_total", (("reason", "not_json"),))] == 2
    assert samples[("quotewire_consumer_lag", (("partition", "0"), ("topic", "raw")))] == 3
    assert samples[("quotewire_batch_seconds_count", ())] == 2
    assert samples[("quotewire_batch_seconds_sum", ())] == pytest.approx(7.3)
    assert samples[("quotewire_batch_seconds_bucket", (("le", "0.5"),))] == 1
    assert samples[("quotewire_batch_seconds_bucket", (("le", "+Inf"),))] == 2
    assert samples[("quotewire_last_batch_seconds", ())] == 7.0
    assert samples[("quotewire_enrich_seconds_count", ())] == 0
    # The process metrics (Linux /proc) come with the page.
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert not any(name.endswith("_created") for name, _ in samples)
    assert all(line.startswith("# ") or " " in line for line in page.splitlines())
    assert metrics.counters["articles_in"] == 5
    assert metrics.dead_letter_reasons == {"not_json": 2}
    # A partition this worker no longer holds leaves the page.
    later = {(n, lb) for n, lb, _ in parse_samples(metrics.render({("raw", 1): 4}))}
    assert ("quotewire_consumer_lag", (("partition", "0"), ("topic", "raw"))) not in later


@pytest.mark.parametrize(
    ("name", "labels", "error"),
    [
        ("no_such_counter", {}, KeyError),
        ("articles_in", {"reason": "x"}, KeyError),  # an unlabelled counter given labels
        ("dead_lettered_by_reason", {}, ValueError),  # a labelled counter without its label
    ],
)
def test_metrics_refuse_unknown_counters_and_labels(name: str, labels: dict[str, str], error: type) -> None:
    metrics = PipelineMetrics()
    with pytest.raises(error):
        metrics.add(name, **labels)
    assert sum(metrics.counters.values()) == 0


async def test_metrics_keep_apart_per_worker_and_time_failures() -> None:
    first, second = PipelineMetrics(), PipelineMetrics()
    first.add("batches")
    assert (first.counters["batches"], second.counters["batches"]) == (1, 0)

    async def fails() -> None:
        raise RuntimeError("timeout")

    with pytest.raises(RuntimeError):
        await first.timed("index_seconds", fails())
    assert first.histogram("index_seconds")[0] == 1


def test_status_lines_show_counters_and_histogram_means_not_buckets() -> None:
    metrics = PipelineMetrics()
    metrics.add("articles_indexed", 3)
    metrics.dead_letter("too_large")
    metrics.observe("enrich_seconds", 1.0)
    metrics.observe("enrich_seconds", 3.0)
    lines = {line.name: line.value for line in status_lines(parse_samples(metrics.render({("raw", 0): 9})))}
    assert lines["articles_indexed"] == "3"
    assert lines["dead_lettered_by_reason too_large"] == "1"
    assert lines["enrich_seconds"] == "2 batches, mean 2.000 s"
    assert not any("bucket" in name or "lag" in name or name.startswith("process") for name in lines)


# --- BatchProcessor over in-process stand-ins: the control flow of the failure classes ----------


class _Enricher:
    async def enrich(self, articles: Sequence[Article]) -> list[EnrichedArticle | BadArticle]:
        return [
            BadArticle("enrich_failed", "boom")
            if a.text == "explode"
            else EnrichedArticle(id=a.id, text=a.text)
            for a in articles
        ]


class _Index:
    def __init__(self, transient_failures: int, reject: str | None = None) -> None:
        self.failures_left = transient_failures
        self.reject = reject
        self.calls = 0

    async def write(self, batch: Sequence[EnrichedArticle]) -> IndexResult:
        self.calls += 1
        if self.failures_left:
            self.failures_left -= 1
            raise TransientError("HTTP 503")
        rejected = {
            i: ("index_mapping_error", "bad field") for i, a in enumerate(batch) if a.id == self.reject
        }
        return IndexResult({i: 1 for i in range(len(batch)) if i not in rejected}, frozenset(), rejected)


class _Publish:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    async def __call__(self, records: Sequence[OutRecord]) -> list[Exception | None]:
        self.sent.extend((r.topic, r.key, r.value) for r in records)
        return [None] * len(records)


async def _no_sleep(_seconds: float) -> None:
    return None


def _msg(offset: int, value: bytes) -> RawMessage:
    return RawMessage(value, Origin("raw", 0, offset, b"k"))


@pytest.mark.parametrize("transient_failures", [0, 1, 5])
async def test_batch_settles_every_message_whatever_fails(transient_failures: int) -> None:
    index = _Index(transient_failures, reject="c")
    publish = _Publish()
    metrics = PipelineMetrics()
    processor = BatchProcessor(
        _Enricher(), index.write, publish, metrics, 1000, "enriched", "dead", _no_sleep
    )
    await processor.process(
        [
            _msg(0, json.dumps({"id": "a", "text": "fine"}).encode()),
            _msg(1, b"{not json"),  # (plain text would be an article: pipeline.ingest)
            _msg(2, json.dumps({"id": "b", "text": "explode"}).encode()),
            _msg(3, json.dumps({"id": "c", "text": "fine too"}).encode()),
        ]
    )
    assert index.calls == transient_failures + 1  # retried until Elasticsearch answered
    dead = {json.loads(v)["offset"]: json.loads(v)["reason"] for t, _k, v in publish.sent if t == "dead"}
    assert dead == {1: "not_json", 2: "enrich_failed", 3: "index_mapping_error"}
    assert [k for t, k, _v in publish.sent if t == "enriched"] == [b"a"]
    assert metrics.counters["retries"] == transient_failures
    assert metrics.counters["articles_indexed"] == 1
    assert metrics.counters["dead_lettered"] == 3


async def test_date_and_language_warnings_are_counted_and_cost_no_article() -> None:
    publish = _Publish()
    metrics = PipelineMetrics()
    processor = BatchProcessor(
        _Enricher(), _Index(0).write, publish, metrics, 1000, "enriched", "dead", _no_sleep
    )
    german = "Der Minister sagte am Dienstag, die Gespräche würden in der kommenden Woche fortgesetzt."
    await processor.process(
        [
            _msg(
                0, json.dumps({"id": "a", "text": "The minister said so.", "published": "someday"}).encode()
            ),
            _msg(1, json.dumps({"id": "b", "text": german}).encode()),
            _msg(
                2,
                json.dumps(
                    {"id": "c", "text": "The minister said so.", "published": "June 1, 2024"}
                ).encode(),
            ),
        ]
    )
    assert [k for t, k, _v in publish.sent if t == "enriched"] == [b"a", b"b", b"c"]
    assert metrics.counters["articles_date_unreadable"] == 1
    assert metrics.counters["articles_not_english"] == 1
