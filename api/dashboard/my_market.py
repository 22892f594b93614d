"""A household's own market day: its orders per interval, as placed, with each
interval's clearing price and the trades it made.

Orders are sealed: the household reads its own (`ListMyOrders`, like ``GET
/communities/<c>/orders``) and its own side of its trades; the clearing price and
volume are public. Nothing of another household's orders or trades is shown.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template

from api.dashboard.energy import chosen_day, days_around, format_day
from api.dashboard.session import own_household, page
from api.ledger import ledger


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/my-market", "my_market", page(my_market))


def my_market() -> Any:
    household = own_household()
    day = chosen_day()
    start, end = format_day(day), format_day(day + timedelta(days=1))
    orders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in ledger().my_orders(start, end):
        orders[order["interval_start"]].append(order)
    trades: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for trade in ledger().trades(start, end):
        trades[trade["interval_start"]].append(
            {**trade, "side": "sold" if trade["seller"] == household else "bought"}
        )
    rows = []
    for interval in sorted(set(orders) | set(trades)):
        book = ledger().order_book(interval)
        rows.append(
            {
                "interval_start": interval,
                "orders": orders.get(interval, []),
                "trades": trades.get(interval, []),
                "clearing": ledger().clearing(interval) if book["cleared"] else None,
            }
        )
    return render_template(
        "dashboard/my_market.html", household=household, rows=rows, **days_around(day)
    )
