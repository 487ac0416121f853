"""pipeline.ingest on the real stream: plain text straight to Kafka is an article, headers choose the
format, a value nested 1,000 deep is a dead letter (not a stalled agent), an unreadable date or a
German text costs nothing; the worker's own messages carry content-type and contract headers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from stream_harness import Index, isolated_settings, produce_raw, run_cli

from pipeline.settings import Settings

pytestmark = pytest.mark.integration

# Invented for this test.
TEXT = (
    ' date 2024-03-05 OSLO, March 5 (NTB) - "The ferry will run again in April," harbour master '
    "Ingrid Solberg said on Tuesday.\n\nSolberg said the quay repairs were ahead of schedule.\n"
)
GERMAN = (
    "Der Hafenmeister sagte am Dienstag, die Fähre werde im April wieder fahren. Die Reparaturen am "
    "Kai lägen vor dem Zeitplan, sagte er."
)


@pytest.fixture
def cleanup() -> Iterator[list[Index]]:
    indices: list[Index] = []
    yield indices
    for index in indices:
        index.close()


def test_formats_headers_and_poison_on_the_stream(
    devstack: Settings, tmp_path: Path, cleanup: list[Index]
) -> None:
    settings = isolated_settings(devstack, "ingest")
    setup = run_cli(settings, "setup")
    assert setup.returncode == 0, setup.stderr
    index = Index(settings)
    cleanup.append(index)

    deep = b'{"id": "deep", "text": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    asyncio.run(
        produce_raw(settings, [(b"text-with-header", TEXT.encode())], [("content-type", b"text/plain")])
    )
    asyncio.run(
        produce_raw(
            settings,
            [
                (b"deep", deep),
                (b"text-no-header", TEXT.replace("Tuesday", "Wednesday").encode()),
                (b"undated", json.dumps({"id": "undated", "text": TEXT, "published": "someday"}).encode()),
                (b"de-1", json.dumps({"id": "de-1", "text": GERMAN}).encode()),
            ],
        )
    )
    done = run_cli(settings, "worker", "--until-idle", "--web-port", "0", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    assert index.article_ids() == ["de-1", "text-no-header", "text-with-header", "undated"]
    # Plain text: its quotes, and the date and source of its header and dateline.
    quotes = index.quotes("text-with-header")
    assert [q["speaker"]["name"] for q in quotes] == ["Ingrid Solberg", "Ingrid Solberg"]
    assert {q["published"][:10] for q in quotes} == {"2024-03-05"}
    listed = run_cli(settings, "dead-letters", "list", "--json")
    reasons = [json.loads(line)["reason"] for line in listed.stdout.splitlines() if line.strip()]
    assert reasons == ["too_deep"]

    from pipeline.stream.topics import read_topic

    enriched = {
        json.loads(value)["id"]: json.loads(value)
        for _offset, _key, value in asyncio.run(read_topic(settings, settings.topic_enriched))
    }
    assert enriched["undated"]["published"] is None
    assert enriched["undated"]["received"] is not None
    assert enriched["undated"]["warnings"] == ["date: published unreadable date 'someday'"]
    assert enriched["de-1"]["language"] == "de"
    assert enriched["de-1"]["warnings"][0].startswith("language: de")

    # In the index: the undated article sits at its received time, flagged; the language filters.
    undated = index.quotes("undated")
    assert undated and all(q["date_estimated"] and q["published"] for q in undated)
    assert not any(q["date_estimated"] for q in index.quotes("text-with-header"))
    recent = run_cli(settings, "search", "--since", "2025-01-01", "--json", "--limit", "50")
    assert {json.loads(line)["article_id"] for line in recent.stdout.splitlines() if line.strip()} == {
        "undated"
    }
    english = run_cli(settings, "search", "--language", "en", "--json", "--limit", "50")
    assert len([line for line in english.stdout.splitlines() if line.strip()]) == 6
    german = run_cli(settings, "search", "--language", "de", "--json")
    assert german.returncode == 0 and not german.stdout.strip()
