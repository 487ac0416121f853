"""``quotewire devstack up | down | status``: the local Kafka + Elasticsearch, no Docker needed."""

from __future__ import annotations

from typing import Annotated

import typer

devstack_app = typer.Typer(
    help="Run a real local Kafka and Elasticsearch (from Maven Central jars; no Docker).",
    no_args_is_help=True,
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"devstack: {message}", err=True)
    return typer.Exit(1)


@devstack_app.command("up")
def up_command(
    timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds to wait for each service to answer.")
    ] = 240.0,
) -> None:
    """Start Kafka and Elasticsearch (idempotent) and wait until both answer."""
    from pipeline.devstack import stack
    from pipeline.devstack.service import format_bytes
    from pipeline.errors import DevstackError
    from pipeline.settings import load_settings

    settings = load_settings()
    try:
        reports = stack.up(settings, timeout=timeout)
    except DevstackError as exc:
        raise _fail(str(exc)) from None
    for r in reports:
        s = r.status
        how = "already running" if r.already_running else f"ready in {r.start_seconds:.1f}s"
        typer.echo(
            f"{s.name:<14} {s.address:<24} {how} (prepare {r.prepare_seconds:.1f}s), "
            f"pid {s.pid}, RSS {format_bytes(s.rss_bytes)}, {s.java}"
        )
    if stack.elastic_node(settings) is None:
        typer.echo("elasticsearch  not available yet in this checkout (pipeline/devstack/elastic_node.py)")
    typer.echo(f"logs and data: {settings.devstack_home}")


@devstack_app.command("down")
def down_command() -> None:
    """Stop the services `up` started (found through their pid files)."""
    from pipeline.devstack import stack
    from pipeline.errors import DevstackError
    from pipeline.settings import load_settings

    try:
        stopped = stack.down(load_settings())
    except DevstackError as exc:
        raise _fail(str(exc)) from None
    for name, pid in stopped:
        typer.echo(f"{name:<14} " + (f"stopped (pid {pid})" if pid is not None else "was not running"))


@devstack_app.command("status")
def status_command() -> None:
    """Show each service: up/down, address, pid, memory, JDK, log file. Exit 3 if any is down."""
    from pipeline.devstack import stack
    from pipeline.devstack.service import format_bytes
    from pipeline.settings import load_settings

    settings = load_settings()
    statuses = stack.status(settings)
    typer.echo(f"devstack home (logs and data): {settings.devstack_home}")
    for s in statuses:
        state = "up" if s.running else "down"
        typer.echo(f"{s.name:<14} {state:<5} {s.address}")
        if s.running:
            typer.echo(f"{'':<14} pid {s.pid}, RSS {format_bytes(s.rss_bytes)}, {s.version}, {s.java}")
        if s.detail:
            typer.echo(f"{'':<14} {s.detail}")
        typer.echo(f"{'':<14} folder {s.home}" + (f", log {s.log_file}" if s.log_file else ""))
    if stack.elastic_node(settings) is None:
        typer.echo("elasticsearch  not available yet in this checkout")
    if not all(s.running for s in statuses):
        raise typer.Exit(3)  # like `systemctl status`: 3 = not running, for scripts


def register(app: typer.Typer) -> None:
    app.add_typer(devstack_app, name="devstack")
