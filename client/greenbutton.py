"""Green Button (NAESB ESPI, REQ.21) XML: interval readings in and out, invoices out.

A Green Button file is an Atom feed (RFC 4287) whose entries each carry one ESPI
resource (namespace ``http://naesb.org/espi``) in their ``content``; the entries'
``self``, ``up`` and ``related`` links tie the resources together::

    UsagePoint                     the metered service (ServiceCategory kind 0: electricity)
    ├── MeterReading ──related──▶  ReadingType: uom, powerOfTenMultiplier, flowDirection, ...
    │   └── IntervalBlock          IntervalReading: timePeriod (start, duration) and value
    └── UsageSummary               one billing period: billLastPeriod, LineItems, currency

- :func:`import_readings` reads a feed into GridLedger readings
  ``{"meter_id", "interval_start", "interval_minutes", "import_wh", "export_wh"}``;
- :func:`export_readings` writes readings as a feed, :func:`export_invoice` an invoice
  record (``Invoice.to_record()`` of ``chaincode/community/domain/billing.py``).

Readings
--------
``import_wh`` is the forward MeterReading (ReadingType ``flowDirection`` 1: delivered to
the household) and ``export_wh`` the reverse one (19: received from the household); an
interval that only one direction has counts 0 in the other. A value in Wh is
``value * 10**powerOfTenMultiplier`` with ``uom`` 72 (Wh): multiplier 0 is Wh, 3 is kWh.

Import accepts (and export writes) exactly this; anything else is refused with a
:class:`GreenButtonError` naming the resource by kind and 1-based position among the
feed's resources of that kind, in document order (``ReadingType 2``, ``IntervalReading
17``, counted over every IntervalBlock of the feed):

- no DTD and no entity (parsed with ``defusedxml``); the root is an Atom ``feed``;
- at most one UsagePoint, of ServiceCategory kind 0; at least one MeterReading, at
  most one per flow direction;
- a MeterReading has a ``self`` link and a ``related`` link to a ReadingType of the
  feed (that entry's ``self`` link); an IntervalBlock's ``up`` link is its
  MeterReading's ``self`` + ``/IntervalBlock`` (or one of its ``related`` links);
- the ReadingType has ``uom`` 72, a ``powerOfTenMultiplier`` of ESPI's (default 0),
  ``flowDirection`` 1 or 19, ``accumulationBehaviour`` 4 (deltaData) and ``commodity``
  0, 1 or 2 (electricity) when given;
- each IntervalReading has a ``timePeriod`` with ``start`` (epoch seconds) and a
  ``duration`` of 300, 900, 1800 or 3600 s (5, 15, 30, 60 minutes), its start
  aligned to that length in UTC, and a ``value`` that is not negative and comes to a
  whole number of Wh;
- an interval appears once per direction; both directions agree on its length;
  intervals do not overlap.

Export
------
Deterministic: no clock and no randomness. Atom ids are ``urn:uuid:`` UUID-5s of the
resource's path (the feed's: of its self path and period), so the same resource keeps
its id across exports; ``updated``/``published`` are *updated* when given, otherwise
the end of the data (the last interval's end, the billing period's end). Paths follow
ESPI's resource URIs under *base_url* (default ``/espi/1_1/resource``)::

    Batch/RetailCustomer/{household}/UsagePoint/{usage point}       the feed (self)
    RetailCustomer/{household}/UsagePoint/{usage point}             UsagePoint
        .../MeterReading/import, .../MeterReading/export            MeterReading
        .../MeterReading/{import|export}/IntervalBlock/{YYYY-MM-DD} one per UTC day
        .../UsageSummary/{period_start}_{period_end}                UsageSummary
    ReadingType/{meter}-{import|export}-{minutes}min                ReadingType
    LocalTimeParameters/UTC                                         tzOffset 0, no DST

The usage point of a readings feed is the meter, of an invoice feed the household.
Readings: both MeterReadings are always written, every interval in both (zeros
included), values in Wh (multiplier 0), ReadingType ``accumulationBehaviour`` 4,
``commodity`` 1, ``kind`` 12 (energy), ``intervalLength`` and ``measuringPeriod`` from
``interval_minutes`` (one length per feed).

Invoice (a ``UsageSummary``): ``billingPeriod`` is ``[period_start, period_end)`` at UTC
midnights; money is in hundred-thousandths of the currency (``amount * 10**(5 -
minor digits)``: a cent is 1000); ``billLastPeriod`` and ``costAdditionalLastPeriod``
are the total; each line is a ``costAdditionalDetailLastPeriod`` LineItem with
``amount``, ``note`` ``"{code}: {description}"``, ``itemKind`` (:data:`ITEM_KINDS`) and,
for an energy line, ``measurement`` (``quantity_wh`` in Wh) and ``unitCost`` (its price
per Wh in hundred-thousandths: for a two-digit currency the price per kWh in minor
units, unchanged); ``currency`` is the ISO 4217 numeric code (:data:`CURRENCIES`);
``overallConsumptionLastPeriod`` the metered import in Wh (``grid_import`` plus
``p2p_purchase`` quantities); ``tariffProfile`` the tariff id; the entry's ``summary``
names the ``inputs_hash``.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from defusedxml import (  # type: ignore[import-untyped]
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml import ElementTree as SafeElementTree

__all__ = [
    "ATOM_NAMESPACE",
    "CURRENCIES",
    "DEFAULT_BASE_URL",
    "ESPI_NAMESPACE",
    "ITEM_KINDS",
    "GreenButtonError",
    "export_invoice",
    "export_readings",
    "import_readings",
]

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ESPI_NAMESPACE = "http://naesb.org/espi"
DEFAULT_BASE_URL = "/espi/1_1/resource"

#: ISO 4217 alphabetic code -> (numeric code, digits of the minor unit)
CURRENCIES: Mapping[str, tuple[int, int]] = {
    "AUD": (36, 2),
    "CAD": (124, 2),
    "CHF": (756, 2),
    "CNY": (156, 2),
    "DKK": (208, 2),
    "EUR": (978, 2),
    "GBP": (826, 2),
    "INR": (356, 2),
    "JPY": (392, 0),
    "NOK": (578, 2),
    "SEK": (752, 2),
    "USD": (840, 2),
}

#: invoice line code -> ESPI LineItem itemKind
ITEM_KINDS: Mapping[str, int] = {
    "grid_import": 3,  # energy usage fee
    "p2p_purchase": 1,  # energy generation fee (a peer's generation)
    "p2p_grid_fee": 2,  # energy delivery fee
    "p2p_sale": 6,  # energy generation credit
    "feed_in": 6,  # energy generation credit
    "shortfall": 1,  # energy generation fee (replacement of undelivered energy)
    "fixed_charge": 4,  # administrative fee
}

_WH = 72
_FORWARD = 1
_REVERSE = 19
_DIRECTIONS = {_FORWARD: "import", _REVERSE: "export"}
_DELTA_DATA = 4
_ENERGY = 12
_NORMAL = 12
_ELECTRICITY_METERED = 1
_ELECTRICITY_COMMODITIES = (0, 1, 2)
_ELECTRICITY_SERVICE = 0
_MULTIPLIERS = (-12, -9, -6, -3, -2, -1, 0, 1, 2, 3, 6, 9, 12)
_INTERVAL_MINUTES = (5, 15, 30, 60)
#: interval_minutes -> ESPI TimeAttributeKind (ReadingType measuringPeriod)
_MEASURING_PERIODS = {5: 6, 15: 2, 30: 5, 60: 7}
_NO_DST = "FFFFFFFF"
_INT48_MAX = 2**47 - 1
_NOTE_MAX = 256
_DAY = 86_400
_LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:gridledger:greenbutton")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_READING_FIELDS = ("meter_id", "interval_start", "interval_minutes", "import_wh", "export_wh")
_INVOICE_FIELDS = (
    "household",
    "period_start",
    "period_end",
    "tariff_id",
    "currency",
    "lines",
    "inputs_hash",
)
_LINE_FIELDS = ("code", "description", "quantity_wh", "unit_price_per_kwh", "amount")


class GreenButtonError(ValueError):
    """A feed that cannot be imported, or readings or an invoice that cannot be exported."""


# -- import -------------------------------------------------------------------------------


def import_readings(xml: bytes, meter_id: str) -> list[dict[str, Any]]:
    """The readings of a Green Button feed, as meter *meter_id*'s, sorted by interval.

    Each is ``{"meter_id", "interval_start", "interval_minutes", "import_wh",
    "export_wh"}``; the rules are in the module docstring.
    """
    _check_id("meter_id", meter_id)
    resources = _resources(_parse(xml))
    _check_usage_points(resources["UsagePoint"])
    directions = _directions(resources["MeterReading"], resources["ReadingType"])
    intervals: dict[int, _Interval] = {}
    seen: dict[tuple[int, int], int] = {}
    number = 0
    for block in resources["IntervalBlock"]:
        direction, multiplier = directions[_owner(block, resources["MeterReading"])]
        for element in block.element.findall(_espi("IntervalReading")):
            number += 1
            where = f"IntervalReading {number}"
            start, minutes, wh = _interval_reading(element, where, multiplier)
            if (direction, start) in seen:
                raise GreenButtonError(
                    f"{where}: interval {_instant_text(start)} is already given for "
                    f"flowDirection {direction} (IntervalReading {seen[direction, start]})"
                )
            seen[direction, start] = number
            interval = intervals.setdefault(start, _Interval(minutes, number))
            if interval.minutes != minutes:
                raise GreenButtonError(
                    f"{where}: interval {_instant_text(start)} lasts {minutes} minutes but "
                    f"{interval.minutes} in IntervalReading {interval.number}"
                )
            if direction == _FORWARD:
                interval.import_wh = wh
            else:
                interval.export_wh = wh
    readings: list[dict[str, Any]] = []
    previous_start, previous = 0, None
    for start in sorted(intervals):
        interval = intervals[start]
        if previous is not None and start < previous_start + previous.minutes * 60:
            raise GreenButtonError(
                f"IntervalReading {interval.number}: interval {_instant_text(start)} overlaps "
                f"IntervalReading {previous.number} ({_instant_text(previous_start)}, "
                f"{previous.minutes} minutes)"
            )
        previous_start, previous = start, interval
        readings.append(
            {
                "meter_id": meter_id,
                "interval_start": _instant_text(start),
                "interval_minutes": interval.minutes,
                "import_wh": interval.import_wh,
                "export_wh": interval.export_wh,
            }
        )
    return readings


@dataclass
class _Interval:
    minutes: int
    number: int  # the first IntervalReading of the interval
    import_wh: int = 0
    export_wh: int = 0


@dataclass(frozen=True)
class _Resource:
    """An ESPI resource and the links of the Atom entry that carries it."""

    kind: str
    number: int
    element: ET.Element
    self_href: str | None
    up_href: str | None
    related: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.kind} {self.number}"


_IMPORTED_KINDS = ("UsagePoint", "MeterReading", "ReadingType", "IntervalBlock")


def _parse(xml: bytes) -> ET.Element:
    if not isinstance(xml, bytes | bytearray):
        raise TypeError(f"xml must be bytes, got {type(xml).__name__}")
    try:
        root: ET.Element = SafeElementTree.fromstring(
            bytes(xml), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DTDForbidden as exc:
        raise GreenButtonError(
            f"feed has a DTD (<!DOCTYPE {exc.name}>): DTDs and entities are refused"
        ) from exc
    except (EntitiesForbidden, ExternalReferenceForbidden) as exc:
        raise GreenButtonError(
            f"feed declares entity {exc.name}: DTDs and entities are refused"
        ) from exc
    except ET.ParseError as exc:
        raise GreenButtonError(f"feed is not well-formed XML: {exc}") from exc
    if root.tag != _atom("feed"):
        raise GreenButtonError(f"root element is {_show(root.tag)}, not an Atom feed")
    return root


def _resources(feed: ET.Element) -> dict[str, list[_Resource]]:
    found: dict[str, list[_Resource]] = {kind: [] for kind in _IMPORTED_KINDS}
    for position, entry in enumerate(feed.findall(_atom("entry")), 1):
        content = entry.find(_atom("content"))
        if content is None:
            continue
        for element in content:
            namespace, kind = _split(element.tag)
            if kind not in found:
                continue
            if namespace != ESPI_NAMESPACE:
                raise GreenButtonError(
                    f"entry {position}: {_show(element.tag)} is not in the ESPI namespace "
                    f"{ESPI_NAMESPACE}"
                )
            links: dict[str, list[str]] = {}
            for link in entry.findall(_atom("link")):
                href = (link.get("href") or "").strip().rstrip("/")
                if href:
                    links.setdefault(link.get("rel", "alternate"), []).append(href)
            found[kind].append(
                _Resource(
                    kind,
                    len(found[kind]) + 1,
                    element,
                    links.get("self", [None])[0],
                    links.get("up", [None])[0],
                    tuple(links.get("related", ())),
                )
            )
    return found


def _check_usage_points(usage_points: Sequence[_Resource]) -> None:
    if len(usage_points) > 1:
        raise GreenButtonError(
            f"feed has {len(usage_points)} UsagePoints: import one meter's feed at a time"
        )
    for usage_point in usage_points:
        kind = _integer(
            usage_point.element,
            ("ServiceCategory", "kind"),
            f"{usage_point.name}: ServiceCategory kind",
            required=False,
        )
        if kind is not None and kind != _ELECTRICITY_SERVICE:
            raise GreenButtonError(
                f"{usage_point.name}: ServiceCategory kind {kind} is not electricity (0)"
            )


def _directions(
    meter_readings: Sequence[_Resource], reading_types: Sequence[_Resource]
) -> dict[str, tuple[int, int]]:
    """MeterReading self href -> (flowDirection, powerOfTenMultiplier)."""
    if not meter_readings:
        raise GreenButtonError("feed has no MeterReading")
    by_href = {rt.self_href: rt for rt in reading_types if rt.self_href}
    found: dict[str, tuple[int, int]] = {}
    holders: dict[int, _Resource] = {}
    for meter_reading in meter_readings:
        if meter_reading.self_href is None:
            raise GreenButtonError(f"{meter_reading.name}: its entry has no self link")
        named = sorted({href for href in meter_reading.related if href in by_href})
        if not named:
            raise GreenButtonError(
                f"{meter_reading.name}: no related link names a ReadingType of the feed"
            )
        if len(named) > 1:
            raise GreenButtonError(
                f"{meter_reading.name}: related links name {len(named)} ReadingTypes"
            )
        direction, multiplier = _reading_type(by_href[named[0]])
        if direction in holders:
            raise GreenButtonError(
                f"{meter_reading.name}: {holders[direction].name} already has flowDirection "
                f"{direction}; a feed has one MeterReading per direction"
            )
        holders[direction] = meter_reading
        found[meter_reading.self_href] = (direction, multiplier)
    return found


def _reading_type(reading_type: _Resource) -> tuple[int, int]:
    name, element = reading_type.name, reading_type.element
    uom = _integer(element, ("uom",), f"{name}: uom")
    if uom != _WH:
        raise GreenButtonError(f"{name}: uom {uom} is not Wh (72)")
    multiplier = _integer(
        element, ("powerOfTenMultiplier",), f"{name}: powerOfTenMultiplier", required=False
    )
    if multiplier is None:
        multiplier = 0
    if multiplier not in _MULTIPLIERS:
        raise GreenButtonError(
            f"{name}: powerOfTenMultiplier {multiplier} is not an ESPI multiplier"
        )
    direction = _integer(element, ("flowDirection",), f"{name}: flowDirection")
    if direction not in _DIRECTIONS:
        raise GreenButtonError(
            f"{name}: flowDirection {direction} is neither 1 (forward, import) "
            "nor 19 (reverse, export)"
        )
    accumulation = _integer(
        element, ("accumulationBehaviour",), f"{name}: accumulationBehaviour", required=False
    )
    if accumulation is not None and accumulation != _DELTA_DATA:
        raise GreenButtonError(f"{name}: accumulationBehaviour {accumulation} is not deltaData (4)")
    commodity = _integer(element, ("commodity",), f"{name}: commodity", required=False)
    if commodity is not None and commodity not in _ELECTRICITY_COMMODITIES:
        raise GreenButtonError(f"{name}: commodity {commodity} is not electricity")
    assert direction is not None
    return direction, multiplier


def _owner(block: _Resource, meter_readings: Sequence[_Resource]) -> str:
    """The self href of the MeterReading *block* belongs to."""
    if block.up_href is None:
        raise GreenButtonError(f"{block.name}: its entry has no up link")
    for meter_reading in meter_readings:
        assert meter_reading.self_href is not None
        if block.up_href == f"{meter_reading.self_href}/IntervalBlock" or (
            block.up_href in meter_reading.related
        ):
            return meter_reading.self_href
    raise GreenButtonError(
        f"{block.name}: its up link {block.up_href} names no MeterReading of the feed"
    )


def _interval_reading(element: ET.Element, where: str, multiplier: int) -> tuple[int, int, int]:
    """(start epoch seconds, minutes, Wh) of one IntervalReading."""
    if element.find(_espi("timePeriod")) is None:
        raise GreenButtonError(f"{where}: timePeriod is missing")
    start = _integer(element, ("timePeriod", "start"), f"{where}: timePeriod start")
    duration = _integer(element, ("timePeriod", "duration"), f"{where}: timePeriod duration")
    value = _integer(element, ("value",), f"{where}: value")
    assert start is not None and duration is not None and value is not None
    if duration % 60 or duration // 60 not in _INTERVAL_MINUTES:
        raise GreenButtonError(f"{where}: duration {duration} s is not 5, 15, 30 or 60 minutes")
    minutes = duration // 60
    if not 0 <= start <= _LAST_SECOND:
        raise GreenButtonError(f"{where}: start {start} is not a time from 1970 to 9999")
    if start % duration:
        raise GreenButtonError(
            f"{where}: start {start} ({_instant_text(start)}) is not aligned to {minutes} minutes"
        )
    if value < 0:
        raise GreenButtonError(f"{where}: value {value} is negative")
    if multiplier >= 0:
        return start, minutes, value * 10**multiplier
    divisor = 10**-multiplier
    if value % divisor:
        raise GreenButtonError(
            f"{where}: value {value} at powerOfTenMultiplier {multiplier} is not a whole "
            "number of Wh"
        )
    return start, minutes, value // divisor


def _integer(
    parent: ET.Element, path: Sequence[str], what: str, *, required: bool = True
) -> int | None:
    element = parent.find("/".join(_espi(name) for name in path))
    if element is None:
        if required:
            raise GreenButtonError(f"{what} is missing")
        return None
    text = (element.text or "").strip()
    if not _INTEGER.fullmatch(text):
        raise GreenButtonError(f"{what} '{text}' is not an integer")
    return int(text)


# -- export -------------------------------------------------------------------------------


def export_readings(
    readings: Iterable[Mapping[str, Any]],
    *,
    household_id: str,
    meter_id: str,
    title: str,
    updated: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> bytes:
    """A Green Button feed (UTF-8 XML) of meter *meter_id*'s readings.

    Each reading is ``{"interval_start", "interval_minutes", "import_wh", "export_wh"}``
    and optionally ``"meter_id"`` (then *meter_id*); all have the same
    ``interval_minutes``. :func:`import_readings` of the result gives the readings back,
    sorted by interval.
    """
    _check_id("household_id", household_id)
    _check_id("meter_id", meter_id)
    _check_text("title", title)
    minutes, rows = _check_readings(readings, meter_id)
    first, last = rows[0][0], rows[-1][0] + timedelta(minutes=minutes)
    stamp = _check_updated(updated, last)
    paths = _Paths(household_id, meter_id)
    feed = _Feed(base_url, stamp)
    root = feed.start(
        f"{paths.batch}#{_instant_text(_epoch(first))}/{_instant_text(_epoch(last))}",
        paths.batch,
        title,
    )
    meter_readings = {
        direction: f"{paths.usage_point}/MeterReading/{name}"
        for direction, name in _DIRECTIONS.items()
    }
    usage_point = feed.entry(
        root,
        paths.usage_point,
        f"Meter {meter_id}",
        up=paths.usage_points,
        related=[f"{paths.usage_point}/MeterReading", _LOCAL_TIME],
        resource="UsagePoint",
    )
    _service_category(usage_point)
    _local_time_parameters(feed, root, paths)
    days: dict[date, list[tuple[datetime, int, int]]] = {}
    for row in rows:
        days.setdefault(row[0].date(), []).append(row)
    for direction, name in _DIRECTIONS.items():
        meter_reading = meter_readings[direction]
        reading_type = f"ReadingType/{_segment(meter_id)}-{name}-{minutes}min"
        feed.entry(
            root,
            meter_reading,
            f"Energy {'delivered to' if direction == _FORWARD else 'received from'} "
            f"the household ({name}), Wh per {minutes} minutes",
            up=f"{paths.usage_point}/MeterReading",
            related=[f"{meter_reading}/IntervalBlock", reading_type],
            resource="MeterReading",
        )
        _reading_type_content(
            feed.entry(
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
        for day, day_rows in days.items():
            block = feed.entry(
                root,
                f"{meter_reading}/IntervalBlock/{day.isoformat()}",
                f"{day.isoformat()} UTC",
                up=f"{meter_reading}/IntervalBlock",
                related=[],
                resource="IntervalBlock",
            )
            midnight = _epoch(datetime(day.year, day.month, day.day, tzinfo=UTC))
            _interval(block, "interval", _DAY, midnight)
            for begins, import_wh, export_wh in day_rows:
                reading = ET.SubElement(block, "IntervalReading")
                _interval(reading, "timePeriod", minutes * 60, _epoch(begins))
                _leaf(reading, "value", import_wh if direction == _FORWARD else export_wh)
    return _serialize(root)


def export_invoice(
    invoice: Mapping[str, Any],
    *,
    household_id: str,
    updated: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> bytes:
    """A Green Button feed (UTF-8 XML) of household *household_id*'s invoice, a UsageSummary.

    *invoice* is ``Invoice.to_record()`` (``total`` included or not; when given it must
    be the sum of the lines' amounts); the mapping is in the module docstring.
    """
    _check_id("household_id", household_id)
    bill = _check_invoice(invoice, household_id)
    stamp = _check_updated(updated, bill.end)
    paths = _Paths(household_id, household_id)
    summary_path = f"{paths.usage_point}/UsageSummary/{bill.period_start}_{bill.period_end}"
    feed = _Feed(base_url, stamp)
    root = feed.start(
        summary_path,
        paths.batch,
        f"GridLedger invoice {bill.owner}",
    )
    usage_point = feed.entry(
        root,
        paths.usage_point,
        f"Household {household_id}",
        up=paths.usage_points,
        related=[f"{paths.usage_point}/UsageSummary", _LOCAL_TIME],
        resource="UsagePoint",
    )
    _service_category(usage_point)
    _local_time_parameters(feed, root, paths)
    summary = feed.entry(
        root,
        summary_path,
        f"Invoice {bill.owner}, tariff {bill.tariff_id}",
        up=f"{paths.usage_point}/UsageSummary",
        related=[],
        resource="UsageSummary",
        summary=f"GridLedger invoice {bill.owner}, inputs_hash {bill.inputs_hash}",
    )
    numeric, digits = CURRENCIES[bill.currency]
    scale = 10 ** (5 - digits)
    start = _epoch(bill.start)
    _interval(summary, "billingPeriod", _epoch(bill.end) - start, start)
    total = sum(line.amount for line in bill.lines)
    _leaf(summary, "billLastPeriod", total * scale)
    _leaf(summary, "costAdditionalLastPeriod", total * scale)
    for line in bill.lines:
        item = ET.SubElement(summary, "costAdditionalDetailLastPeriod")
        _leaf(item, "amount", line.amount * scale)
        _leaf(item, "note", line.note)
        if line.unit_price_per_kwh is not None:
            _measurement(item, "measurement", line.quantity_wh)
        _leaf(item, "itemKind", ITEM_KINDS[line.code])
        if line.unit_price_per_kwh is not None:
            _leaf(item, "unitCost", line.unit_price_per_kwh * scale // 1000)
    _leaf(summary, "currency", numeric)
    consumed = sum(
        line.quantity_wh for line in bill.lines if line.code in ("grid_import", "p2p_purchase")
    )
    _measurement(summary, "overallConsumptionLastPeriod", consumed)
    _leaf(summary, "statusTimeStamp", _epoch(_parse_instant(stamp, "updated")))
    _leaf(summary, "commodity", _ELECTRICITY_METERED)
    _leaf(summary, "tariffProfile", bill.tariff_id)
    return _serialize(root)


_LOCAL_TIME = "LocalTimeParameters/UTC"


@dataclass(frozen=True)
class _Paths:
    """ESPI resource paths, relative to the base URL."""

    household: str
    usage_point_id: str

    @property
    def usage_points(self) -> str:
        return f"RetailCustomer/{_segment(self.household)}/UsagePoint"

    @property
    def usage_point(self) -> str:
        return f"{self.usage_points}/{_segment(self.usage_point_id)}"

    @property
    def batch(self) -> str:
        return f"Batch/{self.usage_point}"


class _Feed:
    """Builds the Atom feed: ids from paths, links under the base URL, one timestamp."""

    def __init__(self, base_url: str, stamp: str) -> None:
        _check_text("base_url", base_url)
        self._base = base_url.rstrip("/")
        self._stamp = stamp

    def href(self, path: str) -> str:
        return f"{self._base}/{path}"

    def start(self, key: str, self_path: str, title: str) -> ET.Element:
        root = ET.Element("feed", {"xmlns": ATOM_NAMESPACE})
        _leaf(root, "id", _urn(f"feed:{key}"))
        _leaf(root, "title", title)
        _leaf(root, "updated", self._stamp)
        self._link(root, "self", self_path, None)
        return root

    def entry(
        self,
        root: ET.Element,
        path: str,
        title: str,
        *,
        up: str,
        related: Sequence[str],
        resource: str,
        summary: str | None = None,
    ) -> ET.Element:
        """Append an entry for the resource at *path*; return its (empty) ESPI element."""
        entry = ET.SubElement(root, "entry")
        _leaf(entry, "id", _urn(path))
        self._link(entry, "self", path, f"espi-entry/{resource}")
        self._link(entry, "up", up, f"espi-feed/{resource}")
        for target in related:
            self._link(entry, "related", target, _link_type(target))
        _leaf(entry, "title", title)
        if summary is not None:
            _leaf(entry, "summary", summary)
        content = ET.SubElement(entry, "content")
        element = ET.SubElement(content, resource, {"xmlns": ESPI_NAMESPACE})
        _leaf(entry, "published", self._stamp)
        _leaf(entry, "updated", self._stamp)
        return element

    def _link(self, parent: ET.Element, rel: str, path: str, kind: str | None) -> None:
        attributes = {"rel": rel, "href": self.href(path)}
        if kind is not None:
            attributes["type"] = kind
        ET.SubElement(parent, "link", attributes)


_RESOURCE_KINDS = frozenset(
    (
        "IntervalBlock",
        "LocalTimeParameters",
        "MeterReading",
        "ReadingType",
        "UsagePoint",
        "UsageSummary",
    )
)


def _link_type(path: str) -> str:
    """``espi-feed/X`` for a collection path ``.../X``, ``espi-entry/X`` for ``.../X/id``."""
    parts = path.split("/")
    if parts[-1] in _RESOURCE_KINDS:
        return f"espi-feed/{parts[-1]}"
    return f"espi-entry/{parts[-2]}"


def _service_category(usage_point: ET.Element) -> None:
    category = ET.SubElement(usage_point, "ServiceCategory")
    _leaf(category, "kind", _ELECTRICITY_SERVICE)


def _local_time_parameters(feed: _Feed, root: ET.Element, paths: _Paths) -> None:
    parameters = feed.entry(
        root,
        _LOCAL_TIME,
        "UTC, no daylight saving time",
        up="LocalTimeParameters",
        related=[paths.usage_point],
        resource="LocalTimeParameters",
    )
    _leaf(parameters, "dstEndRule", _NO_DST)
    _leaf(parameters, "dstOffset", 0)
    _leaf(parameters, "dstStartRule", _NO_DST)
    _leaf(parameters, "tzOffset", 0)


def _reading_type_content(reading_type: ET.Element, direction: int, minutes: int) -> None:
    _leaf(reading_type, "accumulationBehaviour", _DELTA_DATA)
    _leaf(reading_type, "commodity", _ELECTRICITY_METERED)
    _leaf(reading_type, "dataQualifier", _NORMAL)
    _leaf(reading_type, "flowDirection", direction)
    _leaf(reading_type, "intervalLength", minutes * 60)
    _leaf(reading_type, "kind", _ENERGY)
    _leaf(reading_type, "powerOfTenMultiplier", 0)
    _leaf(reading_type, "timeAttribute", 0)
    _leaf(reading_type, "uom", _WH)
    _leaf(reading_type, "measuringPeriod", _MEASURING_PERIODS[minutes])


def _interval(parent: ET.Element, tag: str, duration: int, start: int) -> None:
    interval = ET.SubElement(parent, tag)
    _leaf(interval, "duration", duration)
    _leaf(interval, "start", start)


def _measurement(parent: ET.Element, tag: str, wh: int) -> None:
    measurement = ET.SubElement(parent, tag)
    _leaf(measurement, "powerOfTenMultiplier", 0)
    _leaf(measurement, "uom", _WH)
    _leaf(measurement, "value", wh)


def _leaf(parent: ET.Element, tag: str, value: str | int) -> None:
    ET.SubElement(parent, tag).text = str(value)


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    text: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return text + b"\n"


def _check_readings(
    readings: Iterable[Mapping[str, Any]], meter_id: str
) -> tuple[int, list[tuple[datetime, int, int]]]:
    """(interval minutes, [(start, import_wh, export_wh)] sorted by start)."""
    if isinstance(readings, str | bytes | Mapping):
        raise TypeError(f"readings must be an iterable of readings, got {type(readings).__name__}")
    minutes: int | None = None
    rows: dict[datetime, tuple[datetime, int, int]] = {}
    numbers: dict[datetime, int] = {}
    for number, reading in enumerate(readings, 1):
        where = f"reading {number}"
        if not isinstance(reading, Mapping):
            raise GreenButtonError(f"{where}: must be a mapping, got {type(reading).__name__}")
        unknown = sorted(str(key) for key in reading if key not in _READING_FIELDS)
        if unknown:
            raise GreenButtonError(f"{where}: unknown fields {', '.join(unknown)}")
        for name in _READING_FIELDS[1:]:
            if name not in reading:
                raise GreenButtonError(f"{where}: {name} is missing")
        if "meter_id" in reading and reading["meter_id"] != meter_id:
            raise GreenButtonError(
                f"{where}: meter_id {reading['meter_id']!r} is not meter {meter_id}"
            )
        start = _parse_instant(reading["interval_start"], f"{where}: interval_start")
        where = f"reading {number} ({reading['interval_start']})"
        length = reading["interval_minutes"]
        if type(length) is not int or length not in _INTERVAL_MINUTES:
            raise GreenButtonError(f"{where}: interval_minutes must be one of 5, 15, 30, 60")
        if minutes is None:
            minutes = length
        elif length != minutes:
            raise GreenButtonError(
                f"{where}: interval_minutes {length} differs from the first reading's "
                f"{minutes}; a feed has one interval length"
            )
        if (start.hour * 60 + start.minute) % length or start.second:
            raise GreenButtonError(f"{where}: interval is not aligned to {length} minutes")
        values = []
        for name in ("import_wh", "export_wh"):
            value = reading[name]
            if type(value) is not int or not 0 <= value <= _INT48_MAX:
                raise GreenButtonError(f"{where}: {name} must be an integer from 0 to 2**47 - 1")
            values.append(value)
        if start in rows:
            raise GreenButtonError(f"{where}: interval is given twice (reading {numbers[start]})")
        rows[start] = (start, values[0], values[1])
        numbers[start] = number
    if minutes is None:
        raise GreenButtonError("no readings to export")
    return minutes, [rows[start] for start in sorted(rows)]


@dataclass(frozen=True)
class _Line:
    code: str
    note: str
    quantity_wh: int
    unit_price_per_kwh: int | None
    amount: int


@dataclass(frozen=True)
class _Bill:
    owner: str
    period_start: str
    period_end: str
    start: datetime
    end: datetime
    tariff_id: str
    currency: str
    lines: tuple[_Line, ...]
    inputs_hash: str


def _check_invoice(invoice: Mapping[str, Any], household_id: str) -> _Bill:
    if not isinstance(invoice, Mapping):
        raise TypeError(f"invoice must be a mapping, got {type(invoice).__name__}")
    for name in _INVOICE_FIELDS:
        if name not in invoice:
            raise GreenButtonError(f"invoice: {name} is missing")
    household = invoice["household"]
    if household != household_id:
        raise GreenButtonError(f"invoice is for household {household!r}, not {household_id}")
    period_start, period_end = invoice["period_start"], invoice["period_end"]
    owner = f"{household} {period_start}/{period_end}"
    start = _parse_date(period_start, f"invoice {owner}: period_start")
    end = _parse_date(period_end, f"invoice {owner}: period_end")
    if end <= start:
        raise GreenButtonError(f"invoice {owner}: period must end after it starts")
    currency = invoice["currency"]
    if currency not in CURRENCIES:
        raise GreenButtonError(
            f"invoice {owner}: currency {currency!r} has no ISO 4217 numeric code here "
            f"(known: {', '.join(sorted(CURRENCIES))})"
        )
    tariff_id = invoice["tariff_id"]
    _check_text(f"invoice {owner}: tariff_id", tariff_id, limit=_NOTE_MAX)
    inputs_hash = invoice["inputs_hash"]
    _check_text(f"invoice {owner}: inputs_hash", inputs_hash)
    raw_lines = invoice["lines"]
    if not isinstance(raw_lines, Sequence) or isinstance(raw_lines, str | bytes):
        raise GreenButtonError(f"invoice {owner}: lines must be a list")
    lines = tuple(
        _check_line(raw, f"invoice {owner}: line {number}")
        for number, raw in enumerate(raw_lines, 1)
    )
    total = sum(line.amount for line in lines)
    if "total" in invoice and invoice["total"] != total:
        raise GreenButtonError(
            f"invoice {owner}: total {invoice['total']!r} is not the sum of the lines' "
            f"amounts ({total})"
        )
    scale = 10 ** (5 - CURRENCIES[currency][1])
    if abs(total) * scale > _INT48_MAX or any(
        abs(line.amount) * scale > _INT48_MAX for line in lines
    ):
        raise GreenButtonError(f"invoice {owner}: an amount exceeds ESPI's Int48")
    return _Bill(
        owner=owner,
        period_start=period_start,
        period_end=period_end,
        start=datetime(start.year, start.month, start.day, tzinfo=UTC),
        end=datetime(end.year, end.month, end.day, tzinfo=UTC),
        tariff_id=tariff_id,
        currency=currency,
        lines=lines,
        inputs_hash=inputs_hash,
    )


def _check_line(raw: Any, where: str) -> _Line:
    if not isinstance(raw, Mapping):
        raise GreenButtonError(f"{where}: must be a mapping, got {type(raw).__name__}")
    for name in _LINE_FIELDS:
        if name not in raw:
            raise GreenButtonError(f"{where}: {name} is missing")
    code = raw["code"]
    if code not in ITEM_KINDS:
        raise GreenButtonError(f"{where}: code {code!r} has no Green Button itemKind")
    where = f"{where} ({code})"
    description = raw["description"]
    _check_text(f"{where}: description", description)
    note = f"{code}: {description}"
    if len(note) > _NOTE_MAX:
        raise GreenButtonError(f"{where}: note is {len(note)} characters, ESPI allows {_NOTE_MAX}")
    quantity, price, amount = raw["quantity_wh"], raw["unit_price_per_kwh"], raw["amount"]
    if type(quantity) is not int or not 0 <= quantity <= _INT48_MAX:
        raise GreenButtonError(f"{where}: quantity_wh must be a non-negative integer")
    if price is not None and (type(price) is not int or not 0 <= price <= _INT48_MAX):
        raise GreenButtonError(
            f"{where}: unit_price_per_kwh must be a non-negative integer or None"
        )
    if type(amount) is not int:
        raise GreenButtonError(f"{where}: amount must be an integer")
    return _Line(code, note, quantity, price, amount)


# -- shared -------------------------------------------------------------------------------


def _check_id(name: str, value: Any) -> None:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise GreenButtonError(
            f"{name} {value!r} is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )


def _check_text(name: str, value: Any, *, limit: int | None = None) -> None:
    if not isinstance(value, str):
        raise GreenButtonError(f"{name} must be a string, got {type(value).__name__}")
    bad = _NOT_XML_CHAR.search(value)
    if bad:
        raise GreenButtonError(f"{name} has a character XML cannot carry: {bad.group()!r}")
    if limit is not None and len(value) > limit:
        raise GreenButtonError(f"{name} is {len(value)} characters, ESPI allows {limit}")


def _check_updated(updated: str | None, default: datetime) -> str:
    if updated is None:
        return _instant_text(_epoch(default))
    _parse_instant(updated, "updated")
    return updated


def _parse_instant(text: Any, what: str) -> datetime:
    if isinstance(text, str) and _INSTANT.fullmatch(text):
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            pass
    raise GreenButtonError(f"{what} {text!r} is not a UTC time like 2026-03-01T09:15:00Z")


def _parse_date(text: Any, what: str) -> date:
    if isinstance(text, str) and _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise GreenButtonError(f"{what} {text!r} is not a date like 2026-03-01")


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _instant_text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _segment(text: str) -> str:
    return quote(text, safe="")


def _urn(path: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, path)}"


def _atom(name: str) -> str:
    return f"{{{ATOM_NAMESPACE}}}{name}"


def _espi(name: str) -> str:
    return f"{{{ESPI_NAMESPACE}}}{name}"


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _show(tag: str) -> str:
    namespace, local = _split(tag)
    return f"<{local}> (namespace {namespace})" if namespace else f"<{local}> (no namespace)"
