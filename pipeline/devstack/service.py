"""Process plumbing shared by the devstack services: JDK discovery, ports, detached processes.

A service is a long-running JVM started detached (its own session, logs to a file, a pid file), so it
outlives the ``quotewire devstack up`` command that started it; ``down`` finds it again through the
pid file. The pid file also records the kernel's start time of the process, so a pid reused by an
unrelated process after a reboot is never mistaken for ours (and never killed).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from pipeline.errors import DevstackError

JVM_ROOT = Path("/usr/lib/jvm")


# --- JDKs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JavaHome:
    home: Path
    major: int
    version: str  # e.g. "17.0.15"
    vendor: str  # e.g. "Eclipse Adoptium", "Debian"; "" if the release file does not say

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"

    @property
    def javac(self) -> Path:
        return self.home / "bin" / "javac"

    def describe(self) -> str:
        return f"Java {self.version}" + (f" ({self.vendor})" if self.vendor else "") + f" at {self.home}"


def _parse_release(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"')
    return values


def java_major(version: str) -> int:
    """``"17.0.15"`` -> 17, ``"25"`` -> 25, ``"1.8.0_402"`` -> 8."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version)
    if match is None:
        raise ValueError(f"not a Java version: {version!r}")
    first = int(match.group(1))
    return int(match.group(2) or 0) if first == 1 else first


def inspect_java_home(home: Path) -> JavaHome | None:
    """A JavaHome if ``home`` holds a runnable JDK with a ``release`` file, else None."""
    release = home / "release"
    if not (home / "bin" / "java").is_file() or not release.is_file():
        return None
    values = _parse_release(release.read_text(errors="replace"))
    version = values.get("JAVA_VERSION", "")
    try:
        major = java_major(version)
    except ValueError:
        return None
    return JavaHome(home=home, major=major, version=version, vendor=values.get("IMPLEMENTOR", ""))


def _candidate_homes() -> list[Path]:
    candidates: list[Path] = []
    java_home = os.environ.get("JAVA_HOME")  # the JDK convention, not a quotewire setting
    if java_home:
        candidates.append(Path(java_home))
    if JVM_ROOT.is_dir():
        candidates.extend(sorted(JVM_ROOT.iterdir()))
    seen: set[Path] = set()
    unique: list[Path] = []
    for c in candidates:
        real = c.resolve()
        if real not in seen:
            seen.add(real)
            unique.append(real)
    return unique


def find_java(
    min_major: int,
    prefer: Literal["newest", "oldest"] = "newest",
    *,
    explicit: Path | None = None,
    max_major: int | None = None,
) -> JavaHome:
    """A JDK with ``min_major <= major <= max_major`` from JAVA_HOME and /usr/lib/jvm.

    ``explicit`` (a setting such as ``devstack_kafka_java_home``) wins if given and must qualify.
    Among several candidates ``prefer`` picks the newest or the oldest qualifying major.
    """
    if explicit is not None:
        found = inspect_java_home(explicit)
        if found is None:
            raise DevstackError(f"{explicit} is not a JDK (no bin/java or release file)")
        if found.major < min_major or (max_major is not None and found.major > max_major):
            raise DevstackError(f"{found.describe()} is configured but Java >= {min_major} is needed")
        return found
    homes = [h for h in (inspect_java_home(c) for c in _candidate_homes()) if h is not None]
    fitting = [h for h in homes if h.major >= min_major and (max_major is None or h.major <= max_major)]
    if not fitting:
        have = ", ".join(f"{h.major} ({h.home})" for h in homes) or "none"
        raise DevstackError(
            f"no Java >= {min_major} found in JAVA_HOME or {JVM_ROOT} (found: {have}); "
            f"install a JDK {min_major}+ or set the devstack *_java_home setting"
        )
    fitting.sort(key=lambda h: (h.major, h.version))
    return fitting[-1] if prefer == "newest" else fitting[0]


# --- ports ------------------------------------------------------------------------------------


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    """``"127.0.0.1:9092"`` -> ("127.0.0.1", 9092); also accepts ``http://host:port/...`` URLs.

    Only the first entry of a comma-separated bootstrap list is considered.
    """
    text = address.split(",")[0].strip()
    text = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", text).split("/")[0]
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, default_port
    try:
        return host.strip("[]"), int(port)
    except ValueError as exc:
        raise DevstackError(f"bad port in address {address!r}") from exc


def is_local_host(host: str) -> bool:
    """True for the loopback names the devstack may bind (pure)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost
        return False


def port_in_use(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# --- processes --------------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks) of ``pid`` from /proc, or None if there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    rest = text[text.rindex(")") + 2 :].split()
    return rest[0], int(rest[19])


def process_start_ticks(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return None if stat is None else stat[1]


def pid_alive(pid: int, start_ticks: int | None = None) -> bool:
    """True if ``pid`` runs (not a zombie) and, when given, started at ``start_ticks``."""
    stat = _proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    return start_ticks is None or stat[1] == start_ticks


def read_rss_bytes(pid: int) -> int | None:
    """Resident set size of ``pid`` from /proc/<pid>/status, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


@dataclass(frozen=True)
class PidRecord:
    pid: int
    start_ticks: int

    def alive(self) -> bool:
        return pid_alive(self.pid, self.start_ticks)


def write_pid_file(path: Path, pid: int) -> PidRecord:
    ticks = process_start_ticks(pid)
    record = PidRecord(pid, ticks if ticks is not None else -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{record.pid} {record.start_ticks}\n")
    return record


def read_pid_file(path: Path) -> PidRecord | None:
    """The record in ``path`` if the process it names still runs; a stale file is removed."""
    try:
        pid_text, ticks_text = path.read_text().split()
        record = PidRecord(int(pid_text), int(ticks_text))
    except (OSError, ValueError):
        return None
    if not record.alive():
        path.unlink(missing_ok=True)
        return None
    return record


def start_detached(
    argv: Sequence[str | os.PathLike[str]],
    *,
    log_file: Path,
    pid_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> PidRecord:
    """Start ``argv`` in its own session (so it survives this command and can be stopped as a
    group), stdout+stderr appended to ``log_file``, and record it in ``pid_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            [os.fspath(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    return write_pid_file(pid_file, proc.pid)


def _reap(pid: int) -> None:
    # If the process is our own child (tests start and stop in one process), collect its exit
    # status so it does not linger as a zombie; for a foreign parent this is a harmless no-op.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # start_detached makes the pid its own process-group leader: signal the group so helper
    # processes the JVM may have spawned go too, then the pid itself in case it left the group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def stop_pid(pid: int, grace: float = 30.0, start_ticks: int | None = None) -> None:
    """SIGTERM ``pid`` (and its process group), wait up to ``grace`` s, then SIGKILL; verify gone."""

    def gone() -> bool:
        _reap(pid)
        return not pid_alive(pid, start_ticks)

    if gone():
        return
    _signal_group(pid, signal.SIGTERM)
    if wait_until(gone, grace, interval=0.2):
        return
    _signal_group(pid, signal.SIGKILL)
    if not wait_until(gone, 10.0, interval=0.1):
        raise DevstackError(f"process {pid} is still running after SIGKILL")


# --- the service contract ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceStatus:
    name: str  # "kafka", "elasticsearch"
    running: bool
    address: str  # what clients connect to, e.g. "127.0.0.1:9092" or "http://127.0.0.1:9200"
    home: Path  # the folder with this service's logs and data
    pid: int | None = None
    rss_bytes: int | None = None
    java: str | None = None  # JavaHome.describe() of the JVM it runs on
    version: str | None = None  # the Kafka / Elasticsearch version
    log_file: Path | None = None
    detail: str = ""  # e.g. "port taken by another process", "cluster health yellow"


class Service(Protocol):
    """One devstack service. ``prepare`` resolves/compiles/formats (idempotent, may be slow the
    first time); ``start`` launches it detached (no-op if it already runs); ``wait_ready`` blocks
    until it answers or raises DevstackError; ``stop`` stops only a process that ``start`` started."""

    @property
    def name(self) -> str: ...

    def prepare(self) -> None: ...

    def start(self) -> None: ...

    def wait_ready(self, timeout: float) -> None: ...

    def status(self) -> ServiceStatus: ...

    def stop(self) -> None: ...


class PidFileService:
    """The lifecycle the devstack's JVM services share: a process started detached and found again
    through its pid file, a ``run.json`` with its JDK, version and start time, status and stop.

    A subclass sets the attributes below in ``__init__`` and keeps what differs: its artifacts
    (``prepare``), its command line (``start`` calls ``launch``) and its readiness check
    (``wait_ready`` calls ``wait_until_answers``); ``running_detail`` adds to ``status``.
    """

    name: str
    version: str  # the Kafka / Elasticsearch version it runs
    stop_grace_s: float
    log_tail_lines: int = 20
    host: str
    port: int  # the client port; a foreign process on it is shown by ``status``
    home: Path
    log_file: Path
    pid_file: Path
    run_file: Path

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def running_pid(self) -> int | None:
        record = read_pid_file(self.pid_file)
        return None if record is None else record.pid

    def check_ports_free(self, ports: Sequence[int], setting: str, needs: str = "") -> None:
        """DevstackError if a process the devstack did not start listens on one of ``ports``;
        ``setting`` names the QUOTEWIRE_* variable that moves the service elsewhere."""
        for port in ports:
            if port_in_use(self.host, port):
                raise DevstackError(
                    f"port {self.host}:{port} is taken by a process the devstack did not start"
                    f"{f' ({needs})' if needs else ''}; stop it or set {setting} to another port"
                )

    def launch(self, argv: Sequence[str], java: JavaHome, **run_info: object) -> None:
        """Start ``argv`` detached in ``home`` with a fresh log, and record the run in ``run.json``."""
        self.log_file.unlink(missing_ok=True)  # one run per log file: status shows this run only
        start_detached(argv, log_file=self.log_file, pid_file=self.pid_file, cwd=self.home)
        self.run_file.write_text(
            json.dumps(
                {
                    "java": java.describe(),
                    "version": self.version,
                    **run_info,
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )

    def wait_until_answers(
        self, answers: Callable[[], bool], timeout: float, *, label: str, not_ready: str
    ) -> None:
        """Poll ``answers`` until true; DevstackError if the process exits or ``timeout`` passes.
        ``label`` names the service in messages ("Kafka"); ``not_ready`` says what it did not do."""
        deadline = time.monotonic() + timeout
        while True:
            if self.running_pid() is None:
                raise DevstackError(
                    f"{label} exited during start-up; see {self.log_file}:\n{self.log_tail()}"
                )
            if answers():
                return
            if time.monotonic() >= deadline:
                raise DevstackError(f"{label} {not_ready} within {timeout:.0f}s; see {self.log_file}")
            time.sleep(0.5)

    def running_detail(self, run: Mapping[str, str]) -> str:
        """The ``status`` detail of a running service (override to add health and the like)."""
        return f"started {run['started_at']}" if "started_at" in run else ""

    def status(self) -> ServiceStatus:
        pid = self.running_pid()
        run = self.run_info()
        if pid is None:
            foreign = port_in_use(self.host, self.port)
            detail = "port in use by a process the devstack did not start" if foreign else ""
        else:
            detail = self.running_detail(run)
        return ServiceStatus(
            name=self.name,
            running=pid is not None,
            address=self.address,
            home=self.home,
            pid=pid,
            rss_bytes=read_rss_bytes(pid) if pid is not None else None,
            java=run.get("java") if pid is not None else None,
            version=run.get("version", self.version),
            log_file=self.log_file if self.log_file.exists() else None,
            detail=detail,
        )

    def stop(self) -> None:
        """Stop the process ``start`` launched (found through the pid file); a no-op if none runs."""
        record = read_pid_file(self.pid_file)
        if record is not None:
            stop_pid(record.pid, self.stop_grace_s, record.start_ticks)
        self.pid_file.unlink(missing_ok=True)

    def run_info(self) -> dict[str, str]:
        """``run.json`` of the last start, values as strings; empty if there is none."""
        try:
            data = json.loads(self.run_file.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-self.log_tail_lines :])


def format_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / (1024 * 1024):.0f} MiB"
