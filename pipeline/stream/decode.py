"""Raw Kafka bytes -> ``Article`` or ``BadArticle``: the edge where the stream's input is validated.

Pure: no I/O, no Faust. The happy path is one ``Article.model_validate_json`` call; only input that
fails it is parsed again to say *why*, with a short reason code the dead-letter topic carries:

``not_utf8``, ``not_json``, ``not_an_object``, ``missing_id``, ``no_text``, ``empty_text``,
``wrong_type`` (a field of the wrong type, e.g. a number as ``text`` or an unreadable date) and
``oversize`` (text longer than ``Settings.max_text_chars``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from pipeline.errors import BadArticle
from pipeline.models import Article

REASONS = (
    "not_utf8",
    "not_json",
    "not_an_object",
    "missing_id",
    "no_text",
    "empty_text",
    "wrong_type",
    "oversize",
)

# Details are shown to humans in `dead-letters list`; a long validation message helps nobody.
_DETAIL_CHARS = 300


def decode_article(raw: bytes | None, max_text_chars: int) -> Article | BadArticle:
    """Decode one message value. Never raises: bad input comes back as a ``BadArticle``."""
    if raw is None:  # a tombstone or an empty produce: nothing to enrich
        return BadArticle("not_json", "empty message (no value)")
    try:
        article = Article.model_validate_json(raw)
    except ValidationError as exc:
        return _explain(raw, exc)
    return _check_text(article, max_text_chars)


def _check_text(article: Article, max_text_chars: int) -> Article | BadArticle:
    if not article.text.strip():
        return BadArticle("empty_text", f"article {article.id!r} has only whitespace as text")
    if len(article.text) > max_text_chars:
        return BadArticle(
            "oversize",
            f"article {article.id!r} has {len(article.text)} characters of text; "
            f"the limit is {max_text_chars} (QUOTEWIRE_MAX_TEXT_CHARS)",
        )
    return article


def _explain(raw: bytes, exc: ValidationError) -> BadArticle:
    """Classify input that failed validation; re-parses only on this (rare) path."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return BadArticle("not_utf8", f"byte {err.start} is not UTF-8: {err.reason}")
    try:
        obj: Any = json.loads(text)
    except ValueError as err:
        return BadArticle("not_json", _short(f"{err}"))
    if not isinstance(obj, dict):
        return BadArticle("not_an_object", f"a JSON {type(obj).__name__}, not an object")
    article_id = obj.get("id")
    if article_id is None or article_id == "":
        return BadArticle("missing_id", "no 'id' field")
    body = obj.get("text", obj.get("body"))
    if body is None:
        return BadArticle("no_text", f"article {article_id!r} has no 'text' (or 'body') field")
    return BadArticle("wrong_type", _short(_first_error(exc)))


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:  # pragma: no cover - pydantic always reports at least one
        return str(exc)
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "article"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def _short(detail: str) -> str:
    return detail if len(detail) <= _DETAIL_CHARS else detail[: _DETAIL_CHARS - 1] + "…"
