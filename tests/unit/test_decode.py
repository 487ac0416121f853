"""Edge decoding of raw Kafka values: every reason code, and what passes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.errors import BadArticle
from pipeline.ingest.decode import REASONS, decode_article
from pipeline.models import Article

LIMIT = 1_000


def _j(obj: object) -> bytes:
    return json.dumps(obj).encode()


BAD: list[tuple[str, bytes | None, str]] = [
    ("latin-1 bytes", b'{"id": "a", "text": "caf\xe9"}', "not_utf8"),
    ("utf-16 with BOM", '{"id": "a"}'.encode("utf-16"), "not_utf8"),
    ("truncated json", b'{"id": "a", "text": "x', "not_json"),
    ("empty message", b"", "not_json"),
    ("tombstone", None, "not_json"),
    ("json array", _j([{"id": "a", "text": "x"}]), "not_an_object"),
    ("json string", _j("an article"), "not_an_object"),
    ("json number", b"42", "not_an_object"),
    ("json null", b"null", "not_an_object"),
    ("no id", _j({"text": "words"}), "missing_id"),
    ("null id", _j({"id": None, "text": "words"}), "missing_id"),
    ("empty id", _j({"id": "", "text": "words"}), "missing_id"),
    ("no text", _j({"id": "a", "headline": "H"}), "no_text"),
    ("null text", _j({"id": "a", "text": None}), "no_text"),
    ("empty text", _j({"id": "a", "text": ""}), "empty_text"),
    ("whitespace text", _j({"id": "a", "text": " \n\t "}), "empty_text"),
    ("empty body", _j({"id": "a", "body": "   "}), "empty_text"),
    ("numeric text", _j({"id": "a", "text": 5}), "wrong_type"),
    ("list text", _j({"id": "a", "text": ["p1", "p2"]}), "wrong_type"),
    ("numeric id", _j({"id": 17, "text": "words"}), "wrong_type"),
    ("headline object", _j({"id": "a", "text": "words", "headline": {"en": "H"}}), "wrong_type"),
    ("oversize", _j({"id": "a", "text": "x" * (LIMIT + 1)}), "oversize"),
    # Nested 1,000 deep (2 KB): every recursive parser raises RecursionError on it; refused first.
    ("deep text value", b'{"id": "a", "text": ' + b"[" * 1000 + b"]" * 1000 + b"}", "too_deep"),
    ("deep unknown field", b'{"id": "a", "text": "x", "extra": ' + b"{" * 65 + b"}" * 65 + b"}", "too_deep"),
    ("deep and unclosed", b"[" * 100_000, "too_deep"),
    ("deep inside bad utf-8", b"[" * 1000 + b"\xff", "not_utf8"),
    ("integer of 5,000 digits", b'{"id": ' + b"1" * 5000 + b', "text": "x"}', "not_json"),
]


@pytest.mark.parametrize(("case", "raw", "reason"), BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_classified(case: str, raw: bytes | None, reason: str) -> None:
    result = decode_article(raw, LIMIT)
    assert isinstance(result, BadArticle), case
    assert result.reason == reason
    assert result.reason in REASONS
    assert result.detail  # a human explanation, never empty


GOOD: list[tuple[str, bytes, Article]] = [
    ("minimal", _j({"id": "a", "text": "words"}), Article(id="a", text="words")),
    ("body alias", _j({"id": "a", "body": "words"}), Article(id="a", text="words")),
    ("exactly at the limit", _j({"id": "a", "text": "x" * LIMIT}), Article(id="a", text="x" * LIMIT)),
    (
        "all fields, unknown ones ignored",
        _j(
            {
                "id": "a",
                "text": "words",
                "headline": "H",
                "published": "2023-08-17T10:00:00Z",
                "version": "2023-08-17T11:00:00+00:00",
                "source": "TASS",
                "url": "https://example.org/a",
                "dateline": "MOSCOW",
            }
        ),
        Article(
            id="a",
            text="words",
            headline="H",
            published=datetime(2023, 8, 17, 10, tzinfo=UTC),
            version=datetime(2023, 8, 17, 11, tzinfo=UTC),
            source="TASS",
            url="https://example.org/a",
        ),
    ),
    ("non-ascii text", _j({"id": "é", "text": "Zelenskyy «said»"}), Article(id="é", text="Zelenskyy «said»")),
    (
        "reuters-style date",
        _j({"id": "a", "text": "words", "published": "26-FEB-1987 15:01:01.79"}),
        Article(id="a", text="words", published=datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=UTC)),
    ),
    (
        "rfc 2822 date",
        _j({"id": "a", "text": "words", "version": "Thu, 17 Aug 2023 10:00:00 +0000"}),
        Article(id="a", text="words", version=datetime(2023, 8, 17, 10, tzinfo=UTC)),
    ),
    (
        "naive date taken as UTC",
        _j({"id": "a", "text": "words", "published": "2023-08-17"}),
        Article(id="a", text="words", published=datetime(2023, 8, 17, tzinfo=UTC)),
    ),
]


# Set by the decoder itself: when it was received, the detected language, warnings.
EDGE_FIELDS = {"received", "language", "warnings"}


def _core(article: Article | BadArticle) -> dict[str, object]:
    assert isinstance(article, Article), article
    return article.model_dump(exclude=EDGE_FIELDS)


@pytest.mark.parametrize(("case", "raw", "expected"), GOOD, ids=[c[0] for c in GOOD])
def test_good_input_decodes(case: str, raw: bytes, expected: Article) -> None:
    assert _core(decode_article(raw, LIMIT)) == _core(expected)


DEPTH = [
    ("64 levels of an unknown field are read", 63, True),
    ("65 levels are refused", 64, False),
]


@pytest.mark.parametrize(("case", "extra_levels", "ok"), DEPTH, ids=[c[0] for c in DEPTH])
def test_depth_limit_counts_the_article_object(case: str, extra_levels: int, ok: bool) -> None:
    raw = b'{"id": "a", "text": "x", "extra": ' + b"[" * extra_levels + b"]" * extra_levels + b"}"
    assert isinstance(decode_article(raw, LIMIT), Article) is ok, case


def test_brackets_inside_strings_are_text_not_nesting() -> None:
    text = "[" * 5000 + ' \\" {{{ \\'
    result = decode_article(_j({"id": "a", "text": text}), LIMIT * 10)
    assert isinstance(result, Article)
    assert result.text == text


def test_offsets_refer_to_text_as_received() -> None:
    text = "  leading spaces and a trailing newline\n"
    result = decode_article(_j({"id": "a", "text": text}), LIMIT)
    assert isinstance(result, Article)
    assert result.text == text  # never stripped: quote offsets index into it
