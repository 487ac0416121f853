"""One direction of imports: the import-linter contract in pyproject.toml ([tool.importlinter]) holds,
and it covers every part of the package (a new package outside the layers would be unchecked)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from pipeline.settings import PROJECT_ROOT


def _layers() -> list[str]:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as fh:
        (contract,) = tomllib.load(fh)["tool"]["importlinter"]["contracts"]
    assert contract["type"] == "layers"
    layers: list[str] = contract["layers"]
    return layers


def test_imports_follow_the_layers() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", "pyproject.toml", "--no-cache"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_every_module_of_the_package_is_in_a_layer() -> None:
    named = {
        part.strip().removeprefix("pipeline.")
        for layer in _layers()
        for part in layer.replace(":", "|").split("|")
    }
    root = PROJECT_ROOT / "pipeline"
    present = {p.stem for p in root.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in root.iterdir() if (p / "__init__.py").is_file()
    }
    assert present - named == set(), "add the new module to a layer in [tool.importlinter]"
    assert named - present == set(), "a layer names a module that does not exist"
