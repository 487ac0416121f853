"""Raw Kafka bytes -> ``Article`` or ``BadArticle``: the edge where the stream's input is validated.

Pure: no I/O, no Faust. The happy path is one ``Article.model_validate_json`` call; only input that
fails it is parsed again to say *why*, with a short reason code the dead-letter topic carries:

``not_utf8``, ``not_json``, ``not_an_object``, ``missing_id``, ``no_text``, ``empty_text``,
``wrong_type`` (a field of the wrong type, e.g. a number as ``text`` or an unreadable date),
``oversize`` (text longer than ``Settings.max_text_chars``), ``too_deep`` (JSON nested deeper than
``pipeline.ingest.jsonvalue.MAX_DEPTH``: refused before any parser recurses into it) and
``undecodable`` (anything else the parsers raised: contained here so one message can never stop the
stream).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from pipeline.errors import BadArticle
from pipeline.ingest.jsonvalue import check_depth, load_json, short
from pipeline.models import Article

log = logging.getLogger(__name__)

REASONS = (
    "not_utf8",
    "not_json",
    "not_an_object",
    "missing_id",
    "no_text",
    "empty_text",
    "wrong_type",
    "oversize",
    "too_deep",
    "undecodable",
)


def decode_article(raw: bytes | None, max_text_chars: int) -> Article | BadArticle:
    """Decode one message value. Never raises: bad input comes back as a ``BadArticle``."""
    if raw is None:  # a tombstone or an empty produce: nothing to enrich
        return BadArticle("not_json", "empty message (no value)")
    try:
        return _decode(raw, max_text_chars)
    except BadArticle as bad:
        return bad
    except Exception as exc:  # a parser bug or a case nobody foresaw: this message only, never the stream
        log.warning("undecodable message: %r", exc)
        return BadArticle("undecodable", short(f"{type(exc).__name__}: {exc}"))


def _decode(raw: bytes, max_text_chars: int) -> Article | BadArticle:
    try:
        # Depth first: every parser below recurses per nesting level (RecursionError at ~1,000).
        too_deep = check_depth(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        return BadArticle("not_utf8", f"byte {err.start} is not UTF-8: {err.reason}")
    if too_deep is not None:
        return too_deep
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
    obj: Any = load_json(raw)  # raises BadArticle (not_utf8, too_deep, not_json)
    if not isinstance(obj, dict):
        return BadArticle("not_an_object", f"a JSON {type(obj).__name__}, not an object")
    article_id = obj.get("id")
    if article_id is None or article_id == "":
        return BadArticle("missing_id", "no 'id' field")
    body = obj.get("text", obj.get("body"))
    if body is None:
        return BadArticle("no_text", f"article {article_id!r} has no 'text' (or 'body') field")
    return BadArticle("wrong_type", short(_first_error(exc)))


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:  # pragma: no cover - pydantic always reports at least one
        return str(exc)
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "article"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"
