"""The shared corpora the benchmarks read in place (../shared/data/corpora: research use only, never
copied into the project), one reader for all of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.settings import PROJECT_ROOT

CORPORA = PROJECT_ROOT.parent / "shared" / "data" / "corpora"


def read_records(path: Path, limit: int = 0, *, with_text: bool = False) -> list[dict[str, Any]]:
    """The JSON Lines records of ``path`` in file order, blank lines skipped; ``with_text`` keeps only
    records with a non-blank ``text``; ``limit`` > 0 stops after that many (0: all)."""
    out: list[dict[str, Any]] = []
    for record in _records(path):
        if with_text and not str(record.get("text") or "").strip():
            continue
        out.append(record)
        if limit and len(out) >= limit:
            break
    return out


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
