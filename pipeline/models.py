"""Contracts between the stages, in one place. Frozen pydantic models; JSON on the wire.

Offsets (``start``/``end``) are always Python ``str`` indices into ``Article.text`` as received.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

QuoteKind = Literal["direct", "mixed", "indirect"]
SpeakerType = Literal["PERSON", "ORG", "GPE", "NORP", "UNKNOWN"]
# How far a speaker may be trusted; docs/enrichment.md gives the measured precision of each level.
SpeakerConfidence = Literal["high", "medium", "low"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Article(_Record):
    """One wire article as delivered. ``body`` is accepted for ``text``.

    Wire formats and their date styles are read by ``pipeline.ingest`` (the one edge every entry point
    uses), which hands this model ISO dates; an unreadable date arrives here as ``None`` plus a warning.
    """

    id: str = Field(min_length=1)
    text: str = Field(validation_alias=AliasChoices("text", "body"))
    headline: str | None = None
    published: datetime | None = None
    # The version of this article (ninjs ``versioncreated``); later versions replace earlier ones.
    version: datetime | None = None
    source: str | None = None
    url: str | None = None
    # When the pipeline first received it: where an undated article is placed on the timeline.
    received: datetime | None = None
    # ISO 639-1 (``en``, ``de`` ...) or ``und``; detected at the edge unless the producer gave it.
    language: str | None = None
    # What was wrong with the input without costing the article (an unreadable date, a language the
    # enrichment does not read), one human line each, prefixed by its kind (``date: ...``).
    warnings: list[str] = Field(default_factory=list)


class Entity(_Record):
    text: str
    label: str
    start: int
    end: int
    canonical: str


# Which evidence gave a speaker's country, most specific first (pipeline.nlp.profiles): their title or
# office, their organisation, a town the article ties them to, the dateline, the article as a whole;
# "person" is not article evidence: the people registry's established country for a speaker the article
# gives none (pipeline.people.linking), so it is never confused with what the article says.
CountrySource = Literal["role", "organisation", "place", "dateline", "article", "person"]


# The form of a person_id (pipeline.people.linking.person_id_for): "p-" and 16 hex digits, so a search by
# person can tell an id from a name.
PERSON_ID_PATTERN = r"^p-[0-9a-f]{16}$"


class Speaker(_Record):
    name: str | None = None
    mention: str | None = None
    type: SpeakerType = "UNKNOWN"
    role: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    country_source: CountrySource | None = None
    # Evidence: the resolution rule that chose the speaker ("person_named", "pronoun.recent_speaker", ...,
    # pipeline.nlp.speakers), the offsets of the mention it read (None for a quote with no mention of
    # its own, a floating quote), and the confidence the rule earns on the evaluation sets.
    rule: str | None = None
    mention_start: int | None = None
    mention_end: int | None = None
    confidence: SpeakerConfidence | None = None
    # The person in the people registry (pipeline.people) this speaker was linked to in the worker;
    # None before linking, for an unnamed speaker, or a mention too ambiguous to link.
    person_id: str | None = None


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
    received: datetime | None = None
    language: str | None = None
    warnings: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    # Statements found but not reported because of the enrichment's designed limits (quotes per
    # article, statements over one character: pipeline/nlp/quotes.py MAX_QUOTES_PER_ARTICLE,
    # MAX_QUOTE_DEPTH). Non-zero only for hostile or freak text; the worker counts it in its metrics.
    quotes_capped: int = Field(default=0, ge=0)
    # Set only on the enriched topic's copy of an article too large for one Kafka record: how many
    # entities and quotes (from the end) and whether the text were left out to fit. The index has them all.
    omitted_entities: int = 0
    omitted_quotes: int = 0
    omitted_text: bool = False


class Rejected(_Record):
    """A message that can never be enriched, as written to the dead-letter topic."""

    reason: str
    detail: str
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    # The original bytes, base64-encoded: they may not be UTF-8 or JSON at all. None: the message had
    # no value (a tombstone), replayed as one.
    original_b64: str | None
    rejected_at: datetime
    # The whole original's SHA-256 and size, kept even when the original is cut to fit the dead-letter
    # topic's record limit (``original_truncated``: then it cannot be replayed from here).
    original_sha256: str | None = None
    original_size: int | None = None
    original_truncated: bool = False
    # One id per dead-lettered message, kept by every replay of it: `dead-letters list/replay` show the
    # latest letter per id, and a replay that fails again for the same reason writes no new letter.
    letter_id: str | None = None
    replays: int = 0  # how many times this letter's original was replayed and failed again
