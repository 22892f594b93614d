"""Org admins register their org's people at its Fabric CA, revoke and unlock them, and
give service accounts API keys, which they list, rotate and delete."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, NoReturn

from apiflask import APIBlueprint, abort
from flask import g

from api.auth import auth, enroll_into_wallet
from api.ledger import access, ledger
from api.routes.admin_schemas import (
    ApiKeyIn,
    ApiKeyOut,
    ApiKeyRecord,
    Revocation,
    RevocationIn,
    Unlocked,
)
from api.routes.schemas import IdentityIn, IdentityOut
from client import CAError
from client.facade import Caller
from gridspec.readings import format_instant

bp = APIBlueprint("admin", __name__, url_prefix="/admin", tag="Administration")

SERVICE_ROLES = ("billing", "meter")


def refused(error: CAError) -> NoReturn:
    """The CA's refusal as the API's: 404 when it has no such identity, else 400."""
    abort(404 if error.status == 404 or "not found" in str(error).lower() else 400, str(error))


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
    key, record = access().api_keys.create(user.label)
    return {"enrollment_id": user.label, "role": role, "api_key": key, **shown(record)}


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """An API key's record as the admin sees it: never its digest."""
    return {
        "key_id": record["key_id"],
        "enrollment_id": record["label"],
        "created_at": utc(record["created_at"]),
        "expires_at": utc(record["expires_at"]),
    }


def utc(seconds: int) -> str:
    return format_instant(datetime.fromtimestamp(seconds, UTC))


@bp.get("/api-keys")
@bp.auth_required(auth)
@bp.output(ApiKeyRecord(many=True))
@bp.doc(summary="The org's API keys that have not expired, soonest to expire first (org admin)")
def api_keys() -> Any:
    require_admin("list API keys")
    return [shown(record) for record in access().api_keys.listed()]


@bp.post("/api-keys/<key_id>/rotation")
@bp.auth_required(auth)
@bp.output(ApiKeyOut, status_code=201)
@bp.doc(
    summary="Rotate an API key: a new key for the same account; the old one works one more hour"
)
def rotate(key_id: str) -> Any:
    require_admin("rotate API keys")
    rotated = access().api_keys.rotate(key_id)
    if rotated is None:
        abort(404, f"no API key {key_id} (or it has expired)")
    key, record = rotated
    entry = access().wallet.get(record["label"])
    role = Caller.from_certificate(entry.msp_id, entry.certificate).role
    return {"enrollment_id": record["label"], "role": role, "api_key": key, **shown(record)}


@bp.delete("/api-keys/<key_id>")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Delete an API key: it stops working at once (org admin)")
def delete_api_key(key_id: str) -> Any:
    require_admin("delete API keys")
    if not access().api_keys.delete(key_id):
        abort(404, f"no API key {key_id}")
    return ""


@bp.post("/identities/<enrollment_id>/revocation")
@bp.auth_required(auth)
@bp.input(RevocationIn, arg_name="revocation")
@bp.output(Revocation, status_code=201)
@bp.doc(
    summary="Revoke a person or service account: at this API at once, and at the CA "
    "(the peers refuse it once the CA's list is in the channels: python -m network revoke)"
)
def revoke(enrollment_id: str, revocation: dict[str, str]) -> Any:
    require_admin("revoke identities")
    here = access()
    registrar = here.wallet.get(g.user.label).enrollment()
    if enrollment_id == g.user.label:
        abort(409, "an admin may not revoke itself")
    try:
        here.ca().revoke(registrar, enrollment_id, reason=revocation["reason"], gencrl=False)
    except CAError as exc:
        refused(exc)
    here.revocations.revoke_identity(enrollment_id, revocation["reason"], g.user.label)
    keys = here.api_keys.delete(label=enrollment_id)
    return {
        "enrollment_id": enrollment_id,
        "reason": revocation["reason"],
        "api_keys_deleted": keys,
    }


@bp.post("/identities/<enrollment_id>/unlock")
@bp.auth_required(auth)
@bp.output(Unlocked, status_code=201)
@bp.doc(
    summary="Unlock an identity after failed logins: the CA gives it a new secret (which "
    "clears the CA's count) and this API forgets its failures (org admin)"
)
def unlock(enrollment_id: str) -> Any:
    require_admin("unlock identities")
    here = access()
    registrar = here.wallet.get(g.user.label).enrollment()
    secret = secrets.token_urlsafe(18)
    try:
        here.ca().set_secret(registrar, enrollment_id, secret)
    except CAError as exc:
        refused(exc)
    here.logins.unlock(enrollment_id)
    return {"enrollment_id": enrollment_id, "secret": secret}
