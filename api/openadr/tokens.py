"""Who is calling the VTN: OAuth 2 client credentials that are the org's own logins.

A VEN or the utility's business logic (its operator) asks for a token at ``POST
/auth/token`` with ``grant_type=client_credentials``, its enrolment id as
``client_id`` and its enrolment secret as ``client_secret``: the same enrolment at the
utility's Fabric CA as ``POST /auth/login``, throttled the same way, so there is no
second account system. The token is the API's own bearer token: it expires, is logged
out and revoked exactly like a login's.

Scopes follow the caller's role (OpenADR 3's two kinds of client): the ``operator``
is the business logic and writes programs and events; a ``ven`` identity (a device
or an aggregator the utility's admin registered) writes its own VEN object, reports
and subscriptions. Both read programs and events. Other roles have no OpenADR access.
"""

from __future__ import annotations

from dataclasses import dataclass

from apiflask import HTTPError, abort
from flask import current_app, g, request

from api.auth import enroll_into_wallet, issue_token, verify_token
from api.ledger import User, ledger

__all__ = ["Client", "client", "require", "token_response"]

BUSINESS_LOGIC = frozenset(
    {"read_all", "write_programs", "write_events", "write_subscriptions", "write_vens"}
)
VEN = frozenset({"read_all", "write_reports", "write_subscriptions", "write_vens"})
SCOPES = {"operator": BUSINESS_LOGIC, "ven": VEN}


@dataclass(frozen=True)
class Client:
    """A signed-in OpenADR client: its name (enrolment id), role and scopes."""

    name: str
    role: str
    scopes: frozenset[str]

    @property
    def is_ven(self) -> bool:
        return self.role == "ven"


def scopes_of(role: str | None) -> frozenset[str]:
    if role not in SCOPES:
        abort(
            403,
            f"role {role!r} has no OpenADR access: the VTN serves the utility's operator "
            "(business logic) and VEN identities (role 'ven', registered by the org admin)",
        )
    return SCOPES[role]


def token_response() -> tuple[dict[str, object], int]:
    """``POST /auth/token``: a client-credentials grant; a malformed request is an OAuth
    error (400), refused credentials a problem (403), as the specification says."""
    form = request.form
    if form.get("grant_type") != "client_credentials":
        return oauth_error("unsupported_grant_type", "use grant_type=client_credentials"), 400
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id or not secret:
        return oauth_error("invalid_request", "send client_id and client_secret"), 400
    try:
        user = enroll_into_wallet(client_id, secret)
    except HTTPError as refused:
        if refused.status_code == 429:
            raise
        abort(403, f"invalid_client: {refused.message}")
    g.user = user
    scopes = scopes_of(ledger().caller.role)
    return {
        "access_token": issue_token(user),
        "token_type": "Bearer",
        "expires_in": current_app.config["TOKEN_TTL_SECONDS"],
        "scope": " ".join(sorted(scopes)),
    }, 200


def oauth_error(error: str, description: str) -> dict[str, object]:
    return {"error": error, "error_description": description}


def client() -> Client:
    """The request's client, from its bearer token (403 without a usable one)."""
    if "openadr_client" in g:
        found: Client = g.openadr_client
        return found
    kind, _, token = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token:
        abort(403, "send a bearer token from POST auth/token (OAuth 2 client credentials)")
    try:
        user: User | None = verify_token(token)
    except HTTPError as refused:
        abort(403, str(refused.message))
    assert user is not None
    role = ledger().caller.role
    g.openadr_client = Client(user.label, str(role), scopes_of(role))
    return g.openadr_client


def require(scope: str) -> Client:
    """The client, if its scopes include *scope*."""
    found = client()
    if scope not in found.scopes:
        abort(403, f"{found.name} (role {found.role}) lacks the scope {scope}")
    return found
