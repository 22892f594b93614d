"""What the dashboard's browser tests do as a person would: sign in, read what a page
shows, and the records the journeys act on (the fixtures are in this folder's conftest).

People sign in with the secrets their org's CA issued. Screenshots go to
$GRIDLEDGER_SCREENSHOTS when it is set (the README's are made so).
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_client import (
    HOUSEHOLD,
    HOUSEHOLD2,
    OPERATOR,
    SUNNYSIDE,
    Api,
    secret,
)
from community_fixtures import DAY, HOUSEHOLDS
from playwright.sync_api import Page

from gridspec.readings import CLOCK_SKEW
from network.scenario import day_readings

CHROMIUM = "/usr/bin/chromium"
# no background traffic: this machine's closed network refuses it, many at a time
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
H1, H2 = HOUSEHOLDS[0], HOUSEHOLDS[1]  # h-001 (household1), h-002 (household2)
ORGS = ("utility", "community", "regulator")
MARKET_HOURS = (4, 5, 6)  # when no other test trades
BILL_DAY = date(2026, 2, 20)  # a day of h-001 no other test bills (an invoice is final)
FMT = "%Y-%m-%dT%H:%M:%SZ"


def sign_in(page: Page, served: str, user: str, org: str = "community") -> None:
    page.goto(f"{served}/ui/login")
    page.fill("input[name=enrollment_id]", user)
    page.fill("input[name=secret]", secret(org, user))
    page.click("button[type=submit]")


def energy_of(page: Page) -> dict[str, Any]:
    page.wait_for_selector("canvas[data-drawn='2']")
    return dict(json.loads(page.text_content("#energy-data") or "{}"))


def expected(household: Any) -> dict[str, list[int]]:
    readings = day_readings(household, DAY)
    return {
        "import": [r["import_wh"] for r in readings],
        "export": [r["export_wh"] for r in readings],
    }


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("GRIDLEDGER_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def notice(page: Page) -> str:
    return " ".join(page.locator(".notice").all_text_contents())


def sealed_in(api: Api) -> str:
    """The first interval, early in the morning of one of the last six days, with no order
    (orders are taken for a week; other tests trade at midday, in the afternoon and at night)."""
    yesterday = (datetime.now(UTC) - CLOCK_SKEW).date() - timedelta(days=1)
    candidates = (
        datetime.combine(yesterday - timedelta(days=back), time(hour, 15 * quarter), UTC)
        for back in range(6)
        for hour in MARKET_HOURS
        for quarter in range(4)
    )
    for moment in candidates:
        interval = moment.strftime(FMT)
        book = api.get(f"{SUNNYSIDE}/intervals/{interval}/order-book", OPERATOR).get_json()
        if book["orders"] == 0 and not book["cleared"]:
            break
    else:
        pytest.fail("every early-morning interval of the last six days has orders")
    for role, side, price in ((HOUSEHOLD, "offer", 10), (HOUSEHOLD2, "bid", 30)):
        order = {
            "order_id": f"o-ui-{uuid.uuid4().hex[:10]}",
            "side": side,
            "interval_start": interval,
            "energy_wh": 100,
            "price_per_kwh": price,
            "salt": base64.urlsafe_b64encode(os.urandom(18)).decode(),
        }
        api.ok("POST", f"{SUNNYSIDE}/orders", role, 201, json=order)
    return interval
