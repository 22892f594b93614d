"""A new household's first day, through HTTP only, on the real network.

The community's admin registers the household's identity; it logs in; the operator
registers its meter; the head-end ingests its day of signed readings; the household
pages through them, sells energy to household9 in a sealed auction, the operator
clears and settles the interval, billing issues the day's invoice, and the household
reads it and exports readings and invoice as Green Button XML. The regulator sees the
invoice's evidence and nothing private.

The steps run in order and share ``story``; a step whose input an earlier step failed
to make is skipped. The day is the latest of the last six on which household9 has no
invoice (an issued invoice's inputs must not change), with a free afternoon interval
in which the household exports what it sells if there is one (the matrix trades at
night; other tests search the same afternoons for empty intervals too).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from api_client import ROLES, SUNNYSIDE, Api, api_session, assert_error, login
from community_fixtures import KEYS, TARIFF, posted

from client.greenbutton import CURRENCIES
from gridspec.readings import CLOCK_SKEW
from network.scenario import Household, community, day_readings

pytestmark = pytest.mark.usefixtures("fabric_network")

OPERATOR, BILLING, METER = ROLES["operator"], ROLES["billing"], ROLES["meter"]
REGULATOR = ROLES["regulator"]
BUYER = community()[8]  # h-009: no solar, imports every interval
FMT = "%Y-%m-%dT%H:%M:%SZ"
ATOM, ESPI = "{http://www.w3.org/2005/Atom}", "{http://naesb.org/espi}"
OFFER_WH, OFFER_PRICE, BID_PRICE = 100, 10, 30


def epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def salt() -> str:
    return base64.urlsafe_b64encode(os.urandom(18)).decode()


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


@pytest.fixture(scope="module")
def story() -> dict[str, Any]:
    """What the steps have done so far."""
    tag = uuid.uuid4().hex[:8]
    household = Household(
        household_id=f"h-e{tag}",
        meter_id=f"m-e{tag}",
        feeder="F-1",
        solar_kwp=6.0,
        base_load_w=150,
        seed=7,
    )
    return {"tag": tag, "household": household, "user": f"household-{tag}"}


def need(story: dict[str, Any], *keys: str) -> list[Any]:
    missing = [key for key in keys if key not in story]
    if missing:
        pytest.skip(f"an earlier step did not finish: no {', '.join(missing)}")
    return [story[key] for key in keys]


def metered(household: Household, day: date, interval: str) -> dict[str, Any]:
    return next(r for r in day_readings(household, day) if r["interval_start"] == interval)


def pick_day_and_interval(api: Api, seller: Household) -> tuple[date, str]:
    """The latest day (1-6 days ago) household9 has no invoice for, and an interval of it
    with no order yet: one where the seller exports and the buyer imports the offer if
    there is one, else any free one (delivery is then partial)."""
    # yesterday, as the ledger sees it: its last reading counts once the clock skew is past
    today = (datetime.now(UTC) - CLOCK_SKEW).date()
    for back in range(1, 7):
        day = today - timedelta(days=back)
        period = f"{day.isoformat()}/{(day + timedelta(days=1)).isoformat()}"
        evidence = api.get(
            f"{SUNNYSIDE}/households/{BUYER.household_id}/invoices/{period}/evidence", REGULATOR
        )
        if evidence.status_code != 404:
            assert evidence.status_code == 200, evidence.get_json()
            continue
        free = []
        for slot in range(52, 80):  # 13:00-19:45 UTC
            interval = (
                datetime(day.year, day.month, day.day, tzinfo=UTC) + slot * timedelta(minutes=15)
            ).strftime(FMT)
            book = api.ok("GET", f"{SUNNYSIDE}/intervals/{interval}/order-book", REGULATOR, 200)
            if book["orders"] == 0 and not book["cleared"]:
                free.append(interval)
        full = [
            i
            for i in free
            if metered(seller, day, i)["export_wh"] >= OFFER_WH
            and metered(BUYER, day, i)["import_wh"] >= OFFER_WH
        ]
        if full or free:
            return day, (full or free)[0]
    pytest.fail("household9 is billed, or its afternoons are traded, on each of the last days")


def test_1_the_community_admin_registers_a_household_identity(api: Api, story: dict) -> None:
    admin = login(api.client_of("community"), "community", "admin")
    household: Household = story["household"]
    incomplete = {"enrollment_id": story["user"], "role": "household"}
    assert_error(
        api.post("/admin/identities", headers=admin, org="community", json=incomplete),
        422,
        "a household identity needs a household_id",
    )
    identity = {**incomplete, "household_id": household.household_id}
    created = api.ok(
        "POST", "/admin/identities", None, 201, headers=admin, org="community", json=identity
    )
    assert created["enrollment_id"] == story["user"]
    assert (created["org"], created["role"]) == ("community", "household")
    assert len(created["secret"]) >= 8
    story["secret"] = created["secret"]


def test_2_the_household_logs_in(api: Api, story: dict) -> None:
    (secret,) = need(story, "secret")
    credentials = {"org": "community", "enrollment_id": story["user"], "secret": secret}
    session = api.ok("POST", "/auth/login", None, 200, json=credentials, org="community")
    assert session["token_type"] == "Bearer" and session["expires_in"] > 0
    assert (session["msp_id"], session["role"], session["household_id"]) == (
        "CommunityMSP",
        "household",
        story["household"].household_id,
    )
    story["auth"] = {"Authorization": f"Bearer {session['token']}"}


def test_3_the_operator_registers_its_meter(api: Api, story: dict) -> None:
    household: Household = story["household"]
    meter = {
        "meter_id": household.meter_id,
        "household_id": household.household_id,
        "feeder": household.feeder,
        "device_public_key": KEYS.public_pem(household.meter_id),
        "personal": {"name": f"Household {story['tag']}", "address": "1 Solar Way"},
    }
    registered = api.ok("POST", f"{SUNNYSIDE}/meters", OPERATOR, 201, json=meter)
    assert (registered["status"], registered["registered_by"]) == ("active", "operator1")
    (auth,) = need(story, "auth")
    seen = api.ok(
        "GET", f"{SUNNYSIDE}/meters/{household.meter_id}", None, 200, headers=auth, org="community"
    )
    assert seen["household_id"] == household.household_id
    assert "personal" not in seen and "1 Solar Way" not in json.dumps(seen)
    story["meter"] = registered


def test_4_the_head_end_ingests_a_day_of_signed_readings(api: Api, story: dict) -> None:
    need(story, "meter")
    household: Household = story["household"]
    day, interval = pick_day_and_interval(api, household)
    story["day"], story["interval"] = day, interval
    readings = day_readings(household, day)
    ingested = api.ok("POST", f"{SUNNYSIDE}/readings", METER, 201, json=posted(household, readings))
    assert ingested == {
        "bundles": 1,
        "stored": 96,
        "duplicates": 0,
        "meter_days": [{"meter_id": household.meter_id, "day": day.isoformat()}],
    }
    story["readings"] = readings


def day_query(day: date) -> dict[str, str]:
    return {
        "start": f"{day.isoformat()}T00:00:00Z",
        "end": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
    }


def values(readings: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    return [(r["interval_start"], r["import_wh"], r["export_wh"]) for r in readings]


def test_5_the_household_pages_through_its_readings(api: Api, story: dict) -> None:
    auth, day, readings = need(story, "auth", "day", "readings")
    path = f"{SUNNYSIDE}/households/{story['household'].household_id}/readings"
    # the head-end's 201 means committed on the utility's peer; the household reads through
    # its own org's peer, which may commit the block a moment later (seen under load)
    deadline = time.monotonic() + 10
    while True:
        first = api.ok(
            "GET", path, None, 200, headers=auth, org="community", query_string=day_query(day)
        )
        if first["total"] == len(readings) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 50, 96, 2)
    assert values(first["items"]) == values(readings[:50])
    pages = [
        api.ok(
            "GET",
            path,
            None,
            200,
            headers=auth,
            org="community",
            query_string={**day_query(day), "per_page": 40, "page": page},
        )
        for page in (1, 2, 3)
    ]
    assert [(p["page"], p["per_page"], p["total"], p["pages"]) for p in pages] == [
        (n, 40, 96, 3) for n in (1, 2, 3)
    ]
    assert [len(p["items"]) for p in pages] == [40, 40, 16]
    assert values([r for p in pages for r in p["items"]]) == values(readings)
    assert {r["meter_id"] for p in pages for r in p["items"]} == {story["household"].meter_id}
    assert all(len(r["salt"]) >= 22 for r in first["items"])
    assert_error(
        api.get(
            f"{SUNNYSIDE}/households/{BUYER.household_id}/readings",
            headers=auth,
            org="community",
            query_string=day_query(day),
        ),
        403,
        f"household {story['household'].household_id} may not read household h-009",
    )


def ensure_counterparty(api: Api, day: date) -> None:
    """household9 has an active meter and its readings of the day (through the API)."""
    if api.get(f"{SUNNYSIDE}/meters/{BUYER.meter_id}", OPERATOR).status_code == 404:
        meter = {
            "meter_id": BUYER.meter_id,
            "household_id": BUYER.household_id,
            "feeder": BUYER.feeder,
            "device_public_key": KEYS.public_pem(BUYER.meter_id),
        }
        api.ok("POST", f"{SUNNYSIDE}/meters", OPERATOR, 201, json=meter)
    path = f"{SUNNYSIDE}/households/{BUYER.household_id}/readings"
    held = api.ok("GET", path, OPERATOR, 200, query_string={**day_query(day), "per_page": 100})
    if held["total"] < 96:
        body = posted(BUYER, day_readings(BUYER, day))
        api.ok("POST", f"{SUNNYSIDE}/readings", METER, 201, json=body)


def ensure_tariff(api: Api, day: date) -> dict[str, Any]:
    """The tariff in force on the day (the community's, proposed and approved if none is)."""
    response = api.get(f"{SUNNYSIDE}/tariffs/in-force/{day.isoformat()}", REGULATOR)
    if response.status_code == 404:
        api.ok("POST", f"{SUNNYSIDE}/tariffs", OPERATOR, 201, json=TARIFF)
        api.ok("POST", f"{SUNNYSIDE}/tariffs/{TARIFF['tariff_id']}/approval", REGULATOR, 200)
        response = api.get(f"{SUNNYSIDE}/tariffs/in-force/{day.isoformat()}", REGULATOR)
    assert response.status_code == 200, response.get_json()
    tariff: dict[str, Any] = response.get_json()
    return tariff


def test_6_the_household_sells_to_household9_in_a_sealed_auction(api: Api, story: dict) -> None:
    auth, day, interval, _ = need(story, "auth", "day", "interval", "readings")
    ensure_counterparty(api, day)
    story["tariff"] = ensure_tariff(api, day)
    offer = {
        "order_id": f"e2e-{story['tag']}-offer",
        "side": "offer",
        "interval_start": interval,
        "energy_wh": OFFER_WH,
        "price_per_kwh": OFFER_PRICE,
        "salt": salt(),
    }
    bid = {
        **offer,
        "order_id": f"e2e-{story['tag']}-bid",
        "side": "bid",
        "price_per_kwh": BID_PRICE,
        "salt": salt(),
    }
    placed = api.ok(
        "POST", f"{SUNNYSIDE}/orders", None, 201, headers=auth, org="community", json=offer
    )
    assert placed == {"order_id": offer["order_id"], "interval_start": interval}
    buyer = login(api.client_of("community"), "community", "household9")
    api.ok("POST", f"{SUNNYSIDE}/orders", None, 201, headers=buyer, org="community", json=bid)
    book = api.ok(
        "GET",
        f"{SUNNYSIDE}/intervals/{interval}/order-book",
        None,
        200,
        headers=auth,
        org="community",
    )
    assert book == {"interval_start": interval, "orders": 2, "cleared": False}
    story["orders"] = (offer, bid)


def test_7_the_operator_clears_the_interval(api: Api, story: dict) -> None:
    interval, (offer, bid) = need(story, "interval", "orders")
    clearing = api.ok("POST", f"{SUNNYSIDE}/intervals/{interval}/clearing", OPERATOR, 201)
    assert (clearing["price_per_kwh"], clearing["matched_wh"]) == (
        (OFFER_PRICE + BID_PRICE) // 2,
        OFFER_WH,
    )
    assert (clearing["offers"], clearing["bids"], clearing["trades"]) == (1, 1, 1)
    assert api.ok("GET", f"{SUNNYSIDE}/intervals/{interval}/clearing", REGULATOR, 200) == clearing
    detail = api.ok("GET", f"{SUNNYSIDE}/intervals/{interval}/clearing/detail", OPERATOR, 200)
    (trade,) = detail["trades"]
    assert (trade["seller"], trade["buyer"], trade["energy_wh"], trade["status"]) == (
        story["household"].household_id,
        BUYER.household_id,
        OFFER_WH,
        "matched",
    )
    assert list(clearing["trade_commitments"]) == [trade["trade_id"]]
    filled = {f["order_id"] for f in detail["offer_fills"] + detail["bid_fills"]}
    assert filled == {offer["order_id"], bid["order_id"]}
    story["trade"] = trade


def test_8_the_operator_settles_it_against_the_meters(api: Api, story: dict) -> None:
    day, interval, trade = need(story, "day", "interval", "trade")
    settled = api.ok("POST", f"{SUNNYSIDE}/intervals/{interval}/settlement", OPERATOR, 201)
    delivered = min(
        OFFER_WH,
        metered(story["household"], day, interval)["export_wh"],
        metered(BUYER, day, interval)["import_wh"],
    )
    end = (datetime.strptime(interval, FMT) + timedelta(minutes=15)).strftime(FMT)
    window = f"start={interval}&end={end}"
    (done,) = api.ok("GET", f"{SUNNYSIDE}/trades?{window}", OPERATOR, 200)["items"]
    assert done["trade_id"] == trade["trade_id"]
    assert (done["delivered_wh"], done["shortfall_wh"]) == (delivered, OFFER_WH - delivered)
    assert done["status"] == ("delivered" if delivered == OFFER_WH else "partially_delivered")
    assert (settled["trades"], settled["delivered_wh"]) == (1, delivered)
    story["delivered"] = delivered


def test_9_billing_issues_the_days_invoice(api: Api, story: dict) -> None:
    day, readings, delivered, tariff = need(story, "day", "readings", "delivered", "tariff")
    household: Household = story["household"]
    period = (day.isoformat(), (day + timedelta(days=1)).isoformat())
    evidence = (
        f"{SUNNYSIDE}/households/{household.household_id}/invoices/{period[0]}/{period[1]}/evidence"
    )
    assert_error(api.get(evidence, REGULATOR), 404, "no invoice of household")
    request = {
        "household_id": household.household_id,
        "period_start": period[0],
        "period_end": period[1],
    }
    invoice = api.ok("POST", f"{SUNNYSIDE}/invoices", BILLING, 201, json=request)
    assert (invoice["household"], invoice["period_start"], invoice["period_end"]) == (
        household.household_id,
        *period,
    )
    assert (invoice["tariff_id"], invoice["currency"]) == (tariff["tariff_id"], tariff["currency"])
    lines = invoice["lines"]
    assert invoice["total"] == sum(line["amount"] for line in lines)

    def quantity(code: str) -> int:
        return sum(line["quantity_wh"] for line in lines if line["code"] == code)

    assert quantity("grid_import") == sum(r["import_wh"] for r in readings)
    assert quantity("p2p_sale") == delivered
    assert quantity("feed_in") == sum(r["export_wh"] for r in readings) - delivered
    (sale,) = [line for line in lines if line["code"] == "p2p_sale"]
    price = story["trade"]["price_per_kwh"]
    assert sale["amount"] == -((delivered * price + 500) // 1000)
    assert story["trade"]["trade_id"] in sale["description"]
    (fixed,) = [line for line in lines if line["code"] == "fixed_charge"]
    assert fixed["amount"] == tariff["daily_fixed_charge"]
    story["period"], story["invoice"] = period, invoice


def test_10_the_household_reads_its_invoice(api: Api, story: dict) -> None:
    auth, period, invoice = need(story, "auth", "period", "invoice")
    path = (
        f"{SUNNYSIDE}/households/{story['household'].household_id}/invoices/{period[0]}/{period[1]}"
    )
    assert api.ok("GET", path, None, 200, headers=auth, org="community") == invoice
    assert_error(
        api.get(
            f"{SUNNYSIDE}/households/h-009/invoices/{period[0]}/{period[1]}",
            headers=auth,
            org="community",
        ),
        403,
        f"household {story['household'].household_id} may not read the invoices of household h-009",
    )


def feed(response: Any) -> ET.Element:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return root


def test_11_the_household_exports_its_invoice_as_green_button(api: Api, story: dict) -> None:
    auth, period, invoice = need(story, "auth", "period", "invoice")
    household: Household = story["household"]
    root = feed(
        api.get(
            f"{SUNNYSIDE}/households/{household.household_id}/invoices/green-button",
            headers=auth,
            org="community",
            query_string={"period_start": period[0], "period_end": period[1]},
        )
    )
    (entry,) = [
        e for e in root.iter(f"{ATOM}entry") if e.find(f".//{ESPI}UsageSummary") is not None
    ]
    summary = entry.find(f".//{ESPI}UsageSummary")
    assert summary is not None
    assert invoice["inputs_hash"] in (entry.findtext(f"{ATOM}summary") or "")
    numeric, digits = CURRENCIES[invoice["currency"]]
    scale = 10 ** (5 - digits)
    day = date.fromisoformat(period[0])
    assert summary.findtext(f"{ESPI}billingPeriod/{ESPI}start") == str(epoch(day))
    assert summary.findtext(f"{ESPI}billingPeriod/{ESPI}duration") == "86400"
    assert summary.findtext(f"{ESPI}billLastPeriod") == str(invoice["total"] * scale)
    assert summary.findtext(f"{ESPI}currency") == str(numeric)
    assert summary.findtext(f"{ESPI}tariffProfile") == invoice["tariff_id"]
    consumed = sum(
        line["quantity_wh"]
        for line in invoice["lines"]
        if line["code"] in ("grid_import", "p2p_purchase")
    )
    assert summary.findtext(f"{ESPI}overallConsumptionLastPeriod/{ESPI}value") == str(consumed)
    items = summary.findall(f"{ESPI}costAdditionalDetailLastPeriod")
    assert [(i.findtext(f"{ESPI}note"), int(i.findtext(f"{ESPI}amount") or "")) for i in items] == [
        (f"{line['code']}: {line['description']}", line["amount"] * scale)
        for line in invoice["lines"]
    ]


def test_12_the_household_exports_its_readings_as_green_button(api: Api, story: dict) -> None:
    auth, day, readings = need(story, "auth", "day", "readings")
    household: Household = story["household"]
    root = feed(
        api.get(
            f"{SUNNYSIDE}/households/{household.household_id}/readings/green-button",
            headers=auth,
            org="community",
            query_string=day_query(day),
        )
    )
    exported: dict[str, dict[int, int]] = {"import": {}, "export": {}}
    for entry in root.iter(f"{ATOM}entry"):
        block = entry.find(f".//{ESPI}IntervalBlock")
        if block is None:
            continue
        link = entry.find(f"{ATOM}link[@rel='self']")
        assert link is not None
        direction = "import" if "/MeterReading/import/" in link.get("href", "") else "export"
        for reading in block.iter(f"{ESPI}IntervalReading"):
            assert reading.findtext(f"{ESPI}timePeriod/{ESPI}duration") == "900"
            start = int(reading.findtext(f"{ESPI}timePeriod/{ESPI}start") or "")
            exported[direction][start] = int(reading.findtext(f"{ESPI}value") or "")
    midnight = epoch(day)
    assert exported["import"] == {
        midnight + 900 * n: r["import_wh"] for n, r in enumerate(readings)
    }
    assert exported["export"] == {
        midnight + 900 * n: r["export_wh"] for n, r in enumerate(readings)
    }


def test_13_the_regulator_reads_the_evidence_and_nothing_private(api: Api, story: dict) -> None:
    day, period, invoice = need(story, "day", "period", "invoice")
    household_id = story["household"].household_id
    base = f"{SUNNYSIDE}/households/{household_id}"
    evidence = api.ok("GET", f"{base}/invoices/{period[0]}/{period[1]}/evidence", REGULATOR, 200)
    canonical = json.dumps(invoice, sort_keys=True, separators=(",", ":")).encode()
    assert evidence["invoice_sha256"] == hashlib.sha256(canonical).hexdigest()
    assert (evidence["household_id"], evidence["inputs_hash"]) == (
        household_id,
        invoice["inputs_hash"],
    )
    assert_error(
        api.get(f"{base}/readings", REGULATOR, query_string=day_query(day)),
        403,
        "caller role 'regulator' may not call GetReadings; "
        "allowed: household, operator, billing, third_party",
    )
    assert_error(
        api.get(f"{base}/invoices/{period[0]}/{period[1]}", REGULATOR),
        403,
        "caller from RegulatorMSP (regulator) may not call GetInvoice; allowed: utility, community",
    )


def test_14_the_household_discloses_one_reading_and_the_regulator_verifies_it(
    api: Api, story: dict
) -> None:
    auth, day, interval = need(story, "auth", "day", "interval")
    meter_id = story["household"].meter_id
    disclosure = api.ok(
        "GET",
        f"{SUNNYSIDE}/meters/{meter_id}/readings/{interval}/disclosure",
        None,
        200,
        headers=auth,
        org="community",
    )
    assert disclosure["reading"]["interval_start"] == interval
    verdict = api.ok("POST", f"{SUNNYSIDE}/readings/verify", REGULATOR, 200, json=disclosure)
    held = api.ok(
        "GET", f"{SUNNYSIDE}/meters/{meter_id}/days/{day.isoformat()}/commitment", REGULATOR, 200
    )
    assert verdict == {"key": held["key"], "sha256": held["sha256"], "verified": True}
    forged = {**disclosure, "reading": {**disclosure["reading"], "export_wh": 1}}
    forged["reading"]["export_wh"] += disclosure["reading"]["export_wh"]
    refused = api.ok("POST", f"{SUNNYSIDE}/readings/verify", REGULATOR, 200, json=forged)
    assert (refused["verified"], refused["reason"]) == (
        False,
        "the reading does not lead to its bundle's root",
    )
