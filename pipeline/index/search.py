"""The one read path, shared by the CLI and the HTTP API. Async (``AsyncElasticsearch``).

    results = await search_quotes(client, settings, QuoteQuery(person="Antonov", country="RU"))
    people = await suggest_people(client, settings, "blin")
    countries = await list_countries(client, settings)
    article = await get_article(client, settings, "wire-id")        # None if unknown

Errors: ``ValueError`` for a query that cannot mean anything (unknown country): the caller shows it as a
one-line message / HTTP 422. ``TransientError`` when Elasticsearch is unreachable, overloaded or
failing (HTTP 503 territory). ``IndexMissingError`` when ``quotewire setup`` has not been run.

Result records are frozen pydantic models, so the API can return them (or map them) as JSON.
``QuoteHit.highlight`` is HTML-safe: the quote escaped, matched words in ``<mark>`` tags.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout as EsConnectionTimeout
from elasticsearch.exceptions import ApiError
from pydantic import BaseModel, ConfigDict

from pipeline.errors import QuotewireError, TransientError
from pipeline.index.documents import article_doc_id
from pipeline.index.queries import (
    QuoteQuery,
    countries_body,
    country_name,
    people_body,
    quotes_of_article_body,
    search_body,
    speakers_by_country_body,
)
from pipeline.settings import Settings

T = TypeVar("T")


class IndexMissingError(QuotewireError):
    """The quotes/articles aliases do not exist yet: run ``quotewire setup`` (or start a worker)."""


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class SpeakerOut(_Out):
    name: str | None = None
    mention: str | None = None
    role: str | None = None
    type: str | None = None
    country: str | None = None
    rule: str | None = None  # evidence: the resolution rule, and how far it may be trusted
    confidence: str | None = None
    country_source: str | None = None  # which evidence gave the country ("person": the people registry)
    person_id: str | None = None  # the person in the people registry (pipeline.people)


class QuoteHit(_Out):
    id: str
    article_id: str
    position: int | None = None
    # The quote's span in its article's text, as the enrichment found it (Python str indices).
    start: int | None = None
    end: int | None = None
    text: str
    highlight: str | None = None  # HTML: escaped quote with <mark>...</mark> around matched words
    kind: str
    cue: str | None = None
    speaker: SpeakerOut
    countries: list[str] = []
    headline: str | None = None
    source: str | None = None
    published: datetime | None = None
    date_estimated: bool = False  # undated article: ``published`` is when it was received
    language: str | None = None
    url: str | None = None
    score: float | None = None


class Bucket(_Out):
    key: str
    count: int
    label: str | None = None  # display form: a person's name as most often written, a country's name


class SpeakerBucket(Bucket):
    country: str | None = None


class TimeBucket(_Out):
    start: datetime
    count: int


class Facets(_Out):
    speakers: list[SpeakerBucket] = []
    countries: list[Bucket] = []
    mentioned: list[Bucket] = []
    kinds: list[Bucket] = []
    sources: list[Bucket] = []
    over_time: list[TimeBucket] = []


class QuoteResults(_Out):
    total: int
    offset: int
    limit: int
    hits: list[QuoteHit]
    facets: Facets | None = None
    took_ms: int = 0


class PersonSuggestion(_Out):
    name: str
    key: str
    count: int
    country: str | None = None
    role: str | None = None


class CountryCount(_Out):
    code: str
    name: str | None
    quotes: int  # quotes by speakers of this country
    mentioned: int  # quotes naming this country


class CountrySpeakers(_Out):
    country: str
    name: str | None
    count: int
    speakers: list[Bucket]


class ArticleView(_Out):
    id: str
    headline: str | None = None
    source: str | None = None
    published: datetime | None = None
    url: str | None = None
    text: str
    countries: list[str] = []
    entities: list[dict[str, Any]] = []
    quote_count: int = 0
    quotes: list[QuoteHit] = []


# --- calls -----------------------------------------------------------------------------------------


async def search_quotes(client: AsyncElasticsearch, settings: Settings, query: QuoteQuery) -> QuoteResults:
    """Quotes matching ``query``, one page, with facets when ``query.facets``."""
    body = search_body(query)
    response = await _call(client.search(index=settings.quotes_alias, **body))
    return parse_quote_results(response.body, query)


async def suggest_people(
    client: AsyncElasticsearch, settings: Settings, prefix: str, limit: int = 10
) -> list[PersonSuggestion]:
    """Speakers whose name words start with ``prefix``, with quote counts, most quoted first."""
    response = await _call(client.search(index=settings.quotes_alias, **people_body(prefix, limit)))
    return parse_people(response.body)


async def list_countries(client: AsyncElasticsearch, settings: Settings) -> list[CountryCount]:
    """Every country with quotes by its speakers or naming it, most quoted first."""
    response = await _call(client.search(index=settings.quotes_alias, **countries_body()))
    return parse_countries(response.body)


async def speakers_by_country(
    client: AsyncElasticsearch, settings: Settings, query: QuoteQuery, countries: int = 10, speakers: int = 5
) -> list[CountrySpeakers]:
    """Top speakers within each of the top speaker countries for ``query``'s matches."""
    body = speakers_by_country_body(query, countries, speakers)
    response = await _call(client.search(index=settings.quotes_alias, **body))
    out: list[CountrySpeakers] = []
    for bucket in response["aggregations"]["countries"]["buckets"]:
        code = str(bucket["key"])
        out.append(
            CountrySpeakers(
                country=code,
                name=country_name(code),
                count=int(bucket["doc_count"]),
                speakers=[_speaker_bucket(b) for b in bucket["speakers"]["buckets"]],
            )
        )
    return out


async def get_article(client: AsyncElasticsearch, settings: Settings, article_id: str) -> ArticleView | None:
    """One article (its newest indexed version) with its quotes in text order; None if unknown."""
    try:
        doc = await _call(client.get(index=settings.articles_alias, id=article_doc_id(article_id)))
    except IndexMissingError:
        raise
    except _DocumentNotFoundError:
        return None
    source = doc["_source"]
    quotes = await _call(client.search(index=settings.quotes_alias, **quotes_of_article_body(article_id)))
    return ArticleView(
        id=source["article_id"],
        headline=source.get("headline"),
        source=source.get("source"),
        published=source.get("published"),
        url=source.get("url"),
        text=source.get("text", ""),
        countries=source.get("countries") or [],
        entities=source.get("entities") or [],
        quote_count=int(source.get("quote_count") or 0),
        quotes=[_hit(h) for h in quotes["hits"]["hits"]],
    )


# --- parsing (pure) --------------------------------------------------------------------------------


def parse_quote_results(response: Mapping[str, Any], query: QuoteQuery) -> QuoteResults:
    hits = response["hits"]
    facets = _facets(response["aggregations"]) if "aggregations" in response else None
    return QuoteResults(
        total=int(hits["total"]["value"]),
        offset=query.offset,
        limit=query.limit,
        hits=[_hit(h) for h in hits["hits"]],
        facets=facets,
        took_ms=int(response.get("took", 0)),
    )


def parse_people(response: Mapping[str, Any]) -> list[PersonSuggestion]:
    out: list[PersonSuggestion] = []
    for bucket in response["aggregations"]["people"]["buckets"]:
        out.append(
            PersonSuggestion(
                name=_first_key(bucket.get("display")) or str(bucket["key"]),
                key=str(bucket["key"]),
                count=int(bucket["doc_count"]),
                country=_first_key(bucket.get("country")),
                role=_first_key(bucket.get("role")),
            )
        )
    return out


def parse_countries(response: Mapping[str, Any]) -> list[CountryCount]:
    aggs = response["aggregations"]
    quotes = {str(b["key"]): int(b["doc_count"]) for b in aggs["countries"]["buckets"]}
    mentioned = {str(b["key"]): int(b["doc_count"]) for b in aggs["mentioned"]["buckets"]}
    codes = sorted(set(quotes) | set(mentioned), key=lambda c: (-quotes.get(c, 0), -mentioned.get(c, 0), c))
    return [
        CountryCount(code=c, name=country_name(c), quotes=quotes.get(c, 0), mentioned=mentioned.get(c, 0))
        for c in codes
    ]


def _hit(hit: Mapping[str, Any]) -> QuoteHit:
    source = hit["_source"]
    marked = hit.get("highlight", {})
    highlight = marked.get("text") or marked.get("text.folded")
    speaker = source.get("speaker") or {}
    return QuoteHit(
        id=str(hit["_id"]),
        article_id=source["article_id"],
        position=source.get("position"),
        start=source.get("start"),
        end=source.get("end"),
        text=source["text"],
        highlight=highlight[0] if highlight else None,
        kind=source["kind"],
        cue=source.get("cue"),
        speaker=SpeakerOut(
            name=speaker.get("name"),
            mention=speaker.get("mention"),
            role=speaker.get("role"),
            type=speaker.get("type"),
            country=speaker.get("country"),
            country_source=speaker.get("country_source"),
            person_id=speaker.get("person_id"),
        ),
        countries=source.get("countries") or [],
        headline=source.get("headline"),
        source=source.get("source"),
        published=source.get("published"),
        date_estimated=bool(source.get("date_estimated")),
        language=source.get("language"),
        url=source.get("url"),
        score=hit.get("_score"),
    )


def _first_key(agg: Mapping[str, Any] | None) -> str | None:
    buckets = (agg or {}).get("buckets") or []
    return str(buckets[0]["key"]) if buckets else None


def _speaker_bucket(bucket: Mapping[str, Any]) -> SpeakerBucket:
    return SpeakerBucket(
        key=str(bucket["key"]),
        count=int(bucket["doc_count"]),
        label=_first_key(bucket.get("display")) or str(bucket["key"]),
        country=_first_key(bucket.get("country")),
    )


def _buckets(agg: Mapping[str, Any], countries: bool = False) -> list[Bucket]:
    return [
        Bucket(
            key=str(b["key"]),
            count=int(b["doc_count"]),
            label=country_name(str(b["key"])) if countries else None,
        )
        for b in agg["buckets"]
    ]


def _facets(aggs: Mapping[str, Any]) -> Facets:
    return Facets(
        speakers=[_speaker_bucket(b) for b in aggs["speakers"]["buckets"]],
        countries=_buckets(aggs["countries"], countries=True),
        mentioned=_buckets(aggs["mentioned"], countries=True),
        kinds=_buckets(aggs["kinds"]),
        sources=_buckets(aggs["sources"]),
        over_time=[
            TimeBucket(start=b["key_as_string"], count=int(b["doc_count"]))
            for b in aggs["over_time"]["buckets"]
        ],
    )


# --- errors ----------------------------------------------------------------------------------------


class _DocumentNotFoundError(QuotewireError):
    """A document (not an index) that does not exist."""


class SearchUnavailableError(TransientError):
    """Elasticsearch did not answer usefully. ``str()`` is for the operator (it names the node);
    ``public`` is for whoever asked over HTTP and never holds an address or a stack detail."""

    def __init__(self, message: str, public: str) -> None:
        super().__init__(message)
        self.public = public


async def _call(awaitable: Awaitable[T]) -> T:
    try:
        return await awaitable
    except NotFoundError as exc:
        if exc.error == "index_not_found_exception":
            raise IndexMissingError("the quotewire indices do not exist: run `quotewire setup`") from exc
        raise _DocumentNotFoundError(str(exc)) from exc
    except EsConnectionTimeout as exc:
        raise SearchUnavailableError(f"Elasticsearch timed out: {exc}", "Elasticsearch timed out") from exc
    except EsConnectionError as exc:
        raise SearchUnavailableError(
            f"Elasticsearch unreachable: {exc}", "Elasticsearch is unreachable"
        ) from exc
    except ApiError as exc:
        if exc.status_code == 429 or exc.status_code >= 500:
            public = "Elasticsearch is overloaded" if exc.status_code == 429 else "Elasticsearch failed"
            raise SearchUnavailableError(
                f"Elasticsearch failed: HTTP {exc.status_code} {exc.error}", public
            ) from exc
        raise
