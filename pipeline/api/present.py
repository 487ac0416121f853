"""Read-path records (``pipeline.index.search``) -> public response models. Pure functions.

Kept apart from the routes so the handlers stay a few lines each and this mapping is unit-testable.
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, get_args
from urllib.parse import quote, urlsplit

from pydantic import ValidationError

from pipeline.api.schemas import (
    ArticleEntity,
    ArticleOut,
    ArticleQuote,
    ArticleRef,
    CountryOut,
    CountrySpeakersOut,
    FacetBucket,
    Facets,
    Interval,
    PersonSuggestion,
    QueryEcho,
    QuoteOut,
    QuoteSearchResponse,
    Span,
    SpeakerOut,
    TimeBucket,
)
from pipeline.index import search as read
from pipeline.index.queries import MAX_RESULT_WINDOW, QuoteQuery
from pipeline.models import QuoteKind, SpeakerType

CountryName = Callable[[str], str | None]

_MARK_TAG = re.compile(r"(</?mark>)")
_SPEAKER_TYPES = frozenset(get_args(SpeakerType))
_KINDS = frozenset(get_args(QuoteKind))


def article_href(article_id: str) -> str:
    return f"/articles/{quote(article_id, safe='')}"


_LINK_SCHEMES = frozenset({"http", "https"})


def link_url(url: str | None) -> str | None:
    """An article's ``url`` when it is a web address (http or https, with a host), else None.

    The url comes from the wire, and anything a page turns into a link must not run there:
    ``javascript:``, ``data:``, ``vbscript:``, ``file:`` or a scheme hidden behind the control
    characters and tabs that browsers skip ("\tjava\nscript:") are never passed on."""
    if not url:
        return None
    text = url.strip()
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        return None  # browsers drop these inside a scheme; a real address never holds them
    try:
        parts = urlsplit(text)
    except ValueError:  # an unbalanced "[" in the host
        return None
    return text if parts.scheme.lower() in _LINK_SCHEMES and parts.netloc else None


def highlight_spans(text: str, highlight: str | None) -> list[Span]:
    """Spans of ``<mark>``-ed words in an HTML-escaped highlight of ``text``.

    Elasticsearch's ``html`` encoder escapes the quote and adds the tags; unescaping the pieces between
    tags must give back ``text`` exactly, else (a highlighter that rewrote the text) no spans at all:
    a wrong span would mark the wrong words.
    """
    if not highlight:
        return []
    spans: list[Span] = []
    pieces: list[str] = []
    at = 0
    inside = False
    opened = 0
    for part in _MARK_TAG.split(highlight):
        if part == "<mark>":
            inside, opened = True, at
        elif part == "</mark>":
            if inside and at > opened:
                spans.append(Span(start=opened, end=at))
            inside = False
        else:
            plain = html.unescape(part)
            pieces.append(plain)
            at += len(plain)
    if "".join(pieces) != text:
        return []
    return spans


def speaker_out(speaker: read.SpeakerOut, country_name: CountryName) -> SpeakerOut:
    kind: SpeakerType = speaker.type if speaker.type in _SPEAKER_TYPES else "UNKNOWN"  # type: ignore[assignment]
    return SpeakerOut(
        name=speaker.name,
        mention=speaker.mention,
        type=kind,
        role=speaker.role,
        country=speaker.country,
        country_name=country_name(speaker.country) if speaker.country else None,
        country_source=speaker.country_source,
        person_id=speaker.person_id,
        rule=speaker.rule,
        confidence=speaker.confidence if speaker.confidence in ("high", "medium", "low") else None,
    )


def quote_out(hit: read.QuoteHit, country_name: CountryName) -> QuoteOut:
    return QuoteOut(
        id=hit.id,
        text=hit.text,
        highlights=highlight_spans(hit.text, hit.highlight),
        kind=_kind(hit.kind),
        cue=hit.cue,
        speaker=speaker_out(hit.speaker, country_name),
        countries=list(hit.countries),
        article=ArticleRef(
            id=hit.article_id,
            headline=hit.headline,
            source=hit.source,
            published=hit.published,
            date_estimated=hit.date_estimated,
            language=hit.language,
            url=link_url(hit.url),
            href=article_href(hit.article_id),
        ),
    )


def _kind(value: str) -> QuoteKind:
    if value not in _KINDS:
        raise ValueError(f"unknown quote kind {value!r} in the index")
    return value  # type: ignore[return-value]  # checked against the Literal's values


def bucket_end(start: date, interval: Interval) -> date:
    """The last day (inclusive) of the calendar bucket starting at ``start``."""
    if interval == "day":
        return start
    if interval == "week":  # Elasticsearch calendar weeks start on Monday; buckets start there
        return start + timedelta(days=6)
    if interval == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start.replace(month=12, day=31)


def facets_out(facets: read.Facets, interval: Interval, country_name: CountryName) -> Facets:
    def countries(buckets: Sequence[read.Bucket]) -> list[FacetBucket]:
        return [
            FacetBucket(value=b.key, label=b.label or country_name(b.key), count=b.count) for b in buckets
        ]

    return Facets(
        # A speaker facet filters by the name as most often written: as a person query it requires
        # every name key of that name, which selects the same speaker the facet counted.
        speakers=[
            FacetBucket(value=b.label or b.key, count=b.count, country=b.country) for b in facets.speakers
        ],
        countries=countries(facets.countries),
        mentioned=countries(facets.mentioned),
        kinds=[FacetBucket(value=b.key, count=b.count) for b in facets.kinds],
        sources=[FacetBucket(value=b.key, count=b.count) for b in facets.sources],
        over_time=[
            TimeBucket(start=b.start.date(), end=bucket_end(b.start.date(), interval), count=b.count)
            for b in facets.over_time
        ],
        interval=interval,
    )


def query_echo(query: QuoteQuery, country: str | None, country_name: CountryName) -> QueryEcho:
    return QueryEcho(
        person=query.person,
        country=country,
        country_name=country_name(country) if country else None,
        mentioned=query.mentioned,
        text=query.text,
        since=query.since.date() if query.since else None,
        until=query.until.date() if query.until else None,
        source=query.source,
        kind=query.kind,
    )


def search_response(
    results: read.QuoteResults, query: QuoteQuery, country: str | None, country_name: CountryName
) -> QuoteSearchResponse:
    return QuoteSearchResponse(
        total=results.total,
        limit=results.limit,
        offset=results.offset,
        max_offset=MAX_RESULT_WINDOW,
        took_ms=results.took_ms,
        query=query_echo(query, country, country_name),
        quotes=[quote_out(hit, country_name) for hit in results.hits],
        facets=facets_out(results.facets, query.interval, country_name) if results.facets else None,
    )


def person_out(person: read.PersonSuggestion) -> PersonSuggestion:
    return PersonSuggestion(name=person.name, count=person.count, country=person.country, role=person.role)


def country_speakers_out(found: read.CountrySpeakers) -> CountrySpeakersOut:
    return CountrySpeakersOut(
        code=found.country,
        name=found.name or found.country,
        count=found.count,
        speakers=[
            FacetBucket(value=b.label or b.key, count=b.count, country=found.country) for b in found.speakers
        ],
    )


def country_out(country: read.CountryCount) -> CountryOut:
    return CountryOut(
        code=country.code,
        name=country.name or country.code,
        count=country.quotes,
        mentioned=country.mentioned,
    )


def article_out(view: read.ArticleView, country_name: CountryName) -> ArticleOut:
    quotes = [
        ArticleQuote(
            id=hit.id,
            text=hit.text,
            start=hit.start,
            end=hit.end,
            kind=_kind(hit.kind),
            cue=hit.cue,
            speaker=speaker_out(hit.speaker, country_name),
            countries=list(hit.countries),
        )
        for hit in view.quotes
    ]
    return ArticleOut(
        id=view.id,
        headline=view.headline,
        text=view.text,
        published=view.published,
        source=view.source,
        url=link_url(view.url),
        countries=list(view.countries),
        entities=_entities(view.entities),
        quotes=quotes,
    )


def _entities(raw: Sequence[dict[str, Any]]) -> list[ArticleEntity]:
    out: list[ArticleEntity] = []
    for entity in raw:
        try:
            out.append(ArticleEntity.model_validate(entity))
        except ValidationError:  # one odd stored entity must not hide the article
            continue
    return out
