"""`quotewire search` / `people`: bad arguments are one line on stderr and exit code 2.

These fail before any request is sent, so no Elasticsearch is needed (the URL points nowhere)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

NOWHERE = {"QUOTEWIRE_ES_URL": "http://127.0.0.1:9", "QUOTEWIRE_INDEX_PREFIX": "qwtest-cli-nowhere"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--country", "Narnia"], "unknown country 'Narnia'"),
        (["search", "--since", "yesterday"], "since:"),
        (["search", "--since", "2024-02-01", "--until", "2024-01-01"], "since must not be after until"),
        (["search", "--limit", "500"], "limit:"),
        (["search", "--limit", "0"], "limit:"),
        (["search", "--offset", "9995"], "offset + limit"),
        (["search", "--kind", "rumour"], "kind:"),
        (["search", "--person", "???"], "has no letters or digits"),
        (["people", "!!"], "has no letters or digits"),
        (["reindex", "everything"], "kind must be one of"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args, env=NOWHERE)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0]
    assert result.stdout == ""


def test_unreachable_elasticsearch_is_one_line_exit_1() -> None:
    result = CliRunner().invoke(app, ["search", "--person", "Antonov"], env=NOWHERE)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "unreachable" in lines[0], result.stderr
