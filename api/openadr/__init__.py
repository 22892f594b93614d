"""The utility's OpenADR 3 VTN: demand response for each community's grid.

A Virtual Top Node per community channel, at
``/communities/<community>/openadr3/3.0.1`` on the utility's API, following the OpenADR
3.0.1 specification (:mod:`.contract` checks every request against its published
OpenAPI document). Clients get a token at ``auth/token`` (:mod:`.tokens`); the
utility's operator publishes programs and events; VENs register, read them, subscribe
and post reports. Events, and every change to one, go on the community's grid-event
register with who issued them (:mod:`.events`); programs, VENs, reports and
subscriptions are the VTN's own records (:mod:`.store`). Subscribers are notified of
events by callback (:mod:`.notify`).

Errors are RFC 7807 problems (``{"type", "title", "status", "detail"}``), as the
specification's responses are; the API of any other org answers 404 here.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from apiflask import APIBlueprint, APIFlask, HTTPError, abort
from flask import Response, jsonify, request, send_file

from api import errors
from api.ledger import access
from api.openadr import contract, events, objects, store
from api.openadr.tokens import token_response
from api.routes.communities import pick_community
from client import CommitError, GatewayError
from client.facade import Forbidden
from gridspec.roles import UTILITY, org_kind

__all__ = ["BASE", "init_app"]

BASE = "/openadr3/3.0.1"
PREFIX = "/communities/<community>" + BASE
UNDER_VTN = re.compile(r"/communities/[^/]+" + re.escape(BASE) + r"(/|$)")

# not in the API's own document: the VTN follows OpenADR's (served at openapi.yaml)
bp = APIBlueprint("openadr", __name__, url_prefix=PREFIX, enable_openapi=False)
bp.url_value_preprocessor(pick_community)


def problem(status: int, detail: str) -> Response:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    response = jsonify({"type": "about:blank", "title": phrase, "status": status, "detail": detail})
    response.status_code = status
    return response


def as_problem(response: Response) -> Response:
    """The API's own error answer (``{"status", "message", "detail"}``) as a problem."""
    body = response.get_json(silent=True) or {}
    reshaped = problem(response.status_code, str(body.get("message", "")))
    if "Retry-After" in response.headers:
        reshaped.headers["Retry-After"] = response.headers["Retry-After"]
    return reshaped


@bp.before_request
def checked() -> None:
    """Only the utility's API is a VTN; every request must be one the specification takes."""
    if org_kind(access().msp_id) != UTILITY:
        abort(404, f"the API of {access().org} is no VTN: OpenADR is served by the utility's")
    path = request.path.split(BASE, 1)[1] or "/"
    if path == "/openapi.yaml":
        return
    spec_request = contract.SpecRequest(
        request.method, path, request.args, request.headers, request.mimetype, request.get_data()
    )
    refused = contract.refusal(spec_request)
    if refused is not None:
        status = 404 if refused.startswith("Path not found") else 400
        status = 405 if refused.startswith("Operation not found") else status
        abort(status, refused)


@bp.post("/auth/token")
def token() -> Any:
    return token_response()


@bp.get("/openapi.yaml")
def document() -> Any:
    """The specification this VTN follows, for VEN developers."""
    return send_file(contract.DOCUMENT, mimetype="application/yaml")


objects.register(bp)
events.register(bp)
bp.register_error_handler(GatewayError, lambda e: as_problem(errors.gateway_error(e)))
bp.register_error_handler(CommitError, lambda e: as_problem(errors.commit_error(e)))
bp.register_error_handler(Forbidden, lambda e: problem(403, e.reason))


def init_app(app: APIFlask) -> None:
    store.init_app(app)
    app.register_blueprint(bp)
    api_errors = app.error_callback

    @app.error_processor
    def problem_or_json(error: HTTPError) -> Any:
        """Under the VTN an error is an RFC 7807 problem; elsewhere the API's own."""
        if UNDER_VTN.match(request.path):
            answer = problem(error.status_code, str(error.message))
            answer.headers.extend(dict(error.headers or {}))
            return answer
        return api_errors(error)
