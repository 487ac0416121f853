"""Scratch runs: settings with their own topics, index prefix and consumer group, for benchmarks and
tests that share a Kafka and an Elasticsearch with others, and their clean-up.

Only for names made here (or another prefix of one's own): nothing asks before deleting.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from pipeline.settings import Settings


def scratch_settings(base: Settings, label: str, **extra: Any) -> Settings:
    """``base`` with topics, index prefix and consumer group named ``<label>-<random>``, so parallel
    runs never meet; ``extra`` overrides further settings."""
    run = f"{label}-{uuid.uuid4().hex[:8]}"
    return base.model_copy(
        update={
            "index_prefix": run,
            "topic_raw": f"{run}.raw",
            "topic_enriched": f"{run}.enriched",
            "topic_dead_letter": f"{run}.dead-letter",
            "consumer_group": run,
            **extra,
        }
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """This process's environment with the QUOTEWIRE_* variables that make a subprocess (a
    ``quotewire worker``) use exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTEWIRE_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        env[f"QUOTEWIRE_{name.upper()}"] = _env_value(value)
    return env


def _env_value(value: object) -> str:
    """A setting as its environment variable spells it: secrets in clear, lists comma-separated (as
    Settings reads them; an empty list is an empty string, not "()")."""
    if hasattr(value, "get_secret_value"):
        return str(value.get_secret_value())
    if isinstance(value, tuple | list | set | frozenset):
        return ",".join(_env_value(v) for v in value)
    return str(value)


async def drop_scratch_indices(settings: Settings) -> list[str]:
    """Delete the indices under ``settings.index_prefix`` with a client of its own; their names."""
    from pipeline.index.client import make_async_client
    from pipeline.index.schema import drop_indices

    client = make_async_client(settings)
    try:
        return await drop_indices(client, settings.index_prefix)
    finally:
        await client.close()


async def remove_scratch(settings: Settings) -> None:
    """Delete a scratch run's indices and topics (settings from ``scratch_settings``)."""
    from pipeline.stream.topics import delete_topics

    await drop_scratch_indices(settings)
    await delete_topics(settings)
