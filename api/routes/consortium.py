"""The consortium channel: members and k-anonymous community aggregates."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.schemas import (
    Aggregate,
    AggregateIn,
    Member,
    MemberIn,
    Period,
    Threshold,
    ThresholdIn,
)

bp = APIBlueprint("consortium", __name__, tag="Consortium")


@bp.get("/members")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
def members(paging: dict[str, Any]) -> Any:
    return page_of(ledger().members(), paging)


@bp.get("/members/<msp_id>")
@bp.auth_required(auth)
@bp.output(Member)
def member(msp_id: str) -> Any:
    return ledger().member(msp_id)


@bp.put("/members/<msp_id>")
@bp.auth_required(auth)
@bp.input(MemberIn, arg_name="member")
@bp.output(Member)
@bp.doc(summary="Register your own org in the member registry, or rename it (org admin)")
def put_member(msp_id: str, member: dict[str, str]) -> Any:
    here = ledger()
    if here.caller.role == "admin" and here.caller.msp_id == msp_id:
        current = next((m for m in here.members() if m["msp_id"] == msp_id), None)
        if current is not None and current["name"] != member["name"]:
            return here.update_member(msp_id, member["name"])
    return here.register_member(msp_id, member["name"], member["kind"])


@bp.post("/aggregates")
@bp.auth_required(auth)
@bp.input(AggregateIn, arg_name="aggregate")
@bp.output(Aggregate, status_code=201)
@bp.doc(summary="Publish a community's totals for an interval (utility operator; >= k households)")
def publish(aggregate: dict[str, Any]) -> Any:
    totals = {k: aggregate[k] for k in ("households", "import_wh", "export_wh")}
    return ledger().publish_aggregate(aggregate["community"], aggregate["interval_start"], totals)


@bp.get("/aggregates/<community>")
@bp.auth_required(auth)
@bp.input(Period, location="query", arg_name="period")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
def aggregates(community: str, period: dict[str, str], paging: dict[str, Any]) -> Any:
    return page_of(ledger().aggregates(community, period["start"], period["end"]), paging)


@bp.get("/aggregates/threshold")
@bp.auth_required(auth)
@bp.output(Threshold)
def threshold() -> Any:
    return ledger().threshold()


@bp.put("/aggregates/threshold")
@bp.auth_required(auth)
@bp.input(ThresholdIn, arg_name="setting")
@bp.output(Threshold)
@bp.doc(summary="Set k, the fewest households an aggregate may cover (regulator)")
def set_threshold(setting: dict[str, int]) -> Any:
    return ledger().set_threshold(setting["k"])
