"""``quotewire serve`` argument and settings checks (nothing is started: each case fails before)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.cli import app


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["serve", "--log-level", "loud"], {}, "--log-level"),
        (["serve", "--port", "99999"], {}, "--port"),
        (["serve", "--port", "http"], {}, "--port"),
        (["serve"], {"QUOTEWIRE_API_PORT": "abc"}, "QUOTEWIRE_API_PORT"),
        (["serve"], {"QUOTEWIRE_ES_URL": " "}, "QUOTEWIRE_ES_URL"),
        (["serve"], {"QUOTEWIRE_API_PROT": "8001"}, "did you mean QUOTEWIRE_API_PORT?"),
    ],
)
def test_bad_serve_arguments_exit_2(args: list[str], env: dict[str, str], words: str) -> None:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2
    assert words in result.output


def test_serve_help_names_the_defaults() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "QUOTEWIRE_API_PORT" in result.output and "/docs" in result.output
