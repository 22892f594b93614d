"""Each role's pages beyond the first journeys, in a real browser on the real network.

A household reads its week and month, its meters, its orders with their clearing and
pledges to a funding campaign; the utility's staff read every meter (a last reading
leaves a record in the household's access log), and billing lists and issues invoices;
the regulator approves a tariff and reads a community's aggregates; an admin signs a
membership change proposed by another org, and the proposer takes the signature file.
Every page a role opens is checked against the menu of its role: the rest are refused.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from api_client import (
    ADMIN,
    BILLING,
    HOUSEHOLD,
    HOUSEHOLD2,
    OPERATOR,
    REGULATOR_ROLE,
    SUNNYSIDE,
    Api,
    Role,
    api_session,
)
from browsing import BILL_DAY, FMT, H1, H2, notice, screenshot, sign_in
from community_fixtures import DAY, TARIFF, approved_tariff, submit_day
from playwright.sync_api import Browser, Page

from api.dashboard.session import PAGES
from network.scenario import day_readings

pytestmark = pytest.mark.usefixtures("fabric_network")

RUN = uuid.uuid4().hex[:8]
AGGREGATE_DAY = "2026-01-10"  # a day no other test publishes aggregates for
AGGREGATES = [("12:00", 1000, 250_000, 40_000), ("12:15", 1000, 231_000, 52_500)]


@pytest.fixture(scope="module")
def api() -> Any:
    with api_session() as session:
        yield session


def every_item(api: Api, path: str, role: Role, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a paged list, page by page."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = api.ok("GET", path, role, 200, query_string={**query, "page": page, "per_page": 500})
        items += body["items"]
        if page >= body["pages"]:
            return items
        page += 1


def readings_of(api: Api, start: date, end: date) -> list[dict[str, Any]]:
    """h-001's readings of days [start, end), as its API answers household1."""
    query = {"start": f"{start}T00:00:00Z", "end": f"{end}T00:00:00Z"}
    return every_item(api, f"{SUNNYSIDE}/households/h-001/readings", HOUSEHOLD, query)


def drawn(page: Page, data: str) -> dict[str, Any]:
    page.wait_for_selector("canvas[data-drawn='2']")
    return dict(json.loads(page.text_content(f"#{data}") or "{}"))


# --- a household's week, month and meters --------------------------------------------------


def test_a_households_week_is_charted_at_15_minutes_from_its_readings(
    page: Page, served: str, api: Api
) -> None:
    monday = DAY - timedelta(days=DAY.weekday())
    sign_in(page, served, "household1")
    page.goto(f"{served}/ui/energy?period=week&day={DAY}")
    shown = drawn(page, "energy-data")
    per_interval: dict[str, int] = defaultdict(int)
    for reading in readings_of(api, monday, monday + timedelta(days=7)):
        per_interval[reading["interval_start"]] += reading["import_wh"]
    assert len(shown["labels"]) == len(per_interval) >= 96
    assert shown["series"][0]["values"] == [per_interval[i] for i in sorted(per_interval)]
    assert (page.text_content("h1") or "").endswith(f"{monday} to {monday + timedelta(days=6)}")
    screenshot(page, "household-week")


def test_a_households_month_is_charted_day_by_day(page: Page, served: str, api: Api) -> None:
    first = DAY.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    sign_in(page, served, "household1")
    page.goto(f"{served}/ui/energy?period=month&day={DAY}")
    shown = drawn(page, "energy-data")
    per_day: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for reading in readings_of(api, first, following):
        per_day[reading["interval_start"][:10]][0] += reading["import_wh"]
        per_day[reading["interval_start"][:10]][1] += reading["export_wh"]
    days = sorted(per_day)
    assert shown["labels"] == [d[8:] for d in days]
    assert shown["series"][0]["values"] == [per_day[d][0] for d in days]
    assert shown["series"][1]["values"] == [per_day[d][1] for d in days]
    rows = page.locator("table.days tr[data-day]")
    assert [r.get_attribute("data-day") for r in rows.all()] == days


def test_a_household_sees_its_own_meters_and_the_day_each_last_sent(
    page: Page, served: str, api: Api
) -> None:
    listed = api.ok("GET", f"{SUNNYSIDE}/meters", HOUSEHOLD2, 200)["items"]
    sign_in(page, served, "household2")
    page.goto(f"{served}/ui/energy?day={DAY}")
    rows = page.locator("table.meters tr[data-meter]")
    assert [r.get_attribute("data-meter") for r in rows.all()] == [m["meter_id"] for m in listed]
    assert H2.meter_id in [m["meter_id"] for m in listed]
    assert H1.meter_id not in (page.text_content("table.meters") or "")
    last = rows.first.locator("td.last").text_content()
    assert last == (listed[0]["last_reading_day"] or "none this week")


# --- a household's orders, and funding -----------------------------------------------------


def test_a_household_sees_its_orders_with_their_clearing_and_its_side(
    browser: Browser, served: str, api: Api, cleared_interval: str
) -> None:
    day = cleared_interval[:10]
    clearing = api.ok("GET", f"{SUNNYSIDE}/intervals/{cleared_interval}/clearing", OPERATOR, 200)
    end = (datetime.strptime(cleared_interval, FMT) + timedelta(minutes=15)).strftime(FMT)
    window = {"start": cleared_interval, "end": end}
    for role, side, other in ((HOUSEHOLD, "sold", HOUSEHOLD2), (HOUSEHOLD2, "bought", HOUSEHOLD)):
        mine = api.ok("GET", f"{SUNNYSIDE}/orders", role, 200, query_string=window)["items"]
        theirs = api.ok("GET", f"{SUNNYSIDE}/orders", other, 200, query_string=window)["items"]
        page = browser.new_page()
        sign_in(page, served, role.user)
        page.goto(f"{served}/ui/my-market?day={day}")
        row = page.locator(f"tr[data-interval='{cleared_interval}']")
        shown = [o.get_attribute("data-order") for o in row.locator("[data-order]").all()]
        assert shown == [o["order_id"] for o in mine] and shown
        assert not {o["order_id"] for o in theirs} & set(shown)
        assert row.locator("td.price").text_content() == str(clearing["price_per_kwh"])
        trade = row.locator("[data-trade]")
        assert (trade.text_content() or "").startswith(f"{side} 100 Wh")
        if role is HOUSEHOLD:
            screenshot(page, "household-market")
        page.close()


@pytest.fixture(scope="module")
def campaign(api: Api) -> dict[str, Any]:
    terms = {
        "campaign_id": f"ui-battery-{RUN}",
        "title": "Sunnyside street battery",
        "goal": 10_000,
        "currency": "EUR",
        "deadline": (datetime.now(UTC) + timedelta(hours=2)).strftime(FMT),
        "contractor": "VoltWorks Ltd",
        "approvers": ["UtilityMSP", "CommunityMSP"],
        "milestone": "battery installed",
    }
    return dict(api.ok("POST", "/campaigns", OPERATOR, 201, json=terms))


def test_a_household_pledges_to_a_campaign_once_and_sees_only_its_own_pledge(
    browser: Browser, served: str, api: Api, campaign: dict[str, Any]
) -> None:
    campaign_id = campaign["campaign_id"]
    page = browser.new_page()
    sign_in(page, served, "household1")
    page.click("nav >> text=Funding")
    row = page.locator(f"tr[data-campaign='{campaign_id}']")
    assert row.locator("td.status").text_content() == "open"
    form = row.locator("form")
    sent = {
        name: form.locator(f"input[name={name}]").get_attribute("value") or ""
        for name in ("csrf", "pledge_id")
    }
    form.locator("input[name=amount]").fill("250")
    form.locator("button").click()
    assert f"You pledged 250 to {campaign_id} (pledge {sent['pledge_id']})" in notice(page)
    row = page.locator(f"tr[data-campaign='{campaign_id}']")
    assert row.locator("[data-pledge]").all_text_contents() == ["250 held"]
    screenshot(page, "household-funding")
    # the same form sent again (a double click, a resent page) pledges nothing more
    again = page.request.post(
        f"{served}/ui/funding/{campaign_id}/pledges", form={**sent, "amount": "250"}
    )
    assert again.status == 200
    page.close()
    ledger = api.ok("GET", f"/campaigns/{campaign_id}", HOUSEHOLD, 200)
    assert ledger["pledged"] == 250 and ledger["pledges"] == 1

    other = browser.new_page()
    sign_in(other, served, "household2")
    other.goto(f"{served}/ui/funding")
    row = other.locator(f"tr[data-campaign='{campaign_id}']")
    assert row.locator("[data-pledge]").count() == 0
    assert (row.locator("td.progress").text_content() or "").startswith("250 / 10000")
    other.close()


# --- the utility's staff -------------------------------------------------------------------


def test_the_operator_reads_every_meter_and_a_last_reading_is_recorded(
    browser: Browser, apis: dict[str, str], api: Api
) -> None:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    for household in (H1, H2):
        submit_day(household, day_readings(household, yesterday))
    listed = every_item(api, f"{SUNNYSIDE}/meters", OPERATOR, {})
    page = browser.new_page()
    sign_in(page, apis["utility"], "operator1", "utility")
    assert urlsplit(page.url).path == "/ui/meters"
    rows = page.locator("table.meters tr[data-meter]")
    assert [r.get_attribute("data-meter") for r in rows.all()] == [m["meter_id"] for m in listed]
    for meter in listed:
        if meter["meter_id"] in (H1.meter_id, H2.meter_id):
            cell = page.locator(f"tr[data-meter='{meter['meter_id']}'] td.last")
            assert cell.text_content() == meter["last_reading_day"]
    last_day = next(m for m in listed if m["meter_id"] == H1.meter_id)["last_reading_day"]
    since = datetime.now(UTC) - timedelta(minutes=1)
    page.locator(f"tr[data-meter='{H1.meter_id}'] button").click()
    shown = page.locator("#last-reading")
    assert shown.get_attribute("data-meter") == H1.meter_id
    day = date.fromisoformat(last_day)
    latest = max(
        (r for r in readings_of(api, day, day + timedelta(days=1)) if r["meter_id"] == H1.meter_id),
        key=lambda r: r["interval_start"],
    )
    assert shown.locator("dd.interval").text_content() == latest["interval_start"]
    assert shown.locator("dd.import").text_content() == f"{latest['import_wh']} Wh"
    assert "left a record in household h-001's access log" in notice(page)
    screenshot(page, "operator-meters")
    page.close()
    recent = {
        "start": since.strftime(FMT),
        "end": (datetime.now(UTC) + timedelta(minutes=10)).strftime(FMT),
    }
    records = api.ok(
        "GET", f"{SUNNYSIDE}/households/h-001/accesses", HOUSEHOLD, 200, query_string=recent
    )["items"]
    assert ("UtilityMSP:operator1", "readings", f"{last_day}T00:00:00Z") in {
        (r["reader"], r["kind"], r["start"]) for r in records
    }


def test_billing_lists_the_invoices_issued_and_issues_one(
    browser: Browser, apis: dict[str, str], api: Api, billed: dict[str, Any]
) -> None:
    submit_day(H2, day_readings(H2, BILL_DAY))
    approved_tariff()
    following = (BILL_DAY + timedelta(days=1)).isoformat()
    page = browser.new_page()
    sign_in(page, apis["utility"], "billing1", "utility")
    page.click("nav >> text=Invoices")
    page.goto(f"{apis['utility']}/ui/invoices?month={BILL_DAY:%Y-%m}")
    assert page.locator(f"tr[data-invoice='h-001/{BILL_DAY}/{following}']").count() == 1
    page.fill("input[name=household_id]", "h-002")
    page.fill("input[name=period_start]", BILL_DAY.isoformat())
    page.fill("input[name=period_end]", following)
    page.click("form.grant button")
    evidence = api.ok(
        "GET",
        f"{SUNNYSIDE}/households/h-002/invoices/{BILL_DAY}/{following}/evidence",
        BILLING,
        200,
    )
    assert f"Invoice of h-002 for {BILL_DAY} to {following} issued" in notice(page)
    row = page.locator(f"tr[data-invoice='h-002/{BILL_DAY}/{following}']")
    assert evidence["tx_id"][:12] in (row.text_content() or "")
    issued = every_item(
        api, f"{SUNNYSIDE}/invoices", BILLING, {"start": f"{BILL_DAY:%Y-%m}-01", "end": following}
    )
    shown = page.locator("table.invoices tr[data-invoice]").all()
    assert [r.get_attribute("data-invoice") for r in shown] == [
        f"{e['household_id']}/{e['period_start']}/{e['period_end']}" for e in issued
    ]
    screenshot(page, "billing-invoices")
    page.close()


# --- the regulator -------------------------------------------------------------------------


def test_the_regulator_approves_a_proposed_tariff(
    browser: Browser, apis: dict[str, str], api: Api
) -> None:
    tariff = {**TARIFF, "tariff_id": f"ui-{RUN}", "valid_from": "2099-01-01"}
    api.ok("POST", f"{SUNNYSIDE}/tariffs", OPERATOR, 201, json=tariff)
    page = browser.new_page()
    sign_in(page, apis["regulator"], "auditor1", "regulator")
    page.click("nav >> text=Tariffs")
    row = page.locator(f"tr[data-tariff='ui-{RUN}']")
    assert row.locator("td.status").text_content() == "proposed"
    row.locator("button", has_text="Approve").click()
    assert f"Tariff ui-{RUN} approved by RegulatorMSP:auditor1" in notice(page)
    row = page.locator(f"tr[data-tariff='ui-{RUN}']")
    assert (row.locator("td.status").text_content() or "").startswith("approved by")
    assert row.locator("button").count() == 0
    screenshot(page, "regulator-tariffs")
    page.close()
    ledger = api.ok("GET", f"{SUNNYSIDE}/tariffs/ui-{RUN}", HOUSEHOLD, 200)
    assert (ledger["status"], ledger["approved_by"]) == ("approved", "RegulatorMSP:auditor1")


def test_the_regulator_charts_a_communitys_k_anonymous_aggregates(
    browser: Browser, apis: dict[str, str], api: Api
) -> None:
    for at, households, import_wh, export_wh in AGGREGATES:
        body = {
            "community": "sunnyside",
            "interval_start": f"{AGGREGATE_DAY}T{at}:00Z",
            "households": households,
            "import_wh": import_wh,
            "export_wh": export_wh,
        }
        assert api.post("/aggregates", OPERATOR, json=body).status_code in (200, 201)
    k = api.ok("GET", "/aggregates/threshold", REGULATOR_ROLE, 200)["k"]
    page = browser.new_page()
    sign_in(page, apis["regulator"], "auditor1", "regulator")
    page.goto(f"{apis['regulator']}/ui/aggregates?day={AGGREGATE_DAY}")
    shown = drawn(page, "aggregate-data")
    assert shown["labels"] == [at for at, *_ in AGGREGATES]
    assert shown["series"][0]["values"] == [row[2] for row in AGGREGATES]
    assert shown["series"][1]["values"] == [row[3] for row in AGGREGATES]
    assert page.text_content("#k") == str(k)
    screenshot(page, "regulator-aggregates")
    page.close()


def test_an_admin_signs_a_membership_change_another_org_proposed(
    browser: Browser, apis: dict[str, str], api: Api
) -> None:
    proposal = {
        "kind": "removal",
        "msp_id": "CommunityMSP",
        "description": f"dashboard test {RUN}: signed, never submitted",
    }
    made = api.ok("POST", "/config-updates", ADMIN, 201, json=proposal)["proposal"]
    page = browser.new_page()
    sign_in(page, apis["regulator"], "admin", "regulator")
    assert urlsplit(page.url).path == "/ui/membership"
    page.fill("textarea[name=proposal]", json.dumps(made))
    page.click("form.signin button")
    section = page.locator(f"section[data-update='{made['id']}']")
    assert "UtilityMSP" not in (section.locator("dd.signers").text_content() or "")
    section.locator("button", has_text="Sign as RegulatorMSP").click()
    assert f"RegulatorMSP signed {made['id']}" in notice(page)
    section = page.locator(f"section[data-update='{made['id']}']")
    assert "RegulatorMSP" in (section.locator("dd.signers").text_content() or "")
    screenshot(page, "admin-membership")
    with page.expect_download() as download:
        section.locator("a", has_text="Download the signature file").click()
    signature = json.loads(Path(download.value.path()).read_text())
    page.close()
    added = api.ok(
        "POST",
        f"/config-updates/{made['id']}/signatures",
        ADMIN,
        201,
        json={"signature": signature},
    )
    assert added["msp_id"] == "RegulatorMSP"
    kept = api.ok("GET", f"/config-updates/{made['id']}", ADMIN, 200)
    assert "RegulatorMSP" in {s["msp_id"] for s in kept["signatures"]}


# --- who opens what ------------------------------------------------------------------------

PATHS = {
    "dashboard.energy": "/ui/energy",
    "dashboard.my_market": "/ui/my-market",
    "dashboard.bill": "/ui/bill",
    "dashboard.consents": "/ui/consents",
    "dashboard.funding": "/ui/funding",
    "dashboard.meters": "/ui/meters",
    "dashboard.market": "/ui/market",
    "dashboard.invoices": "/ui/invoices",
    "dashboard.events": "/ui/events",
    "dashboard.audit": "/ui/audit",
    "dashboard.history": "/ui/audit/history",
    "dashboard.tariffs": "/ui/tariffs",
    "dashboard.aggregates": "/ui/aggregates",
    "dashboard.membership": "/ui/membership",
}
PEOPLE = [  # (org, user, role)
    ("community", "household1", "household"),
    ("utility", "operator1", "operator"),
    ("utility", "billing1", "billing"),
    ("regulator", "auditor1", "regulator"),
    ("regulator", "admin", "admin"),
    ("community", "advisor1", "third_party"),
]


def test_the_pages_are_every_page_of_every_menu() -> None:
    assert set(PATHS) == {endpoint for pages in PAGES.values() for endpoint, _ in pages}


@pytest.mark.parametrize(("org", "user", "role"), PEOPLE, ids=[p[1] for p in PEOPLE])
def test_each_role_opens_the_pages_of_its_menu_and_no_other(
    browser: Browser, apis: dict[str, str], org: str, user: str, role: str
) -> None:
    menu = dict(PAGES.get(role, ()))
    page = browser.new_page()
    sign_in(page, apis[org], user, org)
    assert page.locator("header nav a").all_text_contents() == list(menu.values())
    opened = {}
    for endpoint, path in PATHS.items():
        response = page.request.get(f"{apis[org]}{path}")
        opened[endpoint] = response.status
        if response.status == 403:
            assert "may not" in response.text() or "is not a household" in response.text()
    page.close()
    assert opened == {e: 200 if e in menu else 403 for e in PATHS}
