"""Bidding agents: a household delegates its orders to an agent identity, and revokes it.

The agent identity itself (role ``agent``, the household's ``household_id``) is
registered by the community's admin (``POST /admin/identities``); the household then
delegates to it here, with the limits the ledger holds every agent's order to.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Nested, String
from apiflask.validators import Length, Range, Regexp

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.fields import MAX_PRICE, MAX_WH, Whole
from gridspec.ids import IDENTIFIER

bp = APIBlueprint("agents", __name__, url_prefix="/agents", tag="Agents")


class Limits(Schema):
    max_buy_price_per_kwh = Whole(required=True, validate=Range(0, MAX_PRICE))
    min_sell_price_per_kwh = Whole(required=True, validate=Range(0, MAX_PRICE))
    max_wh_per_interval = Whole(required=True, validate=Range(1, MAX_WH))


class DelegationIn(Schema):
    agent_id = String(
        required=True,
        validate=(
            Length(1, 64),
            Regexp(f"^{IDENTIFIER.pattern}$", error="must be an enrolment id like agent-h1"),
        ),
        metadata={"description": "the agent identity's enrolment id"},
    )
    limits = Nested(Limits, required=True)


class Delegation(Schema):
    agent_id = String()
    household_id = String()
    limits = Nested(Limits)
    granted_at = String()
    revoked_at = String(allow_none=True)


@bp.post("")
@bp.auth_required(auth)
@bp.input(DelegationIn, arg_name="delegation")
@bp.output(Delegation, status_code=201)
@bp.doc(summary="Delegate orders to an agent within limits, or change its limits (household)")
def grant(delegation: dict[str, Any]) -> Any:
    ledger().grant_agent(delegation["agent_id"], delegation["limits"])
    return _delegation(delegation["agent_id"])


@bp.delete("/<agent_id>")
@bp.auth_required(auth)
@bp.output(Delegation)
@bp.doc(summary="Revoke a delegation at once (household); final")
def revoke(agent_id: str) -> Any:
    ledger().revoke_agent(agent_id)
    return _delegation(agent_id)


@bp.get("")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="The caller household's delegations, live and revoked")
def mine(paging: dict[str, Any]) -> Any:
    return page_of(ledger().agents(), paging)


def _delegation(agent_id: str) -> Any:
    return next(d for d in ledger().agents() if d["agent_id"] == agent_id)
