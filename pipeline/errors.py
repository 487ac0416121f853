"""Failure classes: what can never succeed vs what may succeed on retry."""

from __future__ import annotations


class QuotewireError(Exception):
    """Base class for quotewire's own failures."""


class BadArticle(QuotewireError):  # noqa: N818 -- the domain name (STYLE.md), not "BadArticleError"
    """Input that can never be enriched (malformed, empty, oversize): goes to the dead-letter topic.

    ``reason`` is a short machine-readable code (``not_json``, ``no_text``, ...); the message is for humans.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class TransientError(QuotewireError):
    """A failure that may pass on retry (Elasticsearch 429/5xx, timeouts, broker unavailable)."""


class DevstackError(QuotewireError):
    """The local Kafka/Elasticsearch stack could not be started, checked or stopped."""


class RecordRefused(QuotewireError):  # noqa: N818 -- says what happened to the record, like BadArticle
    """Kafka refused a record for good (over a size limit, an invalid topic): sending it again cannot
    help, so the worker sends what it can instead (a smaller record, a dead letter)."""
