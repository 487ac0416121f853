"""Query bodies: validation, country resolution, person/text/filter clauses, safety of user text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pipeline.index.names import fold_words
from pipeline.index.queries import (
    QuoteQuery,
    country_code,
    people_body,
    resolve_country,
    search_body,
)


def _filters(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body["query"]["bool"]["filter"])


def _walk_keys(value: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            keys.add(key)
            keys |= _walk_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            keys |= _walk_keys(inner)
    return keys


# --- QuoteQuery validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 9_990, "limit": 20},  # beyond max_result_window
        {"since": "2023-08-18", "until": "2023-08-17"},
        {"since": "yesterday"},
        {"kind": "paraphrase"},
        {"person": "!!!"},
        {"unknown_field": 1},
        {"interval": "fortnight"},
    ],
)
def test_bad_queries_are_rejected(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        QuoteQuery.model_validate(fields)


@pytest.mark.parametrize(
    ("fields", "attr", "expected"),
    [
        ({"person": "  "}, "person", None),
        ({"country": ""}, "country", None),
        ({"since": "2023-08-17"}, "since", datetime(2023, 8, 17, tzinfo=UTC)),
        ({"until": "2023-08-17"}, "until", datetime(2023, 8, 17, 23, 59, 59, 999999, tzinfo=UTC)),
        ({"since": "2023-08-17T10:00:00"}, "since", datetime(2023, 8, 17, 10, tzinfo=UTC)),
        ({"since": "2023-08-17T10:00:00+02:00"}, "since", datetime(2023, 8, 17, 8, tzinfo=UTC)),
        ({"person": " Blinken "}, "person", "Blinken"),
    ],
)
def test_query_normalisation(fields: dict[str, Any], attr: str, expected: Any) -> None:
    assert getattr(QuoteQuery.model_validate(fields), attr) == expected


# --- countries -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("RU", "RU"),
        ("ru", "RU"),
        ("RUS", "RU"),
        ("Russia", "RU"),
        ("russia", "RU"),
        ("Russian", "RU"),
        ("russian", "RU"),
        ("United States", "US"),
        ("united states", "US"),
        ("US", "US"),
        ("us", "US"),
        ("American", "US"),
        ("Ukraine", "UA"),
        ("Ukrainian", "UA"),
        ("de", "DE"),
        ("German", "DE"),
    ],
)
def test_country_by_code_name_demonym(typed: str, code: str) -> None:
    assert resolve_country(typed) == code


@pytest.mark.parametrize("typed", ["Narnia", "XX", "zz", "Atlantean", "speaker:RU"])
def test_unknown_country_is_a_clear_error(typed: str) -> None:
    assert resolve_country(typed) is None
    with pytest.raises(ValueError, match="unknown country"):
        country_code(typed)
    with pytest.raises(ValueError, match="unknown country"):
        search_body(QuoteQuery(country=typed))


def test_country_filter_speaker_or_mentioned() -> None:
    speaker_only = _filters(search_body(QuoteQuery(country="russian")))
    assert speaker_only == [{"term": {"speaker.country": "RU"}}]
    either = _filters(search_body(QuoteQuery(country="Russia", mentioned=True)))
    assert either == [
        {
            "bool": {
                "should": [{"term": {"speaker.country": "RU"}}, {"term": {"countries": "RU"}}],
                "minimum_should_match": 1,
            }
        }
    ]


# --- person, text, filters -------------------------------------------------------------------------


def _required(surname: str, others: list[str]) -> list[dict[str, Any]]:
    either = [
        {
            "bool": {
                "should": [{"term": {"speaker.name_keys": k}}, {"term": {"speaker.name_key": surname}}],
                "minimum_should_match": 1,
            }
        }
        for k in others
    ]
    return [{"term": {"speaker.name_keys": surname}}, *either]


@pytest.mark.parametrize(
    ("person", "surname", "others"),
    [
        ("Blinken", "blinken", []),
        ("blinken", "blinken", []),
        ("Antony Blinken", "blinken", ["antoni"]),
        ("Sergei Ryabkov", "riabkov", ["sergei"]),
        ("Foreign Minister Sergey Lavrov", "lavrov", ["sergei"]),
        ("Zelenskyy", "zelenski", []),
        ("Zelensky", "zelenski", []),
        ("Jeroen van der Veer", "ver", ["jeroen", "van", "der"]),
    ],
)
def test_person_requires_surname_and_first_names_unless_surname_only(
    person: str, surname: str, others: list[str]
) -> None:
    body = search_body(QuoteQuery(person=person))
    assert _filters(body) == _required(surname, others)
    assert {"term": {"speaker.name_key": {"value": " ".join([*others, surname]), "boost": 2.0}}} in body[
        "query"
    ]["bool"]["should"]


def test_initials() -> None:
    first = _filters(search_body(QuoteQuery(person="A. Blinken")))
    assert first[1]["bool"]["should"][0] == {"prefix": {"speaker.name_keys": "a"}}
    middle = search_body(QuoteQuery(person="George W. Bush"))
    assert len(_filters(middle)) == 2  # bush, george; "w" only ranks
    assert {"prefix": {"speaker.name_keys": "w"}} in middle["query"]["bool"]["should"]


def test_filters_combine() -> None:
    body = search_body(
        QuoteQuery(
            person="Antonov",
            country="RU",
            text="prisoner exchanges",
            source="TASS",
            kind="direct",
            since="2023-08-01",
            until="2023-08-31",
        )
    )
    filters = _filters(body)
    assert {"term": {"speaker.name_keys": "antonov"}} in filters
    assert {"term": {"speaker.country": "RU"}} in filters
    assert {"term": {"source": "TASS"}} in filters
    assert {"term": {"kind": "direct"}} in filters
    assert {
        "range": {
            "published": {"gte": "2023-08-01T00:00:00+00:00", "lte": "2023-08-31T23:59:59.999999+00:00"}
        }
    } in filters
    must = body["query"]["bool"]["must"]
    assert must == [
        {
            "bool": {
                "should": [
                    {"match": {"text": {"query": "prisoner exchanges", "minimum_should_match": "3<75%"}}},
                    {
                        "match": {
                            "text.folded": {"query": "prisoner exchanges", "minimum_should_match": "3<75%"}
                        }
                    },
                ],
                "minimum_should_match": 1,
            }
        }
    ]
    assert body["sort"][0] == "_score"
    assert body["highlight"]["encoder"] == "html"


def test_no_text_sorts_newest_first_and_has_no_highlight() -> None:
    body = search_body(QuoteQuery(country="RU"))
    assert body["sort"][0] == {"published": {"order": "desc", "missing": "_last"}}
    assert "highlight" not in body
    assert body["query"]["bool"]["must"] == []
    assert search_body(QuoteQuery(person="Antonov"))["sort"][0] == "_score"


def test_empty_query_matches_all() -> None:
    body = search_body(QuoteQuery())
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]


def test_paging() -> None:
    body = search_body(QuoteQuery(limit=10, offset=30))
    assert (body["from_"], body["size"]) == (30, 10)
    assert body["track_total_hits"] is True


def test_facets_on_and_off() -> None:
    aggs = search_body(QuoteQuery(interval="day"))["aggs"]
    assert set(aggs) == {"speakers", "countries", "mentioned", "kinds", "sources", "over_time"}
    assert aggs["over_time"]["date_histogram"]["calendar_interval"] == "day"
    assert "aggs" not in search_body(QuoteQuery(facets=False))


@pytest.mark.parametrize(
    "hostile",
    [
        "speaker.country:RU OR *",
        "text:(a OR b) AND _exists_:url",
        '{"script": "ctx._source"}',
        "/.*/",
        "Blinken~2 ^10",
    ],
)
def test_user_text_never_becomes_query_syntax(hostile: str) -> None:
    body = search_body(QuoteQuery(text=hostile, person=hostile + " x", source=hostile))
    keys = _walk_keys(body)
    assert not keys & {"query_string", "simple_query_string", "script", "regexp", "wildcard", "fuzzy"}
    # The text is passed verbatim as the value of a match query, never parsed.
    assert body["query"]["bool"]["must"][0]["bool"]["should"][0]["match"]["text"]["query"] == hostile
    json.dumps(body)  # plain JSON, nothing else


# --- people ----------------------------------------------------------------------------------------


def test_people_prefix() -> None:
    body = people_body("Antony Bl", limit=5)
    filters = body["query"]["bool"]["filter"]
    assert filters[-1]["bool"]["should"] == [
        {"prefix": {"speaker.name": "bl"}},
        {"prefix": {"speaker.name_keys": "bl"}},
    ]
    assert {"term": {"speaker.name_keys": "antoni"}} in filters[0]["bool"]["should"]
    assert body["aggs"]["people"]["terms"] == {"field": "speaker.name_key", "size": 5}
    with pytest.raises(ValueError):
        people_body("  ")


@pytest.mark.parametrize(
    ("prefix", "last"),
    [("习近", "习近"), ("Μητσοτάκ", "μητσοτακ"), ("محمد", "محمد"), ("Zelensky", "zelenski")],
)
def test_people_prefix_in_any_script(prefix: str, last: str) -> None:
    should = people_body(prefix)["query"]["bool"]["filter"][-1]["bool"]["should"]
    assert {"prefix": {"speaker.name_keys": last}} in should


# --- dates at the calendar's ends and digit-only dates ----------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "expected"),
    [
        # No UTC form in Python: a bound beyond the calendar's ends means "from the start"/"to the end".
        ("since", "0001-01-01T00:00:00+14:00", datetime.min.replace(tzinfo=UTC)),
        ("until", "9999-12-31T23:59:59-14:00", datetime.max.replace(tzinfo=UTC)),
        ("since", "0001-01-01T05:00:00+04:00", datetime(1, 1, 1, 1, tzinfo=UTC)),  # fits: not clamped
        ("until", "9999-12-31T10:00:00+02:00", datetime(9999, 12, 31, 8, tzinfo=UTC)),
        ("since", "2023-08-17T02:00:00+02:00", datetime(2023, 8, 17, tzinfo=UTC)),  # stored in UTC
        ("since", "20230817", datetime(2023, 8, 17, tzinfo=UTC)),  # ISO 8601 basic date
        ("until", "20230817", datetime.combine(date(2023, 8, 17), time.max, UTC)),
    ],
)
def test_dates_become_utc_bounds(field: str, typed: str, expected: datetime) -> None:
    query = QuoteQuery.model_validate({field: typed})
    assert getattr(query, field) == expected
    bounds = search_body(query)["query"]["bool"]["filter"][0]["range"]["published"]
    assert bounds[{"since": "gte", "until": "lte"}[field]] == expected.isoformat()


@pytest.mark.parametrize("typed", ["1692230400", "0", "2023", "123456789012"])
def test_digit_only_dates_are_not_unix_seconds(typed: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        QuoteQuery(since=typed)  # type: ignore[arg-type]  # user text, as the API passes it


@pytest.mark.parametrize(
    "person", ["习近平", "安倍 晋三", "Μητσοτάκης", "محمد بن سلمان", "김정은", "नरेंद्र मोदी"]
)
def test_person_in_any_script_is_a_query(person: str) -> None:
    filters = search_body(QuoteQuery(person=person))["query"]["bool"]["filter"]
    assert filters, person


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("de", "de"), ("DE", "de"), (" ru ", "ru"), ("und", "und"), ("", None), (None, None)],
)
def test_language_filter(typed: str | None, expected: str | None) -> None:
    query = QuoteQuery(language=typed)
    assert query.language == expected
    clause = {"term": {"language": expected}}
    assert (clause in _filters(search_body(query))) is (expected is not None)


@pytest.mark.parametrize("typed", ["german", "d", "de-DE", "1e", "de;x"])
def test_bad_language_is_rejected(typed: str) -> None:
    with pytest.raises(ValidationError):
        QuoteQuery(language=typed)


# --- property: any text in any filter is a query or a clear error, never a crash --------------------

_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
# The calendar's ends and the epoch with any offset: where Python's datetime arithmetic overflows.
_EDGES = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
    st.sampled_from([datetime.min, datetime.max, datetime(1970, 1, 1)]),
    _OFFSETS,
)
_DATE_TEXT = st.one_of(
    _EDGES,
    st.datetimes(timezones=st.none() | _OFFSETS).map(datetime.isoformat),  # year 1 to 9999, ±14:00
    st.dates().map(date.isoformat),
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.integers().map(str),
    st.text(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(since=_DATE_TEXT, until=_DATE_TEXT)
def test_any_date_text_is_a_query_or_a_clear_error(since: str, until: str) -> None:
    try:
        query = QuoteQuery.model_validate({"since": since, "until": until})
    except ValidationError:  # a clear 422: the only failure allowed
        return
    bounds = search_body(query)["query"]["bool"]["filter"][0]["range"]["published"]
    assert set(bounds) == {"gte", "lte"}
    json.dumps(bounds)


@settings(max_examples=300, deadline=None)
@given(person=st.text(max_size=200), text=st.text(max_size=100), source=st.text(max_size=50))
def test_any_person_text_or_source_is_a_query_or_a_clear_error(person: str, text: str, source: str) -> None:
    try:
        query = QuoteQuery(person=person, text=text, source=source)
    except ValidationError:
        return
    json.dumps(search_body(query))
    try:
        json.dumps(people_body(person))
    except ValueError:
        assert not fold_words(person)  # refused only when it has no letters or digits in any script
