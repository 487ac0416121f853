"""Input formats -> the ``Article`` contract's fields (a plain dict, validated by ``decode``).

* a quotewire article object: ``id``, ``text`` (or ``body``), ``headline``, ``published``, ``version``,
  ``source``, ``url``, ``received``, ``language``, ``warnings``; other fields are dropped;
* an IPTC **ninjs** object: ``uri``/``guid`` -> id, ``body_text`` or ``body_html`` (tags stripped) ->
  text, ``firstcreated`` -> published, ``versioncreated`` -> version, ``copyrightholder`` -> source, a
  canonical/self link -> url;
* plain wire text: the whole text as received (offsets stay true), the date from its ``date
  YYYY-MM-DD`` header, the source from its dateline agency, the id by ``text_article_id``.

Dates are left as the producer wrote them; ``decode`` reads them (``dates.read_date``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time
from hashlib import sha256
from html.parser import HTMLParser
from typing import Any

from pipeline.ingest.normalize import parse_wire_header

ARTICLE_FIELDS = (
    "id",
    "headline",
    "published",
    "version",
    "source",
    "url",
    "received",
    "language",
    "warnings",
)


def is_ninjs(obj: Mapping[str, Any]) -> bool:
    return (
        "text" not in obj
        and "body" not in obj
        and any(k in obj for k in ("uri", "guid", "body_text", "body_html", "versioncreated"))
    )


def object_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An article or ninjs object -> the contract's fields (None where absent). Never raises."""
    if is_ninjs(obj):
        body = obj.get("body_text")
        if body is None and isinstance(obj.get("body_html"), str):
            body = strip_html(obj["body_html"])
        fields: dict[str, Any] = {
            "id": obj.get("uri") or obj.get("guid"),
            "text": body,
            "headline": obj.get("headline"),
            "published": obj.get("firstcreated"),
            "version": obj.get("versioncreated"),
            "source": obj.get("copyrightholder") or obj.get("source"),
            "url": _ninjs_url(obj),
            "language": obj.get("language"),
        }
    else:
        fields = {name: obj.get(name) for name in ARTICLE_FIELDS}
        fields["text"] = obj.get("text", obj.get("body"))
    return {k: v for k, v in fields.items() if v is not None}


def _ninjs_url(obj: Mapping[str, Any]) -> str | None:
    links = obj.get("links")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict) and link.get("rel") in ("canonical", "self") and link.get("href"):
            return str(link["href"])
    uri = obj.get("uri")
    return uri if isinstance(uri, str) and uri.startswith(("http://", "https://")) else None


class _TextOfHtml(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def strip_html(html: str) -> str:
    """ninjs ``body_html`` -> plain text, block elements as paragraph breaks."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --------------------------------------------------------------------------------------------
# Plain wire text and its id
# --------------------------------------------------------------------------------------------

# The wire's own id in a header line ("ID: urn:newsml:...", "Slug: grain-talks").
_ID_LINE = re.compile(
    r"^[ \t]*(?:id|guid|uri|story[ -]?id)[ \t]*[:=][ \t]*(?P<id>\S{3,200})[ \t]*$", re.I | re.M
)
_SLUG_LINE = re.compile(
    r"^[ \t]*(?:slug|keyword)[ \t]*[:=][ \t]*(?P<slug>\S(?:.{0,118}\S)?)[ \t]*$", re.I | re.M
)
# AP-style slug lines: "BC-EU-Grain-Talks,0412", "AM-Ukraine-Grain".
_AP_SLUG = re.compile(r"^[ \t]*(?P<slug>(?:BC|AM|PM)-[A-Za-z0-9][\w-]{2,100})(?:,\d+)?[ \t]*$", re.M)
# Where a wire puts its own ids: the first lines. Never search a whole (possibly huge) text.
_HEAD_CHARS = 600
# How much of the story names it when nothing else does: the first two lines (dateline and lead: two
# stories that share them are one story; a correction further down keeps the id, and supersedes).
_DIGEST_LINES = 2
_DIGEST_HEX = 10  # 40 bits: two different stories under one file name collide once in a trillion


def _wire_id(head: str, published: str | None) -> str | None:
    match = _ID_LINE.search(head)
    if match:
        return match.group("id")
    return None


def _wire_slug(head: str, published: str | None) -> str | None:
    match = _SLUG_LINE.search(head) or _AP_SLUG.search(head)
    if match is None:
        return None
    slug = re.sub(r"\s+", "-", match.group("slug").strip())
    # A slug names a story for a day ("BC-Grain-Talks" comes back tomorrow with other news).
    return f"{slug}:{published[:10]}" if published else slug


# Named rules, in order: the first that finds something names the story.
ID_RULES: tuple[tuple[str, Callable[[str, str | None], str | None]], ...] = (
    ("wire_id", _wire_id),
    ("wire_slug", _wire_slug),
)


def first_lines_digest(text: str) -> str:
    lines = [line.strip() for line in text[:4_000].splitlines() if line.strip()][:_DIGEST_LINES]
    return sha256("\n".join(lines).encode("utf-8")).hexdigest()[:_DIGEST_HEX]


def text_article_id(text: str, name: str | None, source: str | None, published: str | None) -> str:
    """The id of a plain-text story: the wire's own id or slug when the text has one, else source + file
    name + a digest of the first lines (two stories under one file name never collide; a corrected
    version that keeps its opening lines keeps its id, and supersedes)."""
    head = text[:_HEAD_CHARS]
    for _rule, find in ID_RULES:
        found = find(head, published)
        if found:
            return found
    parts = [source, name, first_lines_digest(text)]
    return ":".join(p for p in parts if p)


def wire_text_fields(text: str, name: str | None = None, key: str | None = None) -> dict[str, Any]:
    """Plain wire copy -> contract fields. ``name``: the file name without extension; ``key``: the
    producer's id (a Kafka key), which wins over anything read from the text."""
    header = parse_wire_header(text)
    fields: dict[str, Any] = {"text": text}
    if header.published is not None:
        fields["published"] = datetime.combine(header.published, time(0, 0), UTC).isoformat()
    if header.agency:
        fields["source"] = header.agency
    fields["id"] = key or text_article_id(text, name, fields.get("source"), fields.get("published"))
    return fields
