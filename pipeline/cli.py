"""The one CLI, ``quotewire``. Each area registers its own commands; nothing heavy is imported here.

Each ``register`` function adds commands to the app; command bodies import what they need lazily so
``quotewire --help`` stays instant.
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
    "pipeline.nlp.commands",  # enrich
    "pipeline.stream.commands",  # feed, worker, dead-letters, status
    "pipeline.index.commands",  # setup, search, people
    "pipeline.api.commands",  # serve
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency inside the module: surface it
                raise
            continue
        module.register(app)


_register_all()


def main() -> None:
    app()
