"""Community funding (consortium channel): campaigns, pledges, approvals, release, refunds.

Money is in integer minor units of the campaign's currency. A campaign's individual
pledges are shown to the utility and, each its own, to the households that made them;
everyone else sees totals.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.funding_schemas import (
    Approval,
    Campaign,
    CampaignIn,
    Pledge,
    PledgeIn,
    RefundIn,
    Refunds,
)

bp = APIBlueprint("funding", __name__, url_prefix="/campaigns", tag="Community funding")


@bp.post("")
@bp.auth_required(auth)
@bp.input(CampaignIn, arg_name="campaign")
@bp.output(Campaign, status_code=201)
@bp.doc(summary="Open a campaign (the utility's operator or a community's admin); idempotent")
def create(campaign: dict[str, Any]) -> Any:
    return ledger().create_campaign(campaign)


@bp.get("")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="Every campaign with its totals")
def campaigns(paging: dict[str, Any]) -> Any:
    return page_of(ledger().campaigns(), paging)


@bp.get("/<campaign_id>")
@bp.auth_required(auth)
@bp.output(Campaign)
def campaign(campaign_id: str) -> Any:
    return ledger().campaign(campaign_id)


@bp.post("/<campaign_id>/pledges")
@bp.auth_required(auth)
@bp.input(PledgeIn, arg_name="pledge")
@bp.output(Pledge, status_code=201)
@bp.doc(summary="Pledge to an open campaign (household); idempotent per pledge id")
def pledge(campaign_id: str, pledge: dict[str, Any]) -> Any:
    return ledger().pledge(campaign_id, pledge["pledge_id"], pledge["amount"])


@bp.get("/<campaign_id>/pledges")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="The caller household's own pledges of the campaign")
def my_pledges(campaign_id: str, paging: dict[str, Any]) -> Any:
    return page_of(ledger().my_pledges(campaign_id), paging)


@bp.post("/<campaign_id>/approvals")
@bp.auth_required(auth)
@bp.output(Approval, status_code=201)
@bp.doc(summary="Sign off the milestone for the caller's org (an admin of an approver org)")
def approve(campaign_id: str) -> Any:
    return ledger().approve_milestone(campaign_id)


@bp.post("/<campaign_id>/release")
@bp.auth_required(auth)
@bp.output(Campaign)
@bp.doc(summary="Release the pledges to the contractor (utility operator; goal met, approved)")
def release(campaign_id: str) -> Any:
    return ledger().release(campaign_id)


@bp.post("/<campaign_id>/refunds")
@bp.auth_required(auth)
@bp.input(RefundIn, arg_name="refund")
@bp.output(Refunds)
@bp.doc(
    summary="After a failed campaign's deadline: refund a household's own pledge "
    "(pledge_id, household) or every pledge left (no pledge_id, utility operator)"
)
def refund(campaign_id: str, refund: dict[str, Any]) -> Any:
    if refund["pledge_id"] is None:
        return ledger().refund_all(campaign_id)
    pledge = ledger().refund(campaign_id, refund["pledge_id"])
    return {"campaign_id": campaign_id, "pledges": [pledge], "amount": pledge["amount"]}
