"""Loads the spaCy pipeline once per process (the model is a setting)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language


@lru_cache(maxsize=2)
def load_nlp(model: str) -> Language:
    """Load ``model`` (a package name or a path). Raises OSError with spaCy's message if missing."""
    import spacy  # heavy: imported only when a model is actually needed

    return spacy.load(model)
