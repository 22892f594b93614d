"""Admitting and removing consortium members, one admin signature at a time.

An org admin proposes a change (`POST /membership-changes`); the existing members'
admins each sign it with their own key, the one the API holds for their login
(`POST .../signatures`); once a majority has signed, an admin completes it
(`POST .../completion`), which submits the channel config updates and finishes the
job (`network/onboarding.py`). Proposing an admission starts the new org's nodes and
completing one creates its channel, so both take tens of seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from apiflask import APIBlueprint, abort
from flask import g

from api.auth import auth
from api.ledger import access, ledger
from api.routes.schemas import MembershipChange, MembershipChangeIn
from network import onboarding
from network.console import NetworkError
from network.topology import org_by_key

bp = APIBlueprint("membership", __name__, url_prefix="/membership-changes", tag="Membership")

ADMIN_ROLE = "admin"
STATUS = {
    onboarding.ChangeNotFound: 404,
    onboarding.NotEntitled: 403,
    onboarding.ChangeRefused: 409,
}


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) every caller but an org admin; map the steps' refusals to HTTP."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        caller = ledger().caller
        if caller.role != ADMIN_ROLE:
            abort(
                403,
                f"caller role '{caller.role}' may not change the membership; allowed: admin",
            )
        try:
            return view(*args, **kwargs)
        except NetworkError as exc:
            abort(next((c for t, c in STATUS.items() if isinstance(exc, t)), 502), str(exc))

    return checked


@bp.post("")
@bp.auth_required(auth)
@admin_required
@bp.input(MembershipChangeIn, arg_name="request")
@bp.output(MembershipChange, status_code=201)
@bp.doc(summary="Propose admitting an org (starts its nodes) or removing one (org admin)")
def propose(request: dict[str, Any]) -> Any:
    proposer = org_by_key(g.user.org)
    if request["kind"] == onboarding.ADMISSION:
        org = onboarding.new_org(request["org"], request.get("name"), request.get("msp_id"))
        change = onboarding.admit(org, proposer)
    else:
        change = onboarding.remove(request["org"], proposer)
    return change.to_json()


@bp.get("/<change_id>")
@bp.auth_required(auth)
@admin_required
@bp.output(MembershipChange)
@bp.doc(summary="A membership change: its updates, signatures, what it still needs")
def show(change_id: str) -> Any:
    return onboarding.load_change(change_id).to_json()


@bp.post("/<change_id>/signatures")
@bp.auth_required(auth)
@admin_required
@bp.output(MembershipChange, status_code=201)
@bp.doc(summary="Sign a membership change with your own admin key (one signature per org)")
def sign(change_id: str) -> Any:
    change = onboarding.load_change(change_id)
    entry = access().wallet.get(g.user.label)
    onboarding.sign_with(change, entry.msp_id, entry.certificate, entry.signer())
    return onboarding.load_change(change_id).to_json()


@bp.post("/<change_id>/completion")
@bp.auth_required(auth)
@admin_required
@bp.output(MembershipChange)
@bp.doc(summary="Submit a change a majority has signed, and finish it (org admin)")
def complete(change_id: str) -> Any:
    change = onboarding.load_change(change_id)
    onboarding.complete(change, org_by_key(g.user.org))
    return onboarding.load_change(change_id).to_json()
