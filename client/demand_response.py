"""The demand-response effect of one OpenADR 3 event, measured from the households' readings.

An event asks households to draw less from the grid in its window. What each drew
there (its *load*: ``import_wh``, the energy imported) is set against its *baseline*,
what it would have drawn otherwise: the mean of its load in the same UTC clock window
on each of the ``baseline_days`` days before (a plain average, with no adjustment).

- **Window**: the union of the event's intervals that have an end
  (:func:`gridspec.openadr.event_intervals`), at most 24 hours from its first start to
  its last end, so the windows of the days before never overlap it or each other.
- **A reading counts** in a window when its whole interval lies inside it. A reading
  that straddles a window's edge is not counted, on the event day or any other: with
  15-minute readings, a window from 09:10 to 10:00 is measured from 09:15.
- **Complete days**: a household's readings for a day are complete when each of its
  meters (every meter id among its readings) has a reading for every interval inside
  the window. A baseline day with a missing reading is left out; with none left, the
  household has no baseline (``without_baseline``). A missing reading on the event day
  leaves it without a load (``without_load``): counted as zero, it would look like a
  reduction. Either way the household is left out of the totals.
- **Figures**: integer Wh; a baseline is rounded half up to a whole Wh; a reduction is
  ``baseline - load`` (negative when a household drew more), its percent of the
  baseline rounded to one decimal, ``None`` when the baseline is 0.

Pure: the caller fetches the readings (:func:`baseline_period` says which) and the event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from gridspec.openadr import check_event, event_intervals
from gridspec.readings import (
    check_energy,
    check_interval_minutes,
    check_meter_id,
    format_instant,
    parse_instant,
)

__all__ = ["BASELINE_DAYS", "MAX_BASELINE_DAYS", "baseline_period", "effect", "event_window"]

BASELINE_DAYS = 5
MAX_BASELINE_DAYS = 30
MAX_WINDOW = timedelta(hours=24)
DAY = timedelta(days=1)

Window = list[tuple[datetime, datetime]]


@dataclass(frozen=True)
class _Reading:
    start: datetime
    end: datetime
    import_wh: int


def event_window(event: dict[str, Any]) -> Window:
    """The event's window as [start, end) pieces in time order, touching intervals merged."""
    check_event(event)
    spans = sorted((i.start, i.end) for i in event_intervals(event) if i.end is not None)
    if not spans:
        raise ValueError(
            f"event {event['id']} has no interval with an end: it has no window to measure"
        )
    window: Window = []
    for start, end in spans:
        if window and start <= window[-1][1]:
            window[-1] = (window[-1][0], max(window[-1][1], end))
        else:
            window.append((start, end))
    if window[-1][1] - window[0][0] > MAX_WINDOW:
        raise ValueError(
            f"event {event['id']} spans more than 24 hours "
            f"({format_instant(window[0][0])} to {format_instant(window[-1][1])}): "
            "its effect cannot be measured against the days before"
        )
    return window


def baseline_period(event: dict[str, Any], baseline_days: int = BASELINE_DAYS) -> tuple[str, str]:
    """The UTC [start, end) the readings must cover: from the window's start on the
    earliest baseline day to the end of the event's own window."""
    days = _check_days(baseline_days)
    window = event_window(event)
    return format_instant(window[0][0] - days * DAY), format_instant(window[-1][1])


def effect(
    event: dict[str, Any],
    readings: Mapping[str, Sequence[Mapping[str, Any]]],
    baseline_days: int = BASELINE_DAYS,
) -> dict[str, Any]:
    """The event's effect per household (id -> its readings over :func:`baseline_period`)
    and in total, as JSON-ready figures (the rules are in the module docstring)."""
    days = _check_days(baseline_days)
    window = event_window(event)
    rows: list[dict[str, Any]] = []
    without_load: list[str] = []
    without_baseline: list[str] = []
    if not all(isinstance(household_id, str) and household_id for household_id in readings):
        raise ValueError("household ids must be non-empty text")
    for household_id in sorted(readings):
        by_meter = _meters(household_id, readings[household_id])
        load = _load(by_meter, window)
        past = [
            _load(by_meter, [(a - k * DAY, b - k * DAY) for a, b in window])
            for k in range(1, days + 1)
        ]
        complete = [wh for wh in past if wh is not None]
        if load is None:
            without_load.append(household_id)
        elif not complete:
            without_baseline.append(household_id)
        else:
            baseline = (2 * sum(complete) + len(complete)) // (2 * len(complete))  # half up
            rows.append(
                {
                    "household_id": household_id,
                    **_figures(load, baseline),
                    "baseline_days_used": len(complete),
                }
            )
    total_load = sum(row["load_wh"] for row in rows)
    total_baseline = sum(row["baseline_wh"] for row in rows)
    return {
        "event_id": event["id"],
        "program_id": event["programID"],
        "window": [{"start": format_instant(a), "end": format_instant(b)} for a, b in window],
        "baseline_days": days,
        "households": rows,
        "total": {**_figures(total_load, total_baseline), "households": len(rows)},
        "without_baseline": without_baseline,
        "without_load": without_load,
    }


def _check_days(baseline_days: Any) -> int:
    if type(baseline_days) is not int or not 1 <= baseline_days <= MAX_BASELINE_DAYS:
        raise ValueError(f"baseline_days must be an integer from 1 to {MAX_BASELINE_DAYS}")
    return baseline_days


def _meters(household_id: str, readings: Sequence[Mapping[str, Any]]) -> dict[str, list[_Reading]]:
    """The household's readings by meter, in time order; overlapping readings are refused."""
    by_meter: dict[str, list[_Reading]] = {}
    for n, reading in enumerate(readings):
        where = f"household {household_id} reading {n}"
        if not isinstance(reading, Mapping):
            raise ValueError(f"{where} must be a JSON object")
        meter_id = check_meter_id(reading.get("meter_id"))
        start = parse_instant(reading.get("interval_start"), f"{where}: interval_start")
        minutes = check_interval_minutes(reading.get("interval_minutes"), where)
        energy = check_energy("import_wh", reading.get("import_wh"), minutes, where)
        found = _Reading(start, start + timedelta(minutes=minutes), energy)
        by_meter.setdefault(meter_id, []).append(found)
    for meter_id, found_readings in by_meter.items():
        found_readings.sort(key=lambda r: r.start)
        for before, after in pairwise(found_readings):
            if after.start < before.end:
                raise ValueError(
                    f"household {household_id}: meter {meter_id} has overlapping readings "
                    f"at {format_instant(after.start)}"
                )
    return by_meter


def _load(by_meter: Mapping[str, list[_Reading]], window: Window) -> int | None:
    """The import of all meters inside *window*, or None when a reading is missing."""
    if not by_meter:
        return None
    total = 0
    for found in by_meter.values():
        for start, end in window:
            inside = [r for r in found if start <= r.start and r.end <= end]
            if not _complete(inside, start, end):
                return None
            total += sum(r.import_wh for r in inside)
    return total


def _complete(inside: list[_Reading], start: datetime, end: datetime) -> bool:
    """Whether *inside* (one meter's, in time order) leaves no interval of [start, end)
    unread: no gap between readings, and no room for another at either edge."""
    if not inside:
        return False
    first, last = inside[0], inside[-1]
    if (
        first.start - (first.end - first.start) >= start
        or last.end + (last.end - last.start) <= end
    ):
        return False
    return all(before.end == after.start for before, after in pairwise(inside))


def _figures(load: int, baseline: int) -> dict[str, Any]:
    reduction = baseline - load
    percent = round(100 * reduction / baseline, 1) if baseline else None
    return dict(
        load_wh=load, baseline_wh=baseline, reduction_wh=reduction, reduction_percent=percent
    )
