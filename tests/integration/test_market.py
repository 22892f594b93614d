"""The P2P market through the real network: sealed orders, clearing, settlement against meters."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from community_fixtures import approved_tariff, contract, register

from client import EndorseError, GatewayError
from network.connect import gateway
from network.scenario import community, day_readings, signed_batch
from network.topology import COMMUNITY, REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).date()
BY_ID = {h.household_id: h for h in community()}
SELLER, BUYER, BUYER2 = BY_ID["h-001"], BY_ID["h-009"], BY_ID["h-010"]
USERS = {"h-001": "household1", "h-009": "household9", "h-010": "household10"}


def uncleared_interval() -> str:
    """An interval of yesterday's midday that no earlier run has cleared."""
    with gateway(REGULATOR, "auditor1") as gw:
        market = contract(gw, "MarketContract")
        for slot in range(40, 64):
            start = datetime(YESTERDAY.year, YESTERDAY.month, YESTERDAY.day, tzinfo=UTC)
            interval = (start + slot * timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
            try:
                market.evaluate("GetClearing", args=(interval,))
            except GatewayError:
                return interval
    pytest.fail("every midday interval of yesterday is already cleared; run `make clean`")


def place(household_id: str, side: str, energy_wh: int, price: int, interval: str) -> dict:
    order = {
        "order_id": f"o-{uuid.uuid4().hex[:10]}",
        "side": side,
        "interval_start": interval,
        "energy_wh": energy_wh,
        "price_per_kwh": price,
    }
    with gateway(COMMUNITY, USERS[household_id]) as gw:
        contract(gw, "MarketContract").submit(
            "PlaceOrder", transient={"order": json.dumps(order).encode()}
        )
    return order


def metered(household, interval: str) -> dict:
    return next(r for r in day_readings(household, YESTERDAY) if r["interval_start"] == interval)


@pytest.fixture(scope="module")
def cleared():
    approved_tariff()
    for household in (SELLER, BUYER, BUYER2):
        register(household)
        submit_day_of(household)
    interval = uncleared_interval()
    offer = place("h-001", "offer", 300, 10, interval)
    bid = place("h-009", "bid", 200, 30, interval)
    bid2 = place("h-010", "bid", 50, 25, interval)
    with gateway(UTILITY, "operator1") as gw:
        clearing = json.loads(
            contract(gw, "MarketContract").submit("ClearInterval", args=(interval,))
        )
    return interval, clearing, (offer, bid, bid2)


def submit_day_of(household):
    batch = signed_batch(household, day_readings(household, YESTERDAY))
    with gateway(UTILITY, "headend1") as gw:
        contract(gw, "MeterContract").submit("SubmitReadings", transient={"readings": batch})


def test_a_double_auction_clears_at_one_uniform_price_between_the_marginal_orders(cleared):
    interval, clearing, (offer, bid, bid2) = cleared
    assert clearing["price_per_kwh"] == (25 + 10) // 2
    assert clearing["matched_wh"] == 250
    trades = {(t["seller"], t["buyer"]): t for t in clearing["trades"]}
    assert set(trades) == {("h-001", "h-009"), ("h-001", "h-010")}
    first = trades[("h-001", "h-009")]
    assert (first["energy_wh"], first["price_per_kwh"], first["status"]) == (200, 17, "matched")
    assert first["interval_start"] == interval and first["trade_id"] and first["timestamp"]
    assert {o["order_id"] for o in clearing["orders"]} == {
        offer["order_id"],
        bid["order_id"],
        bid2["order_id"],
    }


def test_orders_are_sealed_until_clearing_and_refused_after(cleared):
    interval = cleared[0]
    with pytest.raises(EndorseError) as late:
        place("h-009", "bid", 100, 30, interval)
    assert f"interval {interval} is already cleared" in str(late.value)

    next_interval = uncleared_interval()
    order = place("h-001", "offer", 100, 12, next_interval)
    with gateway(REGULATOR, "auditor1") as gw, pytest.raises(GatewayError):
        contract(gw, "MarketContract").evaluate("GetClearing", args=(next_interval,))
    with pytest.raises(EndorseError) as both_sides:
        place("h-001", "bid", 100, 30, next_interval)
    assert "a household may not both sell and buy in one interval" in str(both_sides.value)
    assert order["order_id"]


def test_settlement_marks_trades_delivered_or_partly_against_the_meters(cleared):
    interval = cleared[0]
    with gateway(UTILITY, "billing1") as gw:
        settled = json.loads(
            contract(gw, "MarketContract").submit("SettleInterval", args=(interval,))
        )
    export_left = metered(SELLER, interval)["export_wh"]
    by_buyer = {t["buyer"]: t for t in settled["settled"]}
    for buyer in (BUYER, BUYER2):
        trade = by_buyer[buyer.household_id]
        expected = min(trade["energy_wh"], metered(buyer, interval)["import_wh"], export_left)
        export_left -= expected
        assert trade["delivered_wh"] == expected
        status = "delivered" if expected == trade["energy_wh"] else "partially_delivered"
        assert trade["status"] == status
        assert trade["shortfall_wh"] == trade["energy_wh"] - expected
        assert trade["shortfall_charge"] == ((trade["energy_wh"] - expected) * 28 + 500) // 1000
    assert settled["tariff_id"] == "sunnyside-tou-2026"


@pytest.mark.parametrize(
    ("org", "user", "function", "message"),
    [
        (
            COMMUNITY,
            "household1",
            "ClearInterval",
            "caller from CommunityMSP (community) may not call ClearInterval; allowed: utility",
        ),
        (
            UTILITY,
            "billing1",
            "ClearInterval",
            "caller role 'billing' may not call ClearInterval; allowed: operator",
        ),
        (
            REGULATOR,
            "auditor1",
            "SettleInterval",
            "caller from RegulatorMSP (regulator) may not call SettleInterval; allowed: utility",
        ),
    ],
)
def test_only_the_utility_clears_and_settles(org, user, function, message):
    with gateway(org, user) as gw, pytest.raises(EndorseError) as refused:
        contract(gw, "MarketContract").submit(function, args=("2026-03-01T12:00:00Z",))
    assert message in str(refused.value)
