"""Shared fixtures. Integration tests (``@pytest.mark.integration``) run by default against the real
local devstack; ``pytest -m "not integration"`` is the fast unit run.

An integration test that finds no Kafka or Elasticsearch at the configured addresses FAILS with a
message saying how to start them: a skipped integration test would let CI pass without testing.
Tests that bring up a stack of their own (``tests/integration/test_devstack.py``) are marked
``own_devstack`` and are exempt from the check.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.settings import PROJECT_ROOT, Settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "own_devstack: starts its own devstack on other ports; needs no shared stack"
    )


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(*offsets: int) -> int:
    """A loopback port P that is free, with P + each offset free too (at the time of asking): a
    Kafka broker takes P and its controller P + 1, an Elasticsearch node P and its transport P + 100.
    Every test that starts a service takes its ports this way, never a fixed number."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + max(offsets, default=0) <= 65535 and all(_bindable(port + o) for o in offsets):
            return port
    raise RuntimeError(f"no free loopback port P with P+{offsets} free after 100 tries")


@pytest.fixture(scope="session")
def free_ports() -> Callable[..., int]:
    """``free_ports(*offsets)``: see ``free_port_block``."""
    return free_port_block


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def devstack_settings() -> Settings:
    """The settings integration tests run with (QUOTEWIRE_* from the environment, else devstack)."""
    return Settings()


def _kafka_problem(settings: Settings) -> str | None:
    from pipeline.devstack.kafka_broker import KafkaBroker

    if KafkaBroker(settings).answers(timeout=10.0):
        return None
    return f"Kafka does not answer at {settings.kafka_bootstrap}"


def _elasticsearch_problem(settings: Settings) -> str | None:
    from elasticsearch import Elasticsearch

    auth: dict[str, object] = {}
    if settings.es_api_key is not None:
        auth["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username is not None and settings.es_password is not None:
        auth["basic_auth"] = (settings.es_username, settings.es_password.get_secret_value())
    if settings.es_ca_certs is not None:
        auth["ca_certs"] = str(settings.es_ca_certs)
    client = Elasticsearch(settings.es_url, request_timeout=10, **auth)  # type: ignore[arg-type]
    try:
        health = client.cluster.health(wait_for_status="yellow", timeout="10s")
        if health["status"] in ("yellow", "green"):
            return None
        return f"Elasticsearch at {settings.es_url} is {health['status']}"
    except Exception as exc:  # any failure to answer is the message we want to show
        return f"Elasticsearch does not answer at {settings.es_url} ({type(exc).__name__})"
    finally:
        client.close()


@pytest.fixture(scope="session")
def devstack(devstack_settings: Settings) -> Settings:
    """Kafka and Elasticsearch answer at the configured addresses, or the test fails saying why."""
    problems = [
        p for p in (_kafka_problem(devstack_settings), _elasticsearch_problem(devstack_settings)) if p
    ]
    if problems:
        pytest.fail(
            "integration tests need the local stack: "
            + "; ".join(problems)
            + " - start it with `quotewire devstack up` (or point QUOTEWIRE_KAFKA_BOOTSTRAP / "
            "QUOTEWIRE_ES_URL at running services)",
            pytrace=False,
        )
    return devstack_settings


@pytest.fixture(autouse=True)
def _integration_needs_devstack(request: pytest.FixtureRequest) -> Iterator[None]:
    node = request.node
    if node.get_closest_marker("integration") and not node.get_closest_marker("own_devstack"):
        request.getfixturevalue("devstack")
    yield
