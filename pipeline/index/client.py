"""Elasticsearch clients from ``Settings``. Creating one connects to nothing; the first request does.

Both honour ``es_url``, ``es_api_key`` (preferred) or ``es_username``/``es_password``, ``es_ca_certs``
and ``es_request_timeout``. Open them where a process starts (Faust ``on_start``, FastAPI ``lifespan``,
a CLI command body) and close them there (``await client.close()``).

Retries: the transport retries a request on a connection error, a timeout or a 502/503/504 at most
twice, without waiting; 429 ("too many requests") is *not* retried here, because the writer backs off
itself (``pipeline.index.writer``) and a read path should report overload rather than add to it.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch, Elasticsearch

from pipeline.settings import Settings

_MAX_RETRIES = 2  # quick reconnects only; longer outages are the caller's (writer/worker) to wait out
_RETRY_ON_STATUS = (502, 503, 504)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments shared by the sync and async clients."""
    options: dict[str, Any] = {
        "hosts": [settings.es_url],
        "request_timeout": settings.es_request_timeout,
        "max_retries": _MAX_RETRIES,
        "retry_on_timeout": True,
        "retry_on_status": _RETRY_ON_STATUS,
    }
    if settings.es_api_key is not None:
        options["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username is not None:
        password = settings.es_password.get_secret_value() if settings.es_password else ""
        options["basic_auth"] = (settings.es_username, password)
    if settings.es_ca_certs is not None:
        options["ca_certs"] = str(settings.es_ca_certs)
    return options


def make_client(settings: Settings) -> Elasticsearch:
    """A synchronous client (scripts, benchmarks)."""
    return Elasticsearch(**client_options(settings))


def make_async_client(settings: Settings) -> AsyncElasticsearch:
    """An asyncio client (stream worker, HTTP API, CLI commands via ``asyncio.run``)."""
    return AsyncElasticsearch(**client_options(settings))
