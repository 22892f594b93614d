"""Prometheus metrics of the API at ``/metrics``: requests and their latency per endpoint."""

from __future__ import annotations

import time

from apiflask import APIFlask
from flask import Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)


def init_app(app: APIFlask) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "gridledger_api_requests",
        "API requests",
        ["method", "endpoint", "status"],
        registry=registry,
    )
    latency = Histogram(
        "gridledger_api_request_seconds", "API request latency", ["endpoint"], registry=registry
    )

    @app.before_request
    def started() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def observed(response: Response) -> Response:
        endpoint = request.endpoint or "unknown"
        requests.labels(request.method, endpoint, str(response.status_code)).inc()
        if "started" in g:
            latency.labels(endpoint).observe(time.perf_counter() - g.started)
        return response

    @app.get("/metrics")
    @app.doc(hide=True)
    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
