"""The README's two commands stay runnable: one line each, real `quotewire` commands, and the test
command is exactly what `.ci/run` extracts and runs."""

from __future__ import annotations

import re
import shlex
import subprocess

import click
import pytest
import typer.main

from pipeline.cli import app
from pipeline.settings import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)]


def _test_command() -> str:
    match = re.search(
        r"<!-- test-command -->\s*```bash\n(.*?)```\s*<!-- /test-command -->", README.read_text(), re.DOTALL
    )
    assert match, "README.md must mark its test command with <!-- test-command --> ... <!-- /test-command -->"
    return match.group(1).strip()


def _main_command() -> str:
    text = README.read_text()
    section = text[text.index("**Run the main job end to end**") :]
    return _bash_blocks(section)[0]


def test_the_test_command_is_what_ci_runs() -> None:
    # The same extraction .ci/run performs, run by bash exactly as in the script.
    extract = (
        "sed -n '/<!-- test-command -->/,/<!-- \\/test-command -->/p' README.md "
        "| sed -n '/^```/,/^```/p' | grep -v '^```' | sed '/^[[:space:]]*$/d'"
    )
    ci_run = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in ci_run
    result = subprocess.run(
        ["bash", "-c", extract], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == _test_command()


@pytest.mark.parametrize("which", ["test", "main"])
def test_each_command_is_one_line_starting_from_a_fresh_clone(which: str) -> None:
    command = _test_command() if which == "test" else _main_command()
    assert "\n" not in command
    assert command.startswith(".ci/bootstrap && ")
    assert ".venv/bin/quotewire devstack up" in command


def test_the_test_command_runs_the_whole_suite() -> None:
    steps = [shlex.split(step) for step in _test_command().split("&&")]
    pytest_step = steps[-1]
    assert pytest_step[:3] == [".venv/bin/python", "-m", "pytest"]
    assert not any(arg.startswith("-m") or arg == "-k" for arg in pytest_step[3:]), "no test is left out"


@pytest.mark.parametrize("which", ["test", "main"])
def test_every_quotewire_step_is_a_real_command(which: str) -> None:
    command = _test_command() if which == "test" else _main_command()
    root = typer.main.get_command(app)
    assert isinstance(root, click.Group)
    for step in command.split("&&"):
        argv = shlex.split(step)
        if not argv[0].endswith("/quotewire"):
            continue
        command_: click.Command = root
        words = argv[1:]
        while isinstance(command_, click.Group) and words and not words[0].startswith("-"):
            assert words[0] in command_.commands, f"{step.strip()!r}: no command {words[0]!r}"
            command_, words = command_.commands[words[0]], words[1:]
        assert not isinstance(command_, click.Group), f"{step.strip()!r} names a group, not a command"
        # The leaf's own parser accepts the options and arguments as written (raises if not).
        command_.make_context(command_.name or "", list(words))
