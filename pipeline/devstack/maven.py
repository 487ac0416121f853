"""Resolve Maven Central coordinates into a local classpath with the system ``mvn``.

The devstack runs Kafka and Elasticsearch from their published jars, so no distribution tarball is
downloaded: a generated pom lists the coordinates, ``dependency:build-classpath`` resolves them (with
transitive dependencies) into a local repository under ``settings.devstack_cache / "m2"``, and the
resulting classpath is cached in a small text file keyed by a hash of the coordinates. A second
resolution of the same coordinates costs a file read, not a Maven run.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.errors import DevstackError

# Pinned so the goal behaves the same whatever default Maven ships with (3.8.7 binds 2.8).
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
# A cold resolution of Elasticsearch downloads ~100 jars; on a slow mirror that takes minutes.
DEFAULT_TIMEOUT_S = 1800.0
# Lines of Maven's output shown when resolution fails: enough for the error, not the whole log.
_TAIL_LINES = 25


@dataclass(frozen=True)
class Coordinate:
    """``group:artifact:version`` plus ``group:artifact`` exclusions (``*`` allowed, as in Maven)."""

    group: str
    artifact: str
    version: str
    exclusions: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str, exclusions: Sequence[str] = ()) -> Coordinate:
        parts = text.strip().split(":")
        if len(parts) != 3 or not all(parts):
            raise DevstackError(f"bad Maven coordinate {text!r}: expected group:artifact:version")
        for exclusion in exclusions:
            if len(exclusion.split(":")) != 2:
                raise DevstackError(f"bad Maven exclusion {exclusion!r}: expected group:artifact")
        return cls(parts[0], parts[1], parts[2], tuple(exclusions))

    def __str__(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"


def _as_coordinate(item: str | Coordinate) -> Coordinate:
    return item if isinstance(item, Coordinate) else Coordinate.parse(item)


def find_mvn() -> str:
    """The ``mvn`` executable on PATH, or a DevstackError saying how to get one."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise DevstackError(
            "Maven ('mvn') is not on PATH: the devstack resolves Kafka and Elasticsearch jars with it "
            "(install it, e.g. `apt-get install maven`)"
        )
    return mvn


def render_pom(coordinates: Sequence[Coordinate]) -> str:
    """A throwaway pom whose dependencies are ``coordinates`` (pure; exposed for tests)."""
    deps: list[str] = []
    for c in coordinates:
        excl = "".join(
            "<exclusion><groupId>{}</groupId><artifactId>{}</artifactId></exclusion>".format(
                *(escape(p) for p in e.split(":"))
            )
            for e in c.exclusions
        )
        deps.append(
            f"<dependency><groupId>{escape(c.group)}</groupId>"
            f"<artifactId>{escape(c.artifact)}</artifactId><version>{escape(c.version)}</version>"
            + (f"<exclusions>{excl}</exclusions>" if excl else "")
            + "</dependency>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">'
        "<modelVersion>4.0.0</modelVersion>"
        "<groupId>quotewire.devstack</groupId><artifactId>classpath</artifactId>"
        "<version>0</version><packaging>pom</packaging>"
        f"<dependencies>{''.join(deps)}</dependencies></project>\n"
    )


def classpath_key(coordinates: Sequence[Coordinate]) -> str:
    """A short stable hash of the coordinates (order-sensitive: classpath order matters)."""
    text = "\n".join(f"{c}!{','.join(c.exclusions)}" for c in coordinates)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_cached(path: Path) -> list[Path] | None:
    if not path.is_file():
        return None
    jars = [Path(p) for p in path.read_text().strip().split(":") if p]
    # A cleaned local repository invalidates the cache: resolve again rather than fail at run time.
    if not jars or not all(j.is_file() for j in jars):
        return None
    return jars


def resolve_classpath(
    coordinates: Sequence[str | Coordinate],
    cache_dir: Path,
    *,
    name: str = "classpath",
    timeout: float = DEFAULT_TIMEOUT_S,
) -> list[Path]:
    """Jar paths for ``coordinates`` and their runtime dependencies, resolved once and cached.

    ``cache_dir`` is ``settings.devstack_cache``: the local Maven repository is ``cache_dir/m2`` and
    the classpath files live in ``cache_dir/classpaths``. ``name`` only makes the cache file readable.
    Raises DevstackError if ``mvn`` is missing or the resolution fails (with the tail of its output).
    """
    cache_dir = cache_dir.resolve()  # Maven and the classpath file need absolute paths
    coords = [_as_coordinate(c) for c in coordinates]
    if not coords:
        raise DevstackError("no Maven coordinates to resolve")
    key = classpath_key(coords)
    work = cache_dir / "classpaths"
    out_file = work / f"{name}-{key}.txt"
    cached = _read_cached(out_file)
    if cached is not None:
        return cached

    mvn = find_mvn()
    work.mkdir(parents=True, exist_ok=True)
    pom = work / f"{name}-{key}.pom.xml"
    pom.write_text(render_pom(coords))
    tmp_out = out_file.with_suffix(".tmp")
    argv = [
        mvn,
        "-B",  # batch mode: no colours or progress bars in the captured output
        "-f",
        str(pom),
        f"-Dmaven.repo.local={cache_dir / 'm2'}",
        f"{DEPENDENCY_PLUGIN}:build-classpath",
        f"-Dmdep.outputFile={tmp_out}",
        "-Dmdep.includeScope=runtime",
    ]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DevstackError(f"Maven did not resolve {name} within {timeout:.0f}s") from exc
    if proc.returncode != 0 or not tmp_out.is_file():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-_TAIL_LINES:])
        raise DevstackError(
            f"Maven could not resolve {name} ({', '.join(map(str, coords))}); "
            f"exit {proc.returncode}. Last lines:\n{tail}"
        )
    tmp_out.replace(out_file)
    jars = _read_cached(out_file)
    if jars is None:
        raise DevstackError(f"Maven reported success but the classpath for {name} is empty or incomplete")
    return jars
