"""Meters: the operator registers them; anyone on the channel reads the registry."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.schemas import Meter, MeterIn, MeterQuery

bp = APIBlueprint("meters", __name__, url_prefix="/meters", tag="Meters")


@bp.post("")
@bp.auth_required(auth)
@bp.input(MeterIn, arg_name="meter")
@bp.output(Meter, status_code=201)
@bp.doc(summary="Register a meter (utility operator); personal details stay private")
def register(meter: dict[str, Any]) -> Any:
    return ledger().register_meter(
        meter["meter_id"],
        meter["household_id"],
        meter["feeder"],
        meter["device_public_key"],
        meter.get("personal"),
    )


@bp.get("")
@bp.auth_required(auth)
@bp.input(MeterQuery, location="query", arg_name="query")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(
    summary="Meters with the last day each sent readings: a household's own, or every "
    "meter (or one household's) for the utility's and community's staff"
)
def index(query: dict[str, str], paging: dict[str, Any]) -> Any:
    return page_of(ledger().meters(query["household_id"]), paging)


@bp.get("/<meter_id>")
@bp.auth_required(auth)
@bp.output(Meter)
@bp.doc(summary="A meter's registry record")
def get(meter_id: str) -> Any:
    return ledger().meter(meter_id)
