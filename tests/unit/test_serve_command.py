"""``quotewire serve`` argument and settings checks (nothing is started: each case fails before)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.cli import app


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["serve", "--log-level", "loud"], {}, "--log-level"),
        (["serve", "--port", "99999"], {}, "--port"),
        (["serve", "--port", "http"], {}, "--port"),
        (["serve"], {"QUOTEWIRE_API_PORT": "abc"}, "QUOTEWIRE_API_PORT"),
        (["serve"], {"QUOTEWIRE_ES_URL": " "}, "QUOTEWIRE_ES_URL"),
        (["serve"], {"QUOTEWIRE_API_PROT": "8001"}, "did you mean QUOTEWIRE_API_PORT?"),
    ],
)
def test_bad_serve_arguments_exit_2(args: list[str], env: dict[str, str], words: str) -> None:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2
    assert words in result.output


def test_serve_help_names_the_defaults() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "QUOTEWIRE_API_PORT" in result.output and "/docs" in result.output


@pytest.mark.parametrize(
    ("host", "keys", "warned"),
    [
        ("0.0.0.0", (), True),
        ("::", (), True),
        ("192.168.1.20", (), True),
        ("api.example.org", (), True),
        ("0.0.0.0", ("k" * 16,), False),
        ("127.0.0.1", (), False),
        ("127.0.1.1", (), False),
        ("::1", (), False),
        ("[::1]", (), False),
        ("localhost", (), False),
    ],
)
def test_serving_beyond_this_machine_without_keys_is_warned(
    host: str, keys: tuple[str, ...], warned: bool
) -> None:
    from pydantic import SecretStr

    from pipeline.api.commands import exposure_warning
    from pipeline.settings import Settings

    settings = Settings().model_copy(update={"api_keys": tuple(SecretStr(k) for k in keys)})
    warning = exposure_warning(host, settings)
    assert (warning is not None) is warned
    if warning:
        assert host in warning and "QUOTEWIRE_API_KEYS" in warning


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"QUOTEWIRE_API_KEYS": "short"}, "at least 16 characters"),
        ({"QUOTEWIRE_API_RATE_LIMIT": "lots"}, "is not a rate limit"),
        ({"QUOTEWIRE_API_RATE_LIMIT": "10/fortnight"}, "is not a rate limit"),
        ({"QUOTEWIRE_API_CORS_ORIGINS": "newsroom.example"}, "is not an origin"),
        ({"QUOTEWIRE_API_CORS_ORIGINS": "https://a.example/path"}, "is not an origin"),
    ],
)
def test_bad_api_settings_exit_2(env: dict[str, str], words: str) -> None:
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 2
    assert words in result.output


@pytest.mark.parametrize(
    ("env", "attr", "expected"),
    [
        ({"QUOTEWIRE_API_KEYS": " 0123456789abcdef , fedcba9876543210,"}, "api_keys", 2),
        ({"QUOTEWIRE_API_KEYS": ""}, "api_keys", 0),
        ({}, "api_keys", 0),
        ({"QUOTEWIRE_API_RATE_LIMIT": "OFF"}, "api_rate_limit", "off"),
        ({"QUOTEWIRE_API_RATE_LIMIT": "10/second;1000/hour"}, "api_rate_limit", "10/second;1000/hour"),
        ({}, "api_rate_limit", "120/minute"),
        ({"QUOTEWIRE_API_CORS_ORIGINS": "https://a.example,http://localhost:3000"}, "api_cors_origins", 2),
        ({}, "api_cors_origins", 0),
    ],
)
def test_api_settings_from_the_environment(
    env: dict[str, str], attr: str, expected: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.settings import Settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    value = getattr(Settings(), attr)
    assert (len(value) if isinstance(expected, int) else value) == expected
