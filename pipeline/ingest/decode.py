"""Raw bytes (a Kafka message value, a line of a file) -> ``Article`` or ``BadArticle``: the one edge
where every entry point's input is validated (the worker, ``quotewire feed``, ``quotewire enrich``).

Never raises. Bad input comes back as a ``BadArticle`` with a short reason code, the one the dead-letter
topic carries and ``feed``/``enrich`` print:

``not_utf8``, ``not_json``, ``not_an_object``, ``missing_id``, ``no_text``, ``empty_text``, ``wrong_type``
(a field of the wrong type, e.g. a number as ``text``), ``oversize`` (text longer than
``Settings.max_text_chars``), ``too_deep`` (JSON nested deeper than ``jsonvalue.MAX_DEPTH``: refused
before any parser recurses into it), ``unsupported_content_type``, ``unsupported_contract`` and
``undecodable`` (anything else a parser raised: contained here so one message never stops the stream).

What is *not* a reason to lose an article: a date that cannot be read (or lies in the future) becomes
``published: null`` plus a ``warnings`` entry; a language other than English is detected, stored and
warned about.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from pipeline.errors import BadArticle
from pipeline.ingest.contracts import Headers, check_contract, content_type
from pipeline.ingest.dates import read_date
from pipeline.ingest.formats import object_fields, wire_text_fields
from pipeline.ingest.jsonvalue import load_json, short
from pipeline.ingest.language import detect_language, language_warning
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
    "unsupported_content_type",
    "unsupported_contract",
    "undecodable",
)

# Warning prefixes: counted by kind (metrics), shown to people as they are.
DATE_WARNING = "date"
LANGUAGE_WARNING = "language"


def decode_article(
    raw: bytes | None,
    max_text_chars: int,
    *,
    headers: Headers | None = None,
    key: bytes | str | None = None,
    received: datetime | None = None,
) -> Article | BadArticle:
    """Decode one message value. ``headers`` choose the format (``content-type``; sniffed without one),
    ``key`` is the id of a plain-text article, ``received`` places an undated one. Never raises."""
    if raw is None:  # a tombstone or an empty produce: nothing to enrich
        return BadArticle("not_json", "empty message (no value)")
    try:
        return _decode(raw, max_text_chars, headers or {}, key, received)
    except BadArticle as bad:
        return bad
    except Exception as exc:  # a parser bug or a case nobody foresaw: this message only, never the stream
        log.warning("undecodable message: %r", exc)
        return BadArticle("undecodable", short(f"{type(exc).__name__}: {exc}"))


def _decode(
    raw: bytes, max_text_chars: int, headers: Headers, key: bytes | str | None, received: datetime | None
) -> Article | BadArticle:
    check_contract(headers)
    declared = content_type(headers)
    if declared is not None and declared.kind == "text":
        try:
            text = raw.decode(declared.charset)
        except UnicodeDecodeError as err:
            raise BadArticle(
                "not_utf8", f"byte {err.start} is not {declared.charset}: {err.reason}"
            ) from None
        return decode_text(text, max_text_chars, key=_key_text(key), received=received)
    if declared is None and not _looks_like_json(raw):
        # No content-type and not JSON: plain wire text straight from a producer (README: "JSON or text").
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise BadArticle("not_utf8", f"byte {err.start} is not UTF-8: {err.reason}") from None
        return decode_text(text, max_text_chars, key=_key_text(key), received=received)
    return decode_object(load_json(raw), max_text_chars, received=received)


def _looks_like_json(raw: bytes) -> bool:
    """Sniffing without a header: an object or array, or any value that parses as JSON, is JSON."""
    head = raw.lstrip()[:1]
    if head in (b"{", b"[", b""):
        return True
    try:
        load_json(raw)
    except BadArticle:
        return False
    return True


def _key_text(key: bytes | str | None) -> str | None:
    if isinstance(key, bytes):
        key = key.decode("utf-8", errors="replace")
    return key.strip() or None if key else None


def decode_text(
    text: str,
    max_text_chars: int,
    *,
    name: str | None = None,
    key: str | None = None,
    received: datetime | None = None,
) -> Article | BadArticle:
    """Plain wire copy (a ``.txt`` file named ``name``, or a ``text/plain`` message keyed ``key``)."""
    if not text.strip():
        return BadArticle("empty_text", "the text is blank")
    if len(text) > max_text_chars:
        return _oversize(name or key or "text", len(text), max_text_chars)
    return _article(wire_text_fields(text, name=name, key=key), max_text_chars, received)


def decode_object(obj: Any, max_text_chars: int, *, received: datetime | None = None) -> Article | BadArticle:
    """One parsed JSON value (an article or ninjs object) -> Article | BadArticle."""
    if not isinstance(obj, dict):
        return BadArticle("not_an_object", f"a JSON {type(obj).__name__}, not an object")
    return _article(object_fields(obj), max_text_chars, received)


def _article(fields: dict[str, Any], max_text_chars: int, received: datetime | None) -> Article | BadArticle:
    article_id = fields.get("id")
    if article_id is None or article_id == "":
        return BadArticle("missing_id", "no 'id' field")
    if "text" not in fields:
        return BadArticle("no_text", f"article {article_id!r} has no 'text' (or 'body') field")
    warnings = fields.get("warnings")
    warnings = list(warnings) if isinstance(warnings, list) else []
    try:
        when = read_date(fields.get("received")) or received or datetime.now(UTC)
    except ValueError:
        when = received or datetime.now(UTC)
    fields["received"] = when
    for name in ("published", "version"):
        try:
            fields[name] = read_date(fields.get(name), when)
        except ValueError as exc:
            fields[name] = None
            warnings.append(f"{DATE_WARNING}: {name} {exc}")
    fields["warnings"] = warnings
    try:
        article = Article.model_validate(fields)
    except ValidationError as exc:
        return BadArticle("wrong_type", short(_first_error(exc)))
    return _checked(article, max_text_chars)


def _checked(article: Article, max_text_chars: int) -> Article | BadArticle:
    if not article.text.strip():
        return BadArticle("empty_text", f"article {article.id!r} has only whitespace as text")
    if len(article.text) > max_text_chars:
        return _oversize(repr(article.id), len(article.text), max_text_chars)
    if article.language:  # the producer said which language: trusted
        return article
    language = detect_language(article.text)
    warning = language_warning(language)
    warnings = [*article.warnings, warning] if warning else article.warnings
    return article.model_copy(update={"language": language, "warnings": warnings})


def _oversize(what: str, chars: int, max_text_chars: int) -> BadArticle:
    return BadArticle(
        "oversize",
        f"article {what} has {chars} characters of text; "
        f"the limit is {max_text_chars} (QUOTEWIRE_MAX_TEXT_CHARS)",
    )


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:  # pragma: no cover - pydantic always reports at least one
        return str(exc)
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "article"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def warning_kinds(warnings: list[str] | tuple[str, ...]) -> Mapping[str, int]:
    """Warnings by kind (the word before the first colon): what metrics count."""
    kinds: dict[str, int] = {}
    for warning in warnings:
        kind = warning.partition(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds
