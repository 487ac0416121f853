"""Pure and process-level pieces of the devstack: coordinates, poms, addresses, broker config,
JDK lookup, detached processes and their stopping (real short-lived processes, no JVM)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline.devstack import maven
from pipeline.devstack.kafka_broker import controller_port, new_cluster_id, server_properties
from pipeline.devstack.service import (
    find_java,
    java_major,
    pid_alive,
    read_pid_file,
    read_rss_bytes,
    split_host_port,
    start_detached,
    stop_pid,
)
from pipeline.errors import DevstackError

# --- Maven coordinates and the generated pom ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("org.apache.kafka:kafka_2.13:4.4.0", ("org.apache.kafka", "kafka_2.13", "4.4.0")),
        (" a.b:c:1 ", ("a.b", "c", "1")),
    ],
)
def test_coordinate_parses(text: str, expected: tuple[str, str, str]) -> None:
    c = maven.Coordinate.parse(text)
    assert (c.group, c.artifact, c.version) == expected
    assert str(c) == ":".join(expected)


@pytest.mark.parametrize("text", ["a:b", "a:b:c:d", "a::1", "", "kafka"])
def test_coordinate_rejects_malformed(text: str) -> None:
    with pytest.raises(DevstackError, match="bad Maven coordinate"):
        maven.Coordinate.parse(text)


def test_coordinate_rejects_malformed_exclusion() -> None:
    with pytest.raises(DevstackError, match="bad Maven exclusion"):
        maven.Coordinate.parse("a:b:1", exclusions=["just-a-group"])


def test_pom_lists_dependencies_and_exclusions() -> None:
    coords = [
        maven.Coordinate.parse("g1:a1:1.0", exclusions=["x:y", "*:*"]),
        maven.Coordinate.parse("g2:a2:2.0"),
    ]
    root = ET.fromstring(maven.render_pom(coords))
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    deps = root.findall("m:dependencies/m:dependency", ns)
    assert [d.findtext("m:artifactId", namespaces=ns) for d in deps] == ["a1", "a2"]
    excl = deps[0].findall("m:exclusions/m:exclusion", ns)
    assert [
        (e.findtext("m:groupId", namespaces=ns), e.findtext("m:artifactId", namespaces=ns)) for e in excl
    ] == [
        ("x", "y"),
        ("*", "*"),
    ]
    assert deps[1].find("m:exclusions", ns) is None


def test_classpath_key_is_stable_and_sensitive_to_order_and_exclusions() -> None:
    a, b = maven.Coordinate.parse("g:a:1"), maven.Coordinate.parse("g:b:1")
    assert maven.classpath_key([a, b]) == maven.classpath_key([a, b])
    assert maven.classpath_key([a, b]) != maven.classpath_key([b, a])
    assert maven.classpath_key([a]) != maven.classpath_key([maven.Coordinate.parse("g:a:1", ["x:y"])])


def test_resolve_without_mvn_and_without_cache_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(DevstackError, match=r"Maven \('mvn'\) is not on PATH"):
        maven.resolve_classpath(["g:a:1"], tmp_path / "cache")


# --- addresses and the broker's configuration ---------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:9092", ("127.0.0.1", 9092)),
        ("localhost:19092,other:9092", ("localhost", 19092)),
        ("http://127.0.0.1:9200", ("127.0.0.1", 9200)),
        ("https://es.example.org:443/prefix", ("es.example.org", 443)),
        ("127.0.0.1", ("127.0.0.1", 1234)),
        ("[::1]:9092", ("::1", 9092)),
    ],
)
def test_split_host_port(address: str, expected: tuple[str, int]) -> None:
    assert split_host_port(address, 1234) == expected


def test_split_host_port_rejects_a_bad_port() -> None:
    with pytest.raises(DevstackError, match="bad port"):
        split_host_port("127.0.0.1:kafka", 9092)


def test_server_properties_for_a_single_kraft_node(tmp_path: Path) -> None:
    text = server_properties("127.0.0.1", 19092, tmp_path / "data")
    props = dict(line.split("=", 1) for line in text.splitlines())
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert controller_port(9092) == 9093


def test_cluster_ids_are_22_char_base64url_and_unique() -> None:
    ids = {new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 22 and all(ch.isalnum() or ch in "-_" for ch in i) for i in ids)


# --- JDKs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "major"),
    [("17.0.15", 17), ("25.0.3", 25), ("21", 21), ("1.8.0_402", 8), ("11.0.2+9", 11)],
)
def test_java_major(version: str, major: int) -> None:
    assert java_major(version) == major


@pytest.mark.parametrize("version", ["", "abc", "v17"])
def test_java_major_rejects_non_versions(version: str) -> None:
    with pytest.raises(ValueError):
        java_major(version)


def test_find_java_explicit_home_must_be_a_jdk(tmp_path: Path) -> None:
    with pytest.raises(DevstackError, match="is not a JDK"):
        find_java(17, explicit=tmp_path)


def test_find_java_reports_what_it_found_when_nothing_fits() -> None:
    with pytest.raises(DevstackError, match=r"no Java >= 999 found"):
        find_java(999)


def test_find_java_prefers_as_asked() -> None:
    oldest, newest = find_java(8, "oldest"), find_java(8, "newest")
    assert oldest.major <= newest.major
    assert oldest.java.is_file() and newest.java.is_file()


# --- detached processes -----------------------------------------------------------------------


def _sleeper(tmp_path: Path, ignore_term: bool = False) -> tuple[int, Path]:
    code = "import signal, time\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('ready', flush=True)\ntime.sleep(120)\n"
    pid_file = tmp_path / "svc.pid"
    log = tmp_path / "svc.log"
    record = start_detached([sys.executable, "-c", code], log_file=log, pid_file=pid_file)
    # Wait until the child has started (and installed its handler): it prints once it has.
    wait = f"until grep -q ready {log}; do sleep 0.05; done"
    subprocess.run(["timeout", "10", "sh", "-c", wait], check=True)
    return record.pid, pid_file


def test_detached_process_is_recorded_and_stopped(tmp_path: Path) -> None:
    pid, pid_file = _sleeper(tmp_path)
    record = read_pid_file(pid_file)
    assert record is not None and record.pid == pid and record.alive()
    rss = read_rss_bytes(pid)
    assert rss is not None and rss > 1024 * 1024
    stop_pid(pid, grace=10, start_ticks=record.start_ticks)
    assert not pid_alive(pid)
    assert read_pid_file(pid_file) is None  # stale file is removed
    assert not pid_file.exists()


def test_stop_escalates_to_sigkill_when_term_is_ignored(tmp_path: Path) -> None:
    pid, _ = _sleeper(tmp_path, ignore_term=True)
    # Wait until the handler is installed (the child prints once it is) before signalling.
    log = tmp_path / "svc.log"
    subprocess.run(
        ["timeout", "10", "sh", "-c", f"until grep -q ready {log}; do sleep 0.05; done"], check=True
    )
    stop_pid(pid, grace=0.5)
    assert not pid_alive(pid)


def test_a_pid_file_naming_another_process_start_is_not_ours(tmp_path: Path) -> None:
    pid, pid_file = _sleeper(tmp_path)
    try:
        pid_file.write_text(f"{pid} 1\n")  # right pid, wrong start time: a reused pid
        assert read_pid_file(pid_file) is None
        assert pid_alive(pid)  # and nothing was done to the process itself
    finally:
        stop_pid(pid, grace=5)


def test_rss_of_a_missing_process_is_none() -> None:
    assert read_rss_bytes(2**22 + 1) is None  # above the kernel's default pid_max
    assert not pid_alive(2**22 + 1)


@pytest.mark.parametrize("field", ["devstack_home", "devstack_cache"])
def test_devstack_folders_are_absolute_even_when_given_relative(
    field: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.settings import Settings

    monkeypatch.chdir(tmp_path)
    settings = Settings.model_validate({field: "relative/folder"})
    assert getattr(settings, field) == tmp_path.resolve() / "relative" / "folder"
