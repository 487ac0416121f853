"""``quotewire serve``: the HTTP API and the web page, on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[
            str | None, typer.Option(help="Interface to bind (default: QUOTEWIRE_API_HOST, 127.0.0.1).")
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(min=0, max=65535, help="Port (default: QUOTEWIRE_API_PORT, 8000)."),
        ] = None,
        log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    ) -> None:
        """Serve the search API (OpenAPI docs at /docs) and the web page (at /)."""
        import uvicorn

        from pipeline.api.app import create_app
        from pipeline.settings import load_settings

        settings = load_settings()
        uvicorn.run(
            create_app(settings),
            host=host if host is not None else settings.api_host,
            port=port if port is not None else settings.api_port,
            log_level=log_level,
        )
