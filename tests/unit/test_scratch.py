"""Scratch runs hand their exact settings to a subprocess through the environment."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from pipeline.devstack.scratch import scratch_settings, settings_env
from pipeline.settings import Settings


@pytest.mark.parametrize(
    "extra",
    [
        {},  # defaults: empty key and origin lists must not turn into "()"
        {"api_keys": (SecretStr("k" * 20), SecretStr("z" * 16)), "api_cors_origins": ("https://a.example",)},
        {"es_password": SecretStr("s3cret-pass"), "es_username": "elastic"},
    ],
)
def test_settings_env_round_trips(monkeypatch: pytest.MonkeyPatch, extra: dict[str, object]) -> None:
    settings = scratch_settings(Settings(), "unit", **extra)
    env = settings_env(settings)
    for key in [k for k in env if k.startswith("QUOTEWIRE_")]:
        monkeypatch.setenv(key, env[key])
    back = Settings()
    assert back.model_dump(mode="json") == settings.model_dump(mode="json")
    assert [k.get_secret_value() for k in back.api_keys] == [k.get_secret_value() for k in settings.api_keys]
    secret = settings.es_password.get_secret_value() if settings.es_password else None
    assert (back.es_password.get_secret_value() if back.es_password else None) == secret
