"""aiokafka keyword arguments built from the Settings, for the devstack and for secured clusters."""

from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from pipeline.kafka_clients import kafka_client_kwargs, kafka_ssl_context
from pipeline.settings import Settings


@pytest.fixture(autouse=True)
def _no_quotewire_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests are about the defaults and the values given here, not the caller's environment
    # (CI runs with QUOTEWIRE_KAFKA_BOOTSTRAP pointing at its own stack).
    for name in [n for n in os.environ if n.startswith("QUOTEWIRE_")]:
        monkeypatch.delenv(name)


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_devstack_defaults_are_plaintext_without_credentials() -> None:
    kwargs = kafka_client_kwargs(_settings())
    assert kwargs == {"bootstrap_servers": ["127.0.0.1:9092"], "security_protocol": "PLAINTEXT"}


def test_bootstrap_list_is_split_and_trimmed() -> None:
    kwargs = kafka_client_kwargs(_settings(kafka_bootstrap="a:9092, b:9092 ,,c:9093"))
    assert kwargs["bootstrap_servers"] == ["a:9092", "b:9092", "c:9093"]


@pytest.mark.parametrize(
    ("protocol", "has_sasl", "has_ssl"),
    [
        ("PLAINTEXT", False, False),
        ("SSL", False, True),
        ("SASL_PLAINTEXT", True, False),
        ("SASL_SSL", True, True),
    ],
)
def test_protocols_get_exactly_their_arguments(protocol: str, has_sasl: bool, has_ssl: bool) -> None:
    settings = _settings(
        kafka_security_protocol=protocol,
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="svc-quotewire",
        kafka_sasl_password=SecretStr("s3cret"),
    )
    kwargs = kafka_client_kwargs(settings)
    assert kwargs["security_protocol"] == protocol
    assert ("sasl_mechanism" in kwargs) is has_sasl
    assert ("ssl_context" in kwargs) is has_ssl
    if has_sasl:
        assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
        assert kwargs["sasl_plain_username"] == "svc-quotewire"
        assert kwargs["sasl_plain_password"] == "s3cret"  # unwrapped only here, for the client
    if has_ssl:
        context = kwargs["ssl_context"]
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_sasl_without_a_mechanism_is_refused() -> None:
    with pytest.raises(ValueError, match="QUOTEWIRE_KAFKA_SASL_MECHANISM"):
        kafka_client_kwargs(_settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="u"))


def test_the_password_never_shows_in_the_settings_repr() -> None:
    settings = _settings(kafka_sasl_password=SecretStr("s3cret"))
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())


def test_a_private_ca_file_is_trusted(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=qw-test-ca",
            "-keyout",
            str(tmp_path / "ca.key"),
            "-out",
            str(ca),
        ],
        check=True,
        capture_output=True,
    )
    context = kafka_ssl_context(_settings(kafka_security_protocol="SSL", kafka_ssl_cafile=ca))
    assert context is not None
    certs: list[Any] = context.get_ca_certs()
    common_names = [v for c in certs for rdn in c["subject"] for (k, v) in rdn if k == "commonName"]
    assert "qw-test-ca" in common_names


def test_a_missing_ca_file_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        kafka_ssl_context(_settings(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "nope.pem"))
