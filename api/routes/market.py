"""The P2P market: sealed orders, the order book, clearing, settlement and trades."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.market_schemas import (
    AuditIn,
    AuditReport,
    Clearing,
    ClearingDetail,
    OrderBook,
    OrderDisclosure,
    OrderIn,
    OrderOut,
    Settlement,
)
from api.routes.schemas import Period

bp = APIBlueprint("market", __name__, tag="Market")


@bp.post("/orders")
@bp.auth_required(auth)
@bp.input(OrderIn, arg_name="order")
@bp.output(OrderOut, status_code=201)
@bp.doc(summary="Place a sealed offer or bid (household with an active meter)")
def place(order: dict[str, Any]) -> Any:
    return ledger().place_order(order)


@bp.get("/orders")
@bp.auth_required(auth)
@bp.input(Period, location="query", arg_name="period")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(
    summary="The signed-in household's own orders of the intervals in [start, end), a "
    "day at most, as placed (side, energy, price limit)"
)
def my_orders(period: dict[str, str], paging: dict[str, Any]) -> Any:
    return page_of(ledger().my_orders(period["start"], period["end"]), paging)


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
@bp.doc(summary="The public clearing record: price, volume, counts and commitments (anyone)")
def clearing(interval_start: str) -> Any:
    return ledger().clearing(interval_start)


@bp.get("/intervals/<interval_start>/clearing/detail")
@bp.auth_required(auth)
@bp.output(ClearingDetail)
@bp.doc(summary="The clearing with its trades and fills (utility and community staff)")
def clearing_detail(interval_start: str) -> Any:
    return ledger().clearing_detail(interval_start)


@bp.get("/intervals/<interval_start>/disclosure")
@bp.auth_required(auth)
@bp.output(OrderDisclosure)
@bp.doc(summary="The orders of a cleared interval, as placed, for the regulator's audit")
def disclosure(interval_start: str) -> Any:
    return ledger().clearing_disclosure(interval_start)


@bp.post("/intervals/<interval_start>/audit")
@bp.auth_required(auth)
@bp.input(AuditIn, arg_name="disclosed")
@bp.output(AuditReport)
@bp.doc(
    summary="Audit a clearing: check disclosed orders against its commitments and the "
    "clearing rule, on this org's own peer (the regulator's, for the regulator)"
)
def audit(interval_start: str, disclosed: dict[str, Any]) -> Any:
    return ledger().audit_clearing(interval_start, disclosed["orders"])


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
@bp.doc(
    summary="Trades of the intervals in [start, end): a household's own, every trade for "
    "the utility's and community's staff"
)
def trades(period: dict[str, str], paging: dict[str, Any]) -> Any:
    return page_of(ledger().trades(period["start"], period["end"]), paging)
