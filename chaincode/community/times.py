"""The community chaincode's clock: the transaction's timestamp, and how far to trust it.

The only "now" a chaincode has is the timestamp its client put in the proposal, and
peers accept proposals up to :data:`gridspec.readings.CLOCK_SKEW` (15 minutes) off
their own clock. Every time rule that protects someone is therefore written so that
a proposal dated anywhere within the skew cannot gain anything:

- a reading counts only once its interval ended more than the skew before the
  proposal's time (:meth:`gridspec.reading_bundle.ReadingBundle.check_time`);
- a consent lets its grantee read only while it stays live across the whole skew
  window after the proposal's time (:func:`live_until`), so backdating a read
  cannot reach past the consent's expiry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from chaincode.runtime import ValidationError, tx_timestamp
from gridspec.readings import CLOCK_SKEW, RETENTION_DAYS

__all__ = [
    "MAX_PERIOD_DAYS",
    "check_period",
    "check_utc",
    "format_utc",
    "live_until",
    "parse_utc",
    "tx_time",
]

# the longest period a read asks for: all that retention keeps, and the day it starts in
MAX_PERIOD_DAYS = RETENTION_DAYS + 1

_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def parse_utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def format_utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_utc(field: str, value: Any, example: str = "2026-03-01T00:00:00Z") -> datetime:
    """`value` as a UTC instant, or ValidationError naming `field` (a bad date included)."""
    message = f"{field} must be a UTC time like {example}"
    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        raise ValidationError(message)
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise ValidationError(message) from exc


def check_period(start: str, end: str) -> tuple[datetime, datetime]:
    """[start, end) as UTC instants: end after start, at most MAX_PERIOD_DAYS apart."""
    begins, ends = check_utc("start", start), check_utc("end", end)
    if ends <= begins:
        raise ValidationError("end must be after start")
    if ends - begins > timedelta(days=MAX_PERIOD_DAYS):
        raise ValidationError(f"a period spans at most {MAX_PERIOD_DAYS} days")
    return begins, ends


def tx_time(ctx: Any) -> datetime:
    """The proposal's timestamp, to the second."""
    return parse_utc(tx_timestamp(ctx)[:19] + "Z")


def live_until(ctx: Any) -> str:
    """The instant a grant must outlast for a read proposed now: now plus the clock skew."""
    return format_utc(tx_time(ctx) + CLOCK_SKEW)
