"""Signing in and out of the dashboard, and what every page needs: who, where, and errors.

A sign-in is the API's own login (:func:`api.auth.enroll_into_wallet`: the org's CA,
the same throttle), and the page session (a signed, HttpOnly, SameSite=Strict cookie)
keeps the API's own bearer token. Each page checks that token as the API checks it
(:func:`api.auth.verify_token`), so an expired, logged-out or revoked identity is sent
back to the sign-in page. Every form carries the session's CSRF token.

A page that the ledger refuses shows the refusal, with the status the API would answer:
the chaincode's message for a 403 or 404, never a stack trace.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from apiflask import HTTPError, abort
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature
from marshmallow import Schema, ValidationError

from api.auth import LoginIn, enroll_into_wallet, issue_token, serializer, verify_token
from api.errors import commit_error, gateway_error
from api.ledger import access, ledger
from client import CommitError, GatewayError
from client.facade import Forbidden

View = Callable[..., Any]
STAFF = ("operator", "billing")  # the utility's people of the market and the meters
# what each role's people find on the dashboard: (endpoint, title)
PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "household": (
        ("dashboard.energy", "My energy"),
        ("dashboard.my_market", "My market"),
        ("dashboard.bill", "My bill"),
        ("dashboard.consents", "Consents"),
        ("dashboard.funding", "Funding"),
    ),
    "operator": (
        ("dashboard.meters", "Meters"),
        ("dashboard.market", "Market"),
        ("dashboard.events", "Grid events"),
    ),
    "billing": (
        ("dashboard.meters", "Meters"),
        ("dashboard.market", "Market"),
        ("dashboard.invoices", "Invoices"),
        ("dashboard.events", "Grid events"),
    ),
    "regulator": (
        ("dashboard.audit", "Chain verification"),
        ("dashboard.history", "Configuration history"),
        ("dashboard.tariffs", "Tariffs"),
        ("dashboard.aggregates", "Aggregates"),
    ),
    "admin": (("dashboard.membership", "Membership changes"),),
}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
    bp.add_url_rule("/", "home", page(home))
    bp.app_context_processor(lambda: {"csrf_token": csrf_token, "org_name": lambda: access().org})


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def check_csrf() -> None:
    sent = request.form.get("csrf", "")
    if not hmac.compare_digest(sent.encode(), csrf_token().encode()):
        abort(400, "the form is out of date or not from this dashboard: reload and retry")


def login() -> Any:
    """The sign-in form; a sign-in enrols at the org's CA like POST /auth/login."""
    if request.method == "GET":
        return render_template("dashboard/login.html", org=access().org)
    try:
        check_csrf()
        form = LoginIn().load({k: request.form.get(k, "") for k in ("enrollment_id", "secret")})
        user = enroll_into_wallet(form["enrollment_id"], form["secret"])
    except ValidationError as exc:
        return signin_refused(400, problems(exc))
    except HTTPError as exc:
        return signin_refused(exc.status_code, str(exc.message))
    session.clear()
    session["token"] = issue_token(user)
    return redirect(url_for("dashboard.home"))


def problems(exc: ValidationError) -> str:
    """A form's validation errors in one line: `field: message; ...`."""
    found = exc.normalized_messages().items()
    return "; ".join(f"{field}: {' '.join(map(str, said))}" for field, said in found)


def loaded(schema: Schema, form: dict[str, Any]) -> dict[str, Any]:
    """`form` checked by the API's own schema of the same request; a 400 page says why not."""
    try:
        return dict(schema.load(form))
    except ValidationError as exc:
        abort(400, problems(exc))


def whole(text: str, field: str) -> int | None:
    """A form's whole number (None when left empty); a 400 page for anything else."""
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError:
        abort(400, f"{field} {text[:32]!r} is not a whole number")


def signin_refused(status: int, message: str) -> Any:
    return render_template("dashboard/login.html", org=access().org, message=message), status


def logout() -> Any:
    """Sign out: the page's token stops working at the API too."""
    check_csrf()
    token = session.pop("token", None)
    if token:
        revoke(token)
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("dashboard.login"))


def revoke(token: str) -> None:
    """Log the token out as POST /auth/logout does, until it would have expired."""
    try:
        claims, issued = serializer().loads(token, return_timestamp=True)
    except BadSignature:
        return
    expires = int(issued.timestamp()) + int(current_app.config["TOKEN_TTL_SECONDS"])
    access().revocations.revoke_token(str(claims.get("jti", "")), expires)


def page(view: View) -> View:
    """A page of the signed-in: the caller's ledger, its community, refusals as pages."""

    @functools.wraps(view)
    def shown(*args: Any, **kwargs: Any) -> Any:
        token = session.get("token")
        if not token:
            return redirect(url_for("dashboard.login"))
        try:
            verify_token(token)
        except HTTPError as exc:
            session.clear()
            flash(str(exc.message))
            return redirect(url_for("dashboard.login"))
        try:
            g.community = community()
            g.pages = PAGES.get(ledger().caller.role or "", ())
            return view(*args, **kwargs)
        except HTTPError as exc:
            return refused(exc.status_code, str(exc.message))
        except Forbidden as exc:
            return refused(403, exc.reason)
        except GatewayError as exc:
            return refused_as(gateway_error(exc))
        except CommitError as exc:
            return refused_as(commit_error(exc))

    return shown


def require_role(*roles: str) -> None:
    """Refuse (403) a page to every role but `roles`, naming who may open it."""
    role = ledger().caller.role
    if role not in roles:
        abort(403, f"role {role!r} may not open this page; it is for: {', '.join(roles)}")


def own_household() -> str:
    """The signed-in household's id, from its certificate; a 403 page for anyone else."""
    caller = ledger().caller
    if caller.household_id is None:
        abort(403, f"{caller.enrollment_id} is not a household: this page is a household's own")
    return caller.household_id


def community() -> str | None:
    """The community a page shows: `?community=`, else the org's first."""
    served = access().communities()
    wanted = request.args.get("community")
    if wanted is None:
        return served[0] if served else None
    if wanted not in served:
        abort(404, f"the {access().org} dashboard shows no community {wanted[:64]!r}")
    return wanted


def refused(status: int, message: str) -> Any:
    return render_template("dashboard/refused.html", status=status, message=message), status


def refused_as(response: Any) -> Any:
    """The page of an API error response (its status and message)."""
    return refused(response.status_code, response.get_json()["message"])


def home() -> Any:
    """Where a sign-in lands: the role's first page, or what the dashboard holds for it."""
    pages = g.pages
    if pages:
        return redirect(url_for(pages[0][0]))
    return render_template("dashboard/home.html", caller=ledger().caller)
