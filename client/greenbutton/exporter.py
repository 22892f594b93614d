"""Green Button feed out: one meter's readings, valid against the ESPI 3.3 and 4.0 schemas.

The feed :func:`export_readings` writes is what :func:`~client.greenbutton.importer.import_readings`
reads back to the same readings (quality and LocalTimeParameters included). Paths
follow ESPI's resource URIs under *base_url* (default ``/espi/1_1/resource``)::

    Batch/RetailCustomer/{household}/UsagePoint/{meter}            the feed (self)
    RetailCustomer/{household}/UsagePoint/{meter}                  UsagePoint
        .../MeterReading/import, .../MeterReading/export           MeterReading
        .../MeterReading/{import|export}/IntervalBlock/{YYYY-MM-DD} one per UTC day
    ReadingType/{meter}-{import|export}-{minutes}min               ReadingType
    LocalTimeParameters/{meter}                                    when local_time is known

Both MeterReadings are always written, every interval in both (zeros included),
values in Wh (multiplier 0), ``quality`` as the ReadingQuality of both; a feed has
one interval length (its ReadingTypes' ``intervalLength``). Ids are UUID-5s of the
paths and ``updated`` is *updated* or the end of the data: the same readings give
the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gridspec.reading_bundle import QUALITY_CODES, check_local_time
from gridspec.readings import ReadingError, check_energy, check_interval_minutes

from ._xml import (
    DAY_SECONDS,
    DEFAULT_BASE_URL,
    DELTA_DATA,
    DIRECTIONS,
    ELECTRICITY_METERED,
    FORWARD,
    WH,
    FeedWriter,
    GreenButtonError,
    Paths,
    check_id,
    check_text,
    epoch,
    instant_text,
    interval,
    leaf,
    local_time_parameters,
    parse_instant,
    segment,
    serialize,
    stamp_of,
    usage_point,
)

__all__ = ["export_readings"]

_ENERGY = 12
_NORMAL = 12
#: interval_minutes -> ESPI TimeAttributeKind (ReadingType measuringPeriod)
_MEASURING_PERIODS = {5: 6, 15: 2, 30: 5, 60: 7}
#: what a ledger reading record may carry; the salt stays on the ledger
_READING_FIELDS = frozenset(
    ("meter_id", "interval_start", "interval_minutes", "import_wh", "export_wh", "salt", "quality")
)
_REQUIRED = ("interval_start", "interval_minutes", "import_wh", "export_wh")


@dataclass(frozen=True)
class _Row:
    start: datetime
    import_wh: int
    export_wh: int
    quality: int | None


def export_readings(
    readings: Iterable[Mapping[str, Any]],
    *,
    household_id: str,
    meter_id: str,
    title: str,
    local_time: Mapping[str, Any] | None = None,
    updated: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> bytes:
    """A Green Button feed (UTF-8 XML) of meter *meter_id*'s readings.

    Each reading is a ledger record (``interval_start``, ``interval_minutes``,
    ``import_wh``, ``export_wh``, optionally ``meter_id`` (then *meter_id*), ``salt``
    (not exported) and ``quality``); *local_time* is the bundle's LocalTimeParameters,
    written when given.
    """
    check_id("household_id", household_id)
    check_id("meter_id", meter_id)
    check_text("title", title)
    if local_time is not None:
        try:
            check_local_time(dict(local_time), "local_time")
        except ReadingError as exc:
            raise GreenButtonError(str(exc)) from exc
    minutes, rows = _check_readings(readings, meter_id)
    first, last = rows[0].start, rows[-1].start + timedelta(minutes=minutes)
    paths = Paths(household_id, meter_id)
    writer = FeedWriter(base_url, stamp_of(updated, last))
    root = writer.start(
        f"{paths.batch}#{instant_text(epoch(first))}/{instant_text(epoch(last))}",
        paths.batch,
        title,
    )
    local_path = f"LocalTimeParameters/{segment(meter_id)}"
    related = [f"{paths.usage_point}/MeterReading"]
    usage_point(
        writer,
        root,
        paths,
        f"Meter {meter_id}",
        related=related if local_time is None else [*related, local_path],
    )
    if local_time is not None:
        local_time_parameters(
            writer,
            root,
            local_path,
            f"Local time of meter {meter_id}",
            paths.usage_point,
            dict(local_time),
        )
    days: dict[date, list[_Row]] = {}
    for row in rows:
        days.setdefault(row.start.date(), []).append(row)
    for direction, name in DIRECTIONS.items():
        _meter_reading(writer, root, paths, direction, name, minutes, days)
    return serialize(root)


def _meter_reading(
    writer: FeedWriter,
    root: ET.Element,
    paths: Paths,
    direction: int,
    name: str,
    minutes: int,
    days: Mapping[date, list[_Row]],
) -> None:
    path = f"{paths.usage_point}/MeterReading/{name}"
    reading_type = f"ReadingType/{segment(paths.usage_point_id)}-{name}-{minutes}min"
    writer.entry(
        root,
        path,
        f"Energy {'delivered to' if direction == FORWARD else 'received from'} "
        f"the household ({name}), Wh per {minutes} minutes",
        up=f"{paths.usage_point}/MeterReading",
        related=[f"{path}/IntervalBlock", reading_type],
        resource="MeterReading",
    )
    _reading_type(
        writer.entry(
            root,
            reading_type,
            f"Wh, {minutes}-minute deltaData, flowDirection {direction}",
            up="ReadingType",
            related=[],
            resource="ReadingType",
        ),
        direction,
        minutes,
    )
    for day, rows in days.items():
        block = writer.entry(
            root,
            f"{path}/IntervalBlock/{day.isoformat()}",
            f"{day.isoformat()} UTC",
            up=f"{path}/IntervalBlock",
            related=[],
            resource="IntervalBlock",
        )
        interval(block, "interval", DAY_SECONDS, epoch(datetime(*day.timetuple()[:3], tzinfo=UTC)))
        for row in rows:
            reading = ET.SubElement(block, "IntervalReading")
            if row.quality is not None:
                leaf(ET.SubElement(reading, "ReadingQuality"), "quality", row.quality)
            interval(reading, "timePeriod", minutes * 60, epoch(row.start))
            leaf(reading, "value", row.import_wh if direction == FORWARD else row.export_wh)


def _reading_type(element: ET.Element, direction: int, minutes: int) -> None:
    leaf(element, "accumulationBehaviour", DELTA_DATA)
    leaf(element, "commodity", ELECTRICITY_METERED)
    leaf(element, "dataQualifier", _NORMAL)
    leaf(element, "flowDirection", direction)
    leaf(element, "intervalLength", minutes * 60)
    leaf(element, "kind", _ENERGY)
    leaf(element, "powerOfTenMultiplier", 0)
    leaf(element, "timeAttribute", 0)
    leaf(element, "uom", WH)
    leaf(element, "measuringPeriod", _MEASURING_PERIODS[minutes])


def _check_readings(readings: Iterable[Mapping[str, Any]], meter_id: str) -> tuple[int, list[_Row]]:
    """(interval minutes, rows sorted by start): the rules of :mod:`gridspec.readings`."""
    if isinstance(readings, str | bytes | Mapping):
        raise TypeError(f"readings must be an iterable of readings, got {type(readings).__name__}")
    minutes: int | None = None
    rows: dict[datetime, _Row] = {}
    numbers: dict[datetime, int] = {}
    for number, reading in enumerate(readings, 1):
        where = f"reading {number}"
        if not isinstance(reading, Mapping):
            raise GreenButtonError(f"{where}: must be a mapping, got {type(reading).__name__}")
        unknown = sorted(str(key) for key in reading if key not in _READING_FIELDS)
        if unknown:
            raise GreenButtonError(f"{where}: unknown fields {', '.join(unknown)}")
        for name in _REQUIRED:
            if name not in reading:
                raise GreenButtonError(f"{where}: {name} is missing")
        if reading.get("meter_id", meter_id) != meter_id:
            raise GreenButtonError(
                f"{where}: meter_id {reading['meter_id']!r} is not meter {meter_id}"
            )
        start = parse_instant(reading["interval_start"], f"{where}: interval_start")
        where = f"reading {number} ({reading['interval_start']})"
        try:
            length = check_interval_minutes(reading["interval_minutes"], where)
            values = [
                check_energy(n, reading[n], length, where) for n in ("import_wh", "export_wh")
            ]
        except ReadingError as exc:
            raise GreenButtonError(str(exc)) from exc
        if minutes is None:
            minutes = length
        elif length != minutes:
            raise GreenButtonError(
                f"{where}: interval_minutes {length} differs from the first reading's "
                f"{minutes}; a feed has one interval length"
            )
        if (start.hour * 60 + start.minute) % length or start.second:
            raise GreenButtonError(f"{where}: interval is not aligned to {length} minutes")
        quality = reading.get("quality")
        if quality is not None and (type(quality) is not int or quality not in QUALITY_CODES):
            raise GreenButtonError(f"{where}: quality must be an ESPI QualityOfReading code")
        if start in rows:
            raise GreenButtonError(f"{where}: interval is given twice (reading {numbers[start]})")
        rows[start] = _Row(start, values[0], values[1], quality)
        numbers[start] = number
    if minutes is None:
        raise GreenButtonError("no readings to export")
    return minutes, [rows[start] for start in sorted(rows)]
