"""Message headers: what each Kafka message says about its value (``content-type``) and which contract
it follows (``contract``, e.g. ``quotewire.article/1``).

Producers other than ``quotewire feed`` may omit both: a value without ``content-type`` is sniffed
(JSON if it parses as JSON, plain wire text otherwise). A ``contract`` of a newer major version than
this code reads is refused with reason ``unsupported_contract`` instead of being half-read.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pipeline.errors import BadArticle

CONTENT_TYPE = "content-type"
CONTRACT = "contract"

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"

# Major versions: bumped only by a change an old reader would misread (a field renamed or retyped).
ARTICLE_CONTRACT = "quotewire.article/1"
ENRICHED_CONTRACT = "quotewire.enriched-article/1"
REJECTED_CONTRACT = "quotewire.rejected/1"
CONTRACTS = (ARTICLE_CONTRACT, ENRICHED_CONTRACT, REJECTED_CONTRACT)

Headers = Mapping[str, bytes]
Kind = Literal["json", "text"]


def headers_for(contract: str, content_type: str = JSON) -> list[tuple[str, bytes]]:
    """The headers a message of ``contract`` is produced with (aiokafka's list-of-pairs form)."""
    return [(CONTENT_TYPE, content_type.encode()), (CONTRACT, contract.encode())]


def read_headers(
    raw: Iterable[tuple[str, bytes | None]] | Mapping[str, bytes | None] | None,
) -> dict[str, bytes]:
    """Kafka headers (a list of pairs or a mapping, as clients give them) -> lower-case name -> value."""
    if not raw:
        return {}
    pairs = raw.items() if isinstance(raw, Mapping) else raw
    return {str(name).lower(): value for name, value in pairs if value is not None}


@dataclass(frozen=True, slots=True)
class ContentType:
    kind: Kind
    charset: str = "utf-8"


def content_type(headers: Headers) -> ContentType | None:
    """What the ``content-type`` header says (None: no header, sniff). Raises BadArticle for a media type
    that is not an article format."""
    value = headers.get(CONTENT_TYPE)
    if value is None:
        return None
    text = value.decode("latin-1").strip().lower()
    media, _, params = text.partition(";")
    media = media.strip()
    charset = "utf-8"
    for param in params.split(";"):
        name, _, val = param.partition("=")
        if name.strip() == "charset" and val.strip():
            charset = val.strip().strip('"')
    try:
        charset = codecs.lookup(charset).name
    except LookupError:
        raise BadArticle("unsupported_content_type", f"unknown charset {charset!r}") from None
    if media == "application/json" or media.endswith("+json"):
        return ContentType("json")  # JSON is UTF-8 (RFC 8259)
    if media == "text/plain":
        return ContentType("text", charset)
    raise BadArticle(
        "unsupported_content_type", f"content-type {text!r}: articles are application/json or text/plain"
    )


def check_contract(headers: Headers, expected: str = ARTICLE_CONTRACT) -> None:
    """Raises BadArticle if the ``contract`` header names another contract or a newer major version."""
    value = headers.get(CONTRACT)
    if value is None:
        return
    text = value.decode("latin-1").strip()
    name, _, major = text.partition("/")
    want_name, _, want_major = expected.partition("/")
    if name != want_name or not major.isdigit() or int(major) > int(want_major):
        raise BadArticle("unsupported_contract", f"contract {text!r}; this worker reads {expected}")
