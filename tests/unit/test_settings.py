"""Settings: strict about QUOTEWIRE_* names (a typo is an error naming the nearest setting), tolerant of
other tools' entries in a shared .env (issue 10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.settings import Settings, unknown_setting_names

KNOWN = list(Settings.model_fields)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (
            "QUOTEWIRE_KAFKA_BOOTSRAP",
            "unknown setting QUOTEWIRE_KAFKA_BOOTSRAP; did you mean QUOTEWIRE_KAFKA_BOOTSTRAP?",
        ),
        ("quotewire_es_ulr", "unknown setting quotewire_es_ulr; did you mean QUOTEWIRE_ES_URL?"),
        (
            "QUOTEWIRE_WORKER_PROCESS",
            "unknown setting QUOTEWIRE_WORKER_PROCESS; did you mean QUOTEWIRE_WORKER_PROCESSES?",
        ),
        ("QUOTEWIRE_ES_URL", None),
        ("quotewire_es_url", None),  # names are case-insensitive, as pydantic-settings reads them
        ("DATABASE_URL", None),  # someone else's
        ("MY_QUOTEWIRE_THING", None),
    ],
)
def test_unknown_names(name: str, problem: str | None) -> None:
    assert unknown_setting_names([name], KNOWN) == ([problem] if problem else [])


def test_a_name_nothing_resembles_lists_the_settings() -> None:
    (problem,) = unknown_setting_names(["QUOTEWIRE_ZZZZZZZZZZZZZZZZ"], KNOWN)
    assert problem.startswith(
        "unknown setting QUOTEWIRE_ZZZZZZZZZZZZZZZZ (settings: QUOTEWIRE_KAFKA_BOOTSTRAP"
    )


def test_a_misspelt_variable_in_the_environment_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTEWIRE_KAFKA_BOOTSRAP", "10.0.0.1:9092")
    with pytest.raises(ValidationError, match="did you mean QUOTEWIRE_KAFKA_BOOTSTRAP"):
        Settings()


def test_foreign_dotenv_entries_are_ignored_and_ours_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://db/x\nSECRET_KEY=abc\nQUOTEWIRE_API_PORT=8123\n")
    assert Settings().api_port == 8123


def test_a_misspelt_dotenv_entry_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://db/x\nQUOTEWIRE_INDEX_PREFX=qw\n")
    with pytest.raises(ValidationError, match="did you mean QUOTEWIRE_INDEX_PREFIX"):
        Settings()


def test_a_command_reports_bad_settings_in_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://db/x\nQUOTEWIRE_ES_ULR=http://es:9200\n")
    quotewire = Path(sys.executable).with_name("quotewire")
    result = subprocess.run(
        [str(quotewire), "devstack", "status"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "quotewire: invalid settings: unknown setting QUOTEWIRE_ES_ULR; did you mean QUOTEWIRE_ES_URL?"
    )
    assert "Traceback" not in result.stderr
