"""JSON errors everywhere, and ledger errors mapped to HTTP statuses deliberately.

Every error body has APIFlask's shape: ``{"status", "message", "detail"}``. The
chaincode answers a refused transaction with a status of its own (400 invalid,
401 unreadable identity, 403 not allowed, 404 not found, 409 conflict), carried in
the peers' error details; that status is the HTTP status. A transaction that was
ordered but marked invalid is a 409 when it lost a read conflict (retry it) and a
502 otherwise; an unreachable peer or orderer is a 503. Ledger errors carry the
transaction id in ``detail``.

A JSON body that does not parse is a 400 before any other check, as is one holding a
value the API cannot take (:mod:`api.limits`), and a body larger than its operation
takes is a 413. The OpenAPI document lists, for every operation, the errors it may
answer (:func:`document_errors`): APIFlask lists 401, 422 and a path's 404 by itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import grpc
from apiflask import APIFlask, HTTPError
from apiflask.schemas import http_error_schema
from flask import Response, has_request_context, jsonify, request

from api.limits import BODY_METHODS, INVALID_JSON, MAX_PATH_PARAMETER, document_bounds
from client import CommitError, GatewayError
from client.facade import Forbidden

CHAINCODE_STATUS = re.compile(r"chaincode response (\d{3}), (.*)", re.DOTALL)
CLIENT_STATUSES = {400, 401, 403, 404, 409}
RETRYABLE = {"MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"}
BODY_ERROR = "The request body is not valid JSON, or holds a value it cannot (api/limits.py)"
LONG_PARAMETER = f"A path parameter is longer than {MAX_PATH_PARAMETER} characters"
TOO_LARGE = "The request body is larger than the operation takes (api/limits.py)"

# What an operation that calls the ledger may answer besides its success, 401 and 422.
LEDGER_ERRORS: dict[int, str] = {
    400: "Refused by the chaincode as invalid (its message), or the body is not valid JSON",
    403: "Refused by the role table or by the chaincode's access checks",
    404: "The chaincode has no such record",
    409: "Conflicts with a recorded value, or lost a concurrent update: retry it",
    429: "The ledger is busy: retry after the Retry-After header's seconds",
    502: "Not endorsed or not committed (detail: transaction_id, and the peers' answers "
    "or the validation code)",
    503: "The ledger is unreachable: try again shortly (detail: transaction_id)",
}


def chaincode_refusal(error: GatewayError) -> tuple[int, str] | None:
    """The chaincode's own status and message, when the peers report one."""
    for detail in error.details:
        match = CHAINCODE_STATUS.search(detail.message)
        if match and int(match.group(1)) in CLIENT_STATUSES:
            return int(match.group(1)), match.group(2).strip()
    return None


def body(status: int, message: str, detail: dict[str, Any] | None = None) -> Response:
    response = jsonify({"status": status, "message": message, "detail": detail or {}})
    response.status_code = status
    return response


def gateway_error(error: GatewayError) -> Response:
    detail: dict[str, Any] = {"transaction_id": error.transaction_id}
    refusal = chaincode_refusal(error)
    if refusal is not None:
        return body(refusal[0], refusal[1], detail)
    if error.grpc_code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        busy = body(429, "the ledger is busy; retry after 1 s", {**detail, "retry_after": 1})
        busy.headers["Retry-After"] = "1"
        return busy
    if error.grpc_code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return body(503, "the ledger is unavailable; try again shortly", detail)
    detail["peers"] = [f"{d.address} ({d.msp_id}): {d.message}" for d in error.details]
    return body(502, str(error).splitlines()[0], detail)


def commit_error(error: CommitError) -> Response:
    detail = {"transaction_id": error.transaction_id, "validation_code": error.code_name}
    if error.code_name in RETRYABLE:
        return body(409, "the transaction lost a concurrent update; retry it", detail)
    return body(502, f"the transaction was not committed: {error.code_name}", detail)


def not_json() -> bool:
    """Whether the request says it sends JSON but its body does not parse."""
    return bool(
        has_request_context()
        and request.is_json
        and request.get_data()
        and request.get_json(silent=True) is None
    )


def error_response(description: str) -> dict[str, Any]:
    """An error response of the OpenAPI document, as APIFlask writes its 401 and 404."""
    schema = {"$ref": "#/components/schemas/HTTPError"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document_errors(app: APIFlask, errors_of: Mapping[str, Mapping[int, str]]) -> None:
    """List in the OpenAPI document, for every operation of each blueprint named in
    *errors_of*, the error statuses it may answer, and a 400 for every request body."""

    def with_errors(spec: dict[Any, Any] | str) -> dict[Any, Any] | str:
        if isinstance(spec, dict):  # always: SPEC_PROCESSOR_PASS_OBJECT is off
            blueprints = {
                # the document's path of a rule, written as APIFlask writes it
                (re.sub(r"<([^<:]+:)?", "{", rule.rule).replace(">", "}"), method.lower()): (
                    rule.endpoint.rpartition(".")[0]
                )
                for rule in app.url_map.iter_rules()
                for method in rule.methods or ()
            }
            list_errors(spec, blueprints, errors_of)
            document_bounds(spec)
        return spec

    app.spec_processor(with_errors)


def list_errors(
    spec: dict[str, Any],
    blueprints: Mapping[tuple[str, str], str],
    errors_of: Mapping[str, Mapping[int, str]],
) -> None:
    """Add to *spec* the errors of each operation's blueprint (blueprints: by path, method)."""
    spec["components"]["schemas"].setdefault("HTTPError", http_error_schema)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            errors = dict(errors_of.get(blueprints[path, method], {}))
            if "requestBody" in operation:
                errors.setdefault(400, BODY_ERROR)
            if method.upper() in BODY_METHODS:
                errors.setdefault(413, TOO_LARGE)
            if "{" in path:
                errors.setdefault(400, LONG_PARAMETER)
            for status, description in sorted(errors.items()):
                operation["responses"].setdefault(str(status), error_response(description))


def init_app(app: APIFlask) -> None:
    @app.error_processor
    def same_shape(error: HTTPError) -> tuple[dict[str, Any], int, Any]:
        """Routing, validation and authentication errors in the same shape as ours."""
        content = {"status": error.status_code, "message": error.message, "detail": error.detail}
        if error.status_code == 400 and not error.detail and not_json():
            content["message"] = INVALID_JSON
            content["detail"] = {"json": ["Invalid JSON body."]}
        return content, error.status_code, error.headers

    app.register_error_handler(Forbidden, lambda error: body(403, error.reason))
    app.register_error_handler(GatewayError, gateway_error)
    app.register_error_handler(CommitError, commit_error)
