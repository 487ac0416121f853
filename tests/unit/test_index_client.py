"""Client options from Settings: auth, CA certificates, timeouts; creating a client connects nowhere."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pipeline.index.client import client_options, make_async_client, make_client
from pipeline.settings import Settings


@pytest.fixture(autouse=True)
def _no_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults under test must not come from the caller's QUOTEWIRE_* (CI sets its own ports)."""
    for name in [n for n in os.environ if n.startswith("QUOTEWIRE_")]:
        monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("fields", "expected", "absent"),
    [
        (
            {},
            {"hosts": ["http://127.0.0.1:9200"], "request_timeout": 30.0},
            ["api_key", "basic_auth", "ca_certs"],
        ),
        ({"es_api_key": "k3y"}, {"api_key": "k3y"}, ["basic_auth"]),
        ({"es_username": "elastic", "es_password": "pw"}, {"basic_auth": ("elastic", "pw")}, ["api_key"]),
        ({"es_username": "elastic"}, {"basic_auth": ("elastic", "")}, ["api_key"]),
        ({"es_api_key": "k3y", "es_username": "u", "es_password": "p"}, {"api_key": "k3y"}, ["basic_auth"]),
        ({"es_ca_certs": Path("/etc/ca.pem")}, {"ca_certs": "/etc/ca.pem"}, []),
        (
            {"es_url": "https://es.example:9243", "es_request_timeout": 5},
            {"hosts": ["https://es.example:9243"], "request_timeout": 5.0},
            [],
        ),
    ],
)
def test_client_options(fields: dict[str, Any], expected: dict[str, Any], absent: list[str]) -> None:
    options = client_options(Settings(**fields))
    for key, value in expected.items():
        assert options[key] == value
    for key in absent:
        assert key not in options
    assert 429 not in options["retry_on_status"]  # the writer backs off on 429 itself


async def test_clients_are_created_without_connecting() -> None:
    settings = Settings(es_url="http://127.0.0.1:9")  # nothing listens there
    make_client(settings).close()
    client = make_async_client(settings)
    await client.close()
