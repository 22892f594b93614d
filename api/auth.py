"""Authentication by enrolment: a login is an enrolment at the user's org's Fabric CA.

``POST /auth/login`` enrols the identity (enrolment id and secret) at its org's CA,
keeps the certificate and the locally generated key in the wallet (encrypted at
rest), and returns a short-lived bearer token naming that wallet entry. Service
accounts (billing, meter head-ends) use an API key instead, mapped to their wallet
entry. Every ledger call is then signed with the caller's own key.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from apiflask import APIBlueprint, HTTPTokenAuth, MultiAuth, Schema, abort
from apiflask.fields import Integer, String
from apiflask.security import APIKeyHeaderAuth
from apiflask.validators import Length, OneOf
from flask import current_app, g
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.ledger import User, access, ledger
from client import CAError
from network.topology import ORGS, org_by_key

bp = APIBlueprint("auth", __name__, url_prefix="/auth", tag="Authentication")

token_auth = HTTPTokenAuth(scheme="Bearer", description="a token from POST /auth/login")
key_auth = APIKeyHeaderAuth(name="X-API-Key", description="a service account's API key")
auth = MultiAuth(token_auth, key_auth)

ORG_KEYS = [org.key for org in ORGS]


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="gridledger-login")


def issue_token(user: User) -> str:
    return str(serializer().dumps({"label": user.label, "org": user.org}))


@token_auth.verify_token
def verify_token(token: str) -> User | None:
    try:
        data = serializer().loads(token, max_age=current_app.config["TOKEN_TTL_SECONDS"])
    except SignatureExpired:
        abort(401, "the token has expired: log in again")
    except BadSignature:
        abort(401, "the token is not valid: log in again")
    user = User(label=data["label"], org=data["org"])
    g.user = user
    return user


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_keys() -> dict[str, dict[str, str]]:
    path = current_app.config["PATHS"].api_keys
    return json.loads(path.read_text()) if path.exists() else {}


@key_auth.verify_token
def verify_api_key(key: str) -> User | None:
    found = api_keys().get(key_digest(key))
    if found is None:
        abort(401, "unknown API key")
    user = User(label=found["label"], org=found["org"])
    g.user = user
    return user


def create_api_key(app: Any, label: str, org: str) -> str:
    """A new API key for a wallet entry; only its digest is stored."""
    path = app.config["PATHS"].api_keys
    keys = json.loads(path.read_text()) if path.exists() else {}
    key = secrets.token_urlsafe(24)
    keys[key_digest(key)] = {"label": label, "org": org}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys, indent=2))
    path.chmod(0o600)
    return key


class LoginIn(Schema):
    org = String(required=True, validate=OneOf(ORG_KEYS), metadata={"example": "community"})
    enrollment_id = String(
        required=True, validate=Length(1, 64), metadata={"example": "household1"}
    )
    secret = String(required=True, validate=Length(1, 256))


class LoginOut(Schema):
    token = String()
    token_type = String()
    expires_in = Integer()
    msp_id = String()
    role = String(allow_none=True)
    household_id = String(allow_none=True)


def wallet_label(org: str, enrollment_id: str) -> str:
    return f"{org}.{enrollment_id}"


def enroll_into_wallet(org_key: str, enrollment_id: str, secret: str) -> User:
    """Enrol at the org's CA and keep the identity in the wallet (replacing an older one)."""
    org = org_by_key(org_key)
    ledger = access()
    try:
        enrollment = ledger.ca(org).enroll(enrollment_id, secret)
    except CAError as exc:
        abort(401, f"the {org.msp_id} CA refused the enrolment of {enrollment_id}: {exc}")
    label = wallet_label(org_key, enrollment_id)
    ledger.wallet.put(label, org.msp_id, enrollment)
    return User(label=label, org=org_key)


@bp.post("/login")
@bp.input(LoginIn, arg_name="login")
@bp.output(LoginOut)
@bp.doc(summary="Log in: enrol at your org's Fabric CA and get a bearer token")
def login(login: dict[str, str]) -> dict[str, Any]:
    user = enroll_into_wallet(login["org"], login["enrollment_id"], login["secret"])
    g.user = user
    caller = ledger().caller
    return {
        "token": issue_token(user),
        "token_type": "Bearer",
        "expires_in": current_app.config["TOKEN_TTL_SECONDS"],
        "msp_id": caller.msp_id,
        "role": caller.role,
        "household_id": caller.household_id,
    }
