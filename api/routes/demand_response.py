"""Demand response on the grid-event register, for the people who audit and measure it:
every revision of an OpenADR 3 event (anyone on the channel), and its effect on the
households' load against their baselines (the utility's operator, whose reads of the
readings each leave an access record). The events themselves are served by the
utility's VTN (``api/openadr``), as OpenADR 3 asks."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Dict, Integer, List, String
from apiflask.validators import Length, Range

from api.auth import auth
from api.ledger import ledger
from client.demand_response import BASELINE_DAYS, MAX_BASELINE_DAYS

MAX_HOUSEHOLDS = 500  # one request's worth of reads; a larger program measures in parts

bp = APIBlueprint("demand_response", __name__, url_prefix="/demand-response", tag="Demand response")


class BaselineQuery(Schema):
    baseline_days = Integer(
        load_default=BASELINE_DAYS,
        validate=Range(1, MAX_BASELINE_DAYS),
        metadata={"description": "how many days before the event make its baseline"},
    )
    household_id = List(
        String(validate=Length(3, 64)),
        load_default=[],
        validate=Length(max=MAX_HOUSEHOLDS),
        metadata={"description": "the households to measure (repeat it); default: all"},
    )


class Revision(Schema):
    event_id = String()
    revision = Integer()
    operation = String(metadata={"description": "CREATE, UPDATE or DELETE"})
    event = Dict(metadata={"description": "the OpenADR 3 event as the VENs were told"})
    digest = String(metadata={"description": "SHA-256 of the event's canonical JSON"})
    issued_by = Dict()
    recorded_at = String()
    tx_id = String()


class Effect(Schema):
    event_id = String()
    program_id = String()
    window = List(Dict())
    baseline_days = Integer()
    households = List(Dict())
    total = Dict()
    without_baseline = List(String())
    without_load = List(String())


@bp.get("/<event_id>/history")
@bp.auth_required(auth)
@bp.output(Revision(many=True))
@bp.doc(summary="Every revision of an OpenADR 3 event, oldest first, with who issued it")
def history(event_id: str) -> Any:
    return ledger().demand_response_history(event_id)


@bp.get("/<event_id>/effect")
@bp.auth_required(auth)
@bp.input(BaselineQuery, location="query", arg_name="query")
@bp.output(Effect)
@bp.doc(
    summary="The event's effect: each household's load in its window against its baseline "
    "(operator)"
)
def measured(event_id: str, query: dict[str, Any]) -> Any:
    try:
        return ledger().demand_response_effect(
            event_id, query["baseline_days"], query["household_id"]
        )
    except ValueError as exc:
        abort(422, str(exc))
