"""Pure pieces of the devstack Elasticsearch node: addresses, ports, generated settings, source hashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.devstack.elastic_node import (
    ES_VERSION,
    ElasticsearchNode,
    is_local_host,
    node_settings,
    render_yaml,
    sources_digest,
    transport_ports,
)
from pipeline.errors import DevstackError
from pipeline.settings import Settings


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),  # all interfaces: not what a devstack may bind
        ("10.0.0.5", False),
        ("es.example.com", False),
        ("127.example.com", False),  # a name that merely starts like a loopback address
    ],
)
def test_is_local_host(host: str, local: bool) -> None:
    assert is_local_host(host) is local


@pytest.mark.parametrize(
    ("http_port", "expected"),
    [(9200, "9300-9399"), (19200, "19300-19399"), (29200, "29300-29399")],
)
def test_transport_ports_follow_the_http_port(http_port: int, expected: str) -> None:
    assert transport_ports(http_port) == expected


def test_node_settings(tmp_path: Path) -> None:
    values = node_settings("127.0.0.1", 9200, tmp_path)
    assert values["http.port"] == 9200
    assert values["transport.port"] == "9300-9399"
    assert values["network.host"] == "127.0.0.1"
    assert values["discovery.type"] == "single-node"
    assert values["cluster.routing.allocation.disk.threshold_enabled"] is False
    assert values["path.data"] == str(tmp_path / "data")
    assert values["path.logs"] == str(tmp_path / "logs")
    assert not any(key.startswith("xpack.") for key in values)  # x-pack is not on the classpath


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"a": False}, "a: false\n"),
        ({"a": 9200}, "a: 9200\n"),
        ({"a": "x: y"}, 'a: "x: y"\n'),  # quoted: a colon inside a value stays a value
        ({"a": "/tmp/home dir"}, 'a: "/tmp/home dir"\n'),
        ({"a": "1", "b": "two"}, 'a: "1"\nb: "two"\n'),  # a string that looks numeric stays a string
    ],
)
def test_render_yaml(values: dict[str, object], expected: str) -> None:
    assert render_yaml(values) == expected


def test_sources_digest_changes_with_sources_and_version(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    source = tmp_path / "pkg" / "A.java"
    source.write_text("class A {}")
    (tmp_path / "notes.txt").write_text("not a source")
    first = sources_digest(tmp_path, ES_VERSION)
    assert sources_digest(tmp_path, ES_VERSION) == first  # stable
    (tmp_path / "notes.txt").write_text("changed, but not a source")
    assert sources_digest(tmp_path, ES_VERSION) == first
    assert sources_digest(tmp_path, "9.0.0") != first
    source.write_text("class A { int x; }")
    assert sources_digest(tmp_path, ES_VERSION) != first


def test_shipped_sources_are_hashed() -> None:
    java_dir = Path(__file__).resolve().parents[2] / "pipeline" / "devstack" / "java"
    assert len(list(java_dir.rglob("*.java"))) >= 5
    assert len(sources_digest(java_dir, ES_VERSION)) == 12


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1:9200", "http://10.1.2.3:9200", "http://es.example.com:9200"],
)
def test_prepare_refuses_urls_the_devstack_cannot_serve(tmp_path: Path, url: str) -> None:
    node = ElasticsearchNode(Settings(es_url=url, devstack_home=tmp_path, devstack_cache=tmp_path / "c"))
    with pytest.raises(DevstackError, match="QUOTEWIRE_ES_URL"):
        node.prepare()
    assert not (tmp_path / "c").exists()  # refused before resolving or compiling anything
