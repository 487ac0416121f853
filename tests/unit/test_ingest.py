"""pipeline.ingest: message headers, plain text on Kafka, dates that never cost an article, ids that
cannot collide by accident, language. Behaviour tables with negatives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.errors import BadArticle
from pipeline.ingest.contracts import ARTICLE_CONTRACT, headers_for
from pipeline.ingest.dates import read_date
from pipeline.ingest.decode import decode_article
from pipeline.ingest.formats import text_article_id
from pipeline.ingest.language import NEWS_LANGUAGES, UNDETERMINED, detect_language
from pipeline.models import Article

LIMIT = 10_000
RECEIVED = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)


def _j(obj: object) -> bytes:
    return json.dumps(obj).encode()


def _article(result: Article | BadArticle) -> Article:
    assert isinstance(result, Article), result
    return result


# --- dates ---------------------------------------------------------------------------------------

DATES = [
    ("2023-08-17T10:00:00Z", datetime(2023, 8, 17, 10, tzinfo=UTC)),
    ("2023-08-17T10:00:00+03:00", datetime(2023, 8, 17, 7, tzinfo=UTC)),
    ("2023-08-17", datetime(2023, 8, 17, tzinfo=UTC)),
    ("2023-08-17 10:00", datetime(2023, 8, 17, 10, tzinfo=UTC)),
    ("Thu, 17 Aug 2023 10:00:00 +0000", datetime(2023, 8, 17, 10, tzinfo=UTC)),
    ("June 1, 2024", datetime(2024, 6, 1, tzinfo=UTC)),
    ("1 June 2024", datetime(2024, 6, 1, tzinfo=UTC)),
    ("26-FEB-1987 15:01:01.79", datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=UTC)),
    ("3-MAR-1987 09:10:00", datetime(1987, 3, 3, 9, 10, tzinfo=UTC)),
    # Reuters-21578: 286 stories carry SGML junk after the time.
    ("27-MAR-1987 12:16:08.40&#5;&#5;&#5;V RM", datetime(1987, 3, 27, 12, 16, 8, 400000, tzinfo=UTC)),
    ("  2024-06-01T12:00:00Z \n", datetime(2024, 6, 1, 12, tzinfo=UTC)),
    (None, None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "when"), DATES)
def test_dates_are_read(raw: str | None, when: datetime | None) -> None:
    assert read_date(raw, RECEIVED) == when


UNREADABLE = [
    "last Tuesday",
    "Tuesday",  # no year, month or day of its own: dateutil would fill them from today
    "9999",
    "Aug 2023",
    "2023-13-45",
    "17/08/2023 garbage",
    1692266400,
    ["2023"],
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: an OverflowError in every consumer
    "x" * 10_000,
]


@pytest.mark.parametrize("raw", UNREADABLE, ids=[str(r)[:30] for r in UNREADABLE])
def test_unreadable_dates_raise(raw: object) -> None:
    with pytest.raises(ValueError, match=r"unreadable date|out of range"):
        read_date(raw, RECEIVED)


@pytest.mark.parametrize(
    ("raw", "ok"),
    [("2024-06-03T07:00:00Z", True), ("2024-06-03T09:00:00Z", False), ("2999-01-01", False)],
)
def test_future_dates_beyond_a_day_are_refused(raw: str, ok: bool) -> None:
    if ok:
        assert read_date(raw, RECEIVED) is not None
    else:
        with pytest.raises(ValueError, match="in the future"):
            read_date(raw, RECEIVED)


@pytest.mark.parametrize(
    ("published", "warning"),
    [
        ("last Tuesday", "date: published unreadable date 'last Tuesday'"),
        ("2999-01-01", "date: published date '2999-01-01' is in the future"),
        (12, "date: published unreadable date 12"),
    ],
)
def test_a_bad_date_costs_the_date_not_the_article(published: object, warning: str) -> None:
    raw = _j({"id": "a", "text": "The minister said the talks would go on.", "published": published})
    article = _article(decode_article(raw, LIMIT, received=RECEIVED))
    assert article.published is None
    assert article.received == RECEIVED  # where the timeline places it
    assert next(w for w in article.warnings if w.startswith("date")).startswith(warning)


def test_a_dated_article_has_no_date_warning_and_keeps_its_received_time() -> None:
    raw = _j({"id": "a", "text": "The minister said so.", "published": "June 1, 2024"})
    article = _article(decode_article(raw, LIMIT, received=RECEIVED))
    assert article.published == datetime(2024, 6, 1, tzinfo=UTC)
    assert not [w for w in article.warnings if w.startswith("date")]
    assert article.received == RECEIVED


def test_received_defaults_to_now() -> None:
    before = datetime.now(UTC)
    article = _article(decode_article(_j({"id": "a", "text": "Words here."}), LIMIT))
    assert article.received is not None
    assert before <= article.received <= datetime.now(UTC) + timedelta(seconds=1)


# --- headers and plain text on Kafka --------------------------------------------------------------

TEXT = b" date 2024-03-05 MOSCOW, March 5. /TASS/. The minister said the talks would go on.\n"

HEADER_CASES: list[tuple[str, bytes, dict[str, bytes], bytes | None, str]] = [
    ("json by header", _j({"id": "a", "text": "x words"}), headers_for(ARTICLE_CONTRACT), None, "a"),
    ("json without headers", _j({"id": "a", "text": "x words"}), {}, None, "a"),
    ("text by header, id from the key", TEXT, {"content-type": b"text/plain"}, b"wire-77", "wire-77"),
    ("text without headers, id from the key", TEXT, {}, b"wire-77", "wire-77"),
    (
        "latin-1 text by charset",
        "Le ministre a déclaré.".encode("latin-1"),
        {"content-type": b"text/plain; charset=iso-8859-1"},
        b"k",
        "k",
    ),
    (
        "ninjs by media type",
        _j({"uri": "u-1", "body_text": "t w"}),
        {"content-type": b"application/ninjs+json"},
        None,
        "u-1",
    ),
    ("older contract version", _j({"id": "a", "text": "x"}), {"contract": b"quotewire.article/0"}, None, "a"),
]


@pytest.mark.parametrize(
    ("case", "raw", "headers", "key", "article_id"), HEADER_CASES, ids=[c[0] for c in HEADER_CASES]
)
def test_headers_choose_the_format(
    case: str, raw: bytes, headers: dict[str, bytes], key: bytes | None, article_id: str
) -> None:
    result = decode_article(raw, LIMIT, headers=dict(headers), key=key, received=RECEIVED)
    assert _article(result).id == article_id, case


def test_plain_text_on_kafka_is_an_article_with_its_header_date_and_source() -> None:
    article = _article(decode_article(TEXT, LIMIT, headers={"content-type": b"text/plain"}, key=b"k"))
    assert article.text == TEXT.decode()
    assert article.published == datetime(2024, 3, 5, tzinfo=UTC)
    assert article.source == "TASS"


def test_plain_text_without_a_key_gets_a_digest_id() -> None:
    first = _article(decode_article(TEXT, LIMIT))
    again = _article(decode_article(TEXT, LIMIT))
    assert first.id == again.id
    assert first.id.startswith("TASS:")


BAD_HEADERS = [
    ("json header on text", TEXT, {"content-type": b"application/json"}, "not_json"),
    ("image", b"\x89PNG", {"content-type": b"image/png"}, "unsupported_content_type"),
    ("unknown charset", TEXT, {"content-type": b"text/plain; charset=klingon"}, "unsupported_content_type"),
    ("not utf-8 text", b"caf\xe9 talks", {"content-type": b"text/plain"}, "not_utf8"),
    ("blank text", b"  \n ", {"content-type": b"text/plain"}, "empty_text"),
    (
        "newer contract",
        _j({"id": "a", "text": "x"}),
        {"contract": b"quotewire.article/2"},
        "unsupported_contract",
    ),
    (
        "other contract",
        _j({"id": "a", "text": "x"}),
        {"contract": b"quotewire.rejected/1"},
        "unsupported_contract",
    ),
]


@pytest.mark.parametrize(("case", "raw", "headers", "reason"), BAD_HEADERS, ids=[c[0] for c in BAD_HEADERS])
def test_bad_headers_are_classified(case: str, raw: bytes, headers: dict[str, bytes], reason: str) -> None:
    result = decode_article(raw, LIMIT, headers=headers, key=b"k")
    assert isinstance(result, BadArticle), case
    assert result.reason == reason


# --- ids of plain-text stories -------------------------------------------------------------------

STORY = (
    "MOSCOW, March 5. /TASS/. The minister said the talks would go on.\n\n"
    '"We are ready," he told reporters.\n\nMore talks follow on Friday, the ministry said.\n'
)


@pytest.mark.parametrize(
    ("text", "name", "source", "published", "expected"),
    [
        (
            "ID: urn:newsml:wire.example:77\n\n" + STORY,
            "001_story",
            "TASS",
            None,
            "urn:newsml:wire.example:77",
        ),
        (
            "Slug: grain talks\n\n" + STORY,
            "001_story",
            "TASS",
            "2024-03-05T00:00:00+00:00",
            "grain-talks:2024-03-05",
        ),
        ("BC-EU-Grain-Talks,0412\n" + STORY, None, None, None, "BC-EU-Grain-Talks"),
    ],
)
def test_the_wire_s_own_id_or_slug_names_the_story(
    text: str, name: str | None, source: str | None, published: str | None, expected: str
) -> None:
    assert text_article_id(text, name, source, published) == expected


def test_same_file_name_different_stories_do_not_collide() -> None:
    other = "LONDON, March 5 (Reuters) - A different story entirely.\n"
    assert text_article_id(STORY, "001_grain_talks", "TASS", None) != text_article_id(
        other, "001_grain_talks", "TASS", None
    )
    # Same name, same opening lines, other sources: still two stories.
    assert text_article_id(STORY, "001", "TASS", None) != text_article_id(STORY, "001", "Reuters", None)


def test_a_corrected_version_keeps_its_id_and_so_supersedes() -> None:
    corrected = STORY.replace("on Friday", "on Saturday") + "\n(Corrects day of talks in third paragraph)\n"
    first = text_article_id(STORY, "001_grain_talks", "TASS", None)
    assert text_article_id(corrected, "001_grain_talks", "TASS", None) == first
    assert first.startswith("TASS:001_grain_talks:")


def test_an_id_line_deep_in_the_body_is_not_the_wire_s_id() -> None:
    text = STORY + "\n" * 40 + ("filler words " * 60) + "\nID: not-the-header\n"
    assert text_article_id(text, "n", None, None).startswith("n:")


# --- language ------------------------------------------------------------------------------------

LANGUAGES = [
    ("Der Minister sagte am Dienstag, die Gespräche würden in der kommenden Woche fortgesetzt.", "de"),
    ("Министр заявил во вторник, что переговоры продолжатся на следующей неделе.", "ru"),
    ("Le ministre a déclaré mardi que les discussions se poursuivraient la semaine prochaine.", "fr"),
    ("The minister said on Tuesday that the talks would continue next week.", "en"),
    ("RHM/PR", "und"),  # too few letters to say
    ("12345 67890", "und"),
]


@pytest.mark.parametrize(("text", "language"), LANGUAGES)
def test_language_is_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_a_non_english_article_is_kept_with_its_language_and_a_warning() -> None:
    raw = _j({"id": "de-1", "text": LANGUAGES[0][0]})
    article = _article(decode_article(raw, LIMIT))
    assert article.language == "de"
    assert [w for w in article.warnings if w.startswith("language")] == [
        "language: de - quotes and speakers are extracted from English text only"
    ]


def test_an_english_article_has_no_language_warning_and_a_given_language_is_trusted() -> None:
    english = _article(decode_article(_j({"id": "en-1", "text": LANGUAGES[3][0]}), LIMIT))
    assert english.language == "en"
    assert english.warnings == []
    given = _article(decode_article(_j({"id": "x", "text": LANGUAGES[0][0], "language": "en"}), LIMIT))
    assert given.language == "en"


@pytest.mark.parametrize(
    "text",
    [
        # Invented: Esperanto and Latin are in the model but no wire service writes them; the full list
        # also let short English earnings tables come out as Nigerian Pidgin (40 Reuters stories).
        "La ministro diris marde, ke la intertraktadoj daŭros venontsemajne en la ĉefurbo de la lando.",
        "Minister dixit colloquia proxima hebdomade in urbe regia iterum incipere, ut pax servaretur.",
        "Shr 41 cts vs 27 cts\n    Net 2,815,000 vs 1,907,000\n    Sales 27.4 mln vs 25.9 mln\n",
    ],
)
def test_only_news_languages_or_und(text: str) -> None:
    assert detect_language(text) in (*NEWS_LANGUAGES, UNDETERMINED)
