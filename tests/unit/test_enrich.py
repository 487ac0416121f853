"""The enrichment orchestration, its process-pool entry point and the ``quotewire enrich`` command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.cli.enrich import read_articles
from pipeline.enrich import Enricher, enrich_batch
from pipeline.models import Article
from pipeline.settings import Settings

STORY = (
    ' date 2024-05-02 "The [new] bridge opens in June," Foreign Minister Sofia Lind said on Thursday.\n\n'
    "Lind added that Sweden and Norway would share the cost.\n\n"
    "RHM/PR"
)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.load(Settings())


def test_offsets_index_the_text_as_received(enricher: Enricher) -> None:
    enriched = enricher.enrich(Article(id="s1", text=STORY))
    assert enriched.text == STORY
    assert enriched.quotes, "expected the two statements of the story"
    for q in enriched.quotes:
        assert STORY[q.start : q.end] == q.text
    for e in enriched.entities:
        assert STORY[e.start : e.end] == e.text
    assert [q.speaker.name for q in enriched.quotes] == ["Sofia Lind", "Sofia Lind"]
    assert enriched.quotes[1].countries == ["SE", "NO"]
    assert set(enriched.countries) >= {"SE", "NO"}


def test_enrich_many_keeps_order_and_metadata(enricher: Enricher) -> None:
    articles = [
        Article(id=f"a{i}", text=f"Official number {i} said that the plan works.", headline=f"h{i}")
        for i in range(5)
    ]
    out = enricher.enrich_many(articles, batch_size=2)
    assert [e.id for e in out] == [a.id for a in articles]
    assert [e.headline for e in out] == [a.headline for a in articles]


def test_article_without_quotes_is_still_enriched(enricher: Enricher) -> None:
    enriched = enricher.enrich(Article(id="plain", text="Rain fell over Oslo all day."))
    assert enriched.quotes == []
    assert enriched.countries == ["NO"]


def test_enrich_batch_degrades_per_article() -> None:
    good = json.dumps({"id": "g", "text": '"It works," Anna Berg said.'})
    results = enrich_batch(
        [good, "{not json", json.dumps({"id": "e", "text": "   "}), good], Settings().spacy_model
    )
    assert [next(iter(r)) for r in results] == ["ok", "error", "error", "ok"]
    assert results[0]["ok"]["quotes"][0]["speaker"]["name"] == "Anna Berg"
    assert results[1]["error"]["reason"] == "not_json"
    assert results[2]["error"]["reason"] == "empty_text"
    json.dumps(results)  # JSON-ready: crosses a process boundary as plain data


# --- input reading (no model) ------------------------------------------------------------------

READ_CASES = [
    ('{"id": "a", "text": "x"}\n\n{"id": "b", "body": "y"}\n', ["a", "b"], []),
    ('{"id": "a", "text": "x"}\nnot json\n[1]\n{"id": "c"}\n', ["a"], ["in:2: ", "in:3: ", "in:4: "]),
    ('{"id": "a", "text": "  "}\n', [], ["in:1: empty_text"]),
    (" date 2024-01-01 Plain wire copy.\n\nRHM/PR\n", ["in:"], []),
    ('{\n  "id": "pretty",\n  "text": "One object over lines."\n}\n', ["pretty"], []),
    ('{"uri": "urn:x:1", "headline": "H", "body_text": "From ninjs."}\n', ["urn:x:1"], []),
    # A JSON array: read as feed reads it (it used to be refused here).
    ('[{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]', ["a", "b"], []),
    ("", [], []),
    # Nested 1,000 deep: refused with a reason, not a RecursionError (issue 8).
    ('{"id": "d", "text": ' + "[" * 1000 + "]" * 1000 + "}\n", [], ["in: too_deep"]),
    (
        '{"id": "a", "text": "x"}\n{"id": "d", "text": ' + "[" * 1000 + "]" * 1000 + "}\n",
        ["a"],
        ["in:2: too_deep"],
    ),
]


@pytest.mark.parametrize(("raw", "ids", "errors"), READ_CASES)
def test_read_articles(raw: str, ids: list[str], errors: list[str]) -> None:
    items = list(read_articles(io.BytesIO(raw.encode()), "in", 10_000))
    got = [a.id for a in items if isinstance(a, Article)]
    assert [g[: len(i)] for g, i in zip(got, ids, strict=True)] == ids
    messages = [m for m in items if isinstance(m, str)]
    assert len(messages) == len(errors)
    for message, prefix in zip(messages, errors, strict=True):
        assert message.startswith(prefix)


def test_oversize_text_is_rejected() -> None:
    [item] = list(read_articles(io.BytesIO(b'{"id": "big", "text": "abcdef"}\n'), "x", 5))
    assert isinstance(item, str) and "oversize" in item


# --- the command ---------------------------------------------------------------------------------


def test_enrich_command_reports_bad_lines_and_exits_non_zero(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "ok1", "text": '"We will win," coach Lars Moen said.'})
        + "\n{broken\n"
        + json.dumps({"id": "ok2", "text": "Nothing was said."})
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["enrich", str(src)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["id"] for d in lines] == ["ok1", "ok2"]
    assert lines[0]["quotes"][0]["speaker"]["name"] == "Lars Moen"
    assert set(lines[0]) >= {"id", "text", "entities", "quotes", "countries"}
    assert f"{src}:2: not_json" in result.stderr


def test_enrich_command_plain_text_file_and_missing_file(tmp_path: Path) -> None:
    src = tmp_path / "007_story.txt"
    src.write_text(STORY, encoding="utf-8")
    result = CliRunner().invoke(app, ["enrich", str(src)])
    assert result.exit_code == 0, result.stderr
    [doc] = [json.loads(line) for line in result.stdout.splitlines()]
    assert doc["id"].startswith("007_story:")
    missing = CliRunner().invoke(app, ["enrich", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr


def test_enrich_and_feed_read_a_wire_text_file_the_same_way(tmp_path: Path) -> None:
    """One home for wire formats: the same .txt gives the same id, date and source to both commands
    (enrich used to drop the date and source, issue 10)."""
    from pipeline.stream.feed import Outgoing, parse_path

    src = tmp_path / "008_story.txt"
    src.write_text(
        STORY.replace(" date 2024-05-02 ", " date 2024-05-02 MOSCOW, May 2. /TASS/. "), encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["enrich", str(src)])
    assert result.exit_code == 0, result.stderr
    [doc] = [json.loads(line) for line in result.stdout.splitlines()]
    (sent,) = parse_path(src, 10_000)
    assert isinstance(sent, Outgoing)
    fed = json.loads(sent.value)
    assert doc["id"] == fed["id"] == sent.key
    assert doc["source"] == fed["source"] == "TASS"
    assert doc["published"] == fed["published"] == "2024-05-02T00:00:00Z"
    assert doc["language"] == fed["language"] == "en"
