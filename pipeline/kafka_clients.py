"""Keyword arguments for aiokafka clients built from the Settings: one place for bootstrap and
credentials, so every producer, consumer and admin client reaches the same cluster the same way.

``AIOKafkaProducer(**kafka_client_kwargs(settings))`` works for the local devstack (PLAINTEXT) and
for an external cluster with SASL and/or TLS. The password is unwrapped from its ``SecretStr`` only
here, into the dict handed to the client; never log the returned dict.
"""

from __future__ import annotations

import ssl
from typing import Any

from pipeline.settings import Settings


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A verifying TLS context (system CAs plus ``kafka_ssl_cafile``) for SSL protocols, else None."""
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    # create_default_context verifies certificates and host names; a private CA is added to the
    # system store rather than replacing it, so clusters with public certificates also work.
    context = ssl.create_default_context()
    if settings.kafka_ssl_cafile is not None:
        context.load_verify_locations(cafile=str(settings.kafka_ssl_cafile))
    return context


def kafka_client_kwargs(settings: Settings) -> dict[str, Any]:
    """``bootstrap_servers``, ``security_protocol`` and, when configured, SASL and TLS arguments."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": [s.strip() for s in settings.kafka_bootstrap.split(",") if s.strip()],
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.startswith("SASL_"):
        if settings.kafka_sasl_mechanism is None:
            raise ValueError(
                f"QUOTEWIRE_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs "
                "QUOTEWIRE_KAFKA_SASL_MECHANISM"
            )
        kwargs["sasl_mechanism"] = settings.kafka_sasl_mechanism
        kwargs["sasl_plain_username"] = settings.kafka_sasl_username
        if settings.kafka_sasl_password is not None:
            kwargs["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    context = kafka_ssl_context(settings)
    if context is not None:
        kwargs["ssl_context"] = context
    return kwargs
