"""Wire dates -> timezone-aware ``datetime``: the forms feeds really send, read by named rules.

Rules, tried in order (the first that reads the whole date wins):

* ``iso``      ISO 8601 (``2023-08-17T10:00:00Z``, ``2023-08-17``)
* ``rfc2822``  e-mail / RSS dates (``Thu, 17 Aug 2023 10:00:00 +0000``)
* ``reuters``  ``26-FEB-1987 15:01:01.79``, trailing junk ignored (``...08.40&#5;&#5;&#5;V RM``)
* ``dateutil`` anything else dateutil reads *completely* ("June 1, 2024", "1 June 2024"): a string that
  leaves the year, month or day to a default ("Tuesday", "9999") is not a date.

Naive times are taken as UTC. A date that none of the rules reads raises ``ValueError``; the decoder
turns that into ``published: null`` plus a warning, never a lost article. A date more than
``FUTURE_TOLERANCE`` after the moment the article was received is refused the same way: a story from
year 2999 would otherwise outrank every later correction of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

# Time zones, embargoed copy sent a little early: a day ahead is a clock, not a forgery.
FUTURE_TOLERANCE = timedelta(days=1)

_REUTERS = re.compile(r"\s*(\d{1,2}-[A-Za-z]{3}-\d{4})(?:\s+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?")
# Two defaults that differ in every date field: a part dateutil took from the default shows as a
# difference between the two readings.
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))
# Longer than any date anyone writes: the rules never scan a hostile megabyte.
_MAX_CHARS = 100


def _iso(text: str) -> datetime | None:
    with suppress(ValueError):
        return datetime.fromisoformat(text)
    return None


def _rfc2822(text: str) -> datetime | None:
    with suppress(TypeError, ValueError, IndexError):
        return parsedate_to_datetime(text)
    return None


def _reuters(text: str) -> datetime | None:
    match = _REUTERS.match(text)
    if match is None:
        return None
    day, clock = match.group(1).title(), match.group(2)
    for fmt, value in (
        ("%d-%b-%Y %H:%M:%S.%f", f"{day} {clock}"),
        ("%d-%b-%Y %H:%M:%S", f"{day} {clock}"),
        ("%d-%b-%Y %H:%M", f"{day} {clock}"),
        ("%d-%b-%Y", day),
    ):
        with suppress(ValueError):
            return datetime.strptime(value, fmt)
    return None


def _dateutil(text: str) -> datetime | None:
    readings: list[datetime] = []
    for default in _DEFAULTS:
        try:
            readings.append(dateutil_parser.parse(text, default=default))
        except (ValueError, OverflowError):  # ParserError is a ValueError
            return None
    first, second = readings
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # year, month or day came from the default: not a full date
    return first


DATE_RULES: tuple[tuple[str, Callable[[str], datetime | None]], ...] = (
    ("iso", _iso),
    ("rfc2822", _rfc2822),
    ("reuters", _reuters),
    ("dateutil", _dateutil),
)


def read_date(value: object, received: datetime | None = None) -> datetime | None:
    """A wire date as an aware ``datetime``; None for no date. Raises ValueError (with the reason) for a
    date that cannot be read or lies in the future (after ``received``, or now, plus a day)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        when: datetime | None = value
    elif isinstance(value, str):
        text = value.strip()[:_MAX_CHARS]
        when = next((w for _, rule in DATE_RULES if (w := rule(text)) is not None), None)
    else:
        raise ValueError(f"unreadable date {value!r}: not a string")
    if when is None:
        raise ValueError(f"unreadable date {value!r}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        when.astimezone(UTC)  # every consumer compares in UTC; year 1 at +14:00 has no UTC time
    except OverflowError:
        raise ValueError(f"date {value!r} is out of range") from None
    limit = (received or datetime.now(UTC)) + FUTURE_TOLERANCE
    if when > limit:
        raise ValueError(f"date {value!r} is in the future (after {limit:%Y-%m-%d %H:%M} UTC)")
    return when


def iso_date(value: object, received: datetime | None = None) -> str | None:
    """``read_date`` as an ISO 8601 string (the wire form of the contracts)."""
    when = read_date(value, received)
    return None if when is None else when.isoformat()
