"""``quotewire devstack up | status | down`` end to end, on ALTERNATE ports and a temporary home so
the shared stack on the default ports (used by every other test) is never touched.

Runs the real CLI in subprocesses, as a user would: real JVMs start and stop.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.devstack.service import pid_alive, port_in_use, split_host_port
from pipeline.devstack.stack import elastic_node
from pipeline.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.own_devstack]


@dataclass(frozen=True, slots=True)
class Ports:
    kafka: int  # its controller takes kafka + 1
    es: int  # its transport takes es + 100 (to es + 199)


@pytest.fixture(scope="module")
def ports(free_ports: Callable[..., int]) -> Ports:
    """Free ports for this module's stack, never the shared stack's defaults nor a fixed number."""
    return Ports(kafka=free_ports(0, 1), es=free_ports(0, 100))


def _env(home: Path, kafka_port: int, es_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTEWIRE_")}
    env.update(
        QUOTEWIRE_KAFKA_BOOTSTRAP=f"127.0.0.1:{kafka_port}",
        QUOTEWIRE_ES_URL=f"http://127.0.0.1:{es_port}",
        QUOTEWIRE_DEVSTACK_HOME=str(home),
    )
    return env


def _quotewire(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_cli(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _cli() -> str:
    # The console script installed next to this interpreter (the project's venv).
    return str(Path(sys.executable).with_name("quotewire"))


def _pids(home: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for pid_file in home.glob("*/*.pid"):
        pid_text = pid_file.read_text().split()[0]
        found[pid_file.parent.name] = int(pid_text)
    return found


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line mentions ``text`` (our temp home): leftovers of any kind."""
    hits: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and pid_alive(int(entry.name)):
            hits.append(int(entry.name))
    return hits


def _ports(env: dict[str, str]) -> list[int]:
    kafka = split_host_port(env["QUOTEWIRE_KAFKA_BOOTSTRAP"], 0)[1]
    ports = [kafka, kafka + 1]
    if elastic_node(Settings()) is not None:
        ports.append(split_host_port(env["QUOTEWIRE_ES_URL"], 0)[1])
    return ports


@pytest.fixture(scope="module")
def stack_home(tmp_path_factory: pytest.TempPathFactory, ports: Ports) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("devstack-home")
    yield home
    # whatever happened above, leave nothing running
    _quotewire(_env(home, ports.kafka, ports.es), "devstack", "down")


def test_up_starts_and_a_second_up_is_harmless(stack_home: Path, ports: Ports) -> None:
    env = _env(stack_home, ports.kafka, ports.es)
    first = _quotewire(env, "devstack", "up")
    assert first.returncode == 0, first.stderr
    assert f"127.0.0.1:{ports.kafka}" in first.stdout
    assert "ready in" in first.stdout
    pids = _pids(stack_home)
    assert "kafka" in pids and all(pid_alive(p) for p in pids.values())

    second = _quotewire(env, "devstack", "up")
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout
    assert "ready in" not in second.stdout
    assert _pids(stack_home) == pids  # the same processes, nothing restarted or duplicated

    status = _quotewire(env, "devstack", "status")
    assert str(stack_home) in status.stdout
    assert f"pid {pids['kafka']}" in status.stdout
    assert "Java 17" in status.stdout  # Kafka runs on the oldest JDK >= 17


def test_up_refuses_a_port_taken_by_a_foreign_process(tmp_path: Path, free_ports: Callable[..., int]) -> None:
    # A different Kafka port, occupied by a plain listening socket that the devstack did not start.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = _env(tmp_path / "home", kafka_port=port, es_port=free_ports(0, 100))
        result = _quotewire(env, "devstack", "up")
    assert result.returncode == 1
    assert f"port 127.0.0.1:{port} is taken" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failed_up_leaves_nothing_it_started_running(
    tmp_path: Path, free_ports: Callable[..., int]
) -> None:
    # Kafka's port is free, Elasticsearch's is taken: Kafka starts, then `up` fails on Elasticsearch
    # and must stop the Kafka it just launched.
    if elastic_node(Settings()) is None:
        pytest.skip("no Elasticsearch node in this checkout")
    home = tmp_path / "home"
    kafka_port = free_ports(0, 1)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        es_port = squatter.getsockname()[1]
        result = _quotewire(_env(home, kafka_port=kafka_port, es_port=es_port), "devstack", "up")
    assert result.returncode == 1
    assert f"port 127.0.0.1:{es_port} is taken" in result.stderr
    assert _pids(home) == {}
    assert not port_in_use("127.0.0.1", kafka_port)
    assert _processes_mentioning(str(home)) == []


def test_down_leaves_no_process_behind(stack_home: Path, ports: Ports) -> None:
    env = _env(stack_home, ports.kafka, ports.es)
    up = _quotewire(env, "devstack", "up")
    assert up.returncode == 0, up.stderr
    pids = _pids(stack_home)
    assert pids

    down = _quotewire(env, "devstack", "down")
    assert down.returncode == 0, down.stderr
    assert all(f"stopped (pid {pid})" in down.stdout for pid in pids.values())
    assert not any(pid_alive(pid) for pid in pids.values())
    assert not any(port_in_use("127.0.0.1", port) for port in _ports(env))
    assert _processes_mentioning(str(stack_home)) == []
    assert _pids(stack_home) == {}

    status = _quotewire(env, "devstack", "status")
    assert status.returncode == 3
    assert "down" in status.stdout

    again = _quotewire(env, "devstack", "down")  # down twice is harmless too
    assert again.returncode == 0 and "was not running" in again.stdout


@pytest.mark.parametrize(
    ("extra_env", "message"),
    [
        ({"QUOTEWIRE_DEVSTACK_KAFKA_JAVA_HOME": "/nonexistent/jdk"}, "/nonexistent/jdk is not a JDK"),
        ({"PATH": "/nonexistent"}, "Maven ('mvn') is not on PATH"),
    ],
    ids=["no-java", "no-maven"],
)
def test_up_without_java_or_maven_fails_with_one_clear_line(
    tmp_path: Path, extra_env: dict[str, str], message: str, free_ports: Callable[..., int]
) -> None:
    # An empty cache forces a Maven resolution; unused ports, so nothing real is in the way.
    env = _env(tmp_path / "home", kafka_port=free_ports(0, 1), es_port=free_ports(0, 100))
    env["QUOTEWIRE_DEVSTACK_CACHE"] = str(tmp_path / "cache")
    env.update(extra_env)
    result = _quotewire(env, "devstack", "up", timeout=120)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _pids(tmp_path / "home") == {}
