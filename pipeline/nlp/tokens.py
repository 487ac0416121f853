"""One token index per document: character offset -> token position, built once and shared.

``TokenIndex(doc)`` walks the tokens once; quote extraction, the quoted ranges of speaker resolution
and the narrative before a floating quote all look offsets up in the same index.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc


class TokenIndex:
    """Character offset -> token index by bisection over token starts."""

    __slots__ = ("starts",)

    def __init__(self, doc: Doc) -> None:
        self.starts = [t.idx for t in doc]

    def at_or_after(self, char: int) -> int:
        """Index of the first token starting at or after ``char``."""
        return bisect.bisect_left(self.starts, char)

    def before(self, char: int) -> int:
        """Index one past the last token starting before ``char``."""
        return bisect.bisect_left(self.starts, char)

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        """Tokens [lo, hi) that start inside the characters [start, end)."""
        return self.at_or_after(start), self.before(end)
