"""Public response models of the HTTP API: the contract clients see, separate from the index documents.

Highlights are character spans into the quote text, never HTML: a client renders them safely with
``textContent`` and the index can change its highlighter without changing the API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.models import QuoteKind, SpeakerType

Interval = Literal["day", "week", "month", "year"]


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class Span(_Public):
    """A highlighted stretch of the quote: ``text[start:end]`` (Python ``str`` indices)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)


class SpeakerOut(_Public):
    name: str | None = Field(description="Resolved full name as written in the article; null when unknown.")
    mention: str | None = Field(default=None, description="The words that refer to the speaker in the text.")
    type: SpeakerType = "UNKNOWN"
    role: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code.")
    country_name: str | None = None
    country_source: str | None = Field(
        default=None,
        description="Which evidence gave the country: role, organisation, place, dateline, article, or "
        "person (not in the article: the person's established country from the people registry).",
    )
    person_id: str | None = Field(
        default=None,
        description="The person in the people registry (GET /people/{person_id}); null when unlinked.",
    )
    rule: str | None = Field(default=None, description="The resolution rule that chose the speaker.")
    confidence: Literal["high", "medium", "low"] | None = Field(
        default=None,
        description="How far the speaker may be trusted (precision per level: docs/enrichment.md).",
    )


class ArticleRef(_Public):
    id: str
    headline: str | None = None
    source: str | None = None
    published: datetime | None = None
    date_estimated: bool = Field(
        default=False, description="The article gave no readable date: published is when it was received."
    )
    language: str | None = Field(default=None, description="ISO 639-1 as detected at ingest (und: unknown).")
    url: str | None = Field(default=None, description="The original (http or https only; else null).")
    href: str = Field(description="This API's URL for the article: /articles/{id}.")


class QuoteOut(_Public):
    id: str
    text: str
    highlights: list[Span] = Field(default_factory=list, description="Matched words, as spans into text.")
    kind: QuoteKind
    cue: str | None = None
    speaker: SpeakerOut
    countries: list[str] = Field(default_factory=list, description="Countries the quote mentions (ISO).")
    article: ArticleRef


class FacetBucket(_Public):
    value: str = Field(description="The value to filter on (a speaker name, an ISO country code).")
    label: str | None = Field(default=None, description="A readable name for the value, when it differs.")
    count: int
    country: str | None = Field(default=None, description="For a speaker: their usual country.")


class TimeBucket(_Public):
    start: date
    end: date = Field(description="Last day of the bucket, inclusive.")
    count: int


class Facets(_Public):
    speakers: list[FacetBucket] = Field(default_factory=list, description="Top speakers (value: name).")
    countries: list[FacetBucket] = Field(default_factory=list, description="Speakers' countries (ISO).")
    mentioned: list[FacetBucket] = Field(default_factory=list, description="Countries the quotes name.")
    kinds: list[FacetBucket] = Field(default_factory=list)
    sources: list[FacetBucket] = Field(default_factory=list)
    over_time: list[TimeBucket] = Field(default_factory=list)
    interval: Interval


class QueryEcho(_Public):
    """The search as understood: normalised values (country as ISO code) so clients can show them."""

    person: str | None = None
    country: str | None = None
    country_name: str | None = None
    mentioned: bool = False
    text: str | None = None
    since: date | None = None
    until: date | None = None
    source: str | None = None
    kind: QuoteKind | None = None


class QuoteSearchResponse(_Public):
    total: int
    limit: int
    offset: int
    max_offset: int = Field(description="The deepest offset + limit this API pages to.")
    took_ms: int = 0
    query: QueryEcho
    quotes: list[QuoteOut]
    facets: Facets | None = Field(default=None, description="Absent when asked for facets=false.")


class PersonSuggestion(_Public):
    name: str
    count: int
    country: str | None = None
    role: str | None = None


class RoleSpanOut(_Public):
    role: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class PersonEntry(_Public):
    """One person (or organisation) of the people registry: a speaker across articles."""

    person_id: str
    name: str = Field(description="The fullest name the person was quoted under.")
    kind: Literal["person", "organisation"]
    role: str | None = Field(default=None, description="The role seen most recently.")
    country: str | None = Field(default=None, description="The country most of their quotes carry.")
    quote_count: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    aliases: list[str] = Field(default_factory=list, description="Every form they were quoted under.")
    roles: list[RoleSpanOut] = Field(default_factory=list, description="Roles over time, earliest first.")
    countries: dict[str, int] = Field(
        default_factory=dict, description="Quotes per country (article evidence)."
    )


class PeopleResponse(_Public):
    prefix: str
    people: list[PersonSuggestion]


class CountrySpeakersOut(_Public):
    code: str = Field(description="ISO 3166-1 alpha-2 code.")
    name: str
    count: int = Field(description="Matching quotes whose speaker is from this country.")
    speakers: list[FacetBucket] = Field(description="Its top speakers (value: the name to filter on).")


class SpeakersResponse(_Public):
    countries: list[CountrySpeakersOut]


class CountryOut(_Public):
    code: str = Field(description="ISO 3166-1 alpha-2 code.")
    name: str
    count: int = Field(description="Quotes whose speaker is from this country.")
    mentioned: int = Field(description="Quotes that name this country.")


class CountriesResponse(_Public):
    countries: list[CountryOut]


class ArticleQuote(_Public):
    id: str
    text: str
    start: int | None = Field(description="Offset of the quote in the article text; null if not found.")
    end: int | None = None
    kind: QuoteKind
    cue: str | None = None
    speaker: SpeakerOut
    countries: list[str] = Field(default_factory=list)


class ArticleEntity(_Public):
    text: str
    label: str
    start: int | None = None
    end: int | None = None
    canonical: str | None = None


class ArticleOut(_Public):
    id: str
    headline: str | None = None
    text: str
    published: datetime | None = None
    source: str | None = None
    url: str | None = Field(default=None, description="The original (http or https only; else null).")
    countries: list[str] = Field(default_factory=list)
    entities: list[ArticleEntity] = Field(default_factory=list)
    quotes: list[ArticleQuote] = Field(default_factory=list)


class Health(_Public):
    status: Literal["ok", "unavailable"]
    elasticsearch: str = Field(description="Elasticsearch version when reachable, else the failure.")


class ErrorItem(_Public):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(_Public):
    """A 422: ``message`` is one readable line; ``detail`` lists each bad parameter."""

    message: str
    detail: list[ErrorItem]
