"""Dead-letter records: what can never be enriched or indexed, kept with its reason so it can be replayed.

Pure record construction and rendering; the Kafka reading/sending lives in ``commands.py``.
The original bytes travel base64-encoded inside a JSON ``Rejected`` record because they may be neither
UTF-8 nor JSON; the dead-letter message keeps the original key, so a replay keeps the article's
partition and ordering.

Size: base64 makes the original a third larger, so a raw message near the topic limit would make a dead
letter over it. ``encode_rejected(record, limit)`` cuts the original to fit (``original_truncated``); the
record always keeps the whole original's SHA-256, size and origin (topic, partition, offset, key), which
is enough to find it on the raw topic while its retention lasts.

Replay: every letter has a ``letter_id``; ``dead-letters replay`` sends the original with the headers
``REPLAY_OF`` (the letter id), ``REPLAY_REASON`` and ``REPLAY_COUNT``. A replayed message that fails
again for the same reason writes no new letter (the one on the topic still says it all); for another
reason, a new letter with the same id and ``replays`` + 1, which ``latest_letters`` shows instead.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from pipeline.models import Rejected

REPLAY_OF = "quotewire-replay-of"
REPLAY_REASON = "quotewire-replay-reason"
REPLAY_COUNT = "quotewire-replays"

# An article id is a few dozen characters; a key beyond this is kept as its start only (the record must
# fit its limit whatever the producer sent).
KEY_CHARS = 1_000


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a message was read: its topic, partition, offset and key."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class Replay:
    """A message re-sent by ``dead-letters replay``: the letter it came from and that letter's reason."""

    letter_id: str
    reason: str
    replays: int = 0


def letter_id(origin: Origin, digest: str | None) -> str:
    """Stable per original message: where it was read and what it held."""
    where = f"{origin.topic}\x00{origin.partition}\x00{origin.offset}\x00{digest}"
    return hashlib.sha256(where.encode("utf-8")).hexdigest()[:32]


def make_rejected(
    original: bytes | None,
    reason: str,
    detail: str,
    origin: Origin,
    now: datetime | None = None,
    replay: Replay | None = None,
) -> Rejected:
    """The dead-letter record for one message (``replay``: it was a replayed letter that failed again)."""
    digest = None if original is None else hashlib.sha256(original).hexdigest()
    key = None if origin.key is None else origin.key.decode("utf-8", errors="replace")[:KEY_CHARS]
    return Rejected(
        reason=reason,
        detail=detail,
        topic=origin.topic,
        partition=origin.partition,
        offset=origin.offset,
        key=key,
        original_b64=None if original is None else base64.b64encode(original).decode("ascii"),
        rejected_at=now or datetime.now(UTC),
        original_sha256=digest,
        original_size=None if original is None else len(original),
        letter_id=replay.letter_id if replay else letter_id(origin, digest),
        replays=replay.replays + 1 if replay else 0,
    )


def encode_rejected(rejected: Rejected, limit: int | None = None) -> bytes:
    """The record as JSON, at most ``limit`` bytes: if it is larger, the original is cut to fit (whole
    base64 quads, so what is kept decodes) and ``original_truncated`` is set; digest, size and origin
    stay. Raises ValueError only if the record is over the limit with no original left at all."""
    data = rejected.model_dump_json().encode("utf-8")
    if limit is None or len(data) <= limit:
        return data
    b64 = rejected.original_b64 or ""
    shell = rejected.model_copy(update={"original_b64": "", "original_truncated": True})
    room = limit - len(shell.model_dump_json().encode("utf-8"))
    if room < 0:
        raise ValueError(f"a dead letter without its original is still {-room} bytes over {limit}")
    cut = rejected.model_copy(update={"original_b64": b64[: room // 4 * 4], "original_truncated": True})
    return cut.model_dump_json().encode("utf-8")


def decode_rejected(raw: bytes | None) -> Rejected | None:
    """A dead-letter message back to its record; None for anything that is not one."""
    if raw is None:
        return None
    try:
        return Rejected.model_validate_json(raw)
    except ValidationError:
        return None


def latest_letters(records: Iterable[Rejected | None]) -> list[Rejected]:
    """One record per letter, the latest written, in the order letters first appeared (records of
    before letter ids each stand alone)."""
    latest: dict[object, Rejected] = {}
    for position, record in enumerate(records):
        if record is None:
            continue
        latest[record.letter_id or ("legacy", position)] = record
    return list(latest.values())


def replay_headers(letter: Rejected) -> list[tuple[str, bytes]]:
    """The Kafka headers a replayed original carries, so the worker knows which letter it was."""
    return [
        (REPLAY_OF, (letter.letter_id or "").encode()),
        (REPLAY_REASON, letter.reason.encode()),
        (REPLAY_COUNT, str(letter.replays).encode()),
    ]


def original_bytes(rejected: Rejected) -> bytes | None:
    """The original value (None: it was a tombstone)."""
    return None if rejected.original_b64 is None else base64.b64decode(rejected.original_b64)


def describe(rejected: Rejected, width: int = 100) -> str:
    """One human line: when, why, where from, and the start of the original."""
    where = f"{rejected.topic}[{rejected.partition}]@{rejected.offset}" if rejected.topic else "(unknown)"
    original = original_bytes(rejected)
    preview = "(no value)" if original is None else repr(original[:60].decode("utf-8", errors="replace"))
    if rejected.original_truncated:
        preview += (
            f" (cut to fit; whole original {rejected.original_size} bytes, sha256 {rejected.original_sha256})"
        )
    detail = rejected.detail if len(rejected.detail) <= width else rejected.detail[: width - 1] + "…"
    key = f" key={rejected.key}" if rejected.key else ""
    replays = f" replayed {rejected.replays}x" if rejected.replays else ""
    return (
        f"{rejected.rejected_at:%Y-%m-%d %H:%M:%S} {rejected.reason:<14} {where}{key}{replays}\n"
        f"    {detail}\n    original: {preview.replace(chr(10), ' ')}"
    )
