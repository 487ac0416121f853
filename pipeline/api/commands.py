"""``quotewire serve``: the HTTP API and the web page, on uvicorn."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import click
import typer

from pipeline.settings import Settings

# uvicorn's own level names, so --log-level passes straight through.
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def exposure_warning(host: str, settings: Settings) -> str | None:
    """One line when the API would answer beyond this machine without keys, else None."""
    if settings.api_keys or _loopback(host):
        return None
    return (
        f"serving on {host} without API keys: anyone who reaches this port can search the index; "
        "set QUOTEWIRE_API_KEYS (see docs/api.md, 'A public deployment')"
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


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
        log_level: Annotated[
            str, typer.Option(click_type=click.Choice(LOG_LEVELS), help="uvicorn log level.")
        ] = "info",
    ) -> None:
        """Serve the search API (OpenAPI docs at /docs) and the web page (at /)."""
        import uvicorn
        from pydantic import ValidationError

        from pipeline.api.app import create_app
        from pipeline.settings import load_settings

        try:
            settings = load_settings()
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error.get("loc", ()))
            typer.echo(f"error: settings: {where}: {error.get('msg', exc)}", err=True)
            raise typer.Exit(2) from None
        bind = host if host is not None else settings.api_host
        warning = exposure_warning(bind, settings)
        if warning:
            typer.echo(f"warning: {warning}", err=True)
        uvicorn.run(
            create_app(settings),
            host=bind,
            port=port if port is not None else settings.api_port,
            log_level=log_level,
        )
