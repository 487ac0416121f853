"""The people registry through the real worker on the devstack: invented articles, fed in phases so the
registry's order of learning is known, then replayed to show linking is idempotent.

Every test has its own topics, index prefix and consumer group (``stream_harness.isolated_settings``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stream_harness import Index, Worker, group_lag, isolated_settings, run_cli, wait_for, write_jsonl

from pipeline.people.linking import person_id_for
from pipeline.settings import Settings

pytestmark = pytest.mark.integration


def _article(article_id: str, day: int, text: str) -> dict[str, Any]:
    return {
        "id": article_id,
        "published": f"2026-10-{day:02d}T09:00:00Z",
        "headline": article_id,
        "text": text,
    }


# Learned first: full names with their countries, namesakes kept apart, an organisation, a surname first.
PHASE_1 = [
    _article(
        "pp-1",
        1,
        "WASHINGTON - Russian Ambassador Anatoly Antonov said on Monday that talks had stalled. "
        '"We see no progress at all," Antonov told reporters.',
    ),
    _article(
        "pp-3",
        3,
        'British MP John Smith said the vote was close. "It will be tight," Smith said.\n\n'
        'In Washington, US Senator Jane Smith said she would oppose the bill. "This bill is wrong," '
        "Senator Smith said.",
    ),
    _article(
        "pp-4",
        4,
        'Russian Foreign Minister Sergei Lavrov said the sanctions would fail. "They will not work," '
        'Lavrov said. The Kremlin said in a statement: "We will respond."',
    ),
    _article(
        "pp-6", 5, 'US Congressman John Smith said the budget was a disgrace. "Nobody read it," Smith said.'
    ),
    _article("pp-12", 1, '"The harvest is late," Mr Orlov said on Friday.'),
]
# Then: surname-only and transliterated mentions of people the registry knows.
PHASE_2 = [
    _article("pp-2", 6, '"The door remains open," Antonov said in a statement on Tuesday.'),
    _article("pp-7", 6, '"We are ready to talk," Sergey Lavrov said on Thursday.'),
    _article("pp-8", 6, '"The numbers do not add up," Smith said on Friday.'),
    _article("pp-13", 9, 'Farm minister Pavel Orlov said the harvest was late. "We need rain," Orlov said.'),
]
PHASE_3 = [_article("pp-14", 10, '"Rain came," Mr Orlov said on Saturday.')]


@pytest.fixture
def index(devstack: Settings) -> Iterator[tuple[Settings, Index]]:
    settings = isolated_settings(devstack, "people", worker_batch_size=8)
    result = run_cli(settings, "setup")
    assert result.returncode == 0, result.stderr
    idx = Index(settings)
    yield settings, idx
    idx.close()


def _feed_and_wait(settings: Settings, index: Index, path: Path, expected_articles: int) -> None:
    result = run_cli(settings, "feed", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    wait_for(
        lambda: index.article_count() >= expected_articles and group_lag(settings) == 0,
        180,
        f"{expected_articles} articles indexed",
    )


def _speakers(index: Index) -> dict[tuple[str, str], dict[str, Any]]:
    """(article id, quote text) -> the quote's speaker as indexed."""
    return {(q["article_id"], q["text"]): q["speaker"] for q in index.quotes()}


def _people(settings: Settings, index: Index) -> dict[str, dict[str, Any]]:
    index.client.indices.refresh(index=settings.people_alias)
    hits = index.client.search(index=settings.people_alias, query={"term": {"record": "person"}}, size=1000)[
        "hits"
    ]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def _pid(name_key: str, discriminator: str = "", kind: str = "person") -> str:
    return person_id_for(kind, name_key, discriminator)  # type: ignore[arg-type]


def test_worker_links_speakers_to_people_and_replay_changes_nothing(
    index: tuple[Settings, Index], tmp_path: Path
) -> None:
    settings, idx = index
    worker = Worker(settings, tmp_path, processes=1).start().wait_ready()
    try:
        _feed_and_wait(settings, idx, write_jsonl(tmp_path / "p1.jsonl", PHASE_1), len(PHASE_1))
        _feed_and_wait(settings, idx, write_jsonl(tmp_path / "p2.jsonl", PHASE_2), len(PHASE_1 + PHASE_2))
        _feed_and_wait(
            settings, idx, write_jsonl(tmp_path / "p3.jsonl", PHASE_3), len(PHASE_1 + PHASE_2 + PHASE_3)
        )
        speakers = _speakers(idx)
        people = _people(settings, idx)

        antonov, lavrov, jane = _pid("anatoli antonov"), _pid("sergei lavrov"), _pid("jane smith")
        # The namesake quoted first holds the plain id, the other one with their country: which one comes
        # first depends on the partitions, so both are read from the quotes.
        john_gb = speakers[("pp-3", '"It will be tight,"')]["person_id"]
        john_us = speakers[("pp-6", '"Nobody read it,"')]["person_id"]
        kremlin = _pid("kremlin", kind="organisation")
        orlov_placeholder, orlov = _pid("orlov"), _pid("pavel orlov")

        # Surname-only mention joins the full name learned earlier and takes his country from the person.
        door = speakers[("pp-2", '"The door remains open,"')]
        assert door["person_id"] == antonov
        assert (door["country"], door["country_source"]) == ("RU", "person")
        # Article evidence stays the article's.
        assert speakers[("pp-1", '"We see no progress at all,"')]["country_source"] == "role"
        # Transliteration: Sergey and Sergei are one person.
        assert speakers[("pp-7", '"We are ready to talk,"')]["person_id"] == lavrov
        assert speakers[("pp-4", '"They will not work,"')]["person_id"] == lavrov
        # Namesakes with different countries stay apart; another first name is another person.
        assert {john_gb, john_us} in (
            {_pid("john smith"), _pid("john smith", "US")},
            {_pid("john smith"), _pid("john smith", "GB")},
        )
        assert speakers[("pp-3", '"This bill is wrong,"')]["person_id"] == jane
        assert len({john_gb, john_us, jane}) == 3
        # "Smith" alone, with three Smiths quoted alike, is not guessed.
        assert speakers[("pp-8", '"The numbers do not add up,"')]["person_id"] is None
        # The organisation is an organisation.
        assert speakers[("pp-4", '"We will respond."')]["person_id"] == kremlin
        assert people[kremlin]["kind"] == "organisation"
        # Surname first founds a surname-only person; when the full name appears, that person is merged
        # into the full-named one and the earlier quote is re-linked; later surnames join him directly.
        assert speakers[("pp-12", '"The harvest is late,"')]["person_id"] == orlov
        assert speakers[("pp-14", '"Rain came,"')]["person_id"] == orlov
        assert people[orlov_placeholder]["merged_into"] == orlov
        assert people[orlov]["quote_count"] == 4
        assert set(people[orlov]["aliases"]) == {"Pavel Orlov", "Orlov"}
        assert people[orlov]["first_seen"].startswith("2026-10-01")

        # The registry records.
        assert people[antonov]["name"] == "Anatoly Antonov"
        assert set(people[antonov]["aliases"]) == {"Anatoly Antonov", "Antonov"}
        assert people[antonov]["quote_count"] == 3
        assert people[antonov]["countries"] == [{"country": "RU", "count": 2}]  # the lent one not counted
        assert people[antonov]["first_seen"].startswith("2026-10-01")
        assert people[antonov]["last_seen"].startswith("2026-10-06")
        assert [r["role"] for r in people[antonov]["roles"]] == ["Ambassador"]
        assert set(people[lavrov]["aliases"]) == {"Sergei Lavrov", "Sergey Lavrov"}
        assert people[lavrov]["quote_count"] == 3
        assert people[john_us]["countries"] == [{"country": "US", "count": 2}]

        # Replay everything (redelivery of whole batches): the same links and the same records, nothing
        # counted twice.
        def stable(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            return {pid: {k: v for k, v in p.items() if k != "updated_at"} for pid, p in records.items()}

        fed = run_cli(
            settings,
            "feed",
            str(tmp_path / "p1.jsonl"),
            str(tmp_path / "p2.jsonl"),
            str(tmp_path / "p3.jsonl"),
        )
        assert fed.returncode == 0, fed.stderr
        total = len(PHASE_1 + PHASE_2 + PHASE_3)
        wait_for(
            lambda: (worker.metrics() or {}).get("articles_in", 0) >= 2 * total and group_lag(settings) == 0,
            180,
            "the replay processed",
        )
        assert _speakers(idx) == speakers
        assert stable(_people(settings, idx)) == stable(people)
    finally:
        worker.stop()


def test_people_command_lists_candidates(index: tuple[Settings, Index], tmp_path: Path) -> None:
    settings, idx = index
    worker = Worker(settings, tmp_path, processes=1).start().wait_ready()
    try:
        _feed_and_wait(settings, idx, write_jsonl(tmp_path / "p1.jsonl", PHASE_1), len(PHASE_1))
    finally:
        worker.stop()
    idx.client.indices.refresh(index=settings.people_alias)
    listed = run_cli(settings, "people", "Smith", "--json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert sorted((r["name"], r["country"]) for r in rows) == [
        ("Jane Smith", "US"),
        ("John Smith", "GB"),
        ("John Smith", "US"),
    ]
    assert all(r["quote_count"] == 2 and r["last_seen"] for r in rows)
    nobody = run_cli(settings, "people", "Nobodyatall", "--json")
    assert nobody.returncode == 0 and nobody.stdout.strip() == ""
    organisations = run_cli(settings, "people", "Kremlin", "--kind", "organisation", "--json")
    assert [json.loads(line)["kind"] for line in organisations.stdout.splitlines()] == ["organisation"]
    assert run_cli(settings, "people", "Kremlin", "--kind", "person", "--json").stdout.strip() == ""

    # search --person takes a person_id: exactly that namesake's quotes.
    (john_us,) = [r["person_id"] for r in rows if r["country"] == "US" and r["name"] == "John Smith"]
    found = run_cli(settings, "search", "--person", john_us, "--json")
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines() if line.strip()]
    assert [(h["article_id"], h["speaker"]["person_id"]) for h in hits] == [("pp-6", john_us)] * 2
    by_name = run_cli(settings, "search", "--person", "John Smith", "--json")
    assert {json.loads(line)["article_id"] for line in by_name.stdout.splitlines()} == {"pp-3", "pp-6"}

    # The API: /people/{id} and person_id on quotes.
    from fastapi.testclient import TestClient

    from pipeline.api.app import create_app

    with TestClient(create_app(settings)) as api:
        entry = api.get(f"/people/{john_us}")
        assert entry.status_code == 200, entry.text
        body = entry.json()
        assert (body["name"], body["kind"], body["role"], body["country"], body["quote_count"]) == (
            "John Smith",
            "person",
            "Congressman",
            "US",
            2,
        )
        assert body["roles"][0]["first_seen"].startswith("2026-10-05")
        assert api.get(f"/people/p-{'0' * 16}").status_code == 404
        assert api.get("/people/not-an-id").status_code == 422
        quotes = api.get("/quotes", params={"person": john_us}).json()
        assert [q["speaker"]["person_id"] for q in quotes["quotes"]] == [john_us] * 2
