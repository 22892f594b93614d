"""Green Button feed in: each UsagePoint's interval readings, as a registered meter's.

A head-end gets a utility's feed, possibly for several UsagePoints (a household's
meters, or a landlord's), and maps each to a meter registered on the ledger; what
comes out is what :func:`client.bundles.sign_readings` bundles per UTC day, so a
feed may be any length (a year of hourly data is 8,760 readings in 365 bundles).

The rules, each refused with a :class:`GreenButtonError` naming the resource by kind
and 1-based position among the feed's resources of that kind, in document order
(``ReadingType 2``; ``IntervalReading 17`` counts over every IntervalBlock):

- every UsagePoint is electricity (ServiceCategory kind 0) and is mapped to a meter;
  a mapping that names no UsagePoint, or a UsagePoint left unmapped, is an error;
- a MeterReading belongs to the UsagePoint whose ``self`` link + ``/MeterReading`` is
  its ``up`` link (or prefixes its ``self`` link), names its ReadingType with a
  ``related`` link, and is the UsagePoint's only one of its flow direction;
- a ReadingType has ``uom`` 72 (Wh), an ESPI ``powerOfTenMultiplier`` (default 0),
  ``flowDirection`` 1 (forward: import) or 19 (reverse: export), deltaData
  accumulation and an electricity commodity when given;
- an IntervalReading lasts 5, 15, 30 or 60 minutes, starts aligned to its length in
  UTC, and its ``value * 10**powerOfTenMultiplier`` is a whole number of Wh within
  :func:`gridspec.readings.max_wh`; its ``cost`` is refused unless the caller says
  ``ignore_cost`` (GridLedger prices energy itself: a cost is never dropped
  silently); one ``ReadingQuality`` is kept as the reading's ``quality``;
- an interval appears once per direction, both directions agree on its length and
  quality, and a UTC day has one interval length (what a bundle holds).

Everything is UTC, so a local day of 23 or 25 hours (DST) is just its UTC intervals.
The UsagePoint's LocalTimeParameters (its ``related`` one, or the feed's only one)
come back as ``local_time``, for the bundle to keep and an export to give back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gridspec.reading_bundle import QUALITY_CODES, check_local_time
from gridspec.readings import INTERVAL_MINUTES, ReadingError, max_wh

from ._resources import Resource, assign_meters, resources
from ._xml import (
    DELTA_DATA,
    DIRECTIONS,
    FORWARD,
    LAST_SECOND,
    WH,
    GreenButtonError,
    espi,
    instant_text,
    integer,
    parse_feed,
)

__all__ = ["ImportedMeter", "import_readings"]

_MULTIPLIERS = (-12, -9, -6, -3, -2, -1, 0, 1, 2, 3, 6, 9, 12)
_ELECTRICITY_COMMODITIES = (0, 1, 2)


@dataclass(frozen=True)
class ImportedMeter:
    """One UsagePoint's readings, as meter *meter_id*'s, sorted by interval.

    Each reading is ``{"interval_start", "interval_minutes", "import_wh",
    "export_wh"}`` and ``"quality"`` when the feed gave one.
    """

    usage_point: str
    title: str
    meter_id: str
    readings: list[dict[str, Any]]
    local_time: dict[str, Any] | None


def import_readings(
    xml: bytes, meters: str | Mapping[str, str], *, ignore_cost: bool = False
) -> list[ImportedMeter]:
    """The readings of every UsagePoint of a Green Button feed, in document order.

    *meters* is one meter id (for a feed of one UsagePoint) or maps UsagePoints to
    meter ids, each key being a UsagePoint's id (the last segment of its ``self``
    link), its whole ``self`` link, or its entry's title.
    """
    found = resources(parse_feed(xml))
    usage_points = found["UsagePoint"]
    assigned = assign_meters(usage_points, meters)
    directions = _directions(found["MeterReading"], found["ReadingType"], usage_points)
    intervals: dict[str, dict[int, _Interval]] = {up.href: {} for up in usage_points}
    seen: dict[tuple[str, int, int], int] = {}
    number = 0
    for block in found["IntervalBlock"]:
        owner, direction, multiplier = directions[_owner(block, found["MeterReading"])]
        for element in block.element.findall(espi("IntervalReading")):
            number += 1
            where = f"IntervalReading {number}"
            start, minutes, wh, quality = _interval_reading(element, where, multiplier, ignore_cost)
            if (owner, direction, start) in seen:
                raise GreenButtonError(
                    f"{where}: interval {instant_text(start)} is already given for "
                    f"flowDirection {direction} (IntervalReading {seen[owner, direction, start]})"
                )
            seen[owner, direction, start] = number
            interval = intervals[owner].setdefault(start, _Interval(minutes, number))
            interval.add(number, start, minutes, direction, wh, quality)
    return [
        ImportedMeter(
            up.href,
            up.title,
            assigned[up.href],
            _readings(intervals[up.href]),
            _local_time(up, found["LocalTimeParameters"]),
        )
        for up in usage_points
    ]


@dataclass
class _Interval:
    minutes: int
    number: int  # the first IntervalReading of the interval
    import_wh: int = 0
    export_wh: int = 0
    quality: int | None = None
    quality_from: int = 0

    def add(
        self, number: int, start: int, minutes: int, direction: int, wh: int, quality: int | None
    ) -> None:
        where = f"IntervalReading {number}"
        if minutes != self.minutes:
            raise GreenButtonError(
                f"{where}: interval {instant_text(start)} lasts {minutes} minutes but "
                f"{self.minutes} in IntervalReading {self.number}"
            )
        if quality is not None and self.quality not in (None, quality):
            raise GreenButtonError(
                f"{where}: interval {instant_text(start)} has ReadingQuality {quality} but "
                f"{self.quality} in IntervalReading {self.quality_from}"
            )
        if quality is not None:
            self.quality, self.quality_from = quality, number
        if direction == FORWARD:
            self.import_wh = wh
        else:
            self.export_wh = wh


def _directions(
    meter_readings: Sequence[Resource],
    reading_types: Sequence[Resource],
    usage_points: Sequence[Resource],
) -> dict[str, tuple[str, int, int]]:
    """MeterReading self href -> (UsagePoint self href, flowDirection, powerOfTenMultiplier)."""
    by_href = {rt.self_href: rt for rt in reading_types if rt.self_href}
    found: dict[str, tuple[str, int, int]] = {}
    holders: dict[tuple[str, int], Resource] = {}
    for meter_reading in meter_readings:
        href = meter_reading.href
        owner = _usage_point_of(meter_reading, usage_points)
        named = sorted({h for h in meter_reading.related if h in by_href})
        if not named:
            raise GreenButtonError(
                f"{meter_reading.name}: no related link names a ReadingType of the feed"
            )
        if len(named) > 1:
            raise GreenButtonError(
                f"{meter_reading.name}: related links name {len(named)} ReadingTypes"
            )
        direction, multiplier = _reading_type(by_href[named[0]])
        if (owner.href, direction) in holders:
            raise GreenButtonError(
                f"{meter_reading.name}: {holders[owner.href, direction].name} of UsagePoint "
                f"{owner.label} already has flowDirection {direction}; a UsagePoint has one "
                "MeterReading per direction"
            )
        holders[owner.href, direction] = meter_reading
        found[href] = (owner.href, direction, multiplier)
    return found


def _usage_point_of(meter_reading: Resource, usage_points: Sequence[Resource]) -> Resource:
    for up in usage_points:
        collection = f"{up.href}/MeterReading"
        if meter_reading.up_href == collection or meter_reading.href.startswith(f"{collection}/"):
            return up
    raise GreenButtonError(f"{meter_reading.name}: its links name no UsagePoint of the feed")


def _reading_type(reading_type: Resource) -> tuple[int, int]:
    name, element = reading_type.name, reading_type.element
    uom = integer(element, ("uom",), f"{name}: uom")
    if uom != WH:
        raise GreenButtonError(f"{name}: uom {uom} is not Wh (72)")
    multiplier = integer(
        element, ("powerOfTenMultiplier",), f"{name}: powerOfTenMultiplier", required=False
    )
    if multiplier is None:
        multiplier = 0
    if multiplier not in _MULTIPLIERS:
        raise GreenButtonError(
            f"{name}: powerOfTenMultiplier {multiplier} is not an ESPI multiplier"
        )
    direction = integer(element, ("flowDirection",), f"{name}: flowDirection")
    if direction not in DIRECTIONS:
        raise GreenButtonError(
            f"{name}: flowDirection {direction} is neither 1 (forward, import) "
            "nor 19 (reverse, export)"
        )
    accumulation = integer(
        element, ("accumulationBehaviour",), f"{name}: accumulationBehaviour", required=False
    )
    if accumulation is not None and accumulation != DELTA_DATA:
        raise GreenButtonError(f"{name}: accumulationBehaviour {accumulation} is not deltaData (4)")
    commodity = integer(element, ("commodity",), f"{name}: commodity", required=False)
    if commodity is not None and commodity not in _ELECTRICITY_COMMODITIES:
        raise GreenButtonError(f"{name}: commodity {commodity} is not electricity")
    return direction, multiplier


def _owner(block: Resource, meter_readings: Sequence[Resource]) -> str:
    """The self href of the MeterReading *block* belongs to."""
    if block.up_href is None:
        raise GreenButtonError(f"{block.name}: its entry has no up link")
    for meter_reading in meter_readings:
        if block.up_href == f"{meter_reading.href}/IntervalBlock" or (
            block.up_href in meter_reading.related
        ):
            return meter_reading.href
    raise GreenButtonError(
        f"{block.name}: its up link {block.up_href} names no MeterReading of the feed"
    )


def _interval_reading(
    element: ET.Element, where: str, multiplier: int, ignore_cost: bool
) -> tuple[int, int, int, int | None]:
    """(start epoch seconds, minutes, Wh, quality) of one IntervalReading."""
    if element.find(espi("timePeriod")) is None:
        raise GreenButtonError(f"{where}: timePeriod is missing")
    start = integer(element, ("timePeriod", "start"), f"{where}: timePeriod start")
    duration = integer(element, ("timePeriod", "duration"), f"{where}: timePeriod duration")
    value = integer(element, ("value",), f"{where}: value")
    assert start is not None and duration is not None and value is not None
    cost = integer(element, ("cost",), f"{where}: cost", required=False)
    if cost is not None and not ignore_cost:
        raise GreenButtonError(
            f"{where}: has a cost ({cost}), which GridLedger does not store; import with "
            "ignore_cost (--ignore-cost, ignore=cost) to take the energy without it"
        )
    if duration % 60 or duration // 60 not in INTERVAL_MINUTES:
        raise GreenButtonError(f"{where}: duration {duration} s is not 5, 15, 30 or 60 minutes")
    minutes = duration // 60
    if not 0 <= start <= LAST_SECOND:
        raise GreenButtonError(f"{where}: start {start} is not a time from 1970 to 9999")
    if start % duration:
        raise GreenButtonError(
            f"{where}: start {start} ({instant_text(start)}) is not aligned to {minutes} minutes"
        )
    if value < 0:
        raise GreenButtonError(f"{where}: value {value} is negative")
    if multiplier >= 0:
        wh = value * 10**multiplier
    elif value % 10**-multiplier:
        raise GreenButtonError(
            f"{where}: value {value} at powerOfTenMultiplier {multiplier} is not a whole "
            "number of Wh"
        )
    else:
        wh = value // 10**-multiplier
    if wh > max_wh(minutes):
        raise GreenButtonError(
            f"{where}: value {value} at powerOfTenMultiplier {multiplier} is {wh} Wh, more "
            f"than a meter can measure in {minutes} minutes ({max_wh(minutes)} Wh)"
        )
    return start, minutes, wh, _quality(element, where)


def _quality(element: ET.Element, where: str) -> int | None:
    qualities = element.findall(espi("ReadingQuality"))
    if not qualities:
        return None
    if len(qualities) > 1:
        raise GreenButtonError(
            f"{where}: has {len(qualities)} ReadingQuality elements; a reading keeps one"
        )
    code = integer(qualities[0], ("quality",), f"{where}: ReadingQuality quality")
    if code not in QUALITY_CODES:
        raise GreenButtonError(f"{where}: ReadingQuality {code} is not an ESPI QualityOfReading")
    return code


def _readings(intervals: Mapping[int, _Interval]) -> list[dict[str, Any]]:
    readings: list[dict[str, Any]] = []
    lengths: dict[str, _Interval] = {}
    for start in sorted(intervals):
        interval = intervals[start]
        text = instant_text(start)
        first = lengths.setdefault(text[:10], interval)
        if first.minutes != interval.minutes:
            raise GreenButtonError(
                f"IntervalReading {interval.number}: interval {text} lasts {interval.minutes} "
                f"minutes but IntervalReading {first.number} on the same UTC day lasts "
                f"{first.minutes}; a meter's day has one interval length"
            )
        reading = {
            "interval_start": text,
            "interval_minutes": interval.minutes,
            "import_wh": interval.import_wh,
            "export_wh": interval.export_wh,
        }
        if interval.quality is not None:
            reading["quality"] = interval.quality
        readings.append(reading)
    return readings


def _local_time(up: Resource, parameters: Sequence[Resource]) -> dict[str, Any] | None:
    linked = [p for p in parameters if p.self_href in up.related]
    chosen = linked[0] if linked else parameters[0] if len(parameters) == 1 else None
    if chosen is None:
        return None
    name, element = chosen.name, chosen.element
    value: dict[str, Any] = {
        "tz_offset": integer(element, ("tzOffset",), f"{name}: tzOffset"),
        "dst_offset": integer(element, ("dstOffset",), f"{name}: dstOffset"),
    }
    for key, tag in (("dst_start_rule", "dstStartRule"), ("dst_end_rule", "dstEndRule")):
        found = element.find(espi(tag))
        if found is None:
            raise GreenButtonError(f"{name}: {tag} is missing")
        value[key] = (found.text or "").strip()
    try:
        check_local_time(value, name)
    except ReadingError as exc:
        raise GreenButtonError(str(exc)) from exc
    return value
