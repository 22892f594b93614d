"""Org admins register their org's people at its Fabric CA, with GridLedger's roles."""

from __future__ import annotations

import secrets
from typing import Any

from apiflask import APIBlueprint, abort
from flask import g

from api.auth import auth
from api.ledger import access, ledger
from api.routes.schemas import IdentityIn, IdentityOut
from client import CAError
from network.topology import org_by_key

bp = APIBlueprint("admin", __name__, url_prefix="/admin", tag="Administration")


@bp.post("/identities")
@bp.auth_required(auth)
@bp.input(IdentityIn, arg_name="identity")
@bp.output(IdentityOut, status_code=201)
@bp.doc(summary="Register a person or service account at your org's CA (org admin)")
def register(identity: dict[str, Any]) -> Any:
    caller = ledger().caller
    if caller.role != "admin":
        abort(403, f"caller role '{caller.role}' may not register identities; allowed: admin")
    if identity["role"] == "household" and not identity.get("household_id"):
        abort(422, "a household identity needs a household_id")
    attributes = {"role": identity["role"]}
    if identity.get("household_id"):
        attributes["household_id"] = identity["household_id"]
    org = org_by_key(g.user.org)
    registrar = access().wallet.get(g.user.label).enrollment()
    secret = identity.get("secret") or secrets.token_urlsafe(18)
    try:
        access().ca(org).register(
            registrar, identity["enrollment_id"], secret=secret, attributes=attributes
        )
    except CAError as exc:
        abort(409 if "already registered" in str(exc) else 400, str(exc))
    return {
        "enrollment_id": identity["enrollment_id"],
        "secret": secret,
        "org": org.key,
        "role": identity["role"],
    }
