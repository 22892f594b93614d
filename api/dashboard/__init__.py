"""The org's dashboard: pages for its own people, served by its API under ``/ui``.

People sign in with the API's own login (an enrolment at the org's CA, throttled
the same way); the page session holds the API's own bearer token, so expiry, logout
and revocation bite on pages exactly as on the JSON API. Every page reads through the
same ledger facade, signed with the signed-in person's key, so what a page shows is
what the API would answer that person: the chaincode's access checks are the pages'.

Pages are rendered on the server. Charts are drawn in the browser by Chart.js, which
`make install` takes from the npm registry into ``static/vendor/``; the page hands its
data over as JSON in the page itself. Nothing is loaded from outside the org's API: the
Content-Security-Policy allows this origin's scripts, styles and images only.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask, HTTPError
from flask import Blueprint, Response, request

from api.dashboard import (
    audit,
    bills,
    consents,
    energy,
    events,
    funding,
    invoices,
    market,
    membership,
    meters,
    my_market,
    regulator,
    session,
)

PREFIX = "/ui"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

bp = Blueprint(
    "dashboard",
    __name__,
    url_prefix=PREFIX,
    template_folder="templates",
    static_folder="static",
)
for pages in (
    session,
    energy,
    my_market,
    bills,
    consents,
    funding,
    meters,
    market,
    invoices,
    events,
    audit,
    regulator,
    membership,
):
    pages.register(bp)


def guarded(response: Response) -> Response:
    """The dashboard's pages load only this API's own files, and no one frames them."""
    if request.path.startswith(PREFIX):
        response.headers["Content-Security-Policy"] = POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: APIFlask) -> None:
    # the page session is the dashboard's alone: sent to /ui only, never cross-site
    app.config.update(
        SESSION_COOKIE_NAME="gridledger_ui",
        SESSION_COOKIE_PATH=PREFIX,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.register_blueprint(bp)
    app.after_request(guarded)
    api_errors = app.error_callback

    @app.error_processor
    def page_or_json(error: HTTPError) -> Any:
        """Under /ui an error (an unknown page, a wrong method) is a page; elsewhere JSON."""
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            return session.refused(error.status_code, str(error.message))
        return api_errors(error)
