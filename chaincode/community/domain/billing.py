"""Invoices: one household, one billing period, grid and P2P energy netted together.

:func:`compute_invoice` bills the household *household* for the period
``[period_start, period_end)`` (dates ``YYYY-MM-DD``, UTC midnights, end exclusive)
from its :class:`~.readings.IntervalReading` records, its
:class:`~.trades.SettledTrade` records as buyer and as seller, and a
:class:`~.tariff.Tariff`.

Input rules (``invoice h-1 2026-03-01/2026-04-01: ...``):

- the period ends after it starts; the tariff is valid on its first day
  (``tariff tou-1 is valid only from 2026-04-01``); one tariff per invoice, so a
  tariff change inside a period means two invoices;
- every reading is the household's, inside the period, one per interval; an
  interval without a reading counts as no import and no export (the chaincode
  decides whether readings are complete before billing);
- every trade involves the household, has its interval inside the period, and
  appears once; its status is ``delivered``, ``partially_delivered`` or ``settled``;
- per interval, P2P energy bought (delivered) is at most the metered import and P2P
  energy sold (delivered) at most the metered export, as settlement guarantees
  (``household h-1 bought 1200 wh p2p in interval ... but imported only 1000 wh``).

Lines, in this order (``amount`` > 0 is a debit, < 0 a credit, all minor units):

1. ``grid_import``, one per tariff band, in the tariff's band order: the sum over the
   band's intervals of ``import_wh - P2P bought (delivered) in that interval``, at
   the band's ``import_price_per_kwh``; ``amount = energy_cost(quantity, price)``.
2. ``p2p_purchase``, one per trade as buyer, by ``trade_id``: ``delivered_wh`` at the
   trade's price; ``amount = delivered_amount`` (the trade's own rounding, so the
   seller's credit is the exact opposite).
3. ``p2p_grid_fee``, when the household bought P2P: total delivered P2P purchases at
   ``p2p_grid_fee_per_kwh``; ``amount = energy_cost(quantity, fee)``.
4. ``p2p_sale``, one per trade as seller, by ``trade_id``: ``delivered_wh`` at the
   trade's price; ``amount = -delivered_amount``.
5. ``feed_in``: the sum over intervals of ``export_wh - P2P sold (delivered)``, at
   ``feed_in_price_per_kwh``; ``amount = -energy_cost(quantity, price)``.
6. ``shortfall``, one per trade as seller with ``shortfall_wh > 0``, by ``trade_id``:
   ``shortfall_wh`` at the trade's ``shortfall_price_per_kwh``;
   ``amount = shortfall_charge``.
7. ``fixed_charge``: ``daily_fixed_charge * days``; ``quantity_wh`` 0 and
   ``unit_price_per_kwh`` ``None``.

``grid_import``, ``feed_in`` and ``fixed_charge`` lines are always present (possibly
zero), so every invoice of a tariff has the same skeleton. ``total`` is the sum of
the amounts. Each line rounds once (:func:`.units.energy_cost`, half up).

``inputs_hash`` (:func:`invoice_inputs_hash`) is the SHA-256 hex digest of the
canonical JSON (``sort_keys``, separators ``,`` and ``:``, UTF-8) of
:func:`invoice_inputs`: ``{"schema": "gridledger.invoice-inputs/1", "household",
"period": {"start", "end"}, "tariff", "readings" (sorted by interval), "trades"
(sorted by trade_id, each without its status)}``. The status is left out so the hash
is the same before and after billing marks the trades ``settled``; the order in
which inputs are passed never changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._fields import check_own_id, time_errors_as
from .errors import BillingError
from .intervals import date_start, parse_date, parse_instant
from .readings import IntervalReading
from .tariff import Tariff
from .trades import SettledTrade
from .units import energy_cost

__all__ = [
    "INPUTS_SCHEMA",
    "LINE_CODES",
    "Invoice",
    "InvoiceLine",
    "compute_invoice",
    "invoice_inputs",
    "invoice_inputs_hash",
]

INPUTS_SCHEMA = "gridledger.invoice-inputs/1"
LINE_CODES = (
    "grid_import",
    "p2p_purchase",
    "p2p_grid_fee",
    "p2p_sale",
    "feed_in",
    "shortfall",
    "fixed_charge",
)


@dataclass(frozen=True)
class InvoiceLine:
    """One line; ``amount`` in minor units, positive = debit, negative = credit."""

    code: str
    description: str
    quantity_wh: int
    unit_price_per_kwh: int | None
    amount: int

    def to_record(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "quantity_wh": self.quantity_wh,
            "unit_price_per_kwh": self.unit_price_per_kwh,
            "amount": self.amount,
        }


@dataclass(frozen=True)
class Invoice:
    """A household's invoice for ``[period_start, period_end)``."""

    household: str
    period_start: str
    period_end: str
    tariff_id: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    inputs_hash: str

    @property
    def total(self) -> int:
        """The sum of the lines' amounts (negative: the household is owed money)."""
        return sum(line.amount for line in self.lines)

    def to_record(self) -> dict[str, Any]:
        return {
            "household": self.household,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "tariff_id": self.tariff_id,
            "currency": self.currency,
            "lines": [line.to_record() for line in self.lines],
            "total": self.total,
            "inputs_hash": self.inputs_hash,
        }


@dataclass(frozen=True)
class _Inputs:
    household: str
    period_start: str
    period_end: str
    days: int
    tariff: Tariff
    readings: tuple[IntervalReading, ...]
    trades: tuple[SettledTrade, ...]


def _check_inputs(
    household: str,
    period_start: str,
    period_end: str,
    tariff: Tariff,
    readings: Iterable[IntervalReading],
    trades: Iterable[SettledTrade],
) -> _Inputs:
    check_own_id(BillingError, "invoice household", household)
    with time_errors_as(BillingError):
        first = parse_date(period_start, f"invoice {household}: period_start")
        last = parse_date(period_end, f"invoice {household}: period_end")
    owner = f"invoice {household} {period_start}/{period_end}"
    if last <= first:
        raise BillingError(f"{owner}: period must end after it starts")
    if not isinstance(tariff, Tariff):
        raise TypeError(f"tariff must be Tariff, got {type(tariff).__name__}")
    if parse_date(tariff.valid_from) > first:
        raise BillingError(
            f"{owner}: tariff {tariff.tariff_id} is valid only from {tariff.valid_from}"
        )
    readings, trades = tuple(readings), tuple(trades)
    for kind, items, expected in (
        ("readings", readings, IntervalReading),
        ("trades", trades, SettledTrade),
    ):
        for item in items:
            if not isinstance(item, expected):
                raise TypeError(f"{kind} must be {expected.__name__}, got {type(item).__name__}")

    start, end = parse_instant(date_start(period_start)), parse_instant(date_start(period_end))

    def inside(interval_start: str) -> bool:
        return start <= parse_instant(interval_start) < end

    seen: set[str] = set()
    for reading in sorted(readings, key=lambda r: r.interval_start):
        where = f"reading {reading.household} {reading.interval_start}"
        if reading.household != household:
            raise BillingError(f"{owner}: {where} is not the household's")
        if not inside(reading.interval_start):
            raise BillingError(f"{owner}: {where} is outside the period")
        if reading.interval_start in seen:
            raise BillingError(f"{owner}: {where} is given more than once")
        seen.add(reading.interval_start)
    seen = set()
    for trade in sorted(trades, key=lambda t: t.trade_id):
        where = f"trade {trade.trade_id}"
        if household not in (trade.seller, trade.buyer):
            raise BillingError(f"{owner}: {where} does not involve household {household}")
        if not inside(trade.interval_start):
            raise BillingError(
                f"{owner}: {where} is for interval {trade.interval_start}, outside the period"
            )
        if trade.trade_id in seen:
            raise BillingError(f"{owner}: {where} is given more than once")
        seen.add(trade.trade_id)
    return _Inputs(
        household=household,
        period_start=period_start,
        period_end=period_end,
        days=(last - first).days,
        tariff=tariff,
        readings=tuple(sorted(readings, key=lambda r: r.interval_start)),
        trades=tuple(sorted(trades, key=lambda t: t.trade_id)),
    )


def invoice_inputs(
    household: str,
    period_start: str,
    period_end: str,
    tariff: Tariff,
    readings: Iterable[IntervalReading],
    trades: Iterable[SettledTrade],
) -> dict[str, Any]:
    """The canonical document of an invoice's inputs, the one :func:`invoice_inputs_hash` hashes."""
    inputs = _check_inputs(household, period_start, period_end, tariff, readings, trades)
    return _document(inputs)


def _document(inputs: _Inputs) -> dict[str, Any]:
    trades = []
    for trade in inputs.trades:
        record = trade.to_record()
        del record["status"]
        trades.append(record)
    return {
        "schema": INPUTS_SCHEMA,
        "household": inputs.household,
        "period": {"start": inputs.period_start, "end": inputs.period_end},
        "tariff": inputs.tariff.to_record(),
        "readings": [reading.to_record() for reading in inputs.readings],
        "trades": trades,
    }


def _hash(document: dict[str, Any]) -> str:
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def invoice_inputs_hash(
    household: str,
    period_start: str,
    period_end: str,
    tariff: Tariff,
    readings: Iterable[IntervalReading],
    trades: Iterable[SettledTrade],
) -> str:
    """SHA-256 hex of the canonical JSON of :func:`invoice_inputs`."""
    return _hash(invoice_inputs(household, period_start, period_end, tariff, readings, trades))


def compute_invoice(
    household: str,
    period_start: str,
    period_end: str,
    tariff: Tariff,
    readings: Iterable[IntervalReading],
    trades: Iterable[SettledTrade],
) -> Invoice:
    """The invoice of *household* for ``[period_start, period_end)`` (rules above)."""
    inputs = _check_inputs(household, period_start, period_end, tariff, readings, trades)
    owner = f"invoice {household} {period_start}/{period_end}"
    bought = [trade for trade in inputs.trades if trade.buyer == household]
    sold = [trade for trade in inputs.trades if trade.seller == household]

    bought_in: dict[str, int] = {}
    sold_in: dict[str, int] = {}
    for trade in bought:
        bought_in[trade.interval_start] = (
            bought_in.get(trade.interval_start, 0) + trade.delivered_wh
        )
    for trade in sold:
        sold_in[trade.interval_start] = sold_in.get(trade.interval_start, 0) + trade.delivered_wh
    metered = {reading.interval_start: reading for reading in inputs.readings}
    for interval in sorted(set(bought_in) | set(sold_in)):
        reading = metered.get(interval)
        imported = reading.import_wh if reading else 0
        exported = reading.export_wh if reading else 0
        if bought_in.get(interval, 0) > imported:
            raise BillingError(
                f"{owner}: household {household} bought {bought_in[interval]} wh p2p in "
                f"interval {interval} but imported only {imported} wh"
            )
        if sold_in.get(interval, 0) > exported:
            raise BillingError(
                f"{owner}: household {household} sold {sold_in[interval]} wh p2p in "
                f"interval {interval} but exported only {exported} wh"
            )

    grid_import = [0] * len(tariff.bands)
    band_index = {band.name: index for index, band in enumerate(tariff.bands)}
    feed_in_wh = 0
    for interval, reading in metered.items():
        band = tariff.band_at(interval)
        grid_import[band_index[band.name]] += reading.import_wh - bought_in.get(interval, 0)
        feed_in_wh += reading.export_wh - sold_in.get(interval, 0)

    lines: list[InvoiceLine] = []
    for band, quantity in zip(tariff.bands, grid_import, strict=True):
        lines.append(
            InvoiceLine(
                "grid_import",
                f"grid import, band {band.name} {band.start}-{band.end} utc",
                quantity,
                band.import_price_per_kwh,
                energy_cost(quantity, band.import_price_per_kwh),
            )
        )
    for trade in bought:
        lines.append(
            InvoiceLine(
                "p2p_purchase",
                f"p2p purchase {trade.trade_id} from {trade.seller}, "
                f"interval {trade.interval_start}",
                trade.delivered_wh,
                trade.price_per_kwh,
                trade.delivered_amount,
            )
        )
    if bought:
        quantity = sum(trade.delivered_wh for trade in bought)
        fee = tariff.p2p_grid_fee_per_kwh
        lines.append(
            InvoiceLine(
                "p2p_grid_fee",
                "grid fee on p2p purchases",
                quantity,
                fee,
                energy_cost(quantity, fee),
            )
        )
    for trade in sold:
        lines.append(
            InvoiceLine(
                "p2p_sale",
                f"p2p sale {trade.trade_id} to {trade.buyer}, interval {trade.interval_start}",
                trade.delivered_wh,
                trade.price_per_kwh,
                -trade.delivered_amount,
            )
        )
    feed_in_price = tariff.feed_in_price_per_kwh
    lines.append(
        InvoiceLine(
            "feed_in",
            "feed-in of export not sold p2p",
            feed_in_wh,
            feed_in_price,
            -energy_cost(feed_in_wh, feed_in_price),
        )
    )
    for trade in sold:
        if trade.shortfall_wh:
            lines.append(
                InvoiceLine(
                    "shortfall",
                    f"shortfall on p2p sale {trade.trade_id}: sold {trade.energy_wh} wh, "
                    f"delivered {trade.delivered_wh} wh",
                    trade.shortfall_wh,
                    trade.shortfall_price_per_kwh,
                    trade.shortfall_charge,
                )
            )
    lines.append(
        InvoiceLine(
            "fixed_charge",
            f"fixed charge, {inputs.days} days at {tariff.daily_fixed_charge} per day",
            0,
            None,
            tariff.daily_fixed_charge * inputs.days,
        )
    )
    return Invoice(
        household=household,
        period_start=period_start,
        period_end=period_end,
        tariff_id=tariff.tariff_id,
        currency=tariff.currency,
        lines=tuple(lines),
        inputs_hash=_hash(_document(inputs)),
    )
