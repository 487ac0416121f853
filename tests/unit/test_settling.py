"""Every message settles: the batch processor's failure classes, record sizes, replay marks, and URL
redaction. The processor runs over in-process stand-ins for the pool, the index and Kafka (its
contract is "functions in, outcomes out"); the same paths against the real services are in
tests/integration/test_settle_services.py and test_poison.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence

import pytest
from pydantic import ValidationError

from pipeline.errors import BadArticle, RecordRefused, TransientError
from pipeline.index.writer import order_versions
from pipeline.models import Article, EnrichedArticle, Entity, Quote, Rejected
from pipeline.settings import Settings
from pipeline.stream.deadletter import (
    Origin,
    Replay,
    encode_rejected,
    latest_letters,
    make_rejected,
    original_bytes,
)
from pipeline.stream.metrics import PipelineMetrics
from pipeline.stream.processor import BatchProcessor, IndexResult, OutRecord, RawMessage
from pipeline.stream.sizes import ENVELOPE_BYTES, fit_enriched, record_budget
from pipeline.urls import redact_url

# --- stand-ins ------------------------------------------------------------------------------------


class _Enricher:
    """Enriches every article; ``raising(text)`` says what a batch containing that text raises."""

    def __init__(self, raising: Callable[[str, int], BaseException | None] = lambda _t, _n: None) -> None:
        self.raising = raising
        self.calls: list[list[str]] = []

    async def enrich(self, articles: Sequence[Article]) -> list[EnrichedArticle | BadArticle]:
        self.calls.append([a.id for a in articles])
        for a in articles:
            error = self.raising(a.text, len(self.calls))
            if error is not None:
                raise error
        return [EnrichedArticle(id=a.id, text=a.text) for a in articles]


class _Index:
    def __init__(self, raising: Callable[[str, int], BaseException | None] = lambda _i, _n: None) -> None:
        self.raising = raising
        self.calls: list[list[str]] = []
        self.indexed: list[str] = []

    async def write(self, batch: Sequence[EnrichedArticle]) -> IndexResult:
        self.calls.append([a.id for a in batch])
        for a in batch:
            error = self.raising(a.id, len(self.calls))
            if error is not None:
                raise error
        self.indexed += [a.id for a in batch]
        return IndexResult({i: 1 for i in range(len(batch))})


class _Kafka:
    """Delivers records unless ``refuse(record, call)`` names an exception for it."""

    def __init__(self, refuse: Callable[[OutRecord, int], Exception | None] = lambda _r, _n: None) -> None:
        self.refuse = refuse
        self.calls = 0
        self.delivered: list[OutRecord] = []

    async def __call__(self, records: Sequence[OutRecord]) -> list[Exception | None]:
        self.calls += 1
        results: list[Exception | None] = []
        for record in records:
            error = self.refuse(record, self.calls)
            if error is None:
                self.delivered.append(record)
            results.append(error)
        return results

    def letters(self) -> list[Rejected]:
        return [Rejected.model_validate_json(r.value) for r in self.delivered if r.topic == "dead"]

    def enriched_ids(self) -> list[str]:
        return [json.loads(r.value)["id"] for r in self.delivered if r.topic == "enriched"]


async def _no_sleep(_seconds: float) -> None:
    return None


def _article(offset: int, article_id: str, text: str = "fine", replay: Replay | None = None) -> RawMessage:
    value = json.dumps({"id": article_id, "text": text}).encode()
    return RawMessage(value, Origin("raw", 0, offset, article_id.encode()), replay=replay)


def _processor(
    enricher: _Enricher | None = None,
    index: _Index | None = None,
    kafka: _Kafka | None = None,
    record_bytes: int = 1_000_000,
) -> tuple[BatchProcessor, PipelineMetrics]:
    metrics = PipelineMetrics()
    processor = BatchProcessor(
        enricher or _Enricher(),
        (index or _Index()).write,
        kafka or _Kafka(),
        metrics,
        200_000,
        "enriched",
        "dead",
        _no_sleep,
        record_bytes=record_bytes,
        attempts=3,
    )
    return processor, metrics


# --- every message settles -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "dead"),
    [
        (RuntimeError("bug on this text"), {"b": "enrich_failed"}),
        (RecursionError("maximum recursion depth exceeded"), {"b": "enrich_failed"}),
        (ValidationError.from_exception_data("EnrichedArticle", []), {"b": "enrich_failed"}),
        (None, {}),  # negative: nothing fails, nothing is dead-lettered
    ],
)
async def test_an_enrichment_exception_costs_only_its_article(
    error: BaseException | None, dead: dict[str, str]
) -> None:
    enricher = _Enricher(lambda text, _n: error if text == "poison" else None)
    kafka = _Kafka()
    processor, metrics = _processor(enricher=enricher, kafka=kafka)
    await processor.process([_article(0, "a"), _article(1, "b", "poison"), _article(2, "c")])
    assert {r.key: r.reason for r in kafka.letters()} == dead
    assert kafka.enriched_ids() == [i for i in ("a", "b", "c") if i not in dead]
    # Bounded: 3 batch attempts, then one call per article, 3 for the poison one.
    assert len(enricher.calls) == (1 if error is None else 3 + 2 + 3)
    assert metrics.counters["dead_lettered"] == len(dead)


async def test_a_flaky_enrichment_is_retried_not_dead_lettered() -> None:
    enricher = _Enricher(lambda _t, call: RuntimeError("once") if call == 1 else None)
    kafka = _Kafka()
    processor, metrics = _processor(enricher=enricher, kafka=kafka)
    await processor.process([_article(0, "a"), _article(1, "b")])
    assert kafka.letters() == []
    assert kafka.enriched_ids() == ["a", "b"]
    assert metrics.counters["retries"] == 1


@pytest.mark.parametrize(
    ("error", "dead", "index_calls"),
    [
        (ValueError("mapping bug"), {"b": "index_failed"}, 3 + 1 + 3 + 1),
        (RecursionError("deep"), {"b": "index_failed"}, 3 + 1 + 3 + 1),
        (TransientError("HTTP 503"), None, None),  # transient: waited out, never dead-lettered
    ],
)
async def test_an_index_exception_costs_only_its_article_but_an_outage_waits(
    error: BaseException, dead: dict[str, str] | None, index_calls: int | None
) -> None:
    # The transient error lasts 12 calls: more than the attempts any other failure gets.
    def raising(article_id: str, call: int) -> BaseException | None:
        if isinstance(error, TransientError):
            return error if call <= 12 else None
        return error if article_id == "b" else None

    index = _Index(raising)
    kafka = _Kafka()
    processor, metrics = _processor(index=index, kafka=kafka)
    await processor.process([_article(0, "a"), _article(1, "b"), _article(2, "c")])
    if dead is None:
        assert kafka.letters() == []
        assert index.indexed == ["a", "b", "c"]
        assert len(index.calls) == 13
        assert metrics.counters["retries"] == 12
    else:
        assert {r.key: r.reason for r in kafka.letters()} == dead
        assert index.indexed == ["a", "c"]
        assert len(index.calls) == index_calls
        assert kafka.letters()[0].detail.startswith(type(error).__name__)


async def test_an_index_writer_that_loses_track_is_a_failure_not_a_silent_drop() -> None:
    async def forgetful(batch: Sequence[EnrichedArticle]) -> IndexResult:
        return IndexResult({0: 1})  # says nothing about the others

    kafka = _Kafka()
    metrics = PipelineMetrics()
    processor = BatchProcessor(_Enricher(), forgetful, kafka, metrics, 1000, "enriched", "dead", _no_sleep)
    await processor.process([_article(0, "a"), _article(1, "b")])
    # Alone, each article is position 0, which the writer does report: both settle as indexed.
    assert sorted(kafka.enriched_ids()) == ["a", "b"]
    assert kafka.letters() == []


# --- publishing: transient waits, refusals are replaced --------------------------------------------


async def test_a_transient_publish_failure_resends_only_what_was_not_delivered() -> None:
    kafka = _Kafka(lambda r, call: TransientError("no broker") if call <= 4 and r.key == b"b" else None)
    processor, metrics = _processor(kafka=kafka)
    await processor.process([_article(0, "a"), _article(1, "b"), _article(2, "c")])
    assert sorted(kafka.enriched_ids()) == ["a", "b", "c"]  # each exactly once
    assert kafka.calls == 5
    assert metrics.counters["retries"] == 4


@pytest.mark.parametrize(
    ("refused", "enriched", "letters", "lost"),
    [
        # The enriched record is refused: its raw message is dead-lettered as publish_failed instead.
        ("enriched", [], [("publish_failed", False)], 0),
        # The dead letter is refused too: the letter goes without its original (and key).
        ("enriched+letter", [], [("publish_failed", True)], 0),
        # Everything refused: nothing left to send; counted as lost, and the batch still settles.
        ("all", [], [], 1),
        ("nothing", ["a"], [], 0),  # negative
    ],
)
async def test_a_record_kafka_refuses_for_good_is_replaced_never_retried_forever(
    refused: str, enriched: list[str], letters: list[tuple[str, bool]], lost: int
) -> None:
    def refuse(record: OutRecord, _call: int) -> Exception | None:
        too_large = RecordRefused("MessageSizeTooLargeError: too large")
        if record.topic == "enriched" and refused != "nothing":
            return too_large
        if record.topic == "dead" and record.key is not None and refused in ("enriched+letter", "all"):
            return too_large
        if record.topic == "dead" and refused == "all":
            return too_large
        return None

    kafka = _Kafka(refuse)
    processor, metrics = _processor(kafka=kafka)
    await processor.process([_article(0, "a")])
    assert kafka.enriched_ids() == enriched
    assert [(r.reason, r.original_truncated) for r in kafka.letters()] == letters
    for letter in kafka.letters():
        assert "MessageSizeTooLargeError" in letter.detail or letter.original_truncated
        assert letter.original_sha256 == hashlib.sha256(_article(0, "a").value or b"").hexdigest()
    assert metrics.counters["records_lost"] == lost
    assert kafka.calls <= 3  # a refusal is not retried


async def test_an_unknown_publish_error_is_retried_a_bounded_number_of_times() -> None:
    kafka = _Kafka(lambda r, _call: RuntimeError("odd broker answer") if r.topic == "enriched" else None)
    processor, metrics = _processor(kafka=kafka)
    await processor.process([_article(0, "a")])
    assert [r.reason for r in kafka.letters()] == ["publish_failed"]
    assert metrics.counters["records_refused"] == 1
    assert kafka.calls == 4  # 3 attempts, then the replacement


# --- sizes: designed, not discovered ---------------------------------------------------------------


@pytest.mark.parametrize("size", [900_000, 1_040_000, 10])
def test_a_dead_letter_fits_its_limit_and_keeps_digest_size_and_origin(size: int) -> None:
    original = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    origin = Origin("raw", 3, 77, b"the-key")
    letter = make_rejected(original, "oversize", "too big", origin)
    limit = 1_048_576 - ENVELOPE_BYTES - len(b"the-key")
    data = encode_rejected(letter, limit)
    assert len(data) <= limit
    back = Rejected.model_validate_json(data)
    assert (back.topic, back.partition, back.offset, back.key) == ("raw", 3, 77, "the-key")
    assert back.original_sha256 == hashlib.sha256(original).hexdigest()
    assert back.original_size == size
    kept = original_bytes(back) or b""
    assert original.startswith(kept)
    # Base64 takes 4/3: a 900 KB original no longer fits whole, a 10-byte one does (negative).
    assert back.original_truncated == (size * 4 / 3 > limit)
    if back.original_truncated:
        assert len(kept) > limit * 3 / 4 - 2_000  # as much as fits, not a token start


def test_a_dead_letter_with_no_room_for_any_original_says_so() -> None:
    letter = make_rejected(b"x" * 100, "oversize", "d" * 200, Origin("raw", 0, 1, None))
    with pytest.raises(ValueError, match="over"):
        encode_rejected(letter, 50)


def _big_article(quotes: int, entities: int, text_chars: int = 176_000) -> EnrichedArticle:
    text = ('Minister Ana Kovac said "the talks go on" in Zagreb. ' * (text_chars // 52 + 1))[:text_chars]
    return EnrichedArticle(
        id="big-1",
        text=text,
        entities=[Entity(text="Ana Kovac", label="PERSON", start=9, end=18, canonical="Ana Kovac")]
        * entities,
        quotes=[Quote(text="the talks go on " * 20, start=25, end=40, kind="direct", cue="said")] * quotes,
    )


@pytest.mark.parametrize(
    ("quotes", "entities", "budget", "omitted"),
    [
        (2_000, 3_000, 1_044_480, {"entities", "quotes"}),  # the 176 KB article, 2,000 quotes
        (50, 3_000, 1_044_480, set()),  # negative: fits whole
        (50, 12_000, 1_044_480, {"entities"}),  # entities go first, quotes stay
        (0, 0, 100_000, {"text"}),  # a text over the limit: consumers read it from the raw topic
    ],
)
def test_an_enriched_record_is_capped_to_fit_and_says_what_it_left_out(
    quotes: int, entities: int, budget: int, omitted: set[str]
) -> None:
    article = _big_article(quotes, entities)
    data, fitted = fit_enriched(article, budget)
    assert len(data) + len(b"big-1") <= budget
    back = EnrichedArticle.model_validate_json(data)
    assert back == fitted
    assert len(back.quotes) + back.omitted_quotes == quotes
    assert len(back.entities) + back.omitted_entities == entities
    left_out = {name for name in ("entities", "quotes") if getattr(back, f"omitted_{name}")}
    left_out |= {"text"} if back.omitted_text else set()
    assert left_out == omitted
    assert back.quotes == article.quotes[: len(back.quotes)]  # a prefix, in order
    if "quotes" in omitted:
        # As many as fit: one more would not.
        one_more = fitted.model_copy(update={"quotes": article.quotes[: len(back.quotes) + 1]})
        assert len(one_more.model_dump_json()) + len(b"big-1") > budget


async def test_the_processor_fits_enriched_records_and_dead_letters_to_its_budget() -> None:
    kafka = _Kafka()
    processor, metrics = _processor(kafka=kafka, record_bytes=70_000)
    big = json.dumps({"id": "big", "text": "Ana said it. " * 6_000}).encode()
    await processor.process(
        [
            RawMessage(big, Origin("raw", 0, 0, b"big")),
            RawMessage(b"\xff" * 90_000, Origin("raw", 0, 1, b"junk")),
        ]
    )
    for record in kafka.delivered:
        assert len(record.value) + len(record.key or b"") <= 70_000
    (enriched,) = [
        EnrichedArticle.model_validate_json(r.value) for r in kafka.delivered if r.topic == "enriched"
    ]
    assert enriched.omitted_text
    (letter,) = kafka.letters()
    assert (letter.reason, letter.original_truncated, letter.original_size) == ("not_utf8", True, 90_000)
    assert metrics.counters["enriched_capped"] == 1
    assert metrics.counters["letters_truncated"] == 1


@pytest.mark.parametrize(
    ("message_bytes", "request_size", "ok"),
    [
        (1_048_576, 1_048_576, True),
        (2_097_152, 1_048_576, True),
        (1_048_576, 2_097_152, False),  # the producer would send what the topics refuse
        (1_000, 1_000, False),  # below the least that holds a useful dead letter
    ],
)
def test_size_settings_are_checked_against_each_other(
    message_bytes: int, request_size: int, ok: bool
) -> None:
    make = lambda: Settings(kafka_max_message_bytes=message_bytes, kafka_max_request_size=request_size)  # noqa: E731
    if ok:
        assert record_budget(make()) == min(message_bytes, request_size) - ENVELOPE_BYTES
    else:
        with pytest.raises(ValidationError):
            make()


# --- replay twice = replay once -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replayed_reason", "new_letter"),
    [
        ("not_json", False),  # failed again for the same reason: no new letter
        ("enrich_failed", True),  # another reason: a new letter under the same id
    ],
)
async def test_a_replayed_letter_that_fails_again_is_not_duplicated(
    replayed_reason: str, new_letter: bool
) -> None:
    kafka = _Kafka()
    processor, metrics = _processor(kafka=kafka)
    replay = Replay("letter-1", replayed_reason, replays=0)
    await processor.process([RawMessage(b"{nope", Origin("raw", 0, 9, b"k"), replay=replay)])
    letters = kafka.letters()
    if new_letter:
        assert [(r.letter_id, r.reason, r.replays) for r in letters] == [("letter-1", "not_json", 1)]
    else:
        assert letters == []
        assert metrics.counters["letters_repeated"] == 1


def test_latest_letters_keeps_one_per_letter_the_latest() -> None:
    first = make_rejected(b"x", "not_json", "1", Origin("raw", 0, 1, b"k"))
    other = make_rejected(b"y", "not_json", "2", Origin("raw", 0, 2, b"k"))
    again = make_rejected(
        b"x",
        "enrich_failed",
        "3",
        Origin("raw", 0, 5, b"k"),
        replay=Replay(first.letter_id or "", "not_json"),
    )
    assert first.letter_id != other.letter_id
    assert [r.detail for r in latest_letters([first, None, other, again])] == ["3", "2"]


def test_a_tombstone_letter_keeps_no_value_not_an_empty_one() -> None:
    letter = make_rejected(None, "not_json", "empty message (no value)", Origin("raw", 0, 1, b"k"))
    assert original_bytes(Rejected.model_validate_json(encode_rejected(letter))) is None
    empty = make_rejected(b"", "not_json", "", Origin("raw", 0, 2, b"k"))
    assert original_bytes(empty) == b""
    assert empty.original_b64 == ""


# --- URLs printed without credentials -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://elastic:s3cret@es.example:9243", "https://elastic:***@es.example:9243"),
        ("http://TOKEN123@127.0.0.1:9200/x", "http://***@127.0.0.1:9200/x"),
        ("https://es.example/?api_key=abc&pretty=1", "https://es.example/?api_key=***&pretty=1"),
        (
            "failed: ConnectionError(https://u:p@h:1/_bulk) retry",
            "failed: ConnectionError(https://u:***@h:1/_bulk) retry",
        ),
        ("kafka://u:pw@b1:9092;kafka://b2:9092", "kafka://u:***@b1:9092;kafka://b2:9092"),
        # negatives: nothing secret, nothing changed
        ("http://127.0.0.1:9200", "http://127.0.0.1:9200"),
        ("mailto someone@example.org", "mailto someone@example.org"),
        ("https://es.example/path@v2", "https://es.example/path@v2"),
    ],
)
def test_redact_url(text: str, shown: str) -> None:
    assert redact_url(text) == shown


# --- versions: the ordering rule --------------------------------------------------------------------

CLOCK = 1_800_000_000_000  # epoch ms
DAY = 86_400_000


@pytest.mark.parametrize(
    ("incoming", "previous", "order"),
    [
        (CLOCK, CLOCK - 1, "newer"),
        (CLOCK, CLOCK, "newer"),  # the same version again: rewritten (redelivery)
        (CLOCK - 1, CLOCK, "older"),
        (0, CLOCK, "unordered"),  # an undated correction of a dated article
        (CLOCK, 0, "unordered"),  # a dated version of an undated one
        (0, 0, "unordered"),
        (CLOCK, CLOCK + 30 * DAY, "unordered"),  # a far-future version already indexed never blocks
        (CLOCK + 2 * DAY, CLOCK, "unordered"),
        (CLOCK + DAY // 2, CLOCK, "newer"),  # within the tolerance (time zones, embargoes): a date
    ],
)
def test_versions_order_by_date_only_when_both_dates_are_believable(
    incoming: int, previous: int, order: str
) -> None:
    assert order_versions(incoming, previous, CLOCK) == order


async def test_quotes_the_enrichment_capped_are_counted() -> None:
    class Capping(_Enricher):
        async def enrich(self, articles: Sequence[Article]) -> list[EnrichedArticle | BadArticle]:
            return [
                EnrichedArticle(id=a.id, text=a.text, quotes_capped=7 if a.id == "b" else 0) for a in articles
            ]

    processor, metrics = _processor(enricher=Capping())
    await processor.process([_article(0, "a"), _article(1, "b")])
    assert metrics.counters["quotes_capped"] == 7


@pytest.mark.parametrize(
    ("es_url", "printed"),
    [
        ("http://elastic:pw-123@127.0.0.1:9200", "http://elastic:***@127.0.0.1:9200"),
        ("http://127.0.0.1:9200", "http://127.0.0.1:9200"),  # negative
    ],
)
def test_the_devstack_prints_its_elasticsearch_url_without_the_password(es_url: str, printed: str) -> None:
    from pipeline.devstack.elastic_node import ElasticsearchNode

    assert ElasticsearchNode(Settings(es_url=es_url)).address == printed
