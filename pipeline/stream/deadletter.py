"""Dead-letter records: what can never be enriched or indexed, kept with its reason so it can be replayed.

Pure record construction and rendering; the Kafka reading/sending lives in ``commands.py``.
The original bytes travel base64-encoded inside a JSON ``Rejected`` record because they may be neither
UTF-8 nor JSON; the dead-letter message keeps the original key, so a replay keeps the article's
partition and ordering.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from pipeline.models import Rejected


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a message was read: its topic, partition, offset and key."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: bytes | None = None


def make_rejected(
    original: bytes | None, reason: str, detail: str, origin: Origin, now: datetime | None = None
) -> Rejected:
    """The dead-letter record for one message."""
    return Rejected(
        reason=reason,
        detail=detail,
        topic=origin.topic,
        partition=origin.partition,
        offset=origin.offset,
        key=None if origin.key is None else origin.key.decode("utf-8", errors="replace"),
        original_b64=base64.b64encode(original or b"").decode("ascii"),
        rejected_at=now or datetime.now(UTC),
    )


def encode_rejected(rejected: Rejected) -> bytes:
    return rejected.model_dump_json().encode("utf-8")


def decode_rejected(raw: bytes | None) -> Rejected | None:
    """A dead-letter message back to its record; None for anything that is not one."""
    if raw is None:
        return None
    try:
        return Rejected.model_validate_json(raw)
    except ValidationError:
        return None


def original_bytes(rejected: Rejected) -> bytes:
    return base64.b64decode(rejected.original_b64)


def describe(rejected: Rejected, width: int = 100) -> str:
    """One human line: when, why, where from, and the start of the original."""
    where = f"{rejected.topic}[{rejected.partition}]@{rejected.offset}" if rejected.topic else "(unknown)"
    preview = original_bytes(rejected)[:60].decode("utf-8", errors="replace").replace("\n", " ")
    detail = rejected.detail if len(rejected.detail) <= width else rejected.detail[: width - 1] + "…"
    key = f" key={rejected.key}" if rejected.key else ""
    return (
        f"{rejected.rejected_at:%Y-%m-%d %H:%M:%S} {rejected.reason:<14} {where}{key}\n"
        f"    {detail}\n    original: {preview!r}"
    )
