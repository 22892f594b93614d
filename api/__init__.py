"""GridLedger's HTTP API: role-based access to the ledger, one blueprint per resource.

``create_app(config=None)`` is the application factory (waitress serves it in
production: ``python -m api``). The OpenAPI document is at ``/openapi.json`` and
interactive docs at ``/docs``; every error is JSON; every list is paginated.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask

from api import backpressure, errors, ledger, limits, metrics, settings
from api.routes import ERRORS, register

__all__ = ["create_app"]


def create_app(config: dict[str, Any] | None = None) -> APIFlask:
    app = APIFlask(
        __name__,
        title="GridLedger API",
        version="0.1.0",
        docs_path="/docs",
        spec_path="/openapi.json",
    )
    app.config.update(settings.load(config))
    app.config["AUTO_404_RESPONSE"] = True
    app.info = {
        "description": "Smart-meter readings kept private, a P2P energy market, billing "
        "and grid events on a Hyperledger Fabric consortium. Log in with POST "
        "/auth/login (enrolment at your org's Fabric CA) and send the token as "
        "`Authorization: Bearer ...`; service accounts send `X-API-Key`."
    }
    ledger.init_app(app)
    limits.init_app(app)
    backpressure.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
    register(app)
    errors.document_errors(app, ERRORS)
    return app
