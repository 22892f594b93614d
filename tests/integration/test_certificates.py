"""Hourly granular certificates of local solar through the APIs, on the real network.

Two households of this run's own (a seller with solar and a buyer) meter a day that
is over; the seller offers in one interval of it, the buyer bids, the operator clears
and settles, and then issues the seller's certificates. The buyer's export shows the
certificate the energy carried, and cancelling it against its consumption gives its
share of local solar; cancelling again cancels nothing. The regulator audits the
seller's disclosed certificate against the readings' commitments, and an audit with a
reading left out, or a volume changed, fails.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import OPERATOR, REGULATOR_ROLE, SUNNYSIDE, Api, Role, api_session, login, secret
from community_fixtures import HOUSEHOLDS, approved_tariff, register, submit_day

from network.topology import COMMUNITY

pytestmark = pytest.mark.usefixtures("fabric_network")

RUN = uuid.uuid4().hex[:8]
SELLER = replace(HOUSEHOLDS[0], household_id=f"h-gc{RUN}s", meter_id=f"m-gc{RUN}s")
BUYER = replace(HOUSEHOLDS[1], household_id=f"h-gc{RUN}b", meter_id=f"m-gc{RUN}b")
EXPORTS = (180, 240, 90, 30)  # the seller's export in the hour's four quarters (Wh)
IMPORTS = (60, 200, 130, 10)  # the buyer's consumption in them (Wh)
TRADED = 150  # sold in the hour's second quarter: both sides metered that much
FMT = "%Y-%m-%dT%H:%M:%SZ"


def hour_readings(hour: datetime, energy: tuple[int, ...], side: str) -> list[dict[str, Any]]:
    other = "import_wh" if side == "export_wh" else "export_wh"
    return [
        {
            "interval_start": (hour + timedelta(minutes=15 * n)).strftime(FMT),
            "interval_minutes": 15,
            side: wh,
            other: 0,
        }
        for n, wh in enumerate(energy)
    ]


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


def person(api: Api, household: Any, name: str) -> Role:
    """A household identity of this run at the community's CA (its admin registers it)."""
    admin = login(api.client_of(COMMUNITY.key), COMMUNITY.key, "admin")
    identity = {
        "enrollment_id": name,
        "role": "household",
        "household_id": household.household_id,
        "secret": secret(COMMUNITY.key, name),
    }
    made = api.post("/admin/identities", headers=admin, json=identity, org=COMMUNITY.key)
    assert made.status_code == 201, made.get_json()
    return Role(name, name, COMMUNITY, name, "household", household.household_id)


def free_hour(api: Api) -> datetime:
    """An afternoon hour of yesterday (over, and young enough for orders) whose second
    quarter has no order yet."""
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday -= timedelta(days=1)
    for hour in range(13, 18):
        start = yesterday + timedelta(hours=hour)
        interval = (start + timedelta(minutes=15)).strftime(FMT)
        book = api.ok("GET", f"{SUNNYSIDE}/intervals/{interval}/order-book", OPERATOR, 200)
        if book["orders"] == 0 and not book["cleared"]:
            return start
    pytest.fail("every afternoon hour of yesterday already has orders")


@pytest.fixture(scope="module")
def traded(api: Api) -> dict[str, Any]:
    """The two households metered, registered as people, trading TRADED Wh, settled."""
    hour = free_hour(api)
    for household, energy, side in ((SELLER, EXPORTS, "export_wh"), (BUYER, IMPORTS, "import_wh")):
        register(household)
        submit_day(household, hour_readings(hour, energy, side))
    approved_tariff()
    seller = person(api, SELLER, f"gc{RUN}-seller")
    buyer = person(api, BUYER, f"gc{RUN}-buyer")
    interval = (hour + timedelta(minutes=15)).strftime(FMT)
    for role, side, price in ((seller, "offer", 5), (buyer, "bid", 40)):
        order = {
            "order_id": f"gc-{RUN}-{side}",
            "side": side,
            "interval_start": interval,
            "energy_wh": TRADED,
            "price_per_kwh": price,
            "salt": base64.urlsafe_b64encode(os.urandom(18)).decode(),
        }
        api.ok("POST", f"{SUNNYSIDE}/orders", role, 201, json=order)
    api.ok("POST", f"{SUNNYSIDE}/intervals/{interval}/clearing", OPERATOR, 201)
    settled = api.ok("POST", f"{SUNNYSIDE}/intervals/{interval}/settlement", OPERATOR, 201)
    assert settled["delivered_wh"] == TRADED
    stamp = hour.strftime("%Y%m%d%H")
    return {
        "hour": hour,
        "day": hour.date().isoformat(),
        "seller": seller,
        "buyer": buyer,
        "certificate_id": f"gc-{SELLER.household_id}-{stamp}",
    }


@pytest.fixture(scope="module")
def issued(api: Api, traded: dict[str, Any]) -> dict[str, Any]:
    body = {"household_id": SELLER.household_id, "day": traded["day"]}
    return dict(api.ok("POST", f"{SUNNYSIDE}/certificates/issuance", OPERATOR, 201, json=body))


def exported(api: Api, role: Role, day: str) -> dict[str, Any]:
    following = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    query = {"start": day, "end": following}
    return dict(api.ok("GET", f"{SUNNYSIDE}/certificates", role, 200, query_string=query))


def test_the_operator_issues_the_sellers_certificate_of_its_metered_export(
    api: Api, traded: dict[str, Any], issued: dict[str, Any]
) -> None:
    assert (issued["issued"], issued["volume_wh"]) == (1, sum(EXPORTS))
    again = api.ok(
        "POST",
        f"{SUNNYSIDE}/certificates/issuance",
        OPERATOR,
        201,
        json={"household_id": SELLER.household_id, "day": traded["day"]},
    )
    assert again["issued"] == 0
    document = exported(api, traded["seller"], traded["day"])
    assert document["format"] == "gridledger-certificates/1"
    [produced] = document["produced"]
    assert produced["certificate_id"] == traded["certificate_id"]
    assert (produced["volume_wh"], produced["production_devices"]) == (
        sum(EXPORTS),
        [SELLER.meter_id],
    )
    [held] = document["held"]
    assert held["certificates"] == [
        {"certificate_id": traded["certificate_id"], "volume_wh": sum(EXPORTS) - TRADED}
    ]


def test_the_energy_carried_the_certificate_and_the_buyer_cancels_it_once(
    api: Api, traded: dict[str, Any], issued: dict[str, Any]
) -> None:
    buyer = traded["buyer"]
    [held] = exported(api, buyer, traded["day"])["held"]
    assert held["certificates"] == [{"certificate_id": traded["certificate_id"], "volume_wh": 150}]
    done = api.ok(
        "POST", f"{SUNNYSIDE}/certificates/cancellation", buyer, 201, json={"day": traded["day"]}
    )
    [hour] = done["hours"]
    assert (hour["consumed_wh"], hour["cancelled_wh"]) == (sum(IMPORTS), TRADED)
    [held] = exported(api, buyer, traded["day"])["held"]
    assert held["certificates"] == []
    assert held["cancellation"]["local_solar_share"] == round(TRADED / sum(IMPORTS), 4)
    again = api.ok(
        "POST", f"{SUNNYSIDE}/certificates/cancellation", buyer, 201, json={"day": traded["day"]}
    )
    assert again["hours"] == []


def disclosed_readings(api: Api, traded: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        api.ok(
            "GET",
            f"{SUNNYSIDE}/meters/{SELLER.meter_id}/readings/"
            f"{(traded['hour'] + timedelta(minutes=15 * n)).strftime(FMT)}/disclosure",
            traded["seller"],
            200,
        )
        for n in range(len(EXPORTS))
    ]


def test_the_regulator_audits_the_disclosed_certificate_against_the_readings(
    api: Api, traded: dict[str, Any], issued: dict[str, Any]
) -> None:
    path = f"{SUNNYSIDE}/certificates/{traded['certificate_id']}/disclosure"
    disclosure = api.ok("GET", path, traded["seller"], 200)
    readings = disclosed_readings(api, traded)
    audit = f"{SUNNYSIDE}/certificates/audit"
    verdict = api.ok(
        "POST", audit, REGULATOR_ROLE, 200, json={"certificate": disclosure, "readings": readings}
    )
    assert verdict == {
        "certificate_id": traded["certificate_id"],
        "verified": True,
        "exported_wh": sum(EXPORTS),
        "readings": len(EXPORTS),
    }
    short = api.ok(
        "POST",
        audit,
        REGULATOR_ROLE,
        200,
        json={"certificate": disclosure, "readings": readings[:-1]},
    )
    assert not short["verified"] and "the readings prove" in short["reason"]
    forged = {**disclosure, "certificate": {**disclosure["certificate"], "volume_wh": 10_000}}
    assert not api.ok(
        "POST", audit, REGULATOR_ROLE, 200, json={"certificate": forged, "readings": readings}
    )["verified"]


def test_the_buyer_may_not_disclose_the_sellers_certificate(
    api: Api, traded: dict[str, Any], issued: dict[str, Any]
) -> None:
    path = f"{SUNNYSIDE}/certificates/{traded['certificate_id']}/disclosure"
    refused = api.call("GET", path, traded["buyer"])
    assert refused.status_code == 403
    assert "may not read the certificates of household" in refused.get_json()["message"]
