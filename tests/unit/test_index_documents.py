"""EnrichedArticle -> index documents: stable ids, versions, fields the mapping expects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from pipeline.index.documents import article_doc_id, article_version, quote_doc_id, to_documents
from pipeline.index.names import default_lexicon
from pipeline.index.schema import INDEX_CONFIG_DIR
from pipeline.models import EnrichedArticle, Entity, Quote, Speaker

WHEN = datetime(2023, 8, 17, 12, 0, tzinfo=UTC)


def _article(**changes: Any) -> EnrichedArticle:
    base: dict[str, Any] = {
        "id": "tass-1",
        "text": "body",
        "headline": "Antonov on prisoners",
        "published": WHEN,
        "source": "TASS",
        "url": "https://example.org/1",
        "entities": [Entity(text="Antonov", label="PERSON", start=0, end=7, canonical="Anatoly Antonov")],
        "countries": ["ru", "US"],
        "quotes": [
            Quote(
                text="It is an absolute priority for us.",
                start=10,
                end=44,
                kind="direct",
                cue="noted",
                speaker=Speaker(name="Anatoly Antonov", type="PERSON", role="ambassador", country="ru"),
                countries=["US", "RU", "US"],
            ),
            Quote(text="We will never agree.", start=50, end=70, kind="direct"),
            Quote(text="We will never  agree.", start=80, end=101, kind="mixed"),
        ],
    }
    base.update(changes)
    return EnrichedArticle(**base)


def _mapping_fields(properties: dict[str, Any], prefix: str = "") -> set[str]:
    fields: set[str] = set()
    for name, spec in properties.items():
        fields.add(prefix + name)
        if "properties" in spec:
            fields |= _mapping_fields(spec["properties"], f"{prefix}{name}.")
    return fields


def _doc_fields(doc: dict[str, Any], prefix: str = "") -> set[str]:
    fields: set[str] = set()
    for name, value in doc.items():
        fields.add(prefix + name)
        if isinstance(value, dict):
            fields |= _doc_fields(value, f"{prefix}{name}.")
    return fields


def test_documents_fit_the_strict_mappings() -> None:
    docs = to_documents(_article(), default_lexicon(), WHEN)
    quotes_mapping = json.loads((INDEX_CONFIG_DIR / "quotes.json").read_text())["mappings"]["properties"]
    articles_mapping = json.loads((INDEX_CONFIG_DIR / "articles.json").read_text())["mappings"]["properties"]
    for quote in docs.quotes:
        assert _doc_fields(quote.source) <= _mapping_fields(quotes_mapping)
    article_fields = {k for k in docs.article if k != "entities"}
    assert article_fields <= _mapping_fields(articles_mapping)


def test_quote_document_fields() -> None:
    docs = to_documents(_article(), default_lexicon(), WHEN)
    first = docs.quotes[0].source
    assert first["article_id"] == "tass-1"
    assert first["headline"] == "Antonov on prisoners"
    assert first["source"] == "TASS"
    assert first["published"] == "2023-08-17T12:00:00+00:00"
    assert first["position"] == 0
    assert first["speaker"]["name"] == "Anatoly Antonov"
    assert first["speaker"]["name_keys"] == ["anatoli", "antonov"]
    assert first["speaker"]["name_key"] == "anatoli antonov"
    assert first["speaker"]["country"] == "RU"
    assert first["countries"] == ["RU", "US"]
    assert first["cue"] == "noted"
    unnamed = docs.quotes[1].source["speaker"]
    assert unnamed["name"] is None and unnamed["name_keys"] == [] and unnamed["name_key"] is None
    assert docs.article["quote_count"] == 3
    assert docs.article["quote_ids"] == docs.quote_ids
    assert docs.article["countries"] == ["RU", "US"]


def test_ids_are_stable_and_distinct() -> None:
    one = to_documents(_article(), default_lexicon(), WHEN)
    again = to_documents(_article(), default_lexicon(), WHEN + timedelta(hours=1))
    assert one.quote_ids == again.quote_ids
    assert one.article_doc_id == again.article_doc_id == article_doc_id("tass-1")
    # The same words twice in one article (whitespace aside) are two quotes with two ids.
    assert len(set(one.quote_ids)) == 3
    assert one.quote_ids[1] == quote_doc_id("tass-1", "We will never agree.", 0)
    assert one.quote_ids[2] == quote_doc_id("tass-1", "We will never agree.", 1)


def test_unchanged_quote_keeps_its_id_across_versions() -> None:
    v1 = to_documents(_article(), default_lexicon(), WHEN)
    v2_article = _article(
        version=WHEN + timedelta(hours=2),
        quotes=[Quote(text="A new first quote.", start=0, end=18, kind="direct"), *_article().quotes[:1]],
    )
    v2 = to_documents(v2_article, default_lexicon(), WHEN)
    assert v1.quote_ids[0] == v2.quote_ids[1]
    assert v2.quotes[1].source["position"] == 1
    assert v2.version > v1.version


@pytest.mark.parametrize(
    ("version", "published", "expected"),
    [
        (datetime(2023, 8, 17, 12, 0, tzinfo=UTC), None, 1692273600000),
        (None, datetime(2023, 8, 17, 12, 0, tzinfo=UTC), 1692273600000),
        (datetime(2023, 8, 17, 13, 0, tzinfo=UTC), datetime(2023, 8, 17, 12, 0, tzinfo=UTC), 1692277200000),
        (datetime(2023, 8, 17, 15, 0, tzinfo=timezone(timedelta(hours=3))), None, 1692273600000),
        (datetime(2023, 8, 17, 12, 0), None, 1692273600000),  # naive: taken as UTC
        (None, None, 0),
        (datetime(1960, 1, 1, tzinfo=UTC), None, 0),  # before the epoch: lowest version
    ],
)
def test_article_version(version: datetime | None, published: datetime | None, expected: int) -> None:
    assert article_version(_article(version=version, published=published)) == expected


def test_different_articles_different_ids() -> None:
    assert article_doc_id("a") != article_doc_id("b")
    assert quote_doc_id("a", "same words", 0) != quote_doc_id("b", "same words", 0)
    assert quote_doc_id("a", "one", 0) != quote_doc_id("a", "two", 0)


RECEIVED = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "received", "placed", "estimated"),
    [
        (WHEN, RECEIVED, "2023-08-17T12:00:00+00:00", False),  # dated: its own date
        (None, RECEIVED, "2024-06-02T08:00:00+00:00", True),  # undated: placed by when it arrived
        (None, None, None, False),  # nothing known (an article from before `received` existed)
    ],
)
def test_undated_articles_are_placed_by_received_time_and_flagged(
    published: datetime | None, received: datetime | None, placed: str | None, estimated: bool
) -> None:
    docs = to_documents(_article(published=published, received=received), default_lexicon(), WHEN)
    for source in (docs.article, *(q.source for q in docs.quotes)):
        assert source["published"] == placed
        assert source["date_estimated"] is estimated
    assert docs.article["received"] == (None if received is None else received.isoformat())
    # The version (ordering of corrections) still comes from the article's own dates only.
    assert docs.version == article_version(_article(published=published, received=received))


def test_language_and_warnings_are_indexed() -> None:
    article = _article(language="de", warnings=["language: de - quotes are extracted from English only"])
    docs = to_documents(article, default_lexicon(), WHEN)
    assert docs.article["language"] == "de"
    assert docs.article["warnings"] == ["language: de - quotes are extracted from English only"]
    assert {q.source["language"] for q in docs.quotes} == {"de"}
