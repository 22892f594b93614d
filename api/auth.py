"""Authentication by enrolment: a login is an enrolment at this API's org's Fabric CA.

An API serves one organisation's people. ``POST /auth/login`` enrols the identity
(enrolment id and secret) at the org's CA, keeps the certificate and the locally
generated key in the wallet (encrypted at rest), and returns a short-lived bearer
token naming that wallet entry; logins are throttled (:mod:`api.logins`) so that no
one's guesses lock a person out at the CA. Service accounts (billing, meter head-ends)
use an API key instead, which their org admin creates (``POST /admin/api-keys``),
mapped to their wallet entry (:mod:`api.credentials`). Every ledger call is then
signed with the caller's own key.

Revocation bites at once here: every request checks that its identity has not been
revoked at this API (``POST /admin/identities/<id>/revocation``, or the operator's
``python -m network revoke``) and that its token was not logged out
(``POST /auth/logout``); the peers refuse the identity too once the CA's revocation
list is in the channels' configuration.
"""

from __future__ import annotations

import secrets
from typing import Any

from apiflask import APIBlueprint, HTTPTokenAuth, MultiAuth, Schema, abort
from apiflask.fields import Integer, String
from apiflask.security import APIKeyHeaderAuth
from apiflask.validators import Length
from flask import current_app, g, has_request_context, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.ledger import User, access, ledger
from api.logins import Throttled
from api.routes.fields import ENROLLMENT_ID
from client import CAError

bp = APIBlueprint("auth", __name__, url_prefix="/auth", tag="Authentication")

token_auth = HTTPTokenAuth(scheme="Bearer", description="a token from POST /auth/login")
key_auth = APIKeyHeaderAuth(name="X-API-Key", description="a service account's API key")
auth = MultiAuth(token_auth, key_auth)


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="gridledger-login")


def issue_token(user: User) -> str:
    claims = {"label": user.label, "org": access().org, "jti": secrets.token_urlsafe(12)}
    return str(serializer().dumps(claims))


def signed_in(label: str) -> User:
    """The request's user, unless its identity has been revoked at this API."""
    revoked = access().revocations.identity(label)
    if revoked is not None:
        abort(401, f"{label} was revoked ({revoked['reason']}): it may no longer use this API")
    user = User(label=label)
    g.user = user
    return user


@token_auth.verify_token
def verify_token(token: str) -> User | None:
    try:
        data, issued = serializer().loads(
            token, max_age=current_app.config["TOKEN_TTL_SECONDS"], return_timestamp=True
        )
    except SignatureExpired:
        abort(401, "the token has expired: log in again")
    except BadSignature:
        abort(401, "the token is not valid: log in again")
    if data.get("org") != access().org:
        abort(401, f"the token was not issued by the API of {access().org}: log in here")
    if access().revocations.token(data.get("jti", "")):
        abort(401, "the token was logged out: log in again")
    g.token = {"jti": data.get("jti", ""), "issued_at": int(issued.timestamp())}
    return signed_in(data["label"])


@key_auth.verify_token
def verify_api_key(key: str) -> User | None:
    found = access().api_keys.find(key)
    if found is None:
        abort(401, "unknown or expired API key: ask your org admin for a new one")
    g.api_key = found["key_id"]
    return signed_in(found["label"])


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
    """Enrol at the org's CA, if the login guard lets the secret go there, and keep the
    identity in the wallet (replacing an older one)."""
    here = access()
    address = (request.remote_addr if has_request_context() else None) or "this host"
    try:
        here.logins.admit(enrollment_id, address, secret)
    except Throttled as exc:
        abort(
            429,
            exc.reason,
            detail={"retry_after": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )
    try:
        enrollment = here.ca().enroll(enrollment_id, secret)
    except CAError as exc:
        here.logins.failed(enrollment_id, address)
        abort(401, f"the {here.msp_id} CA refused the enrolment of {enrollment_id}: {exc}")
    here.logins.succeeded(enrollment_id, secret)
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
    signed_in(user.label)
    caller = ledger().caller
    return {
        "token": issue_token(user),
        "token_type": "Bearer",
        "expires_in": current_app.config["TOKEN_TTL_SECONDS"],
        "msp_id": caller.msp_id,
        "role": caller.role,
        "household_id": caller.household_id,
    }


@bp.post("/logout")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Log out: the bearer token stops working at once")
def logout() -> Any:
    token = g.get("token")
    if token is None:
        abort(400, "an API key is not logged out: your org admin deletes or rotates it")
    ttl = current_app.config["TOKEN_TTL_SECONDS"]
    access().revocations.revoke_token(token["jti"], token["issued_at"] + ttl)
    return ""
