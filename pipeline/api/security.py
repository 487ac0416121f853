"""What makes the API safe to expose: API keys, a per-client rate limit, security headers and CORS.

Each is driven by a setting (``pipeline.settings``) and safe by default:

* ``api_keys`` -- none: an open API (the default host is 127.0.0.1). Set: every data route wants one of
  them in the ``X-API-Key`` header (401 otherwise); ``/healthz``, the page, its assets and the docs stay
  open, as they hold no data.
* ``api_rate_limit`` -- "120/minute" per client (its API key when it sent a valid one, else its
  address), counted by the ``limits`` library's moving window; a 429 says when to come back
  (``Retry-After``). Counters live in the process: run one server process per limit, or put the limit
  in front (a proxy) when several share it.
* Security headers on every answer: a Content-Security-Policy that lets the page load only from this
  server and never be framed (``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer``.
* ``api_cors_origins`` -- none: no CORS headers at all, so browsers keep other sites' pages out.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.settings import Settings

API_KEY_HEADER = "X-API-Key"

# The page and everything it loads come from this server; nothing may frame it. The page sets bar
# sizes through the CSSOM (element.style), which style-src 'self' allows; the favicon is a data: URL.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc (fastapi-offline's files, still from this server) start from an inline
# script and style, and ReDoc runs a worker from a blob: URL. Only their pages get these allowances.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
    (b"cross-origin-opener-policy", b"same-origin"),
)

api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="Needed when the server sets QUOTEWIRE_API_KEYS; ignored otherwise.",
)


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP response (the body is not touched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else PAGE_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                headers.append((b"content-security-policy", policy.encode()))
                headers.extend(_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


_OURS = frozenset({b"content-security-policy", *(name for name, _ in _HEADERS)})


class Guard:
    """API keys and the rate limit, checked before a data route parses its parameters."""

    def __init__(self, settings: Settings) -> None:
        # Keys compared as digests: equal length, so compare_digest's time says nothing about them.
        self._keys = tuple(_digest(key.get_secret_value()) for key in settings.api_keys)
        off = settings.api_rate_limit == "off"
        self._limits: list[RateLimitItem] = [] if off else parse_many(settings.api_rate_limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, request: Request, key: str | None) -> None:
        client = self._authenticate(key) if self._keys else None
        await self._throttle(client or f"address:{_address(request)}")

    def _authenticate(self, key: str | None) -> str:
        """The client's identity (a digest of its key), or a 401."""
        if not key:
            raise HTTPException(
                401,
                f"an API key is required: send it in the {API_KEY_HEADER} header",
                headers={"WWW-Authenticate": API_KEY_HEADER},
            )
        given = _digest(key)
        if not any(hmac.compare_digest(given, known) for known in self._keys):
            raise HTTPException(401, "the API key is not valid", headers={"WWW-Authenticate": API_KEY_HEADER})
        return f"key:{given.hex()[:16]}"

    async def _throttle(self, client: str) -> None:
        for limit in self._limits:
            if await self._limiter.hit(limit, client):
                continue
            reset, _remaining = await self._limiter.get_window_stats(limit, client)
            wait = max(1, math.ceil(reset - time.time()))
            raise HTTPException(
                429,
                f"too many requests: the limit is {limit} per client; try again in {wait} s",
                headers={"Retry-After": str(wait), "X-RateLimit-Limit": str(limit.amount)},
            )


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def _address(request: Request) -> str:
    # uvicorn puts the proxy's X-Forwarded-For here when the proxy is trusted (--forwarded-allow-ips).
    return request.client.host if request.client else "unknown"


async def guard(request: Request, key: Annotated[str | None, Depends(api_key_header)]) -> None:
    """The dependency every data route has: the app's ``Guard`` (built once in ``create_app``)."""
    checker: Guard = request.app.state.guard
    await checker(request, key)


def cors_options(settings: Settings) -> dict[str, object] | None:
    """``CORSMiddleware`` options for the configured origins, or None: CORS stays off."""
    if not settings.api_cors_origins:
        return None
    return {
        "allow_origins": list(settings.api_cors_origins),
        "allow_methods": ["GET"],
        "allow_headers": [API_KEY_HEADER],
        "allow_credentials": False,  # the API uses no cookies
        "max_age": 600,
    }
