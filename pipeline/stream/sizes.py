"""Record sizes by design: every record the worker writes fits the Kafka limits its settings name.

Two limits meet on every produce: the topic's ``max.message.bytes`` (``Settings.kafka_max_message_bytes``,
set by ``quotewire setup`` on the three topics) and the producer's ``max_request_size``
(``Settings.kafka_max_request_size``). The settings refuse a producer limit above the topics' (such a
record would be accepted by the client and refused by the broker for good), and ``record_budget`` is what
is left for a record's key and value after Kafka's own framing.

* enriched articles: ``fit_enriched`` leaves out entities, then quotes (from the end), then the text until
  the record fits, and says so in the record (``omitted_*``); the index always has everything;
* dead letters: ``deadletter.encode_rejected`` cuts the original and keeps its digest, size and origin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.models import EnrichedArticle
    from pipeline.settings import Settings

# Kafka's framing around one record: the record batch header (61 bytes), the record's varints, and the
# headers the worker adds (content type, contract: ~100 bytes). 4 KiB leaves room for all with margin.
ENVELOPE_BYTES = 4_096


def record_budget(settings: Settings) -> int:
    """Bytes a record's key + value may take on the worker's topics."""
    return min(settings.kafka_max_message_bytes, settings.kafka_max_request_size) - ENVELOPE_BYTES


def raw_limit_note(settings: Settings) -> str | None:
    """A warning when an article of ``max_text_chars`` characters may not fit the raw topic (it would be
    refused by the producer that sends it, never seen by the worker)."""
    # Up to 4 bytes per character in UTF-8, and JSON's escapes make a control character 6.
    worst = settings.max_text_chars * 4
    if worst <= record_budget(settings):
        return None
    return (
        f"an article of QUOTEWIRE_MAX_TEXT_CHARS={settings.max_text_chars} characters can take up to "
        f"{worst} bytes; the topics take {record_budget(settings)} (QUOTEWIRE_KAFKA_MAX_MESSAGE_BYTES): "
        "such an article is refused when it is fed, not by the worker"
    )


def fit_enriched(article: EnrichedArticle, budget: int) -> tuple[bytes, EnrichedArticle]:
    """The article as one enriched-topic record of at most ``budget`` bytes (with the key), and the
    record it is (the article itself when it fits whole). Raises ValueError if not even the bare record
    (id and dates) fits."""
    key = len(article.id.encode("utf-8"))

    def size(candidate: EnrichedArticle) -> int:
        return key + len(candidate.model_dump_json().encode("utf-8"))

    # Quotes matter more than entities (they are what is searched), and both more than the text, which
    # the raw topic still holds.
    for base in (article, article.model_copy(update={"text": "", "omitted_text": True})):
        if size(base) <= budget:
            return base.model_dump_json().encode("utf-8"), base
        fewer_entities = _most_that_fit(base, "entities", size, budget)
        if size(fewer_entities) <= budget:
            return fewer_entities.model_dump_json().encode("utf-8"), fewer_entities
        fewer_quotes = _most_that_fit(fewer_entities, "quotes", size, budget)
        if size(fewer_quotes) <= budget:
            return fewer_quotes.model_dump_json().encode("utf-8"), fewer_quotes
    raise ValueError(f"article {article.id[:80]!r}: even its bare record is over {budget} bytes")


def _most_that_fit(
    article: EnrichedArticle, field: str, size: Callable[[EnrichedArticle], int], budget: int
) -> EnrichedArticle:
    """The article with the longest prefix of ``field`` that fits (none if not even one does): a binary
    search, so ~log2(n) encodings, each linear in the record."""
    items = getattr(article, field)

    def keep(count: int) -> EnrichedArticle:
        return article.model_copy(update={field: items[:count], f"omitted_{field}": len(items) - count})

    low, high = 0, len(items)
    while low < high:
        middle = (low + high + 1) // 2
        if size(keep(middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    return keep(low)
