"""Org admins register their org's people at its Fabric CA and give service accounts keys."""

from __future__ import annotations

import secrets
from typing import Any

from apiflask import APIBlueprint, abort
from flask import g

from api.auth import auth, create_api_key, enroll_into_wallet
from api.ledger import access, ledger
from api.routes.schemas import ApiKeyIn, ApiKeyOut, IdentityIn, IdentityOut
from client import CAError
from client.facade import Caller

bp = APIBlueprint("admin", __name__, url_prefix="/admin", tag="Administration")

SERVICE_ROLES = ("billing", "meter")


def require_admin(action: str) -> None:
    caller = ledger().caller
    if caller.role != "admin":
        abort(403, f"caller role '{caller.role}' may not {action}; allowed: admin")


@bp.post("/identities")
@bp.auth_required(auth)
@bp.input(IdentityIn, arg_name="identity")
@bp.output(IdentityOut, status_code=201)
@bp.doc(summary="Register a person or service account at your org's CA (org admin)")
def register(identity: dict[str, Any]) -> Any:
    require_admin("register identities")
    if identity["role"] in ("household", "agent") and not identity.get("household_id"):
        abort(422, f"a {identity['role']} identity needs a household_id")
    attributes = {"role": identity["role"]}
    if identity.get("household_id"):
        attributes["household_id"] = identity["household_id"]
    registrar = access().wallet.get(g.user.label).enrollment()
    secret = identity.get("secret") or secrets.token_urlsafe(18)
    try:
        access().ca().register(
            registrar, identity["enrollment_id"], secret=secret, attributes=attributes
        )
    except CAError as exc:
        abort(409 if "already registered" in str(exc) else 400, str(exc))
    return {
        "enrollment_id": identity["enrollment_id"],
        "secret": secret,
        "org": access().org,
        "role": identity["role"],
    }


@bp.post("/api-keys")
@bp.auth_required(auth)
@bp.input(ApiKeyIn, arg_name="account")
@bp.output(ApiKeyOut, status_code=201)
@bp.doc(summary="Enrol a service account (billing, meter head-end) and give it an API key")
def api_key(account: dict[str, str]) -> Any:
    require_admin("create API keys")
    user = enroll_into_wallet(account["enrollment_id"], account["secret"])
    entry = access().wallet.get(user.label)
    role = Caller.from_certificate(entry.msp_id, entry.certificate).role
    if role not in SERVICE_ROLES:
        abort(
            422,
            f"{account['enrollment_id']} has role '{role}': API keys are for service "
            f"accounts ({', '.join(SERVICE_ROLES)}); people log in",
        )
    return {"enrollment_id": user.label, "role": role, "api_key": create_api_key(user.label)}
