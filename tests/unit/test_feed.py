"""Feed parsing: formats in, article payloads (or skipped-with-reason) out; the drop-folder state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.ingest.formats import object_fields, strip_html
from pipeline.stream.feed import (
    DropFolder,
    FeedSummary,
    Outgoing,
    Replaced,
    Skipped,
    parse_document,
    parse_path,
)

LIMIT = 10_000


def _payload(result: Outgoing | Skipped) -> dict[str, object]:
    assert isinstance(result, Outgoing), result
    out: dict[str, object] = json.loads(result.value)
    return out


def test_ninjs_fields_map_to_the_article_contract() -> None:
    ninjs = {
        "uri": "urn:newsml:example.org:20230817:wire-1",
        "version": "3",
        "versioncreated": "2023-08-17T12:00:00Z",
        "firstcreated": "2023-08-17T09:30:00Z",
        "headline": "Envoy speaks",
        "body_text": "The envoy said talks go on.",
        "copyrightholder": "Example Wire",
        "links": [{"rel": "canonical", "href": "https://example.org/wire-1"}],
        "subject": [{"code": "politics"}],
    }
    assert object_fields(ninjs) == {
        "id": "urn:newsml:example.org:20230817:wire-1",
        "text": "The envoy said talks go on.",
        "headline": "Envoy speaks",
        "published": "2023-08-17T09:30:00Z",
        "version": "2023-08-17T12:00:00Z",
        "source": "Example Wire",
        "url": "https://example.org/wire-1",
    }
    (sent,) = parse_document("n.json", json.dumps(ninjs).encode(), LIMIT, ".json")
    payload = _payload(sent)
    assert payload["published"] == "2023-08-17T09:30:00Z"
    assert payload["version"] == "2023-08-17T12:00:00Z"


def test_ninjs_guid_and_html_body() -> None:
    ninjs = {
        "guid": "g-7",
        "body_html": "<p>First &amp; <b>bold</b>.</p><p>Second<br/>line</p><script>x()</script>",
    }
    payload = object_fields(ninjs)
    assert payload["id"] == "g-7"
    assert payload["text"] == "First & bold.\n\nSecond\n\nline"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("plain", "plain"),
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("<div>  spaced   out </div>", "spaced out"),
        ("<style>p{}</style>kept", "kept"),
        ("&quot;quoted&quot; &#8212; dash", '"quoted" \u2014 dash'),
    ],
)
def test_strip_html(html: str, text: str) -> None:
    assert strip_html(html) == text


def test_plain_article_keeps_only_contract_fields() -> None:
    obj = {"id": "r-1", "text": "t", "dateline": "SALVADOR, Feb 26 -", "published": "26-FEB-1987 15:01:01.79"}
    assert object_fields(obj) == {"id": "r-1", "text": "t", "published": "26-FEB-1987 15:01:01.79"}
    (sent,) = parse_document("r.json", json.dumps(obj).encode(), LIMIT, ".json")
    payload = _payload(sent)
    assert payload["published"] == "1987-02-26T15:01:01.790000Z"
    assert "dateline" not in payload


def test_json_lines_good_and_bad_lines() -> None:
    data = b"\n".join(
        [
            json.dumps({"id": "a", "text": "one"}).encode(),
            b"",  # blank lines are not articles and not errors
            b"{broken",
            json.dumps([1, 2]).encode(),
            json.dumps({"id": "b", "body": "two"}).encode(),
            json.dumps({"id": "c", "text": "   "}).encode(),
            b'{"id": "d", "text": "caf\xe9"}',
            json.dumps({"id": "e", "text": "x", "published": "someday"}).encode(),
            json.dumps({"text": "no id"}).encode(),
        ]
    )
    results = list(parse_document("feed.jsonl", data, LIMIT, ".jsonl"))
    sent = [r for r in results if isinstance(r, Outgoing)]
    skipped = [(r.origin, r.reason) for r in results if isinstance(r, Skipped)]
    assert [r.key for r in sent] == ["a", "b", "e"]
    assert {k: v for k, v in _payload(sent[1]).items() if k in ("id", "text")} == {"id": "b", "text": "two"}
    # An unreadable date costs the date, not the article (issue 10).
    assert "published" not in _payload(sent[2])
    assert _payload(sent[2])["warnings"] == ["date: published unreadable date 'someday'"]
    assert skipped == [
        ("feed.jsonl:3", "not_json"),
        ("feed.jsonl:4", "not_an_object"),
        ("feed.jsonl:6", "empty_text"),
        ("feed.jsonl:7", "not_utf8"),
        ("feed.jsonl:9", "missing_id"),
    ]


def test_json_document_object_and_array() -> None:
    one = list(parse_document("a.json", json.dumps({"id": "a", "text": "x"}).encode(), LIMIT, ".json"))
    assert [r.key for r in one if isinstance(r, Outgoing)] == ["a"]
    many = list(
        parse_document("b.json", json.dumps([{"id": "a", "text": "x"}, "nope"]).encode(), LIMIT, ".json")
    )
    assert isinstance(many[0], Outgoing)
    assert isinstance(many[1], Skipped)
    assert (many[1].origin, many[1].reason) == ("b.json[2]", "not_an_object")
    broken = list(parse_document("c.json", b'{"id": ', LIMIT, ".json"))
    assert [(r.origin, r.reason) for r in broken if isinstance(r, Skipped)] == [("c.json", "not_json")]


def test_oversize_is_skipped_with_the_limit_in_the_detail() -> None:
    (result,) = parse_document("big.json", json.dumps({"id": "a", "text": "x" * 11}).encode(), 10, ".json")
    assert isinstance(result, Skipped)
    assert result.reason == "oversize"
    assert "10" in result.detail


WIRE = (
    ' date 2024-05-04 "We shall see," the minister told reporters.\n\nThe talks resume on Monday.\n\nXYZ/QW\n'
)


def test_plain_wire_text_id_from_file_name_date_from_header() -> None:
    (result,) = parse_document("/drop/123_abc.txt", WIRE.encode(), LIMIT, ".txt")
    payload = _payload(result)
    assert payload["id"].startswith("123_abc:")  # file name + a digest of the first lines
    assert payload["text"] == WIRE  # the text exactly as received: offsets stay true
    assert payload["published"] == "2024-05-04T00:00:00Z"


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"   \n\n", "empty_text"), (b"\xff\xfe wire", "not_utf8")],
)
def test_plain_wire_text_bad(data: bytes, reason: str) -> None:
    (result,) = parse_document("x.txt", data, LIMIT, ".txt")
    assert isinstance(result, Skipped)
    assert result.reason == reason


@pytest.mark.parametrize(
    ("name", "data", "keys"),
    [
        ("-", b'{"id": "a", "text": "x"}', ["a"]),
        ("-", b'{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n', ["a", "b"]),
        ("-", b'[{"id": "a", "text": "x"}]', ["a"]),
        ("story", b"The minister said so.", ["story:"]),
    ],
)
def test_sniffed_formats(name: str, data: bytes, keys: list[str]) -> None:
    results = list(parse_document(name, data, LIMIT))
    assert [r.key[: len(k)] for r, k in zip(results, keys, strict=True) if isinstance(r, Outgoing)] == keys
    assert not [r for r in results if isinstance(r, Skipped)]


def test_stdin_plain_text_gets_a_content_digest_id() -> None:
    (first,) = parse_document("-", b"The minister said so.", LIMIT)
    (again,) = parse_document("-", b"The minister said so.", LIMIT)
    (other,) = parse_document("-", b"The envoy said otherwise.", LIMIT)
    assert isinstance(first, Outgoing)
    assert isinstance(again, Outgoing)
    assert isinstance(other, Outgoing)
    assert first.key == again.key  # the same copy twice is the same article
    assert first.key != other.key


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ""])
def test_deeply_nested_json_is_skipped_not_raised(suffix: str) -> None:
    deep = b'{"id": "d", "text": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    good = b'{"id": "g", "text": "words"}'
    data = deep + b"\n" + good if suffix == ".jsonl" else deep
    results = list(parse_document("f" + suffix, data, LIMIT, suffix))
    assert isinstance(results[0], Skipped)
    assert results[0].reason == "too_deep"
    if suffix == ".jsonl":  # the next line is still sent
        assert _payload(results[1])["id"] == "g"


def test_unsupported_extension_is_skipped() -> None:
    (result,) = parse_document("photo.jpg", b"\xff\xd8", LIMIT, ".jpg")
    assert isinstance(result, Skipped)
    assert result.reason == "unsupported_format"


def test_folder_walk_in_name_order_skipping_hidden_and_partial(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text(json.dumps({"id": "b", "text": "x"}))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.jsonl").write_text(json.dumps({"id": "c", "text": "x"}) + "\n")
    (tmp_path / "a.txt").write_text("Wire copy.")
    (tmp_path / ".hidden.json").write_text("{}")
    (tmp_path / "d.json.part").write_text("{")
    (tmp_path / "notes.md").write_text("# not an article")
    results = list(parse_path(tmp_path, LIMIT))
    assert [r.key.split(":")[0] for r in results if isinstance(r, Outgoing)] == ["a", "b", "c"]
    assert [(Path(r.origin).name, r.reason) for r in results if isinstance(r, Skipped)] == [
        ("notes.md", "ignored")  # a folder's non-article file is reported, not an error
    ]
    (named,) = parse_path(tmp_path / "notes.md", LIMIT)  # named explicitly: it had to be an article
    assert isinstance(named, Skipped)
    assert named.reason == "unsupported_format"


def test_drop_folder_sends_complete_files_once_and_changed_files_again() -> None:
    a, b = Path("a.json"), Path("b.json")
    state = DropFolder(sent={a: (1, 10)})
    assert state.ready({a: (1, 10)}) == []  # already sent before watching began
    assert state.ready({a: (1, 10), b: (5, 3)}) == []  # b just appeared: wait one poll
    assert state.ready({a: (1, 10), b: (6, 7)}) == []  # still growing
    assert state.ready({a: (1, 10), b: (6, 7)}) == [b]  # stable: send
    assert state.ready({a: (1, 10), b: (6, 7)}) == []  # never twice
    assert state.ready({a: (2, 12), b: (6, 7)}) == []  # a corrected story saved over a
    assert state.ready({a: (2, 12), b: (6, 7)}) == [a]
    assert state.ready({}) == []  # files removed: nothing to send


def test_sent_articles_carry_content_type_and_contract_headers() -> None:
    (sent,) = parse_document("a.json", json.dumps({"id": "a", "text": "x"}).encode(), LIMIT, ".json")
    assert isinstance(sent, Outgoing)
    assert dict(sent.headers) == {"content-type": b"application/json", "contract": b"quotewire.article/1"}


def test_summary_says_which_input_replaced_which() -> None:
    summary = FeedSummary()
    first = Outgoing("story-1", b"{}", "a/v1.json")
    other = Outgoing("story-2", b"{}", "a/other.json")
    second = Outgoing("story-1", b"{}", "b/v2.json")
    for result in (first, other, second, Skipped("c.json", "not_json", "x")):
        summary.add(result)
    assert summary.sent == 3
    assert summary.replaced == [Replaced("story-1", "b/v2.json", "a/v1.json")]
    assert [s.origin for s in summary.errors] == ["c.json"]
