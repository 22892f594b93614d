"""The utility's OpenADR 3 VTN on the real network, driven by a VEN client no one here wrote.

The utility's API is served over HTTP on loopback, behind a WSGI layer that checks
every VTN response of the module against the OpenADR 3.0.1 OpenAPI document (the VTN
itself checks only requests). The utility's admin registers a VEN
identity of this run; the operator (business logic) creates a program and a price
event through `openadr3` (PyPI, grid-coordination/python-oa3); the VEN, through the
same package, gets its token, registers, reads programs and events as entity models,
subscribes and posts a report. The event and every change to it are on the
community's grid-event register, with who issued them; a refused request leaves the
register as it was.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from queue import Queue
from typing import Any

import httpx
import pytest
from api_client import OPERATOR, REGULATOR_ROLE, SUNNYSIDE, api_session, login, make_app, secret
from openadr3 import Event, OpenADRClient, Program, create_bl_client, create_ven_client, fetch_token
from waitress.server import create_server
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.wrappers import Request

from api.openadr import contract
from network.topology import UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

RUN = uuid.uuid4().hex[:8]
VEN_NAME = f"ven-{RUN}"
BASE = f"{SUNNYSIDE}/openadr3/3.0.1"
FMT = "%Y-%m-%dT%H:%M:%SZ"


class Exchange:
    """One request and its response, as openapi-core reads them."""

    def __init__(self, request: Request, status: int, headers: Headers, body: bytes) -> None:
        self.request = contract.SpecRequest(
            request.method,
            request.path.split("/openadr3/3.0.1", 1)[1],
            ImmutableMultiDict(request.args),
            Headers(request.headers),
            request.mimetype,
            request.get_data(),
        )
        self.data = body
        self.status_code = status
        self.headers = headers
        self.content_type = headers.get("Content-Type", "").split(";")[0]


class SpecChecked:
    """WSGI layer that validates every VTN exchange against the specification."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.spec = contract.load()
        self.checked: list[str] = []
        self.failures: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        sent = request.get_data(cache=True)
        environ["wsgi.input"] = io.BytesIO(sent)
        answered: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered.update(status=int(status.split()[0]), headers=Headers(headers))
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, capture))
        if "/openadr3/3.0.1/" in request.path and not request.path.endswith("openapi.yaml"):
            exchange = Exchange(request, answered["status"], answered["headers"], body)
            label = f"{request.method} {exchange.request.path} -> {answered['status']}"
            try:
                self.spec.validate_response(exchange.request, exchange)
                self.checked.append(label)
            except Exception as error:  # every way the document refuses it is a finding
                self.failures.append(f"{label}: {error} {getattr(error, '__cause__', '')}")
        return [body]


@pytest.fixture(scope="module")
def vtn() -> Iterator[tuple[str, SpecChecked]]:
    checked = SpecChecked(make_app("utility"))
    server = create_server(checked, host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}{BASE}", checked
    finally:
        server.close()


@pytest.fixture(scope="module")
def ven_secret() -> str:
    """A VEN identity of this run, registered at the utility's CA by its admin."""
    with api_session() as api:
        admin = login(api.client_of(UTILITY.key), UTILITY.key, "admin")
        made = api.post(
            "/admin/identities",
            headers=admin,
            json={"enrollment_id": VEN_NAME, "role": "ven"},
            org=UTILITY.key,
        )
        assert made.status_code == 201, made.get_json()
        return str(made.get_json()["secret"])


@pytest.fixture(scope="module")
def business(vtn: tuple[str, SpecChecked]) -> Iterator[OpenADRClient]:
    base, _ = vtn
    token = fetch_token(
        base, OPERATOR.user, secret(UTILITY.key, OPERATOR.user), token_url=f"{base}/auth/token"
    )
    with create_bl_client(base, token) as client:
        yield client


@pytest.fixture(scope="module")
def ven(vtn: tuple[str, SpecChecked], ven_secret: str) -> Iterator[OpenADRClient]:
    base, _ = vtn
    token = fetch_token(base, VEN_NAME, ven_secret, token_url=f"{base}/auth/token")
    with create_ven_client(base, token) as client:
        yield client


@pytest.fixture(scope="module")
def program(business: OpenADRClient) -> dict[str, Any]:
    created = business.create_program(
        {
            "programName": f"evening-peak-{RUN}",
            "programLongName": "Sunnyside evening peak pricing",
            "retailerName": "GridCo",
            "payloadDescriptors": [
                {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "PRICE",
                 "units": "KWH", "currency": "EUR"}
            ],
        }
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return dict(created.json())


def price_event(program_id: str, start: datetime, prices: tuple[float, ...]) -> dict[str, Any]:
    return {
        "programID": program_id,
        "eventName": f"evening peak {RUN}",
        "payloadDescriptors": [
            {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "PRICE",
             "units": "KWH", "currency": "EUR"}
        ],
        "intervalPeriod": {"start": start.strftime(FMT), "duration": "PT1H"},
        "intervals": [
            {"id": n, "payloads": [{"type": "PRICE", "values": [price]}]}
            for n, price in enumerate(prices)
        ],
    }  # fmt: skip


def tomorrow_evening() -> datetime:
    return datetime.now(UTC).replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(1)


def history(event_id: str) -> list[dict[str, Any]]:
    with api_session() as api:
        return list(
            api.ok("GET", f"{SUNNYSIDE}/demand-response/{event_id}/history", REGULATOR_ROLE, 200)
        )


class Callbacks(BaseHTTPRequestHandler):
    """A VEN's callback endpoint: every notification POSTed to it lands in `received`."""

    received: Queue[tuple[str, dict[str, Any]]] = Queue()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        notification = json.loads(self.rfile.read(length))
        self.received.put((self.headers.get("Authorization", ""), notification))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def callbacks() -> Iterator[tuple[str, Queue[tuple[str, dict[str, Any]]]]]:
    server = HTTPServer(("127.0.0.1", 0), Callbacks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/notify", Callbacks.received
    finally:
        server.shutdown()
        server.server_close()


def test_a_ven_registers_reads_the_program_and_its_events_and_reports(
    business: OpenADRClient, ven: OpenADRClient, program: dict[str, Any], callbacks: Any
) -> None:
    created = business.create_event(price_event(program["id"], tomorrow_evening(), (0.45, 0.6)))
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]

    registered = ven.create_ven({"venName": VEN_NAME})
    assert registered.status_code == 201, registered.text
    assert [v.ven_name for v in ven.vens()] == [VEN_NAME]  # its own, and only its own

    programs = ven.programs()
    assert all(isinstance(p, Program) for p in programs)
    assert f"evening-peak-{RUN}" in [p.program_name for p in programs]
    [event] = [e for e in ven.events(programID=program["id"]) if e.id == event_id]
    assert isinstance(event, Event)
    assert [[float(v) for v in i.payloads[0].values] for i in event.intervals] == [[0.45], [0.6]]

    url, received = callbacks
    subscribed = ven.create_subscription(
        {
            "clientName": VEN_NAME,
            "programID": program["id"],
            "objectOperations": [
                {"objects": ["EVENT"], "operations": ["UPDATE", "DELETE"],
                 "callbackUrl": url, "bearerToken": f"ven-callback-{RUN}"}
            ],
        }
    )  # fmt: skip
    assert subscribed.status_code == 201, subscribed.text

    report = ven.create_report(
        {
            "programID": program["id"],
            "eventID": event_id,
            "clientName": VEN_NAME,
            "reportName": f"usage {RUN}",
            "resources": [
                {"resourceName": "AGGREGATED_REPORT",
                 "intervals": [{"id": 0, "payloads": [{"type": "USAGE", "values": [1.25]}]}]}
            ],
        }
    )  # fmt: skip
    assert report.status_code == 201, report.text
    assert [r.id for r in business.reports(eventID=event_id)] == [report.json()["id"]]

    updated = business.update_event(
        event_id, price_event(program["id"], tomorrow_evening(), (0.5, 0.7))
    )
    assert updated.status_code == 200, updated.text
    token, notification = received.get(timeout=30)
    assert (token, notification["operation"]) == (f"Bearer ven-callback-{RUN}", "UPDATE")
    assert notification["object"]["intervals"][1]["payloads"][0]["values"] == [0.7]


def test_every_change_to_an_event_is_on_the_register_with_its_issuer(
    business: OpenADRClient, ven: OpenADRClient, program: dict[str, Any]
) -> None:
    created = business.create_event(price_event(program["id"], tomorrow_evening(), (0.3,)))
    event_id = created.json()["id"]
    business.update_event(event_id, price_event(program["id"], tomorrow_evening(), (0.35,)))
    deleted = business.delete_event(event_id)
    assert deleted.status_code == 200, deleted.text
    assert ven.get_event_by_id(event_id).status_code == 404
    assert event_id not in [e.id for e in ven.events(programID=program["id"])]

    trail = history(event_id)
    assert [(r["revision"], r["operation"]) for r in trail] == [
        (1, "CREATE"),
        (2, "UPDATE"),
        (3, "DELETE"),
    ]
    assert {r["issued_by"]["name"] for r in trail} == {OPERATOR.user}
    assert {r["issued_by"]["msp_id"] for r in trail} == {UTILITY.msp_id}
    prices = [r["event"]["intervals"][0]["payloads"][0]["values"] for r in trail]
    assert prices == [[0.3], [0.35], [0.35]]
    assert trail[0]["event"]["createdDateTime"] == created.json()["createdDateTime"]


def test_refusals_are_problems_and_leave_the_register_as_it_was(
    vtn: tuple[str, SpecChecked],
    business: OpenADRClient,
    ven: OpenADRClient,
    program: dict[str, Any],
) -> None:
    before = [e.id for e in business.events()]
    malformed = price_event(program["id"], tomorrow_evening(), (0.4,))
    malformed["intervals"][0]["id"] = "first"
    refused = {
        "a VEN may not publish events": ven.create_event(
            price_event(program["id"], tomorrow_evening(), (0.4,))
        ),
        "an interval id is an integer": business.create_event(malformed),
        "an unknown program": business.create_event(
            price_event("no-such-program", tomorrow_evening(), (0.4,))
        ),
        "a VEN reports only as itself": ven.create_report(
            {"programID": program["id"], "eventID": "evt-x", "clientName": "someone-else",
             "resources": []}
        ),
    }  # fmt: skip
    statuses = {name: response.status_code for name, response in refused.items()}
    assert statuses == {
        "a VEN may not publish events": 403,
        "an interval id is an integer": 400,
        "an unknown program": 400,
        "a VEN reports only as itself": 403,
    }
    for response in refused.values():
        problem = response.json()
        assert problem["status"] == response.status_code and problem["detail"], problem
    assert "intervals/0/id" in refused["an interval id is an integer"].json()["detail"]
    assert [e.id for e in business.events()] == before

    base, _ = vtn
    anonymous = httpx.get(f"{base}/events")
    assert anonymous.status_code == 403 and "bearer token" in anonymous.json()["detail"]
    wrong = httpx.post(
        f"{base}/auth/token",
        data={"grant_type": "client_credentials", "client_id": VEN_NAME, "client_secret": "x"},
    )
    assert wrong.status_code == 403, wrong.text
    billing = httpx.post(
        f"{base}/auth/token",
        data={"grant_type": "client_credentials", "client_id": "billing1",
              "client_secret": secret(UTILITY.key, "billing1")},
    )  # fmt: skip
    assert billing.status_code == 403 and "no OpenADR access" in billing.json()["detail"]


def test_every_exchange_of_the_module_follows_the_specification(
    vtn: tuple[str, SpecChecked],
) -> None:
    _, checked = vtn
    assert checked.failures == []
    resources = {label.split(" ")[1].split("/")[1] for label in checked.checked}
    assert {"programs", "events", "vens", "reports", "subscriptions", "auth"} <= resources
    statuses = {label.rsplit(" ", 1)[1] for label in checked.checked}
    assert {"200", "201", "400", "403", "404"} <= statuses
