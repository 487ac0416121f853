"""HTTP routes. Thin: validate parameters, call the one read path (``pipeline.index.search``), map the
records to public schemas (``present``). No query DSL here; user text reaches Elasticsearch only as
``term``/``match`` values built by ``pipeline.index.queries``.

Failures: bad parameters -> 422 (``message`` + per-parameter ``detail``); Elasticsearch unreachable or
overloaded, or the indices not set up -> 503 with a one-line ``detail``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from elasticsearch import AsyncElasticsearch
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout as EsConnectionTimeout
from elasticsearch.exceptions import ApiError
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from pipeline.api import present
from pipeline.api.schemas import (
    ArticleOut,
    CountriesResponse,
    Health,
    Interval,
    PeopleResponse,
    PersonEntry,
    QuoteSearchResponse,
    SpeakersResponse,
    ValidationProblem,
)
from pipeline.api.security import guard
from pipeline.errors import TransientError
from pipeline.index import search as read
from pipeline.index.queries import QuoteQuery, country_code, country_name
from pipeline.models import PERSON_ID_PATTERN, QuoteKind
from pipeline.settings import Settings


def reject_unknown_parameters(request: Request) -> None:
    """A misspelt parameter (``persn=``) is a 422, not a silently wider search."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {param.alias for param in get_flat_dependant(dependant).query_params}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        expected = f"expected one of: {', '.join(sorted(known))}" if known else "this endpoint takes none"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": f"unknown parameter; {expected}",
                    "type": "extra_forbidden",
                }
                for name in unknown
            ]
        )


logger = logging.getLogger(__name__)
# Data routes: the API key and the rate limit first (a request without a key learns nothing about its
# parameters), then unknown parameters. /healthz has its own router: probes need no key and no quota.
router = APIRouter(dependencies=[Depends(guard), Depends(reject_unknown_parameters)])
health_router = APIRouter(dependencies=[Depends(reject_unknown_parameters)])

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "The server wants an API key (X-API-Key) and none or a wrong one was sent."},
    422: {"model": ValidationProblem, "description": "A parameter is invalid; `message` says which and why."},
    429: {"description": "Too many requests from this client; `Retry-After` says when to try again."},
    503: {"description": "Elasticsearch is unreachable or overloaded, or the indices are not set up."},
}
_RETRY_AFTER = "5"  # seconds: a node restart or a burst of load; clients should not hammer a 503
_HEALTH_TIMEOUT = 3.0  # seconds: a health probe must answer fast, whatever the search timeout is


def es_client(request: Request) -> AsyncElasticsearch:
    client: AsyncElasticsearch = request.app.state.es
    return client


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Client = Annotated[AsyncElasticsearch, Depends(es_client)]
AppSettings = Annotated[Settings, Depends(settings_of)]


def _invalid(field: str | None, message: str, kind: str = "value_error") -> RequestValidationError:
    loc = ("query", field) if field else ("query",)
    return RequestValidationError([{"loc": loc, "msg": message, "type": kind}])


def _query_problem(exc: ValidationError) -> RequestValidationError:
    errors = [{"loc": ("query", *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return RequestValidationError(errors)


def _unavailable(exc: Exception) -> HTTPException:
    """A 503 whose text names what failed, never where: the operator's log gets the node's address
    and the transport's words; the client gets a fixed phrase."""
    if isinstance(exc, read.IndexMissingError):
        return HTTPException(503, "the quote index is not set up: run `quotewire setup` or start a worker")
    logger.warning("search unavailable: %s", exc)
    reason = exc.public if isinstance(exc, read.SearchUnavailableError) else "Elasticsearch failed"
    return HTTPException(503, f"search is unavailable: {reason}", headers={"Retry-After": _RETRY_AFTER})


@contextmanager
def read_failures(field: str | None = None, *, bad_values: bool = True) -> Iterator[None]:
    """Map the read path's failures to HTTP: Elasticsearch unavailable or the indices missing -> 503;
    with ``bad_values``, a ValueError (the read path found the query meaningless) -> 422 on ``field``.
    A pydantic ValidationError is a ValueError too, but there it means a record the read path could
    not build: a server fault, not the query's, so it passes through as a 500."""
    try:
        yield
    except ValidationError:
        raise
    except ValueError as exc:
        if not bad_values:
            raise
        raise _invalid(field, str(exc)) from None
    except (TransientError, read.IndexMissingError) as exc:
        raise _unavailable(exc) from None


# What since/until accept, for clients and fuzzers (the value stays a string: QuoteQuery reads it).
_DATE_OR_TIME: dict[str, Any] = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}


@dataclass(frozen=True)
class QuoteFilters:
    """The filters ``/quotes`` and ``/speakers`` share, as given (validated by ``QuoteQuery``)."""

    person: str | None
    country: str | None
    mentioned: bool
    text: str | None
    since: str | None
    until: str | None
    source: str | None
    kind: QuoteKind | None
    language: str | None = None


def quote_filters(
    person: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Speaker: surname, full name, any case, with or without accents or role words.",
            examples=["Antonov", "blinken", "Sergei Ryabkov"],
        ),
    ] = None,
    country: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Speaker's country: ISO code, name or adjective.",
            examples=["RU", "Russia", "russian"],
        ),
    ] = None,
    mentioned: Annotated[
        bool, Query(description="Country also matches quotes that name the country.")
    ] = False,
    text: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Words in the quote (plain words; no query syntax).",
            examples=["prisoner exchange"],
        ),
    ] = None,
    since: Annotated[
        str | None,
        Query(
            description="From this date (YYYY-MM-DD, UTC) or ISO 8601 time.",
            examples=["2023-08-01"],
            json_schema_extra=_DATE_OR_TIME,
        ),
    ] = None,
    until: Annotated[
        str | None,
        Query(
            description="Until this day, inclusive (YYYY-MM-DD, UTC) or ISO 8601 time.",
            examples=["2023-08-31"],
            json_schema_extra=_DATE_OR_TIME,
        ),
    ] = None,
    source: Annotated[
        str | None, Query(max_length=200, description="Source, any case: TASS, Reuters, BBC News.")
    ] = None,
    kind: Annotated[QuoteKind | None, Query(description="direct, mixed (partial quote) or indirect.")] = None,
    language: Annotated[
        str | None,
        Query(
            max_length=3,
            description="Article language, ISO 639-1 as detected at ingest (en, de, ru, und).",
            examples=["en", "de"],
        ),
    ] = None,
) -> QuoteFilters:
    return QuoteFilters(person, country, mentioned, text, since, until, source, kind, language)


Filters = Annotated[QuoteFilters, Depends(quote_filters)]


def _query(filters: QuoteFilters, **options: Any) -> tuple[QuoteQuery, str | None]:
    """The validated query and the country's ISO code; a 422 when either is invalid."""
    try:
        query = QuoteQuery.model_validate({**asdict(filters), **options})
    except ValidationError as exc:
        raise _query_problem(exc) from None
    if not query.country:
        return query, None
    try:
        return query, country_code(query.country)
    except ValueError as exc:
        raise _invalid("country", str(exc)) from None


@router.get(
    "/quotes",
    summary="Search quotes",
    response_model=QuoteSearchResponse,
    responses=_PROBLEMS,
    tags=["search"],
)
async def quotes(
    client: Client,
    settings: AppSettings,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=100, description="Quotes per page.")] = 20,
    offset: Annotated[int, Query(ge=0, description="Quotes to skip; offset + limit <= max_offset.")] = 0,
    facets: Annotated[bool, Query(description="Include facets (top speakers, countries, over time).")] = True,
    interval: Annotated[Interval, Query(description="Bucket size of the over-time facet.")] = "month",
) -> QuoteSearchResponse:
    """Quotes by person, country, words, source, date range and kind: one page, with facets.

    Sorted by relevance when `text` is given, else newest first."""
    query, code = _query(filters, limit=limit, offset=offset, facets=facets, interval=interval)
    with read_failures():
        results = await read.search_quotes(client, settings, query)
    return present.search_response(results, query, code, country_name)


@router.get(
    "/speakers",
    summary="Top speakers per country",
    response_model=SpeakersResponse,
    responses=_PROBLEMS,
    tags=["search"],
)
async def speakers(
    client: Client,
    settings: AppSettings,
    filters: Filters,
    countries: Annotated[int, Query(ge=1, le=50, description="Speaker countries to list.")] = 10,
    per_country: Annotated[int, Query(ge=1, le=20, description="Top speakers per country.")] = 5,
) -> SpeakersResponse:
    """Top speakers per speaker country, over the quotes the filters match (same filters as /quotes)."""
    query, _code = _query(filters, facets=False)
    with read_failures():
        found = await read.speakers_by_country(client, settings, query, countries, per_country)
    return SpeakersResponse(countries=[present.country_speakers_out(c) for c in found])


@router.get(
    "/people",
    summary="Suggest speaker names",
    response_model=PeopleResponse,
    responses=_PROBLEMS,
    tags=["search"],
)
async def people(
    client: Client,
    settings: AppSettings,
    prefix: Annotated[
        str,
        Query(
            min_length=1,
            max_length=100,
            description="The start of a name: 'blin', 'antony b'.",
            examples=["blin"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=100, description="Suggestions to return.")] = 10,
) -> PeopleResponse:
    """Speaker names starting with `prefix`, most quoted first, with quote counts."""
    with read_failures("prefix"):
        found = await read.suggest_people(client, settings, prefix, limit)
    return PeopleResponse(prefix=prefix, people=[present.person_out(p) for p in found])


@router.get(
    "/people/{person_id}",
    summary="One person of the people registry",
    response_model=PersonEntry,
    responses={404: {"description": "No person with this id."}, **_PROBLEMS},
    tags=["search"],
)
async def person(
    client: Client,
    settings: AppSettings,
    person_id: Annotated[
        str, Path(pattern=PERSON_ID_PATTERN, description="A person_id (on quotes' speakers, from /people).")
    ],
) -> PersonEntry:
    """One person: names, roles over time, countries, quote count, first and last seen."""
    from pipeline.people.lookup import get_person

    with read_failures(bad_values=False):
        found = await get_person(client, settings, person_id)
    if found is None:
        raise HTTPException(404, f"no person with id {person_id!r}")
    return PersonEntry.model_validate(found.model_dump())


@router.get(
    "/countries",
    summary="Countries with quotes",
    response_model=CountriesResponse,
    responses=_PROBLEMS,
    tags=["search"],
)
async def countries(client: Client, settings: AppSettings) -> CountriesResponse:
    """Every country with quotes by its speakers or naming it; most quoted first."""
    with read_failures(bad_values=False):
        found = await read.list_countries(client, settings)
    return CountriesResponse(countries=[present.country_out(c) for c in found])


@router.get(
    "/articles/{article_id:path}",  # ids may be URLs or URNs with slashes (ninjs ``uri``)
    summary="One article with its quotes",
    response_model=ArticleOut,
    responses={404: {"description": "No article with this id."}, **_PROBLEMS},
    tags=["articles"],
)
async def article(
    client: Client,
    settings: AppSettings,
    article_id: Annotated[str, Path(min_length=1, max_length=512, description="The wire article id.")],
) -> ArticleOut:
    """One article (its newest version) with its quotes, in text order, located in the text."""
    with read_failures(bad_values=False):
        view = await read.get_article(client, settings, article_id)
    if view is None:
        raise HTTPException(404, f"no article with id {article_id!r}")
    return present.article_out(view, country_name)


@health_router.get(
    "/healthz",
    summary="Is Elasticsearch reachable?",
    response_model=Health,
    responses={503: {"model": Health, "description": "Elasticsearch is not reachable."}},
    tags=["health"],
)
async def healthz(client: Client) -> Any:
    """200 when Elasticsearch answers, 503 when it does not."""
    try:
        info = await client.options(request_timeout=_HEALTH_TIMEOUT, max_retries=0).info()
    except Exception as exc:  # any failure to answer means "unavailable"; the details go to the log
        logger.warning("health check: Elasticsearch did not answer: %s: %s", type(exc).__name__, exc)
        body = Health(status="unavailable", elasticsearch=_health_reason(exc))
        return JSONResponse(status_code=503, content=body.model_dump())
    return Health(status="ok", elasticsearch=str(info["version"]["number"]))


def _health_reason(exc: Exception) -> str:
    """What a health probe may say about a failure: its kind, never the node's address."""
    if isinstance(exc, EsConnectionTimeout):
        return "timed out"
    if isinstance(exc, EsConnectionError):
        return "unreachable"
    if isinstance(exc, ApiError):
        return f"HTTP {exc.status_code}"
    return "failed"
