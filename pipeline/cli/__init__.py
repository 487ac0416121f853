"""The one CLI, ``quotewire``. Each area registers its own commands; nothing heavy is imported here.

Each ``register`` function adds commands to the app; command bodies import what they need lazily so
``quotewire --help`` stays instant. Commands that drive the engine without a service of their own
(``enrich``: files in, enriched JSON out) live in this package, above the engine they call: the
import-linter layers in pyproject.toml keep the core from importing a shell.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="quotewire",
    help="Wire articles in, searchable quotes out: who said what, from which country.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that contribute commands; each has ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = (
    "pipeline.devstack.commands",  # devstack up|down|status
    "pipeline.cli.enrich",  # enrich
    "pipeline.ingest.commands",  # schema
    "pipeline.stream.commands",  # feed, worker, dead-letters, status
    "pipeline.index.commands",  # setup, search, countries, reindex
    "pipeline.people.commands",  # people
    "pipeline.api.commands",  # serve
)


# Development tools that live in the source checkout only (not in the wheel): command -> where to get it.
CHECKOUT_ONLY = {
    "pipeline.devstack.commands": (
        "devstack",
        "The local Kafka + Elasticsearch (`quotewire devstack up`) is a development tool of the source "
        "checkout and is not part of an installed quotewire: clone the repository and run "
        "`.ci/bootstrap && .venv/bin/quotewire devstack up`, or start Kafka and Elasticsearch with "
        "`docker compose up -d` there, or point QUOTEWIRE_KAFKA_BOOTSTRAP / QUOTEWIRE_ES_URL at yours.",
    ),
}


def is_absent_part(module: str, missing: str | None) -> bool:
    """True when importing ``module`` failed because it (or its package) is not installed, as
    opposed to a dependency missing inside a module that is there."""
    return missing is not None and (module == missing or module.startswith(missing + "."))


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not is_absent_part(name, exc.name):  # a broken install, not an optional part
                raise
            if name in CHECKOUT_ONLY:
                _register_absent(*CHECKOUT_ONLY[name])
            continue
        module.register(app)


def _register_absent(command: str, explanation: str) -> None:
    def absent() -> None:
        typer.echo(f"quotewire {command}: {explanation}", err=True)
        raise typer.Exit(2)

    app.command(
        command,
        help=f"(not installed: {command} is part of the source checkout)",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )(absent)


_register_all()


def main() -> None:
    # Library warnings (a broker that refuses connections, ...) formatted like the worker's, repeats held
    # back; the worker reconfigures with its own level and format.
    from pipeline.stream.logs import configure_logging

    configure_logging("warning", "auto")
    app()
