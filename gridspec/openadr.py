"""OpenADR 3 events as GridLedger reads them: their shape, and the windows they cover.

The utility's VTN (``api/openadr``) takes events in the OpenADR 3.0.1 wire format and
checks them against the specification's own schema; the chaincode that records them
on the grid-event register (``chaincode/community/demand_response.py``), the bidding
agents that react to a price and the demand-response effect computed from the readings
need less: an event's id and program, and the time window and payloads of each of its
intervals. This module is that common reading, so all three agree on when an event's
interval starts and ends.

Timing (OpenADR 3 user guide): an interval's ``intervalPeriod`` overrides the event's
(its duration, when it gives none, is the event's);
intervals that take the event's period follow each other, the n-th (in list order)
starting ``n`` durations after the event's start. A duration of ``PT0S`` means an
instant or an open end, depending on the payload; such an interval has no window here.
Durations in years or months are refused: their length depends on the calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_INTERVALS",
    "OBJECT_ID",
    "EventInterval",
    "check_event",
    "event_intervals",
    "parse_datetime",
    "parse_duration",
]

OBJECT_ID = re.compile(r"[a-zA-Z0-9_-]{1,128}")
MAX_EVENT_BYTES = 64 * 1024
MAX_INTERVALS = 1000
MAX_PAYLOADS = 32
DURATION = re.compile(
    r"P(?=\d|T\d)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)


@dataclass(frozen=True)
class EventInterval:
    """One interval of an event: its id, its window (``end`` None for PT0S) and payloads
    as ``{type: values}``."""

    interval_id: int
    start: datetime
    end: datetime | None
    payloads: dict[str, list[Any]]

    def covers(self, instant: datetime) -> bool:
        return self.end is not None and self.start <= instant < self.end


def parse_datetime(field: str, value: Any) -> datetime:
    """An RFC 3339 date-time with its offset (``Z`` or ``+01:00``), as UTC."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*", value):
        raise ValueError(f"{field} must be a date-time like 2026-03-01T09:15:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{field} {value!r} is not a valid date-time") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"{field} {value!r} has no UTC offset: add Z or +hh:mm")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{field} {value!r} is beyond any calendar in UTC") from exc


def parse_duration(field: str, value: Any) -> timedelta:
    """An ISO 8601 duration in weeks, days, hours, minutes and seconds (``PT15M``)."""
    match = DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"{field} must be an ISO 8601 duration in weeks, days, hours, minutes or "
            "seconds, like PT1H or P1DT30M (years and months have no fixed length)"
        )
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    try:
        return timedelta(**parts)
    except OverflowError as exc:
        raise ValueError(f"{field} {value} is longer than any calendar holds") from exc


def _period(
    where: str, period: Any, default: timedelta = timedelta(0)
) -> tuple[datetime, timedelta] | None:
    """An intervalPeriod's start and duration (*default* when it gives none)."""
    if period is None:
        return None
    if not isinstance(period, dict) or "start" not in period:
        raise ValueError(f"{where}.intervalPeriod must be an object with a start")
    start = parse_datetime(f"{where}.intervalPeriod.start", period["start"])
    duration = default
    if "duration" in period:
        duration = parse_duration(f"{where}.intervalPeriod.duration", period["duration"])
    return start, duration


def _payloads(where: str, payloads: Any) -> dict[str, list[Any]]:
    if not isinstance(payloads, list) or len(payloads) > MAX_PAYLOADS:
        raise ValueError(f"{where}.payloads must be a list of at most {MAX_PAYLOADS} valuesMaps")
    found: dict[str, list[Any]] = {}
    for n, payload in enumerate(payloads):
        kind = payload.get("type") if isinstance(payload, dict) else None
        values = payload.get("values") if isinstance(payload, dict) else None
        if not isinstance(kind, str) or not 1 <= len(kind) <= 128 or not isinstance(values, list):
            raise ValueError(f"{where}.payloads[{n}] must have a type (text) and values (a list)")
        found[kind] = values
    return found


def event_intervals(event: dict[str, Any]) -> list[EventInterval]:
    """The event's intervals with their windows, in the event's order."""
    default = _period("event", event.get("intervalPeriod"))
    intervals = event.get("intervals")
    if not isinstance(intervals, list) or not 1 <= len(intervals) <= MAX_INTERVALS:
        raise ValueError(f"event intervals must be a list of 1 to {MAX_INTERVALS} intervals")
    found = []
    for n, interval in enumerate(intervals):
        where = f"intervals[{n}]"
        if not isinstance(interval, dict) or type(interval.get("id")) is not int:
            raise ValueError(f"{where} must be an object with an integer id")
        inherited = default[1] if default is not None else timedelta(0)
        own = _period(where, interval.get("intervalPeriod"), inherited)
        if own is None and default is None:
            raise ValueError(f"{where} has no intervalPeriod, and neither has the event")
        start, duration = own if own is not None else default  # type: ignore[misc]
        try:
            if own is None:
                start += n * duration
            end = start + duration if duration > timedelta(0) else None
        except OverflowError as exc:
            raise ValueError(f"{where} ends beyond any calendar") from exc
        payloads = _payloads(where, interval.get("payloads"))
        found.append(EventInterval(interval["id"], start, end, payloads))
    return found


def check_event(event: Any) -> dict[str, Any]:
    """*event* if the register can keep it: an object with a valid id and programID and
    intervals whose windows can be read; ValueError saying what is wrong otherwise."""
    if not isinstance(event, dict):
        raise ValueError("an event must be a JSON object")
    for field in ("id", "programID"):
        value = event.get(field)
        if not isinstance(value, str) or not OBJECT_ID.fullmatch(value):
            raise ValueError(f"event {field} must be 1-128 letters, digits, '_' or '-'")
    event_intervals(event)
    return event
