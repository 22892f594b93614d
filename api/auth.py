"""Authentication by enrolment: a login is an enrolment at this API's org's Fabric CA.

An API serves one organisation's people. ``POST /auth/login`` enrols the identity
(enrolment id and secret) at the org's CA, keeps the certificate and the locally
generated key in the wallet (encrypted at rest), and returns a short-lived bearer
token naming that wallet entry. Service accounts (billing, meter head-ends) use an
API key instead, which their org admin creates (``POST /admin/api-keys``), mapped to
their wallet entry. Every ledger call is then signed with the caller's own key.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from apiflask import APIBlueprint, HTTPTokenAuth, MultiAuth, Schema, abort
from apiflask.fields import Integer, String
from apiflask.security import APIKeyHeaderAuth
from apiflask.validators import Length
from flask import current_app, g
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.ledger import User, access, ledger
from api.routes.schemas import ENROLLMENT_ID
from client import CAError

bp = APIBlueprint("auth", __name__, url_prefix="/auth", tag="Authentication")

token_auth = HTTPTokenAuth(scheme="Bearer", description="a token from POST /auth/login")
key_auth = APIKeyHeaderAuth(name="X-API-Key", description="a service account's API key")
auth = MultiAuth(token_auth, key_auth)


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="gridledger-login")


def issue_token(user: User) -> str:
    return str(serializer().dumps({"label": user.label, "org": access().org}))


@token_auth.verify_token
def verify_token(token: str) -> User | None:
    try:
        data = serializer().loads(token, max_age=current_app.config["TOKEN_TTL_SECONDS"])
    except SignatureExpired:
        abort(401, "the token has expired: log in again")
    except BadSignature:
        abort(401, "the token is not valid: log in again")
    if data.get("org") != access().org:
        abort(401, f"the token was not issued by the API of {access().org}: log in here")
    user = User(label=data["label"])
    g.user = user
    return user


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_keys() -> dict[str, dict[str, str]]:
    path = access().api_keys_file
    return json.loads(path.read_text()) if path.exists() else {}


@key_auth.verify_token
def verify_api_key(key: str) -> User | None:
    found = api_keys().get(key_digest(key))
    if found is None:
        abort(401, "unknown API key")
    user = User(label=found["label"])
    g.user = user
    return user


def create_api_key(label: str) -> str:
    """A new API key for a wallet entry; only its digest is stored (0600)."""
    path = access().api_keys_file
    keys = json.loads(path.read_text()) if path.exists() else {}
    key = secrets.token_urlsafe(24)
    keys[key_digest(key)] = {"label": label}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(keys, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


class LoginIn(Schema):
    org = String(
        load_default=None,
        validate=Length(1, 64),
        metadata={"description": "optional: this API's org key, checked when given"},
    )
    enrollment_id = String(
        required=True, validate=ENROLLMENT_ID, metadata={"example": "household1"}
    )
    secret = String(required=True, validate=Length(1, 256))


class LoginOut(Schema):
    token = String()
    token_type = String()
    expires_in = Integer()
    msp_id = String()
    role = String(allow_none=True)
    household_id = String(allow_none=True)


def enroll_into_wallet(enrollment_id: str, secret: str) -> User:
    """Enrol at the org's CA and keep the identity in the wallet (replacing an older one)."""
    here = access()
    try:
        enrollment = here.ca().enroll(enrollment_id, secret)
    except CAError as exc:
        abort(401, f"the {here.msp_id} CA refused the enrolment of {enrollment_id}: {exc}")
    here.wallet.put(enrollment_id, here.msp_id, enrollment)
    return User(label=enrollment_id)


@bp.post("/login")
@bp.input(LoginIn, arg_name="login")
@bp.output(LoginOut)
@bp.doc(summary="Log in: enrol at your org's Fabric CA and get a bearer token")
def login(login: dict[str, str]) -> dict[str, Any]:
    if login.get("org") not in (None, access().org):
        abort(
            400,
            f"this is the API of {access().org}; log in at the API of {login['org']}",
            detail={"org": [f"This API serves {access().org}."]},
        )
    user = enroll_into_wallet(login["enrollment_id"], login["secret"])
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
