"""A GridLedger invoice out as a Green Button UsageSummary.

An invoice record (``Invoice.to_record()`` of ``chaincode/community/domain/billing.py``)
becomes one UsageSummary of the household's UsagePoint: ``billingPeriod`` is
``[period_start, period_end)`` at UTC midnights (so the feed's LocalTimeParameters
are UTC, no DST); money is in hundred-thousandths of the currency (``amount * 10**(5 -
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
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ._xml import (
    DEFAULT_BASE_URL,
    ELECTRICITY_METERED,
    FeedWriter,
    GreenButtonError,
    Paths,
    check_id,
    check_text,
    epoch,
    interval,
    leaf,
    local_time_parameters,
    measurement,
    parse_instant,
    serialize,
    stamp_of,
    usage_point,
)

__all__ = ["CURRENCIES", "ITEM_KINDS", "export_invoice"]

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

#: ESPI money and quantities are Int48
_INT48_MAX = 2**47 - 1
_NOTE_MAX = 256
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UTC = {"tz_offset": 0, "dst_offset": 0, "dst_start_rule": "FFFFFFFF", "dst_end_rule": "FFFFFFFF"}
_LOCAL_TIME = "LocalTimeParameters/UTC"
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
    check_id("household_id", household_id)
    bill = _check_invoice(invoice, household_id)
    stamp = stamp_of(updated, bill.end)
    paths = Paths(household_id, household_id)
    summary_path = f"{paths.usage_point}/UsageSummary/{bill.period_start}_{bill.period_end}"
    feed = FeedWriter(base_url, stamp)
    root = feed.start(
        summary_path,
        paths.batch,
        f"GridLedger invoice {bill.owner}",
    )
    usage_point(
        feed,
        root,
        paths,
        f"Household {household_id}",
        related=[f"{paths.usage_point}/UsageSummary", _LOCAL_TIME],
    )
    local_time_parameters(
        feed, root, _LOCAL_TIME, "UTC, no daylight saving time", paths.usage_point, _UTC
    )
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
    start = epoch(bill.start)
    interval(summary, "billingPeriod", epoch(bill.end) - start, start)
    total = sum(line.amount for line in bill.lines)
    leaf(summary, "billLastPeriod", total * scale)
    leaf(summary, "costAdditionalLastPeriod", total * scale)
    for line in bill.lines:
        item = ET.SubElement(summary, "costAdditionalDetailLastPeriod")
        leaf(item, "amount", line.amount * scale)
        leaf(item, "note", line.note)
        if line.unit_price_per_kwh is not None:
            measurement(item, "measurement", line.quantity_wh)
        leaf(item, "itemKind", ITEM_KINDS[line.code])
        if line.unit_price_per_kwh is not None:
            leaf(item, "unitCost", line.unit_price_per_kwh * scale // 1000)
    leaf(summary, "currency", numeric)
    consumed = sum(
        line.quantity_wh for line in bill.lines if line.code in ("grid_import", "p2p_purchase")
    )
    measurement(summary, "overallConsumptionLastPeriod", consumed)
    leaf(summary, "statusTimeStamp", epoch(parse_instant(stamp, "updated")))
    leaf(summary, "commodity", ELECTRICITY_METERED)
    leaf(summary, "tariffProfile", bill.tariff_id)
    return serialize(root)


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
    check_text(f"invoice {owner}: tariff_id", tariff_id, limit=_NOTE_MAX)
    inputs_hash = invoice["inputs_hash"]
    check_text(f"invoice {owner}: inputs_hash", inputs_hash)
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
    check_text(f"{where}: description", description)
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


def _parse_date(text: Any, what: str) -> date:
    if isinstance(text, str) and _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise GreenButtonError(f"{what} {text!r} is not a date like 2026-03-01")
