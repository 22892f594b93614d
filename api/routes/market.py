"""The P2P market: sealed orders, the order book, clearing, settlement and trades."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.schemas import Clearing, OrderBook, OrderIn, OrderOut, Period, Settlement

bp = APIBlueprint("market", __name__, tag="Market")


@bp.post("/orders")
@bp.auth_required(auth)
@bp.input(OrderIn, arg_name="order")
@bp.output(OrderOut, status_code=201)
@bp.doc(summary="Place a sealed offer or bid (household with an active meter)")
def place(order: dict[str, Any]) -> Any:
    return ledger().place_order(order)


@bp.get("/intervals/<interval_start>/order-book")
@bp.auth_required(auth)
@bp.output(OrderBook)
@bp.doc(summary="How many sealed orders an interval has, and whether it is cleared")
def order_book(interval_start: str) -> Any:
    return ledger().order_book(interval_start)


@bp.post("/intervals/<interval_start>/clearing")
@bp.auth_required(auth)
@bp.output(Clearing, status_code=201)
@bp.doc(summary="Close the gate and clear one interval (utility operator)")
def clear(interval_start: str) -> Any:
    return ledger().clear_interval(interval_start)


@bp.get("/intervals/<interval_start>/clearing")
@bp.auth_required(auth)
@bp.output(Clearing)
def clearing(interval_start: str) -> Any:
    return ledger().clearing(interval_start)


@bp.post("/intervals/<interval_start>/settlement")
@bp.auth_required(auth)
@bp.output(Settlement, status_code=201)
@bp.doc(summary="Settle a cleared interval against the meters (utility operator or billing)")
def settle(interval_start: str) -> Any:
    return ledger().settle_interval(interval_start)


@bp.get("/trades")
@bp.auth_required(auth)
@bp.input(Period, location="query", arg_name="period")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="Trades of the intervals in [start, end)")
def trades(period: dict[str, str], paging: dict[str, Any]) -> Any:
    return page_of(ledger().trades(period["start"], period["end"]), paging)
