"""Back-pressure: over its limit of submissions or bundles in flight an API answers 429 at
once, and a peer's RESOURCE_EXHAUSTED is a 429 too; both say when to come back."""

from __future__ import annotations

import threading

import grpc
from apiflask import APIFlask
from flask import request

from api import backpressure
from api.errors import gateway_error
from client.errors import GatewayError


def gated_app(
    limit: int, release: threading.Event, entered: threading.Semaphore, bundles: int = 10_000
) -> APIFlask:
    app = APIFlask(__name__)
    app.config["MAX_SUBMISSIONS"] = limit
    app.config["MAX_BUNDLES_IN_FLIGHT"] = bundles
    backpressure.init_app(app)

    @app.post("/work")
    def work() -> dict[str, bool]:
        with backpressure.admitted(int(request.args.get("bundles", "1"))):
            entered.release()
            release.wait(10)
            return {"done": True}

    return app


def test_the_submission_over_the_limit_is_a_429_at_once_and_a_place_frees_on_return() -> None:
    release, entered = threading.Event(), threading.Semaphore(0)
    app = gated_app(2, release, entered)
    answers: list[int] = []
    holders = [
        threading.Thread(target=lambda: answers.append(app.test_client().post("/work").status_code))
        for _ in range(2)
    ]
    for holder in holders:
        holder.start()
    for _ in holders:
        assert entered.acquire(timeout=5)
    refused = app.test_client().post("/work")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.get_json()["message"] == (
        "the ledger is busy with 2 submissions from this API; retry after 1 s"
    )
    assert refused.get_json()["detail"] == {"retry_after": 1}
    release.set()
    for holder in holders:
        holder.join(5)
    assert answers == [200, 200]
    assert app.test_client().post("/work").status_code == 200


def test_bundles_in_flight_are_limited_too_and_a_lone_large_submission_still_passes() -> None:
    gate = backpressure.Gate(max_submissions=16, max_bundles=300)
    assert gate.enter(500) is None  # alone: admitted whatever its size
    assert gate.enter(1) == "500 meter-day bundles"
    gate.leave(500)
    assert gate.enter(200) is None
    assert gate.enter(100) is None
    assert gate.enter(1) == "300 meter-day bundles"
    gate.leave(100)
    assert gate.enter(101) == "200 meter-day bundles"
    assert gate.enter(100) is None


def test_a_large_submission_beside_others_over_the_bundle_budget_is_a_429() -> None:
    release, entered = threading.Event(), threading.Semaphore(0)
    app = gated_app(16, release, entered, bundles=300)
    answers: list[int] = []
    holder = threading.Thread(
        target=lambda: answers.append(app.test_client().post("/work?bundles=200").status_code)
    )
    holder.start()
    assert entered.acquire(timeout=5)
    refused = app.test_client().post("/work?bundles=200")
    assert refused.status_code == 429
    assert refused.get_json()["message"] == (
        "the ledger is busy with 200 meter-day bundles from this API; retry after 1 s"
    )
    release.set()
    holder.join(5)
    assert answers == [200]
    assert app.test_client().post("/work?bundles=200").status_code == 200


def test_a_full_gate_refuses_before_the_body_is_read() -> None:
    """A refused head-end costs the API no parsing: an unreadable body still gets the 429."""
    app = APIFlask(__name__)
    app.config.update(MAX_SUBMISSIONS=16, MAX_BUNDLES_IN_FLIGHT=300)
    backpressure.init_app(app)
    parsed: list[object] = []

    @app.post("/readings")
    @backpressure.gated
    def readings() -> dict[str, int]:
        parsed.append(request.get_json())
        return {"stored": 1}

    gate: backpressure.Gate = app.extensions[backpressure.EXTENSION]
    assert gate.full() is None
    assert gate.enter(300) is None
    assert gate.full() == "300 meter-day bundles"
    refused = app.test_client().post(
        "/readings", data=b"{not json", content_type="application/json"
    )
    assert refused.status_code == 429
    assert parsed == []
    gate.leave(300)
    assert app.test_client().post("/readings", json={"n": 1}).status_code == 200
    assert parsed == [{"n": 1}]


def test_a_peers_resource_exhausted_is_a_429_with_retry_after() -> None:
    app = APIFlask(__name__)
    busy = GatewayError(
        "too many requests for /gateway.Gateway, exceeding concurrency limit (64)",
        transaction_id="tx-1",
        grpc_code=grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    with app.app_context():
        response = gateway_error(busy)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.get_json() == {
        "status": 429,
        "message": "the ledger is busy; retry after 1 s",
        "detail": {"transaction_id": "tx-1", "retry_after": 1},
    }
