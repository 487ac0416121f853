"""JSON parsing with bounded nesting: hostile input becomes a ``BadArticle``, never an exception.

The standard library's parser (and every parser after it: pydantic, ``json.loads``) recurses once
per nesting level, so a 2 KB value nested 1,000 deep raises ``RecursionError`` deep inside it. The
depth is therefore measured first, by a linear scan that never recurses, and anything deeper than
``MAX_DEPTH`` is refused before a parser sees it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pipeline.errors import BadArticle

# An article is at most 4 levels deep (ninjs: object -> links -> link -> field); 64 leaves room for
# any honest producer's extras while staying far below the interpreter's recursion limit (1,000).
MAX_DEPTH = 64

# A JSON string literal (escapes included). Possessive quantifiers: the scan is linear, and an
# unterminated string simply runs to the end of the input.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_OPENERS = frozenset("[{")


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest array/object nesting of ``text`` (brackets inside strings do not count).

    Stops counting once ``limit`` is exceeded (returns ``limit + 1``): the answer is "too deep",
    however deep. Linear in the length of ``text``; never recurses.
    """
    if "[" not in text and "{" not in text:
        return 0
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        if bracket in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def check_depth(text: str, limit: int = MAX_DEPTH) -> BadArticle | None:
    """A ``too_deep`` BadArticle when ``text`` nests deeper than ``limit``, else None."""
    if nesting_depth(text, limit) > limit:
        return BadArticle("too_deep", f"JSON nested more than {limit} levels deep")
    return None


def load_json(data: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """Parse one JSON document. Raises ``BadArticle`` (``not_utf8``, ``too_deep``, ``not_json``), never
    anything else."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadArticle("not_utf8", f"byte {exc.start} is not UTF-8: {exc.reason}") from None
    else:
        text = data
    too_deep = check_depth(text, limit)
    if too_deep is not None:
        raise too_deep
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and int() of a number with too many digits
        raise BadArticle("not_json", short(str(exc))) from None
    except RecursionError:  # pragma: no cover - the depth check makes this unreachable
        raise BadArticle("too_deep", "JSON nested too deep to parse") from None


# Details are shown to humans in `dead-letters list` and feed's summary; a long message helps nobody.
DETAIL_CHARS = 300


def short(detail: str) -> str:
    return detail if len(detail) <= DETAIL_CHARS else detail[: DETAIL_CHARS - 1] + "…"
