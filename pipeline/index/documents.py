"""``EnrichedArticle`` -> index documents. Pure: no client, no clock unless given.

One article document (``<prefix>-articles``) and one document per quote (``<prefix>-quotes``), each
with a stable ``_id``:

* article: ``article_doc_id(article.id)``, a hash of the wire id (ids may be long or hold any
  character; a hash is always a valid, fixed-size ``_id``);
* quote: ``quote_doc_id(article.id, quote_text, occurrence)``, a hash of the article id, the quote's
  whitespace-normalised text and how many times that same text occurred before it in the article. A
  quote that survives into a corrected version keeps its id (and links to it stay good); a quote whose
  words changed gets a new id and the old one is deleted by the writer.

``article_version`` (a non-negative integer, epoch milliseconds) orders versions of one article:
``EnrichedArticle.version`` (ninjs ``versioncreated``), else ``published``, else 0. The writer hands it to
Elasticsearch as an *external* version, so an older version can never overwrite a newer one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.index.names import NameLexicon, name_key, name_keys
from pipeline.models import EnrichedArticle, Quote

Document = dict[str, Any]

_ID_SEPARATOR = "\x1f"  # cannot occur in a wire id or quote text we would confuse it with


@dataclass(frozen=True)
class QuoteDoc:
    id: str
    source: Document


@dataclass(frozen=True)
class ArticleDocs:
    """Everything one article writes: its own document and its quotes', with the version for both."""

    article_id: str
    version: int
    article_doc_id: str
    article: Document
    quotes: tuple[QuoteDoc, ...]

    @property
    def quote_ids(self) -> list[str]:
        return [q.id for q in self.quotes]


def _hash(*parts: str) -> str:
    # 128 bits of BLAKE2b: collision-free in practice, 32 hex characters per _id.
    return hashlib.blake2b(_ID_SEPARATOR.join(parts).encode("utf-8"), digest_size=16).hexdigest()


def article_doc_id(article_id: str) -> str:
    """The ``_id`` of an article's document in the articles index."""
    return _hash("article", article_id)


def quote_doc_id(article_id: str, quote_text: str, occurrence: int) -> str:
    """The ``_id`` of a quote document: article id + normalised quote text + occurrence number."""
    return _hash("quote", article_id, " ".join(quote_text.split()), str(occurrence))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _utc(moment).isoformat()


def _placement(article: EnrichedArticle) -> Document:
    """Where an article sits on the timeline and in date filters: its ``published`` date, else (an
    undated article, or a date that could not be read) the time it was received, flagged
    ``date_estimated`` so a reader can tell; and its language, for the language filter."""
    placed = article.published or article.received
    return {
        "published": _iso(placed),
        "date_estimated": article.published is None and article.received is not None,
        "language": article.language,
    }


def article_version(article: EnrichedArticle) -> int:
    """External version of an article: epoch milliseconds of ``version``, else ``published``, else 0."""
    moment = article.version or article.published
    if moment is None:
        return 0
    return max(0, int(_utc(moment).timestamp() * 1000))


def quote_document(
    article: EnrichedArticle,
    quote: Quote,
    position: int,
    version: int,
    lexicon: NameLexicon,
    indexed_at: datetime,
) -> Document:
    """The quote's document (``_source``), carrying what search results show about its article."""
    speaker = quote.speaker
    name = (speaker.name or "").strip() or None
    return {
        "article_id": article.id,
        "article_version": version,
        "headline": article.headline,
        "source": article.source,
        **_placement(article),
        "url": article.url,
        "position": position,
        "start": quote.start,
        "end": quote.end,
        "text": quote.text,
        "kind": quote.kind,
        "cue": quote.cue,
        "speaker": {
            "name": name,
            "name_keys": name_keys(name, lexicon) if name else [],
            "name_key": (name_key(name, lexicon) or None) if name else None,
            "mention": speaker.mention,
            "role": speaker.role,
            "type": speaker.type,
            "country": speaker.country.upper() if speaker.country else None,
            "country_source": speaker.country_source,
            "person_id": speaker.person_id,
            # evidence: which rule chose the speaker, how far to trust it, the mention it read
            "rule": speaker.rule,
            "confidence": speaker.confidence,
            "mention_start": speaker.mention_start,
            "mention_end": speaker.mention_end,
        },
        "countries": sorted({c.upper() for c in quote.countries}),
        "indexed_at": _iso(indexed_at),
    }


def to_documents(
    article: EnrichedArticle, lexicon: NameLexicon, indexed_at: datetime | None = None
) -> ArticleDocs:
    """The article's document and one document per quote, with stable ids and the article version."""
    when = indexed_at or datetime.now(UTC)
    version = article_version(article)
    seen: dict[str, int] = {}
    quotes: list[QuoteDoc] = []
    for position, quote in enumerate(article.quotes):
        normalised = " ".join(quote.text.split())
        occurrence = seen.get(normalised, 0)
        seen[normalised] = occurrence + 1
        quotes.append(
            QuoteDoc(
                id=quote_doc_id(article.id, quote.text, occurrence),
                source=quote_document(article, quote, position, version, lexicon, when),
            )
        )
    article_source: Document = {
        "article_id": article.id,
        "version": version,
        "version_time": _iso(article.version),
        "headline": article.headline,
        "text": article.text,
        "source": article.source,
        **_placement(article),
        "received": _iso(article.received),
        "warnings": list(article.warnings),
        "url": article.url,
        "entities": [
            {"text": e.text, "label": e.label, "canonical": e.canonical, "start": e.start, "end": e.end}
            for e in article.entities
        ],
        "countries": sorted({c.upper() for c in article.countries}),
        "quote_count": len(quotes),
        "quote_ids": [q.id for q in quotes],
        "indexed_at": _iso(when),
    }
    return ArticleDocs(
        article_id=article.id,
        version=version,
        article_doc_id=article_doc_id(article.id),
        article=article_source,
        quotes=tuple(quotes),
    )
