"""Contracts between the stages, in one place. Frozen pydantic models; JSON on the wire.

Offsets (``start``/``end``) are always Python ``str`` indices into ``Article.text`` as received.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

QuoteKind = Literal["direct", "mixed", "indirect"]
SpeakerType = Literal["PERSON", "ORG", "GPE", "NORP", "UNKNOWN"]


def parse_when(value: object) -> str | None:
    """A wire date as ISO 8601 with a time zone; None for no date. Raises ValueError if unreadable.

    Accepts ISO 8601 (``Z`` too), a bare date, RFC 2822 (``Thu, 17 Aug 2023 10:00:00 +0000``) and the
    Reuters style ``26-FEB-1987 15:01:01.79``; naive times are taken as UTC.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"unreadable date {value!r}")
    text = value.strip()
    when: datetime | None = None
    with suppress(ValueError):
        when = datetime.fromisoformat(text)
    if when is None:
        for fmt in ("%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y"):
            try:
                when = datetime.strptime(text.title(), fmt)
                break
            except ValueError:
                continue
    if when is None:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"unreadable date {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat()


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Article(_Record):
    """One wire article as delivered. ``body`` is accepted for ``text``."""

    id: str = Field(min_length=1)
    text: str = Field(validation_alias=AliasChoices("text", "body"))
    headline: str | None = None
    published: datetime | None = None
    # The version of this article (ninjs ``versioncreated``); later versions replace earlier ones.
    version: datetime | None = None
    source: str | None = None
    url: str | None = None

    @field_validator("published", "version", mode="before")
    @classmethod
    def _wire_date(cls, value: object) -> object:
        # Wire feeds write dates in several styles (Reuters' ``26-FEB-1987 15:01:01.79``, RFC 2822);
        # read them all at the edge rather than dead-lettering an article over its date format.
        return parse_when(value) if isinstance(value, str) else value


class Entity(_Record):
    text: str
    label: str
    start: int
    end: int
    canonical: str


class Speaker(_Record):
    name: str | None = None
    mention: str | None = None
    type: SpeakerType = "UNKNOWN"
    role: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


class Quote(_Record):
    text: str
    start: int
    end: int
    kind: QuoteKind
    cue: str | None = None
    speaker: Speaker = Field(default_factory=Speaker)
    countries: list[str] = Field(default_factory=list)


class EnrichedArticle(_Record):
    id: str
    text: str
    headline: str | None = None
    published: datetime | None = None
    version: datetime | None = None
    source: str | None = None
    url: str | None = None
    entities: list[Entity] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)


class Rejected(_Record):
    """A message that can never be enriched, as written to the dead-letter topic."""

    reason: str
    detail: str
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    # The original bytes, base64-encoded: they may not be UTF-8 or JSON at all.
    original_b64: str
    rejected_at: datetime
