"""JSON errors everywhere, and ledger errors mapped to HTTP statuses deliberately.

Every error body has APIFlask's shape: ``{"status", "message", "detail"}``. The
chaincode answers a refused transaction with a status of its own (400 invalid,
401 unreadable identity, 403 not allowed, 404 not found, 409 conflict), carried in
the peers' error details; that status is the HTTP status. A transaction that was
ordered but marked invalid is a 409 when it lost a read conflict (retry it) and a
502 otherwise; an unreachable peer or orderer is a 503. Ledger errors carry the
transaction id in ``detail``.
"""

from __future__ import annotations

import re
from typing import Any

import grpc
from apiflask import APIFlask, HTTPError
from flask import Response, has_request_context, jsonify, request

from client import CommitError, GatewayError
from client.facade import Forbidden

CHAINCODE_STATUS = re.compile(r"chaincode response (\d{3}), (.*)", re.DOTALL)
CLIENT_STATUSES = {400, 401, 403, 404, 409}
RETRYABLE = {"MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"}


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


def init_app(app: APIFlask) -> None:
    @app.error_processor
    def same_shape(error: HTTPError) -> tuple[dict[str, Any], int, Any]:
        """Routing, validation and authentication errors in the same shape as ours."""
        content = {"status": error.status_code, "message": error.message, "detail": error.detail}
        if error.status_code == 400 and not error.detail and not_json():
            content["message"] = "the request body is not valid JSON"
            content["detail"] = {"json": ["Invalid JSON body."]}
        return content, error.status_code, error.headers

    app.register_error_handler(Forbidden, lambda error: body(403, error.reason))
    app.register_error_handler(GatewayError, gateway_error)
    app.register_error_handler(CommitError, commit_error)
