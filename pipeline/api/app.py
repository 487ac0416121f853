"""The FastAPI application: ``create_app(settings)``. The Elasticsearch client opens in ``lifespan``.

Importing this module connects to nothing; ``quotewire serve`` (or a test) builds the app and the
server runs the lifespan, which opens one async client for all requests and closes it on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from pipeline.api import routes
from pipeline.api.security import Guard, SecurityHeaders, cors_options
from pipeline.index.client import make_async_client
from pipeline.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """
Search quotes extracted from wire articles: **who said what, from which country**.

Filter by person (surname, full name, any case, with or without accents), by the speaker's country
(ISO code, name or adjective: `RU`, `Russia`, `russian`), by words in the quote, source, date range
and kind of quote. Every result carries the matched words as spans, the speaker's role and country,
and a link to its article. The web page at `/` is a client of this API.
"""


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One client (one connection pool) for every request; opened here, not at import.
        client = make_async_client(settings)
        app.state.es = client
        try:
            yield
        finally:
            await client.close()

    # FastAPIOffline: a FastAPI app whose /docs and /redoc load Swagger UI / ReDoc from files shipped
    # in the package, not from a CDN (the machines that run this may have no internet at all).
    app = FastAPIOffline(
        title="quotewire",
        summary="Who said what, from which country: quotes from wire articles.",
        description=DESCRIPTION,
        version=version("quotewire"),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.guard = Guard(settings)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.include_router(routes.router)
    app.include_router(routes.health_router)
    cors = cors_options(settings)
    if cors is not None:
        app.add_middleware(CORSMiddleware, **cors)  # type: ignore[arg-type]  # options typed as object
    app.add_middleware(SecurityHeaders)  # added last: outermost, so CORS answers get the headers too
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    return app


async def _validation_problem(request: Request, exc: Exception) -> JSONResponse:
    """422 with one readable line (``message``) besides FastAPI's usual per-parameter ``detail``."""
    assert isinstance(exc, RequestValidationError)
    detail = [_error_item(error) for error in exc.errors()]
    message = "; ".join(_line(item) for item in detail) or "invalid request"
    return JSONResponse(status_code=422, content={"message": message, "detail": detail})


def _error_item(error: Any) -> dict[str, Any]:
    # Keep loc/msg/type only: FastAPI's ``input``/``ctx`` can hold objects that are not JSON.
    loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
    msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")  # pydantic's prefix for ValueError
    return {"loc": loc, "msg": msg, "type": str(error.get("type", "invalid"))}


def _line(item: dict[str, Any]) -> str:
    """``field: reason``, or just the reason for a problem of the whole query (since after until)."""
    names = [str(part) for part in item["loc"] if part not in ("query", "path", "body")]
    return f"{'.'.join(names)}: {item['msg']}" if names else str(item["msg"])
