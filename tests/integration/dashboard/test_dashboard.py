"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, on the real network.

Each org's API app serves its own people's pages (this folder's conftest); the ledger
behind them is the real one. A household sees its day's consumption
and export charted from its own readings (compared with what the meter sent), never
another household's, grants a consent and revokes it, and signs out; the operator
clears an interval that has sealed orders, which billing may not; the regulator
verifies a channel's chain. Every request a page makes goes to the org's own API.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from api_client import OPERATOR, SUNNYSIDE, api_session
from browsing import BILL_DAY, FMT, H1, H2, energy_of, expected, notice, screenshot, sign_in
from community_fixtures import DAY
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.usefixtures("fabric_network")


def test_a_household_signs_in_and_sees_its_days_energy_charted(page: Page, served: str) -> None:
    sign_in(page, served, "household1")
    assert urlsplit(page.url).path == "/ui/energy"
    page.goto(f"{served}/ui/energy?day={DAY}")
    shown = energy_of(page)
    want = expected(H1)
    assert len(shown["labels"]) == 96 and shown["labels"][:2] == ["00:00", "00:15"]
    assert shown["series"][0]["values"] == want["import"]
    assert shown["series"][1]["values"] == want["export"]
    total = page.text_content("#import-total") or ""
    assert total == f"{sum(want['import']) / 1000:.3f} kWh"
    assert "h-001" in (page.text_content("main") or "")
    screenshot(page, "household-energy")


def test_a_household_sees_only_its_own_readings(page: Page, served: str) -> None:
    sign_in(page, served, "household2")
    page.goto(f"{served}/ui/energy?day={DAY}&household=h-001&household_id=h-001")
    shown = energy_of(page)
    assert shown["series"][0]["values"] == expected(H2)["import"]
    assert shown["series"][0]["values"] != expected(H1)["import"]
    text = page.text_content("main") or ""
    assert "h-002" in text and "h-001" not in text


def test_every_request_of_the_pages_goes_to_the_orgs_own_api(page: Page, served: str) -> None:
    sign_in(page, served, "household1")
    page.goto(f"{served}/ui/energy?day={DAY}")
    energy_of(page)
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in page.requested}
    assert origins == {served}, origins
    assert any(u.endswith("/ui/static/vendor/chart.umd.min.js") for u in page.requested)


def test_signing_out_ends_the_session_and_its_token(page: Page, served: str) -> None:
    sign_in(page, served, "household1")
    page.click("form.signout button")
    assert urlsplit(page.url).path == "/ui/login"
    assert "signed out" in (page.text_content(".notice") or "")
    page.goto(f"{served}/ui/energy?day={DAY}")
    assert urlsplit(page.url).path == "/ui/login"


def test_a_wrong_secret_is_refused_on_the_page(page: Page, served: str) -> None:
    page.goto(f"{served}/ui/login")
    page.fill("input[name=enrollment_id]", "household1")
    page.fill("input[name=secret]", "not-the-secret")
    page.click("button[type=submit]")
    assert urlsplit(page.url).path == "/ui/login"
    assert "refused the enrolment of household1" in (page.text_content(".refusal") or "")


def test_a_non_household_is_told_the_page_is_a_households(page: Page, served: str) -> None:
    sign_in(page, served, "advisor1")
    assert (page.text_content("h1") or "").startswith("Signed in as advisor1")
    page.goto(f"{served}/ui/energy")
    assert "is not a household" in (page.text_content(".refusal") or "")


def test_a_household_grants_a_consent_and_revokes_it(page: Page, served: str) -> None:
    sign_in(page, served, "household1")
    page.click("nav >> text=Consents")
    purpose = f"dashboard test {uuid.uuid4().hex[:8]}"
    page.fill("input[name=grantee]", "CommunityMSP:advisor1")
    page.fill("input[name=purpose]", purpose)
    page.fill("input[name=data_from]", "2026-03-01")
    page.fill("input[name=data_to]", "2026-03-02")
    expires = date.today() + timedelta(days=30)
    page.fill("input[name=expires_at]", expires.isoformat())
    page.click("form.grant button")
    row = page.locator("table.consents tr", has_text=purpose)
    assert row.get_attribute("data-state") == "active"
    consent_id = row.get_attribute("data-consent")
    assert f"Consent {consent_id} granted to CommunityMSP:advisor1" in notice(page)
    screenshot(page, "household-consents")
    row.locator("button", has_text="Revoke").click()
    assert f"Consent {consent_id} of CommunityMSP:advisor1 revoked" in notice(page)
    row = page.locator(f"tr[data-consent='{consent_id}']")
    assert row.get_attribute("data-state") == "revoked"
    assert row.locator("button").count() == 0


def test_a_consent_the_ledger_refuses_is_shown_with_its_reason(page: Page, served: str) -> None:
    sign_in(page, served, "household1")
    page.goto(f"{served}/ui/consents")
    page.fill("input[name=grantee]", "CommunityMSP:advisor1")
    page.fill("input[name=purpose]", "backwards")
    page.fill("input[name=data_from]", "2026-03-02")
    page.fill("input[name=data_to]", "2026-03-01")
    page.fill("input[name=expires_at]", (date.today() + timedelta(days=3)).isoformat())
    page.click("form.grant button")
    assert (page.text_content("h1") or "").strip() == "400"
    assert "data_from" in (page.text_content(".refusal") or "")


def test_the_operator_clears_an_interval_and_billing_may_not(
    browser: Browser, apis: dict[str, str], sealed_interval: str
) -> None:
    moment = datetime.strptime(sealed_interval, FMT)
    window = f"{apis['utility']}/ui/market?day={moment.date()}&hour={moment.hour}"
    billing = browser.new_page()
    sign_in(billing, apis["utility"], "billing1", "utility")
    billing.goto(window)
    row = billing.locator(f"tr[data-interval='{sealed_interval}']")
    assert row.get_attribute("data-cleared") == "no"
    assert row.locator("button", has_text="Clear").count() == 0
    billing.close()

    operator = browser.new_page()
    sign_in(operator, apis["utility"], "operator1", "utility")
    assert urlsplit(operator.url).path == "/ui/meters"
    operator.goto(window)
    row = operator.locator(f"tr[data-interval='{sealed_interval}']")
    assert row.locator("td").nth(1).text_content() == "2"
    row.locator("button", has_text="Clear").click()
    row = operator.locator(f"tr[data-interval='{sealed_interval}']")
    assert row.get_attribute("data-cleared") == "yes"
    with api_session() as api:
        path = f"{SUNNYSIDE}/intervals/{sealed_interval}/clearing"
        record = api.ok("GET", path, OPERATOR, 200)
    assert record["matched_wh"] == 100
    assert row.locator("td.price").text_content() == str(record["price_per_kwh"])
    assert row.locator("td.matched").text_content() == "100"
    assert f"{sealed_interval} cleared: 100 Wh matched" in notice(operator)
    screenshot(operator, "operator-market")
    operator.close()


def test_the_regulator_verifies_a_channels_chain(browser: Browser, apis: dict[str, str]) -> None:
    page = browser.new_page()
    sign_in(page, apis["regulator"], "auditor1", "regulator")
    assert urlsplit(page.url).path == "/ui/audit"
    page.locator("tr[data-channel='consortium'] button").click()
    section = page.locator("section.verification")
    assert section.get_attribute("data-channel") == "consortium"
    assert section.get_attribute("data-ok") == "yes"
    assert int(page.text_content("#blocks-checked") or "0") > 3
    screenshot(page, "regulator-verification")
    page.close()


def test_a_household_may_not_open_the_operators_or_regulators_pages(
    page: Page, served: str
) -> None:
    sign_in(page, served, "household1")
    refusals = (
        ("/ui/market", "may not"),
        ("/ui/events", "may not"),
        ("/ui/audit", "may not audit"),
        ("/ui/audit/history", "may not audit"),
    )
    for path, refusal in refusals:
        page.goto(f"{served}{path}")
        assert refusal in (page.text_content(".refusal") or ""), path


def test_a_household_sees_what_it_sold_that_day_and_not_the_buyer(
    page: Page, served: str, cleared_interval: str
) -> None:
    sign_in(page, served, "household1")
    page.goto(f"{served}/ui/energy?day={cleared_interval[:10]}")
    rows = page.locator("table.trades tr[data-trade]")
    mine = rows.filter(has_text=cleared_interval[11:16])
    assert mine.count() == 1
    assert mine.locator("td.side").text_content() == "sold"
    assert "h-002" not in (page.text_content("table.trades") or "")


def test_the_operator_reports_an_event_and_ends_it(browser: Browser, apis: dict[str, str]) -> None:
    page = browser.new_page()
    sign_in(page, apis["utility"], "operator1", "utility")
    page.click("nav >> text=Grid events")
    cause = f"dashboard test {uuid.uuid4().hex[:8]}"
    page.select_option("select[name=event_type]", "OUTAGE")
    page.fill("input[name=feeder]", "F2")
    page.fill("input[name=cause]", cause)
    page.fill("input[name=affected_meters]", "12")
    page.click("form.report button")
    event = page.locator("ol.timeline li", has_text=cause)
    assert event.get_attribute("data-ongoing") == "yes"
    event_id = event.get_attribute("data-event")
    assert f"OUTAGE {event_id} on feeder F2 reported" in notice(page)
    event.locator("button", has_text="End now").click()
    event = page.locator(f"li[data-event='{event_id}']")
    assert event.get_attribute("data-ongoing") == "no"
    assert event.locator("button").count() == 0
    screenshot(page, "operator-events")
    page.close()


def test_billing_sees_the_events_but_may_not_report_one(
    browser: Browser, apis: dict[str, str]
) -> None:
    page = browser.new_page()
    sign_in(page, apis["utility"], "billing1", "utility")
    page.goto(f"{apis['utility']}/ui/events")
    assert (page.text_content("h1") or "").startswith("Grid events")
    assert page.locator("form.report").count() == 0
    page.close()


def test_the_regulator_reads_a_channels_configuration_history(
    browser: Browser, apis: dict[str, str]
) -> None:
    page = browser.new_page()
    sign_in(page, apis["regulator"], "auditor1", "regulator")
    page.goto(f"{apis['regulator']}/ui/audit/history?channel=consortium")
    rows = page.locator("table.history tr[data-block]")
    assert rows.count() >= 1
    genesis = page.locator("table.history tr[data-block='0']")
    assert "genesis" in (genesis.text_content() or "")
    assert "UtilityMSP" in (genesis.text_content() or "")
    screenshot(page, "regulator-history")
    page.close()


def test_a_household_reads_its_bill_and_downloads_it_as_green_button(
    page: Page, served: str, billed: dict[str, Any]
) -> None:
    sign_in(page, served, "household1")
    page.click("nav >> text=My bill")
    page.goto(f"{served}/ui/bill?day={BILL_DAY}")
    assert page.text_content("#invoice-total") == str(billed["total"])
    codes = [row.get_attribute("data-code") for row in page.locator("table.invoice tbody tr").all()]
    assert codes == [line["code"] for line in billed["lines"]]
    screenshot(page, "household-bill")
    with page.expect_download() as download:
        page.click("a.download")
    xml = Path(download.value.path()).read_bytes()
    root = ElementTree.fromstring(xml)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert b"UsageSummary" in xml and b"h-001" in xml


def test_a_day_without_a_bill_says_so(page: Page, served: str) -> None:
    sign_in(page, served, "household1")
    page.goto(f"{served}/ui/bill?day=2024-01-01")
    assert "billing has not issued one" in (page.text_content(".empty") or "")
    assert page.locator("a.download").count() == 0
