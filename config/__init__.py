"""Data, not code: this folder is installed as the package ``pipeline.config`` (pyproject.toml
``package-dir``) so that ``importlib.resources`` finds the lexicons and mappings in a built wheel.
Read it through ``pipeline.resources.config_files()``."""
