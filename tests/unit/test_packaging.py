"""What the wheel holds (pyproject.toml) and how the CLI behaves without the checkout-only parts.

The built wheel itself is installed and run outside the checkout by ``.ci/wheel-smoke`` (CI).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from pipeline.resources import config_files
from pipeline.settings import PROJECT_ROOT

# Development tools: in the checkout, never in the wheel.
CHECKOUT_ONLY = {"pipeline.devstack", "pipeline.bench"}


def _pyproject() -> dict[str, object]:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def _setuptools() -> dict[str, object]:
    tool = _pyproject()["tool"]
    assert isinstance(tool, dict)
    setuptools = tool["setuptools"]
    assert isinstance(setuptools, dict)
    return setuptools


def test_every_package_of_the_checkout_is_shipped_or_a_development_tool() -> None:
    on_disk = {
        ".".join(init.parent.relative_to(PROJECT_ROOT).parts)
        for init in (PROJECT_ROOT / "pipeline").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    shipped = set(_setuptools()["packages"])  # type: ignore[call-overload]
    dev = {p for p in on_disk if any(p == d or p.startswith(d + ".") for d in CHECKOUT_ONLY)}
    assert on_disk - dev - shipped == set(), "add the new package to [tool.setuptools] packages"
    assert shipped & dev == set()
    assert shipped - on_disk == {"pipeline.config"}  # config/, mapped by package-dir


def test_config_is_the_package_data_folder() -> None:
    assert _setuptools()["package-dir"] == {"pipeline.config": "config"}
    packaged = {
        str(p.relative_to(PROJECT_ROOT / "config"))
        for p in (PROJECT_ROOT / "config").rglob("*")
        if p.is_file() and p.suffix in {".json", ".yaml"}
    }
    globs = _setuptools()["package-data"]["pipeline.config"]  # type: ignore[index]
    matched = {
        str(p.relative_to(PROJECT_ROOT / "config")) for g in globs for p in (PROJECT_ROOT / "config").glob(g)
    }
    assert packaged and packaged == matched
    # Read through importlib.resources: in this checkout it is the top-level config/ itself.
    assert (config_files() / "cues.yaml").read_text(encoding="utf-8") == (
        PROJECT_ROOT / "config" / "cues.yaml"
    ).read_text(encoding="utf-8")
    assert (config_files() / "index" / "quotes.json").is_file()
    assert not (config_files() / "no-such-file.yaml").is_file()


def _cli_without(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``quotewire ARGS`` in a fresh interpreter where ``module`` cannot be imported (as in a wheel)."""
    code = (
        "import sys\n"
        f"sys.modules[{module!r}] = None\n"
        "sys.argv = ['quotewire', *sys.argv[1:]]\n"
        "from pipeline.cli import main\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("args", [("devstack", "up"), ("devstack",), ("devstack", "status", "--x")])
def test_devstack_missing_is_explained_not_a_traceback(args: tuple[str, ...]) -> None:
    result = _cli_without("pipeline.devstack", *args)
    assert result.returncode == 2
    assert "source checkout" in result.stderr and ".ci/bootstrap" in result.stderr
    assert "Traceback" not in result.stderr


def test_other_commands_work_without_the_devstack() -> None:
    result = _cli_without("pipeline.devstack", "--help")
    assert result.returncode == 0, result.stderr
    assert "enrich" in result.stdout and "not installed" in result.stdout


@pytest.mark.parametrize(
    ("module", "missing", "absent"),
    [
        ("pipeline.devstack.commands", "pipeline.devstack", True),  # the package is not installed
        ("pipeline.devstack.commands", "pipeline.devstack.commands", True),
        ("pipeline.devstack.commands", "yaml", False),  # a dependency inside it: a broken install
        ("pipeline.devstack.commands", "pipeline.devstack.service", False),
        ("pipeline.devstack.commands", "pipeline.dev", False),  # a prefix of the name, not a package
        ("pipeline.devstack.commands", None, False),
    ],
)
def test_only_an_absent_part_is_skipped(module: str, missing: str | None, absent: bool) -> None:
    from pipeline.cli import is_absent_part

    assert is_absent_part(module, missing) is absent
