"""15-minute delivery and metering intervals, in UTC.

Rules:

- An interval is named by its start, written exactly as ``YYYY-MM-DDTHH:MM:SSZ``
  (ISO-8601 / RFC 3339, UTC, ``Z`` suffix, whole seconds, no offset, no fraction),
  e.g. ``2026-03-01T09:15:00Z``. One spelling per instant, so interval starts can be
  compared, sorted and used in ledger keys as plain strings.
- An interval start is aligned to 15 minutes: minute in {0, 15, 30, 45} and second 0;
  otherwise ``interval 2026-03-01T09:07:00Z is not aligned to 15 minutes``.
- The interval starting at *s* covers ``[s, s + 15 min)``; a day has 96 of them.
- A period ``[start, end)`` holds the intervals ``start, start + 15 min, ...`` before
  *end*; both ends must be aligned and *end* must not precede *start*.
- A timestamp (an order's ``placed_at``, a transaction time) is RFC 3339 UTC with
  ``Z`` and an optional fraction of 1-9 digits, as Fabric's transaction timestamps
  are written (``2026-03-01T09:30:00.123Z``); :func:`timestamp_ns` orders them
  exactly, to the nanosecond (string order would be wrong: ``.`` sorts before ``Z``).
- A date is ``YYYY-MM-DD`` and stands for the UTC day starting at its midnight.

Only ``datetime`` with ``timezone.utc`` is used: no local time, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from .errors import IntervalError

__all__ = [
    "INTERVAL",
    "INTERVALS_PER_DAY",
    "INTERVAL_MINUTES",
    "check_interval_start",
    "compact_interval",
    "date_start",
    "format_instant",
    "interval_containing",
    "iter_intervals",
    "minute_of_day",
    "next_interval",
    "parse_date",
    "parse_instant",
    "parse_interval_start",
    "timestamp_ns",
]

INTERVAL_MINUTES = 15
INTERVAL = timedelta(minutes=INTERVAL_MINUTES)
INTERVALS_PER_DAY = 24 * 60 // INTERVAL_MINUTES

_EXAMPLE = "2026-03-01T09:15:00Z"
_INSTANT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def _not_a_time(what: str, text: object) -> IntervalError:
    return IntervalError(f"{what} '{text}' is not an iso-8601 utc time like {_EXAMPLE}")


def _datetime(what: str, text: str, pattern: re.Pattern[str]) -> tuple[datetime, str | None]:
    match = pattern.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise _not_a_time(what, text)
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise _not_a_time(what, text) from None
    fraction = match.group(7) if pattern is _TIMESTAMP else None
    return moment, fraction


def parse_instant(text: str, what: str = "time") -> datetime:
    """The UTC ``datetime`` of *text* written ``YYYY-MM-DDTHH:MM:SSZ``.

    *what* names the value in the error message:
    ``interval '2026-03-01 09:15' is not an iso-8601 utc time like 2026-03-01T09:15:00Z``.
    """
    return _datetime(what, text, _INSTANT)[0]


def format_instant(moment: datetime) -> str:
    """*moment* (timezone-aware, UTC, whole seconds) as ``YYYY-MM-DDTHH:MM:SSZ``."""
    if moment.utcoffset() != timedelta(0) or moment.microsecond:
        raise IntervalError(f"time {moment.isoformat()} is not a whole-second utc time")
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _is_aligned(moment: datetime) -> bool:
    return moment.minute % INTERVAL_MINUTES == 0 and moment.second == 0


def parse_interval_start(text: str, what: str = "interval") -> datetime:
    """The UTC ``datetime`` of the interval start *text*, which must be aligned.

    ``interval 2026-03-01T09:07:00Z is not aligned to 15 minutes``.
    """
    moment = parse_instant(text, what)
    if not _is_aligned(moment):
        raise IntervalError(f"{what} {text} is not aligned to 15 minutes")
    return moment


def check_interval_start(text: str, what: str = "interval") -> str:
    """*text* unchanged if it is a well-formed, aligned interval start."""
    parse_interval_start(text, what)
    return text


def interval_containing(moment: datetime) -> str:
    """The start of the interval that contains the UTC *moment* (rounded down)."""
    if moment.utcoffset() != timedelta(0):
        raise IntervalError(f"time {moment.isoformat()} is not in utc")
    start = moment.replace(
        minute=moment.minute - moment.minute % INTERVAL_MINUTES, second=0, microsecond=0
    )
    return format_instant(start)


def next_interval(start: str) -> str:
    """The interval start that follows *start*."""
    return format_instant(parse_interval_start(start) + INTERVAL)


def compact_interval(start: str) -> str:
    """*start* in the compact form of ids: ``2026-03-01T09:15:00Z`` -> ``20260301T0915Z``."""
    moment = parse_interval_start(start)
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}T{moment.hour:02d}{moment.minute:02d}Z"
    )


def minute_of_day(start: str) -> int:
    """Minutes since UTC midnight of the interval start *start* (0, 15, ..., 1425)."""
    moment = parse_interval_start(start)
    return moment.hour * 60 + moment.minute


def iter_intervals(start: str, end: str) -> Iterator[str]:
    """The interval starts of the period ``[start, end)``, in time order.

    Both bounds are aligned interval starts; ``start == end`` is an empty period;
    ``period 2026-03-02T00:00:00Z/2026-03-01T00:00:00Z ends before it starts``.
    """
    first = parse_interval_start(start)
    stop = parse_interval_start(end)
    if stop < first:
        raise IntervalError(f"period {start}/{end} ends before it starts")
    moment = first
    while moment < stop:
        yield format_instant(moment)
        moment += INTERVAL


def timestamp_ns(text: str, what: str = "timestamp") -> int:
    """Nanoseconds since 1970-01-01T00:00:00Z of the RFC 3339 UTC timestamp *text*.

    Accepts a fraction of 1-9 digits (``2026-03-01T09:30:00.5Z``); the result is exact.
    """
    moment, fraction = _datetime(what, text, _TIMESTAMP)
    seconds = (moment - _EPOCH) // _SECOND
    return seconds * 1_000_000_000 + int((fraction or "").ljust(9, "0"))


def parse_date(text: str, what: str = "date") -> date:
    """The ``date`` of *text* written ``YYYY-MM-DD``.

    ``date '1 march' is not an iso-8601 date like 2026-03-01``.
    """
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    try:
        if match is None:
            raise ValueError(text)
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise IntervalError(f"{what} '{text}' is not an iso-8601 date like 2026-03-01") from None


def date_start(day: str) -> str:
    """The first interval start of the UTC *day* (``2026-03-01`` -> ``2026-03-01T00:00:00Z``)."""
    return parse_date(day).isoformat() + "T00:00:00Z"
