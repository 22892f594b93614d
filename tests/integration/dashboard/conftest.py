"""The dashboard's browser tests' fixtures: each org's API served on loopback, Debian's
Chromium driven by Playwright, and the ledger records the journeys act on.

Each org's API app (as `make api` runs it: under waitress, here on a free loopback port
in this process) serves its own people's pages; the ledger behind them is the real one.
The servers and the browser serve a test module at a time: Playwright's sync API runs an
event loop in this thread, which must be gone before the asyncio tests that follow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_client import HOUSEHOLD, OPERATOR, SUNNYSIDE, api_session, make_app
from browsing import BILL_DAY, CHROMIUM, FLAGS, H1, H2, ORGS, sealed_in
from community_fixtures import approved_tariff, contract, register, submit_day
from playwright.sync_api import Browser, Page, sync_playwright
from waitress.server import create_server

from client import GatewayError
from network.connect import gateway
from network.scenario import day_readings
from network.topology import REGULATOR, UTILITY


@pytest.fixture(scope="module")
def apis() -> Iterator[dict[str, str]]:
    """Each org's API, over HTTP on a free loopback port; h-001's and h-002's readings of
    DAY on the ledger."""
    for household in (H1, H2):
        register(household)
        submit_day(household)
    servers = {org: create_server(make_app(org), host="127.0.0.1", port=0) for org in ORGS}
    for server in servers.values():
        threading.Thread(target=server.run, daemon=True).start()
    try:
        yield {org: f"http://127.0.0.1:{server.effective_port}" for org, server in servers.items()}
    finally:
        for server in servers.values():
            server.close()


@pytest.fixture(scope="module")
def served(apis: dict[str, str]) -> str:
    return apis["community"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, served: str) -> Iterator[Page]:
    """A fresh browser context; every request it makes is recorded in `page.requested`."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    opened.requested = requested  # type: ignore[attr-defined]
    yield opened
    context.close()


@pytest.fixture(scope="module")
def sealed_interval() -> str:
    """An interval with no order yet, and then an offer and a bid that cross."""
    with api_session() as api:
        return sealed_in(api)


@pytest.fixture(scope="module")
def cleared_interval(sealed_interval: str) -> str:
    """The sealed interval, cleared (by the operator's test through the page, else here)."""
    with api_session() as api:
        path = f"{SUNNYSIDE}/intervals/{sealed_interval}"
        if not api.ok("GET", f"{path}/order-book", OPERATOR, 200)["cleared"]:
            api.ok("POST", f"{path}/clearing", OPERATOR, 201)
    return sealed_interval


@pytest.fixture(scope="module")
def billed() -> dict[str, Any]:
    """h-001's invoice of BILL_DAY, issued by billing unless an earlier run issued it."""
    submit_day(H1, day_readings(H1, BILL_DAY))
    period = ("h-001", BILL_DAY.isoformat(), (BILL_DAY + timedelta(days=1)).isoformat())
    with gateway(REGULATOR, "auditor1") as gw:
        try:
            contract(gw, "BillingContract").evaluate("GetInvoiceEvidence", args=period)
        except GatewayError:
            approved_tariff()
            with gateway(UTILITY, "billing1") as billing:
                contract(billing, "BillingContract").submit("GenerateInvoice", args=period)
    with api_session() as api:
        path = f"{SUNNYSIDE}/households/h-001/invoices/{period[1]}/{period[2]}"
        return dict(api.ok("GET", path, HOUSEHOLD, 200))
