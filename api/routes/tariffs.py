"""Tariffs: the utility proposes, the regulator approves, billing uses the one in force."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.schemas import Tariff, TariffIn

bp = APIBlueprint("tariffs", __name__, url_prefix="/tariffs", tag="Tariffs")


@bp.post("")
@bp.auth_required(auth)
@bp.input(TariffIn, arg_name="tariff")
@bp.output(Tariff, status_code=201)
@bp.doc(summary="Propose a time-of-use tariff (utility operator)")
def propose(tariff: dict[str, Any]) -> Any:
    return ledger().propose_tariff(tariff)


@bp.post("/<tariff_id>/approval")
@bp.auth_required(auth)
@bp.output(Tariff)
@bp.doc(summary="Approve a proposed tariff (regulator)")
def approve(tariff_id: str) -> Any:
    return ledger().approve_tariff(tariff_id)


@bp.get("")
@bp.auth_required(auth)
@bp.output(Tariff(many=True))
@bp.doc(summary="Every tariff, approved or awaiting the regulator, by the day it starts")
def index() -> Any:
    return ledger().tariffs()


@bp.get("/<tariff_id>")
@bp.auth_required(auth)
@bp.output(Tariff)
def get(tariff_id: str) -> Any:
    return ledger().tariff(tariff_id)


@bp.get("/in-force/<day>")
@bp.auth_required(auth)
@bp.doc(summary="The approved tariff in force on a day (YYYY-MM-DD)")
def in_force(day: str) -> Any:
    return ledger().tariff_in_force(day)
