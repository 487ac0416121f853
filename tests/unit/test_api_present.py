"""Pure mapping from the read path's records to the API's public schemas (no Elasticsearch)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.api import present
from pipeline.api.schemas import Span
from pipeline.index import search as read
from pipeline.index.queries import QuoteQuery


def _names(code: str) -> str | None:
    return {"RU": "Russia", "US": "United States"}.get(code)


@pytest.mark.parametrize(
    ("text", "highlight", "expected"),
    [
        ("prisoner exchanges", "<mark>prisoner</mark> <mark>exchanges</mark>", [(0, 8), (9, 18)]),
        ('the "issue" of talks', "the &quot;issue&quot; of <mark>talks</mark>", [(15, 20)]),
        ("A & B <tag> said", "A &amp; B &lt;tag&gt; <mark>said</mark>", [(12, 16)]),
        ("it's done", "it&#x27;s <mark>done</mark>", [(5, 9)]),
        ("no match here", "no match here", []),
        # negatives: no highlight, an empty mark, a highlight of some other text (never mis-marked)
        ("prisoner", None, []),
        ("prisoner", "", []),
        ("prisoner", "<mark></mark>prisoner", []),
        ("prisoner exchanges", "<mark>prisoner</mark> swaps", []),
    ],
)
def test_highlight_spans(text: str, highlight: str | None, expected: list[tuple[int, int]]) -> None:
    spans = present.highlight_spans(text, highlight)
    assert [(s.start, s.end) for s in spans] == expected
    assert all(isinstance(s, Span) for s in spans)


@pytest.mark.parametrize(
    ("start", "interval", "end"),
    [
        (date(2023, 8, 17), "day", date(2023, 8, 17)),
        (date(2023, 8, 14), "week", date(2023, 8, 20)),
        (date(2023, 8, 1), "month", date(2023, 8, 31)),
        (date(2024, 2, 1), "month", date(2024, 2, 29)),  # leap year
        (date(2023, 2, 1), "month", date(2023, 2, 28)),
        (date(2023, 12, 1), "month", date(2023, 12, 31)),
        (date(2023, 1, 1), "year", date(2023, 12, 31)),
    ],
)
def test_bucket_end(start: date, interval: present.Interval, end: date) -> None:
    assert present.bucket_end(start, interval) == end


def _hit(**extra: object) -> read.QuoteHit:
    fields: dict[str, object] = {
        "id": "q1",
        "article_id": "wire/1 a",
        "text": "We will never agree",
        "highlight": "We will never <mark>agree</mark>",
        "kind": "direct",
        "cue": "said",
        "speaker": read.SpeakerOut(name="Anatoly Antonov", type="PERSON", country="RU", role="ambassador"),
        "countries": ["US"],
        "published": datetime(2023, 8, 17, tzinfo=UTC),
        **extra,
    }
    return read.QuoteHit.model_validate(fields)


def test_quote_out() -> None:
    out = present.quote_out(_hit(), _names)
    assert out.highlights == [Span(start=14, end=19)]
    assert out.speaker.country_name == "Russia"
    assert out.article.href == "/articles/wire%2F1%20a"  # ids are path-escaped
    assert out.kind == "direct"


@pytest.mark.parametrize(
    ("given", "shown"), [("PERSON", "PERSON"), ("ORG", "ORG"), (None, "UNKNOWN"), ("X", "UNKNOWN")]
)
def test_speaker_type_is_one_of_the_contract(given: str | None, shown: str) -> None:
    speaker = read.SpeakerOut(name="A", type=given)
    assert present.speaker_out(speaker, _names).type == shown


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown quote kind"):
        present.quote_out(_hit(kind="rumour"), _names)


def test_search_response_echoes_the_resolved_query() -> None:
    query = QuoteQuery(person="antonov", country="russian", since="2023-08-17", until="2023-08-17")
    results = read.QuoteResults(
        total=1,
        offset=0,
        limit=20,
        hits=[_hit()],
        facets=read.Facets(
            speakers=[
                read.SpeakerBucket(key="anatoli antonov", label="Anatoly Antonov", count=1, country="RU")
            ],
            countries=[read.Bucket(key="RU", label="Russia", count=1)],
            over_time=[read.TimeBucket(start=datetime(2023, 8, 1, tzinfo=UTC), count=1)],
        ),
    )
    out = present.search_response(results, query, "RU", _names)
    assert out.query.country == "RU" and out.query.country_name == "Russia"
    assert out.query.since == out.query.until == date(2023, 8, 17)
    assert out.facets is not None
    assert out.facets.speakers[0].value == "Anatoly Antonov"  # the name to filter on, not the key
    assert out.facets.over_time[0].end == date(2023, 8, 31)
    assert out.max_offset == 10_000


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://wire.example/2024/01/05/talks", "https://wire.example/2024/01/05/talks"),
        ("http://wire.example/a?b=c#d", "http://wire.example/a?b=c#d"),
        ("HTTPS://WIRE.EXAMPLE/A", "HTTPS://WIRE.EXAMPLE/A"),
        ("  https://wire.example/a  ", "https://wire.example/a"),
        # negatives: anything a browser would run, open or resolve elsewhere
        ("javascript:alert(document.cookie)", None),
        ("JavaScript:alert(1)", None),
        ("  javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("https://wire.example/\nx", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("file:///etc/passwd", None),
        ("//wire.example/a", None),  # scheme-relative: the page's own scheme, not checked
        ("/articles/x", None),
        ("https://", None),
        ("http://[::1", None),
        ("", None),
        (None, None),
    ],
)
def test_only_web_addresses_become_links(url: str | None, link: str | None) -> None:
    assert present.link_url(url) == link
