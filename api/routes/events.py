"""Grid incidents: the operator's append-only log of outages, faults and maintenance
(price and load-shed signals are OpenADR 3 events of the utility's VTN, `api/openadr`)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.schemas import EndIn, GridEvent, GridEventIn, Period

bp = APIBlueprint("events", __name__, url_prefix="/grid-events", tag="Grid events")


@bp.post("")
@bp.auth_required(auth)
@bp.input(GridEventIn, arg_name="event")
@bp.output(GridEvent, status_code=201)
@bp.doc(summary="Report a grid event (utility operator); append-only")
def report(event: dict[str, Any]) -> Any:
    return ledger().report_grid_event(event)


@bp.post("/<event_id>/end")
@bp.auth_required(auth)
@bp.input(EndIn, arg_name="closing")
@bp.output(GridEvent)
@bp.doc(summary="Append the end of an ongoing event, once (utility operator)")
def end(event_id: str, closing: dict[str, str]) -> Any:
    return ledger().end_grid_event(event_id, closing["end"])


@bp.get("/<event_id>")
@bp.auth_required(auth)
@bp.output(GridEvent)
def get(event_id: str) -> Any:
    return ledger().grid_event(event_id)


@bp.get("")
@bp.auth_required(auth)
@bp.input(Period, location="query", arg_name="period")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="Events starting in [start, end)")
def listing(period: dict[str, str], paging: dict[str, Any]) -> Any:
    return page_of(ledger().grid_events(period["start"], period["end"]), paging)
