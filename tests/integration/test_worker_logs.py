"""What a person and a log collector see from ``quotewire worker --until-idle`` on the real stack:
JSON lines when stderr is not a terminal, console lines when asked, quotewire's own voice (no Faust
"Starting..." chatter), and a clean ending that says what was done - not "Signal received: 15"."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from stream_harness import QUOTEWIRE, isolated_settings, remove_scratch, run_cli, settings_env

from pipeline.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(devstack_settings: Settings) -> Iterator[Settings]:
    import asyncio

    s = isolated_settings(devstack_settings, "logs", worker_web_port=0, worker_processes=1)
    yield s
    asyncio.run(remove_scratch(s))


def _worker(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [QUOTEWIRE, "worker", "--until-idle", *args],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_until_idle_logs_json_for_machines_and_console_for_people(settings: Settings) -> None:
    assert run_cli(settings, "setup").returncode == 0
    fed = run_cli(settings, "feed", str(PROJECT_ROOT / "seeds"))
    sent = int(fed.stdout.split("sent ")[1].split()[0])
    assert sent >= 6

    run = _worker(settings)  # stderr is a pipe: JSON
    assert run.returncode == 0, run.stderr
    entries = [json.loads(line) for line in run.stderr.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    events = [e.get("event") for e in entries]
    assert "batch" in events and events[-2:] == ["idle", "stopped"]
    stopped = entries[-1]
    assert stopped["articles_in"] == sent and stopped["articles_indexed"] == sent
    assert "worker stopped after" in stopped["message"]
    # Faust's internals only at WARNING and above; none on a healthy run.
    assert not [e for e in entries if not e["logger"].startswith("pipeline")], entries
    assert "Signal received" not in run.stderr
    assert len(entries) <= 10  # 6 articles: start, ready, a batch or two, idle, stopped

    assert run_cli(settings, "feed", str(PROJECT_ROOT / "seeds")).returncode == 0  # redelivered copies
    again = _worker(settings, "--log-format", "console")
    assert again.returncode == 0, again.stderr
    lines = again.stderr.splitlines()
    assert lines and not any(line.startswith("{") for line in lines)
    assert "worker stopped after" in lines[-1] and f"{sent} articles read" in lines[-1]
    assert "\x1b[" not in again.stderr  # not a terminal: no colour codes
    assert not any("batch of" in line for line in lines)  # people get the progress and the summary

    refused = _worker(settings, "--log-format", "xml")
    assert refused.returncode == 2 and "unknown log format" in refused.stderr
