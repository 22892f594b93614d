"""The market per interval, for the utility's operator and billing staff.

Four hours of 15-minute intervals at a time: each interval's sealed order count, its
clearing (price, volume, offers and bids) once cleared, and its trades' settlement.
The buttons are the role table's (`gridspec.roles`): the operator clears an interval,
the operator or billing settles a cleared one; the chaincode checks again on submit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apiflask import abort
from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.dashboard.session import STAFF, check_csrf, page, require_role
from api.ledger import ledger
from gridspec.readings import format_instant, parse_instant

INTERVAL = timedelta(minutes=15)
WINDOW = 16  # intervals a page shows: four hours
DEFAULT_HOUR = 10  # where the day's solar surplus, and so the market, usually is


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/market", "market", page(market))
    bp.add_url_rule("/market/<interval_start>/clearing", "clear", page(clear), methods=["POST"])
    bp.add_url_rule("/market/<interval_start>/settlement", "settle", page(settle), methods=["POST"])


def window_start() -> datetime:
    """`?day=YYYY-MM-DD&hour=H` (UTC): the first interval shown."""
    text = request.args.get("day") or datetime.now(UTC).date().isoformat()
    try:
        day = date.fromisoformat(text)
        hour = int(request.args.get("hour", DEFAULT_HOUR))
    except ValueError:
        abort(400, "give day as YYYY-MM-DD and hour as 0-23")
    if not 0 <= hour <= 23:
        abort(400, f"hour {hour} is not 0-23")
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def intervals(start: datetime) -> list[dict[str, Any]]:
    """Each interval of the window: its order book, clearing and trades."""
    end = start + WINDOW * INTERVAL
    by_interval: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for trade in ledger().trades(format_instant(start), format_instant(end)):
        by_interval[trade["interval_start"]].append(trade)
    rows = []
    for index in range(WINDOW):
        interval = format_instant(start + index * INTERVAL)
        book = ledger().order_book(interval)
        clearing = ledger().clearing(interval) if book["cleared"] else None
        trades = by_interval.get(interval, [])
        rows.append(
            {
                "interval_start": interval,
                "orders": book["orders"],
                "cleared": book["cleared"],
                "clearing": clearing,
                "trades": trades,
                "settled": bool(trades) and all(t["status"] != "matched" for t in trades),
            }
        )
    return rows


def market() -> Any:
    require_role(*STAFF)
    start = window_start()
    return render_template(
        "dashboard/market.html",
        start=start,
        earlier=start - WINDOW * INTERVAL,
        later=start + WINDOW * INTERVAL,
        rows=intervals(start),
        can_clear=ledger().allowed("ClearInterval"),
        can_settle=ledger().allowed("SettleInterval"),
    )


def back_to(interval_start: str) -> Any:
    """The market page whose window holds `interval_start`."""
    try:
        moment = parse_instant(interval_start, "interval_start")
    except ValueError:
        return redirect(url_for("dashboard.market"))
    return redirect(url_for("dashboard.market", day=moment.date().isoformat(), hour=moment.hour))


def clear(interval_start: str) -> Any:
    check_csrf()
    require_role(*STAFF)
    made = ledger().clear_interval(interval_start)
    price = made.get("price_per_kwh")
    flash(
        f"{interval_start} cleared: {made['matched_wh']} Wh matched"
        + (f" at {price} c/kWh." if price is not None else ".")
    )
    return back_to(interval_start)


def settle(interval_start: str) -> Any:
    check_csrf()
    require_role(*STAFF)
    made = ledger().settle_interval(interval_start)
    flash(
        f"{interval_start} settled: {made['trades']} trade(s), {made['delivered_wh']} Wh "
        f"delivered, {made['shortfall_wh']} Wh short."
    )
    return back_to(interval_start)
