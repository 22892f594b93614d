"""Membership changes for the org's admin: the config updates this org's API keeps, what
each still needs, and this org's signature.

Admitting or removing a member takes the signatures of the members' admins, each made
at its own home (`api.routes.updates`, the same store and checks as ``/config-updates``).
The proposer sends the proposal file; here the admin imports it, reads what it changes,
signs with its own key, and downloads the signature file to send back. No key leaves
the org: the signature is made by this API with the signed-in admin's wallet entry.
"""

from __future__ import annotations

import json
from typing import Any

from apiflask import abort
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from api.dashboard.session import check_csrf, page, require_role
from api.ledger import access
from api.routes.updates import kept, sign_here, store, view_of
from gridspec.updates import UpdateError, UpdateProposal


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/membership", "membership", page(changes))
    bp.add_url_rule("/membership", "import_update", page(import_update), methods=["POST"])
    bp.add_url_rule(
        "/membership/<update_id>/signature", "sign_update", page(sign_update), methods=["POST"]
    )
    bp.add_url_rule(
        "/membership/<update_id>/signature.json", "signature_file", page(signature_file)
    )


def changes() -> Any:
    require_role("admin")
    views = [view_of(p) for p in store().proposals()]
    for view in views:
        view["signed_here"] = any(s["msp_id"] == access().msp_id for s in view["signatures"])
    pending = [v for v in views if v["receipt"] is None]
    done = [v for v in views if v["receipt"] is not None]
    return render_template(
        "dashboard/membership.html", pending=pending, done=done, msp_id=access().msp_id
    )


def import_update() -> Any:
    """A proposal file from another org's admin, kept here to be read and signed."""
    check_csrf()
    require_role("admin")
    try:
        proposal = UpdateProposal.from_json(json.loads(request.form.get("proposal", "")))
    except (ValueError, UpdateError) as exc:
        abort(400, f"the proposal file: {exc}")
    store().save_proposal(proposal)
    flash(f"Proposal {proposal.id} imported: read it, then sign.")
    return redirect(url_for("dashboard.membership"))


def sign_update(update_id: str) -> Any:
    check_csrf()
    require_role("admin")
    sign_here(update_id)
    flash(f"{access().msp_id} signed {update_id}: send the signature file to its proposer.")
    return redirect(url_for("dashboard.membership"))


def signature_file(update_id: str) -> Any:
    """This org's signature of an update, as the file the proposer adds."""
    require_role("admin")
    kept(update_id)
    mine = [s for s in store().signatures(update_id) if s.msp_id == access().msp_id]
    if not mine:
        abort(404, f"{access().msp_id} has not signed {update_id}")
    name = f"{update_id}-{access().msp_id}.signature.json"
    return Response(
        json.dumps(mine[-1].to_json(), indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
