"""Settlement of one interval's trades against what the meters measured.

:func:`settle_interval` turns the ``matched`` trades of a delivery interval into
:class:`~.trades.SettledTrade` records, using each household's
:class:`~.readings.IntervalReading` of that interval.

Rules:

1. **Inputs.** Every trade and reading is for *interval_start*
   (``settlement 2026-03-01T09:15:00Z: trade t-1 is for interval ...``); trade ids are
   unique; a household has at most one reading; every seller and buyer of a trade has
   a reading (``settlement ...: household h-2 has no reading``); a missing reading is
   an error rather than zero, so the chaincode settles only once the readings are in.
   Trades are :class:`~.trades.Trade` objects, hence status ``matched``: a trade
   already settled cannot be settled again.
2. **Allocation.** Trades are taken in ``trade_id`` order (= match order, so the
   better-priced orders of the merit order are served first). Each seller's metered
   ``export_wh`` and each buyer's metered ``import_wh`` is a budget consumed trade by
   trade: ``delivered_wh = min(energy_wh, seller's export left, buyer's import left)``.
3. **Status.** ``delivered`` when ``delivered_wh == energy_wh``, else
   ``partially_delivered`` (also when nothing was delivered). ``settled`` is set later
   by billing (:meth:`~.trades.SettledTrade.mark_settled`).
4. **Shortfall.** ``shortfall_wh = energy_wh - delivered_wh`` is charged to the
   **seller** at *grid_price_per_kwh*: ``shortfall_charge =
   energy_cost(shortfall_wh, grid_price_per_kwh)`` (the price is kept on the record as
   ``shortfall_price_per_kwh``). The buyer is made whole by the grid: its import not
   covered by delivered P2P energy is ordinary grid import on its invoice. The rule
   holds whichever side fell short: a buyer who imported less than it bought also
   leaves a shortfall on the seller's side of the trade.
   *grid_price_per_kwh* is the grid's import price for the interval, normally
   ``tariff.import_price_at(interval_start)``.
5. **Money.** The buyer pays and the seller receives ``delivered_amount =
   energy_cost(delivered_wh, price_per_kwh)``; these appear on the invoices.

The result is in ``trade_id`` order.
"""

from __future__ import annotations

from collections.abc import Iterable

from ._fields import check_int
from .errors import SettlementError
from .intervals import check_interval_start
from .readings import IntervalReading
from .trades import SettledTrade, Trade
from .units import MAX_PRICE_PER_KWH

__all__ = ["settle_interval"]


def settle_interval(
    interval_start: str,
    trades: Iterable[Trade],
    readings: Iterable[IntervalReading],
    grid_price_per_kwh: int,
) -> tuple[SettledTrade, ...]:
    """Settle the matched *trades* of *interval_start* against *readings* (rules above)."""
    check_interval_start(interval_start)
    owner = f"settlement {interval_start}"
    check_int(
        SettlementError, owner, "grid_price_per_kwh", grid_price_per_kwh, 0, MAX_PRICE_PER_KWH
    )
    trades, readings = tuple(trades), tuple(readings)
    for kind, items, expected in (
        ("trades", trades, Trade),
        ("readings", readings, IntervalReading),
    ):
        for item in items:
            if not isinstance(item, expected):
                raise TypeError(f"{kind} must be {expected.__name__}, got {type(item).__name__}")

    by_household: dict[str, IntervalReading] = {}
    for reading in readings:
        if reading.interval_start != interval_start:
            raise SettlementError(
                f"{owner}: reading of household {reading.household} is for interval "
                f"{reading.interval_start}"
            )
        if reading.household in by_household:
            raise SettlementError(
                f"{owner}: household {reading.household} has more than one reading"
            )
        by_household[reading.household] = reading

    ordered = sorted(trades, key=lambda trade: trade.trade_id)
    seen: set[str] = set()
    for trade in ordered:
        if trade.interval_start != interval_start:
            raise SettlementError(
                f"{owner}: trade {trade.trade_id} is for interval {trade.interval_start}"
            )
        if trade.trade_id in seen:
            raise SettlementError(f"{owner}: trade {trade.trade_id} is given more than once")
        seen.add(trade.trade_id)
    for household in sorted({t.seller for t in ordered} | {t.buyer for t in ordered}):
        if household not in by_household:
            raise SettlementError(f"{owner}: household {household} has no reading")

    export_left = {h: r.export_wh for h, r in by_household.items()}
    import_left = {h: r.import_wh for h, r in by_household.items()}
    settled = []
    for trade in ordered:
        delivered = min(trade.energy_wh, export_left[trade.seller], import_left[trade.buyer])
        export_left[trade.seller] -= delivered
        import_left[trade.buyer] -= delivered
        settled.append(SettledTrade.from_trade(trade, delivered, grid_price_per_kwh))
    return tuple(settled)
