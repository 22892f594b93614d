"""What a valid interval reading is: the one definition every layer checks against.

A reading is one meter's energy over one interval, imported from the grid and
exported to it, in whole watt-hours (Wh). The chaincode, the client, the API's
schemas and the Green Button code all take their rules from here:

- **Meter ids**: :data:`gridspec.ids.IDENTIFIER` (1-64 letters, digits, ``.``, ``_``
  or ``-``, starting with a letter or digit).
- **Interval lengths**: 5, 15, 30 or 60 minutes (:data:`INTERVAL_MINUTES`), the
  lengths meters and Green Button feeds use; one length per meter and day.
- **Alignment**: an interval of *n* minutes starts at a multiple of *n* minutes after
  midnight UTC (``09:15`` for 15 minutes, ``09:00`` for 60), second 0, and ends on
  the same UTC day. Written ``YYYY-MM-DDTHH:MM:SSZ``.
- **Bounds**: import and export are integers from 0 to what a connection of
  :data:`MAX_POWER_W` (200 kW, a large farm or a small business) can move in the
  interval: :func:`max_wh` (50,000 Wh for 15 minutes).
- **Time**: a reading is accepted only once its interval has ended by more than
  :data:`CLOCK_SKEW`. Fabric peers accept proposals whose timestamp is up to 15
  minutes off their clock, so the chaincode's only notion of "now" (the proposal's
  timestamp) may be that far ahead; waiting out the skew means no client can date a
  proposal so that an unfinished interval counts as measured.
- **Retention**: readings are kept for :data:`RETENTION_DAYS` days (24 months, the
  billing-dispute horizon), then purged; readings older than that are refused.

A household may have up to :data:`MAX_METERS_PER_HOUSEHOLD` meters; what one
household can import in one interval is bounded by :func:`household_max_wh`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from .ids import IDENTIFIER as METER_ID

__all__ = [
    "CLOCK_SKEW",
    "INTERVAL_MINUTES",
    "MAX_METERS_PER_HOUSEHOLD",
    "MAX_POWER_W",
    "METER_ID",
    "RETENTION_DAYS",
    "ReadingError",
    "accepted_from",
    "check_day",
    "check_energy",
    "check_interval_minutes",
    "check_meter_id",
    "format_instant",
    "household_max_wh",
    "max_wh",
    "oldest_day",
    "parse_instant",
    "slot_start",
    "slots_per_day",
]

INTERVAL_MINUTES = (5, 15, 30, 60)
MAX_POWER_W = 200_000
MAX_METERS_PER_HOUSEHOLD = 16
CLOCK_SKEW = timedelta(minutes=15)
RETENTION_DAYS = 730
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")


class ReadingError(ValueError):
    """A reading, or a bundle of them, breaks a rule; the message says which and where."""


def check_meter_id(meter_id: object) -> str:
    if not isinstance(meter_id, str) or not METER_ID.fullmatch(meter_id):
        shown = str(meter_id)[:80]
        raise ReadingError(
            f"meter id '{shown}' is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return meter_id


def check_interval_minutes(minutes: object, where: str) -> int:
    if type(minutes) is not int or minutes not in INTERVAL_MINUTES:
        allowed = ", ".join(map(str, INTERVAL_MINUTES))
        raise ReadingError(f"{where}: interval_minutes must be one of {allowed}")
    return minutes


def max_wh(minutes: int) -> int:
    """The most energy one meter can measure in an interval of *minutes*, in Wh."""
    return MAX_POWER_W * minutes // 60


def household_max_wh(minutes: int) -> int:
    """The most energy one household's meters together can measure in *minutes*."""
    return max_wh(minutes) * MAX_METERS_PER_HOUSEHOLD


def check_energy(field: str, value: object, minutes: int, where: str) -> int:
    limit = max_wh(minutes)
    if type(value) is not int or not 0 <= value <= limit:
        raise ReadingError(f"{where}: {field} must be an integer from 0 to {limit} Wh")
    return value


def check_day(value: object, where: str) -> date:
    """A UTC day written ``YYYY-MM-DD``."""
    message = f"{where}: day must be a date like 2026-03-01"
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ReadingError(message)
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ReadingError(message) from exc
    if day >= date.max:  # its last interval would end past the calendar
        raise ReadingError(f"{where}: day must be before {date.max.isoformat()}")
    return day


def parse_instant(value: object, where: str) -> datetime:
    """A UTC instant written ``YYYY-MM-DDTHH:MM:SSZ``."""
    message = f"{where} must be a UTC time like 2026-03-01T09:15:00Z"
    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        raise ReadingError(message)
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ReadingError(message) from exc


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slots_per_day(minutes: int) -> int:
    return 24 * 60 // minutes


def slot_start(day: date, minutes: int, slot: int) -> datetime:
    """The start of interval number *slot* (from 0 at midnight UTC) of *day*."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes * slot)


def accepted_from(interval_end: datetime) -> datetime:
    """The earliest transaction time at which a reading ending at *interval_end* counts."""
    return interval_end + CLOCK_SKEW


def oldest_day(now: datetime) -> date:
    """The oldest day whose readings are still kept at *now*."""
    return (now - timedelta(days=RETENTION_DAYS)).date()
