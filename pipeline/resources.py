"""The package's data files: lexicons and index mappings, kept in the checkout's top-level ``config/``
and installed as the package ``pipeline.config`` (pyproject.toml ``package-dir``), so one lookup
through ``importlib.resources`` finds them in a checkout, an editable install and a wheel alike.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

CONFIG_PACKAGE = "pipeline.config"


def config_files() -> Traversable:
    """The folder of the packaged ``config/`` (read with ``/``, ``read_text``, ``open``)."""
    try:
        return files(CONFIG_PACKAGE)
    except ModuleNotFoundError as exc:
        # An editable install made before config/ was packaged has no mapping for it.
        raise ModuleNotFoundError(
            f"quotewire's data package {CONFIG_PACKAGE} (config/) is not installed; "
            "in a checkout, run .ci/bootstrap again (it re-installs the package)",
            name=CONFIG_PACKAGE,
        ) from exc
