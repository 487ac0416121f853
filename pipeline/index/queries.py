"""Query bodies for the quotes index: pure functions of a validated ``QuoteQuery``.

Used by the one read path (``pipeline.index.search``), hence by the CLI and the HTTP API alike.
User text never becomes query syntax: names go through ``names.name_keys`` into ``term`` filters, free
text into ``match``/``match_phrase``, everything else into ``term``/``range``. There is no
``query_string`` anywhere, so ``"AND"``, ``*``, ``field:value`` or brackets are just words.

* person -- a person_id from the people registry (``p-`` + 16 hex) matches ``speaker.person_id`` exactly;
  otherwise every token key of the typed name must be among the speaker's ``speaker.name_keys``
  (surname alone, full name, any case or accents, transliteration variants, role words ignored; see
  ``names``); a full-name ``match`` on the folded ``speaker.name`` adds to the score.
* country -- ISO code, name or demonym ("RU", "Russia", "russian"), resolved by the NLP layer's
  country lexicon; the speaker's country, or with ``mentioned`` also countries named in the quote.
* text -- ``match`` on the quote (``english`` analyzer: stems, stop words) with most words required,
  a phrase match adding to the score, highlighted (HTML-escaped, ``<mark>`` tags).
* source (case/accent-insensitive exact), since/until on ``published`` (an undated article's received
  time, flagged ``date_estimated``), kind, language.
* sort -- by relevance when there is text or a person, else newest first; ties broken by date, then
  article and position, so paging is stable.
* facets -- top speakers, speaker countries, countries mentioned, kinds, sources, quotes over time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.index.names import (
    CountryWord,
    NameLexicon,
    default_lexicon,
    fold_words,
    name_keys,
    token_key,
)
from pipeline.models import PERSON_ID_PATTERN, QuoteKind

_PERSON_ID = re.compile(PERSON_ID_PATTERN)

Body = dict[str, Any]
CountryResolver = Callable[[str], str | None]
Interval = Literal["day", "week", "month", "year"]

MAX_RESULT_WINDOW = 10_000  # Elasticsearch's default index.max_result_window
HIGHLIGHT_PRE = "<mark>"
HIGHLIGHT_POST = "</mark>"
FACET_SIZE = 10
COUNTRY_FACET_SIZE = 50  # a media monitor's country list; more than any one query shows
_TEXT_MIN_MATCH = "3<75%"  # up to 3 words: all; more: three in four (people type sentences)
_DATE_CHARS = len("2023-08-17")
_BASIC_DATE_CHARS = len("20230817")


class QuoteQuery(BaseModel):
    """What a user asks for. Blank strings count as not given; dates are UTC (a bare ``until`` date
    includes that whole day). Raises ``ValueError`` (pydantic ``ValidationError``) on bad values."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    person: str | None = Field(default=None, max_length=200, description="speaker name, any form")
    country: str | None = Field(default=None, max_length=100, description="ISO code, name or demonym")
    mentioned: bool = Field(default=False, description="country also matches countries named in the quote")
    text: str | None = Field(default=None, max_length=500, description="words in the quote")
    source: str | None = Field(default=None, max_length=200)
    since: datetime | None = None
    until: datetime | None = None
    kind: QuoteKind | None = None
    # ISO 639-1 of the article (detected at the edge, pipeline.ingest.language): "en", "de", "und".
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$", description="article language")
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)
    facets: bool = True
    interval: Interval = "month"

    @field_validator("person", "country", "text", "source", "language", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("language", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        day = _as_date(value)
        return datetime.combine(day, time.min, UTC) if day is not None else value

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value: Any) -> Any:
        day = _as_date(value)
        return datetime.combine(day, time.max, UTC) if day is not None else value

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    @model_validator(mode="after")
    def _consistent(self) -> QuoteQuery:
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        if self.offset + self.limit > MAX_RESULT_WINDOW:
            raise ValueError(f"offset + limit must be at most {MAX_RESULT_WINDOW}")
        if self.person is not None and not fold_words(self.person):
            raise ValueError(f"person {self.person!r} has no letters or digits")
        return self


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (naive = UTC), clamped to what ``datetime`` can hold.

    A time within a day of the calendar's ends has no UTC form in Python (``0001-01-01T00:00+14:00``
    is 31 December of year 0): as a bound it means "from the very start" or "until the very end",
    so it becomes ``datetime.min``/``datetime.max`` rather than an ``OverflowError``."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if moment.year == datetime.min.year else datetime.max
        return edge.replace(tzinfo=UTC)


def _as_date(value: Any) -> date | None:
    """A bare date (``date`` object, ``YYYY-MM-DD`` or ISO basic ``YYYYMMDD`` text), else None
    (datetimes pass through). Other digit-only text is refused: pydantic would read it as Unix
    seconds, so ``20230817`` would silently mean 23 August 1970."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isdigit() and len(text) != _BASIC_DATE_CHARS:
        raise ValueError("not a date: use YYYY-MM-DD or an ISO 8601 time")
    if len(text) in (_BASIC_DATE_CHARS, _DATE_CHARS):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return None


# --- countries -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _country_lexicon() -> Any:
    from pipeline.nlp.countries import load_country_lexicon  # the NLP layer's lexicon (a JSON file)

    return load_country_lexicon()


def resolve_country(value: str) -> str | None:
    """ISO alpha-2 code for what a user typed ("RU", "rus", "Russia", "russian", "united states")."""
    lexicon = _country_lexicon()
    text = value.strip()
    # The lexicon wants capitalised country words (prose rules); user input may be lower case.
    for candidate in dict.fromkeys((text, text.title(), text[:1].upper() + text[1:])):
        code = lexicon.code_for(candidate, allow_codes=True)
        if code:
            return str(code)
    return None


def country_name(code: str) -> str | None:
    """Display name of a code ("RU" -> "Russia")."""
    name = _country_lexicon().name_of(code)
    return str(name) if name else None


def is_country_word(word: str) -> bool:
    """Whether a folded word names a country or its people ("russian", "us"): for person queries."""
    return resolve_country(word) is not None


def country_code(value: str, resolver: CountryResolver | None = None) -> str:
    """The code for a country filter, or ``ValueError`` with a one-line explanation."""
    code = (resolver or resolve_country)(value)
    if code is None:
        raise ValueError(
            f"unknown country {value!r}: use an ISO code (RU), a name (Russia) or a demonym (Russian)"
        )
    return code


# --- query parts -----------------------------------------------------------------------------------


def person_keys(
    person: str, lexicon: NameLexicon | None = None, country_word: CountryWord | None = None
) -> list[str]:
    """The name keys a person query requires (titles, role words and a leading country dropped)."""
    return name_keys(person, lexicon or default_lexicon(), country_word)


def _key_clause(key: str) -> Body:
    if len(key) == 1:  # an initial ("A. Blinken"): any name word starting with it
        return {"prefix": {"speaker.name_keys": key}}
    return {"term": {"speaker.name_keys": key}}


def person_clauses(
    person: str, lexicon: NameLexicon | None = None, country_word: CountryWord | None = None
) -> tuple[list[Body], list[Body]]:
    """(filters, scoring clauses) for a person.

    The last word typed (the surname, as people type names) is always required. Every other word is
    required too, unless the speaker is recorded by that surname alone: "Anatoly Antonov" finds quotes
    attributed to plain "Antonov", but "Igor Lavrov" does not find "Sergey Lavrov". Middle initials only
    rank ("George W. Bush" finds "George Bush"). An exact full-name match ranks first.
    """
    keys = person_keys(person, lexicon, country_word)
    surname = keys[-1]
    filters: list[Body] = [_key_clause(surname)]
    scoring: list[Body] = [
        {"term": {"speaker.name_key": {"value": " ".join(keys), "boost": 2.0}}},
        {"match": {"speaker.name": {"query": person, "operator": "or"}}},
    ]
    for position, key in enumerate(keys[:-1]):
        if len(key) == 1 and position > 0:
            scoring.append(_key_clause(key))
            continue
        filters.append(
            {
                "bool": {
                    "should": [_key_clause(key), {"term": {"speaker.name_key": surname}}],
                    "minimum_should_match": 1,
                }
            }
        )
    return filters, scoring


def country_clause(code: str, mentioned: bool) -> Body:
    if not mentioned:
        return {"term": {"speaker.country": code}}
    return {
        "bool": {
            "should": [{"term": {"speaker.country": code}}, {"term": {"countries": code}}],
            "minimum_should_match": 1,
        }
    }


def text_clauses(text: str) -> tuple[Body, list[Body]]:
    """(required match, scoring phrase match) for free text in the quote.

    Matched on ``text`` (english: stems, stop words) or on ``text.folded`` (no stemming, accents off:
    "Gerard" finds "Gérard", which the english analyzer keeps apart)."""
    required = {
        "bool": {
            "should": [
                {"match": {field: {"query": text, "minimum_should_match": _TEXT_MIN_MATCH}}}
                for field in ("text", "text.folded")
            ],
            "minimum_should_match": 1,
        }
    }
    phrase = [{"match_phrase": {"text": {"query": text, "slop": 2, "boost": 2.0}}}]
    return required, phrase


def date_clause(since: datetime | None, until: datetime | None) -> Body | None:
    if since is None and until is None:
        return None
    bounds: dict[str, str] = {}
    if since is not None:
        bounds["gte"] = as_utc(since).isoformat()
    if until is not None:
        bounds["lte"] = as_utc(until).isoformat()
    return {"range": {"published": bounds}}


def filter_query(
    query: QuoteQuery,
    *,
    resolver: CountryResolver | None = None,
    lexicon: NameLexicon | None = None,
    country_word: CountryWord | None = None,
) -> Body:
    """The ``bool`` query for a ``QuoteQuery`` (without paging, sort, highlight or facets)."""
    must: list[Body] = []
    filters: list[Body] = []
    should: list[Body] = []
    if query.person and _PERSON_ID.match(query.person):
        # A person_id from the people registry (`quotewire people`): exactly that person's quotes.
        filters.append({"term": {"speaker.person_id": query.person}})
    elif query.person:
        person_filters, person_scoring = person_clauses(query.person, lexicon, country_word)
        filters.extend(person_filters)
        should.extend(person_scoring)
    if query.country:
        filters.append(country_clause(country_code(query.country, resolver), query.mentioned))
    if query.text:
        required, phrase = text_clauses(query.text)
        must.append(required)
        should.extend(phrase)
    if query.source:
        filters.append({"term": {"source": query.source}})
    if query.kind:
        filters.append({"term": {"kind": query.kind}})
    if query.language:
        filters.append({"term": {"language": query.language}})
    dates = date_clause(query.since, query.until)
    if dates:
        filters.append(dates)
    if not (must or filters):
        must.append({"match_all": {}})
    return {"bool": {"must": must, "filter": filters, "should": should}}


def facet_aggregations(interval: Interval = "month") -> Body:
    """The facets a media monitor expects, over whatever the query matched."""
    return {
        "speakers": {
            "terms": {"field": "speaker.name_key", "size": FACET_SIZE},
            "aggs": {
                # The most common spelling under this key is what a person facet shows.
                "display": {"terms": {"field": "speaker.name.raw", "size": 1}},
                "country": {"terms": {"field": "speaker.country", "size": 1}},
            },
        },
        "countries": {"terms": {"field": "speaker.country", "size": COUNTRY_FACET_SIZE}},
        "mentioned": {"terms": {"field": "countries", "size": COUNTRY_FACET_SIZE}},
        "kinds": {"terms": {"field": "kind", "size": 3}},
        "sources": {"terms": {"field": "source.raw", "size": FACET_SIZE}},
        "over_time": {
            "date_histogram": {"field": "published", "calendar_interval": interval, "min_doc_count": 1}
        },
    }


def search_body(
    query: QuoteQuery,
    *,
    resolver: CountryResolver | None = None,
    lexicon: NameLexicon | None = None,
    country_word: CountryWord | None = None,
) -> Body:
    """Keyword arguments for ``client.search(index=settings.quotes_alias, **body)``.

    ``country_word`` defaults to the country lexicon (``is_country_word``) when a person is given.
    """
    if query.person and country_word is None:
        country_word = is_country_word
    body: Body = {
        "query": filter_query(query, resolver=resolver, lexicon=lexicon, country_word=country_word),
        "from_": query.offset,
        "size": query.limit,
        "track_total_hits": True,
        # Relevance when words or a name were typed (an exact full name outranks a surname-only record;
        # one person's quotes tie and fall back to newest first), else newest first.
        "sort": _sort(bool(query.text or query.person)),
    }
    if query.text:
        body["highlight"] = {
            "encoder": "html",  # escape the quote, then add tags: safe to put in a page as-is
            "pre_tags": [HIGHLIGHT_PRE],
            "post_tags": [HIGHLIGHT_POST],
            # The whole quote (quotes are short); text.folded only matters when text had no match.
            "fields": {"text": {"number_of_fragments": 0}, "text.folded": {"number_of_fragments": 0}},
        }
    if query.facets:
        body["aggs"] = facet_aggregations(query.interval)
    return body


def _sort(by_relevance: bool) -> list[Body | str]:
    ties: list[Body | str] = [{"article_id": "asc"}, {"position": "asc"}]
    newest: Body = {"published": {"order": "desc", "missing": "_last"}}
    if by_relevance:
        return ["_score", newest, *ties]
    return [newest, *ties]


def people_body(prefix: str, limit: int = 10, lexicon: NameLexicon | None = None) -> Body:
    """Person suggestions: names whose words start with what was typed, most quoted first.

    Every word but the last must match a name word (as typed, folded, or by name key); the last is a
    prefix of a folded name word ("antony bl" -> Antony Blinken).
    """
    words = fold_words(prefix)
    if not words:
        raise ValueError(f"prefix {prefix!r} has no letters or digits")
    lex = lexicon or default_lexicon()
    filters: list[Body] = []
    for word in words[:-1]:
        keys = name_keys(word, lex)
        filters.append(
            {
                "bool": {
                    "should": [
                        {"term": {"speaker.name": word}},
                        *({"term": {"speaker.name_keys": k}} for k in keys),
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    last = words[-1]
    # The last word is a prefix of a name word as Elasticsearch split it (``speaker.name``) or of a
    # name key as ``names`` folded it: the key side reaches what the index's own analysis cannot,
    # a Chinese name typed in part ("习近" -> 习近平, one key, single ideographs as index tokens) or
    # a Greek one without its accents ("μητσοτακ" -> Μητσοτάκης).
    filters.append(
        {
            "bool": {
                "should": [
                    {"prefix": {"speaker.name": last}},
                    {"prefix": {"speaker.name_keys": token_key(last, lex)}},
                ],
                "minimum_should_match": 1,
            }
        }
    )
    return {
        "query": {"bool": {"filter": filters}},
        "size": 0,
        "aggs": {
            "people": {
                "terms": {"field": "speaker.name_key", "size": limit},
                "aggs": {
                    "display": {"terms": {"field": "speaker.name.raw", "size": 1}},
                    "country": {"terms": {"field": "speaker.country", "size": 1}},
                    "role": {"terms": {"field": "speaker.role.raw", "size": 1}},  # as written
                },
            }
        },
    }


def countries_body() -> Body:
    """Quotes per speaker country and per country mentioned, over the whole index."""
    return {
        "size": 0,
        "query": {"match_all": {}},
        "aggs": {
            "countries": {"terms": {"field": "speaker.country", "size": 300}},  # > number of ISO codes
            "mentioned": {"terms": {"field": "countries", "size": 300}},
        },
    }


def speakers_by_country_body(
    query: QuoteQuery, countries: int = 10, speakers: int = 5, **kwargs: Any
) -> Body:
    """Top speakers per speaker country, for the query's matches."""
    return {
        "size": 0,
        "query": filter_query(query, **kwargs),
        "aggs": {
            "countries": {
                "terms": {"field": "speaker.country", "size": countries},
                "aggs": {
                    "speakers": {
                        "terms": {"field": "speaker.name_key", "size": speakers},
                        "aggs": {"display": {"terms": {"field": "speaker.name.raw", "size": 1}}},
                    }
                },
            }
        },
    }


def quotes_of_article_body(article_id: str, size: int = 1000) -> Body:
    """All quotes of one article, in text order (an article with more than ``size`` quotes is cut)."""
    return {"query": {"term": {"article_id": article_id}}, "size": size, "sort": [{"position": "asc"}]}
