"""The P2P market through the real network: sealed orders, clearing, settlement, invoices."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from community_fixtures import approved_tariff, contract, read_recorded, register, signed

from client import EndorseError, GatewayError
from client.accesses import invoice_access
from network.connect import gateway
from network.procs import wait_until
from network.scenario import community, day_readings
from network.topology import COMMUNITY, REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

BY_ID = {h.household_id: h for h in community()}
SELLER, BUYER, BUYER2 = BY_ID["h-001"], BY_ID["h-009"], BY_ID["h-010"]
USERS = {"h-001": "household1", "h-009": "household9", "h-010": "household10"}
FMT = "%Y-%m-%dT%H:%M:%SZ"


def unbilled_day():
    """The latest day, two to seven days ago, for which h-009 has no invoice yet.

    Yesterday belongs to `make run`'s demo. A fresh network (CI) takes the day before; a
    developer's reused network moves one day back per run, because an invoice once
    issued is never rewritten."""
    with gateway(REGULATOR, "auditor1") as gw:
        billing = contract(gw, "BillingContract")
        for back in range(2, 8):
            day = (datetime.now(UTC) - timedelta(days=back)).date()
            period = (day.isoformat(), (day + timedelta(days=1)).isoformat())
            try:
                billing.evaluate("GetInvoiceEvidence", args=("h-009", *period))
            except GatewayError:
                return day
    pytest.fail("h-009 is billed for each of the last days; run `make clean` for a fresh ledger")


@functools.cache
def trading_day():
    """The day this run trades and bills on; asked of the network once, after it is up."""
    return unbilled_day()


def day_start() -> datetime:
    day = trading_day()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def empty_interval() -> str:
    """A midday interval of the test day with no order yet (untouched by earlier runs)."""
    with gateway(REGULATOR, "auditor1") as gw:
        market = contract(gw, "MarketContract")
        for slot in range(40, 64):
            interval = (day_start() + slot * timedelta(minutes=15)).strftime(FMT)
            book = json.loads(market.evaluate("GetOrderBook", args=(interval,)))
            if book["orders"] == 0 and not book["cleared"]:
                return interval
    pytest.fail("every midday interval of the test day has orders; run `make clean`")


def place(household_id: str, side: str, energy_wh: int, price: int, interval: str) -> dict:
    order = {
        "order_id": f"o-{uuid.uuid4().hex[:10]}",
        "side": side,
        "interval_start": interval,
        "energy_wh": energy_wh,
        "price_per_kwh": price,
        "salt": base64.urlsafe_b64encode(os.urandom(18)).decode(),
    }
    with gateway(COMMUNITY, USERS[household_id]) as gw:
        contract(gw, "MarketContract").submit(
            "PlaceOrder", transient={"order": json.dumps(order).encode()}
        )
    return order


def clear(interval: str) -> dict:
    with gateway(UTILITY, "operator1") as gw:
        return json.loads(contract(gw, "MarketContract").submit("ClearInterval", args=(interval,)))


def trades_of(interval: str, org=UTILITY, user="operator1") -> list[dict]:
    """The trades of one interval, as `user` of `org` may list them."""
    end = (datetime.strptime(interval, FMT) + timedelta(minutes=15)).strftime(FMT)
    with gateway(org, user) as gw:
        market = contract(gw, "MarketContract")
        return json.loads(market.evaluate("ListTrades", args=(interval, end)))


def settle_open_trades() -> None:
    """Settle every interval of the test day whose trades are still `matched`, as billing does."""
    with gateway(UTILITY, "billing1") as gw:
        market = contract(gw, "MarketContract")
        window = (day_start().strftime(FMT), (day_start() + timedelta(days=1)).strftime(FMT))
        trades = json.loads(market.evaluate("ListTrades", args=window))
        for interval in sorted({t["interval_start"] for t in trades if t["status"] == "matched"}):
            market.submit("SettleInterval", args=(interval,))


def metered(household, interval: str) -> dict:
    return next(
        r for r in day_readings(household, trading_day()) if r["interval_start"] == interval
    )


def submit_day_of(household) -> None:
    bundles = signed(household, day_readings(household, trading_day()))
    with gateway(UTILITY, "headend1") as gw:
        contract(gw, "ReadingContract").submit("SubmitReadings", transient={"bundles": bundles})


@pytest.fixture(scope="module")
def cleared():
    approved_tariff()
    for household in (SELLER, BUYER, BUYER2):
        register(household)
        submit_day_of(household)
    interval = empty_interval()
    offer = place("h-001", "offer", 300, 10, interval)
    bid = place("h-009", "bid", 200, 30, interval)
    bid2 = place("h-010", "bid", 50, 25, interval)
    return interval, clear(interval), (offer, bid, bid2)


def test_a_double_auction_clears_at_one_uniform_equilibrium_price(cleared):
    """h-001 offers 300 Wh from 10 and sells 250 of them: at any price above 10 it would
    want to sell all 300, so 10 is the only price at which everyone gets what they ask."""
    interval, clearing, (offer, bid, bid2) = cleared
    assert clearing["price_per_kwh"] == 10
    assert clearing["matched_wh"] == 250
    assert (clearing["offers"], clearing["bids"], clearing["trades"]) == (1, 2, 2)
    listed = trades_of(interval)
    trades = {(t["seller"], t["buyer"]): t for t in listed}
    assert set(trades) == {("h-001", "h-009"), ("h-001", "h-010")}
    first = trades[("h-001", "h-009")]
    assert (first["energy_wh"], first["price_per_kwh"], first["status"]) == (200, 10, "matched")
    assert first["interval_start"] == interval and first["trade_id"] and first["timestamp"]
    assert {(t["seller_order_id"], t["buyer_order_id"]) for t in listed} == {
        (offer["order_id"], bid["order_id"]),
        (offer["order_id"], bid2["order_id"]),
    }
    assert sorted(clearing["trade_commitments"]) == sorted(t["trade_id"] for t in listed)


def test_orders_are_sealed_until_clearing_and_refused_after(cleared):
    interval = cleared[0]
    with pytest.raises(EndorseError) as late:
        place("h-009", "bid", 100, 30, interval)
    assert f"interval {interval} is already cleared" in str(late.value)

    next_interval = empty_interval()
    order = place("h-001", "offer", 100, 12, next_interval)
    with gateway(REGULATOR, "auditor1") as gw:
        market = contract(gw, "MarketContract")

        # the order committed on the community's peer; the regulator's may be a block behind
        def with_the_order() -> dict | None:
            found = json.loads(market.evaluate("GetOrderBook", args=(next_interval,)))
            return found if found["orders"] else None

        book = wait_until(with_the_order, "the order at the regulator's peer", timeout=10)
        with pytest.raises(GatewayError):
            market.evaluate("GetClearing", args=(next_interval,))
    assert book == {"interval_start": next_interval, "orders": 1, "cleared": False}
    with pytest.raises(EndorseError) as both_sides:
        place("h-001", "bid", 100, 30, next_interval)
    assert "a household may not both sell and buy in one interval" in str(both_sides.value)

    one_sided = clear(next_interval)
    assert (one_sided["price_per_kwh"], one_sided["trades"]) == (None, 0)
    assert (one_sided["offers"], one_sided["bids"], one_sided["trade_commitments"]) == (1, 0, {})
    with gateway(UTILITY, "operator1") as gw:
        disclosed = json.loads(
            contract(gw, "MarketContract").evaluate("GetClearingDisclosure", args=(next_interval,))
        )
    assert [o["order_id"] for o in disclosed["orders"]] == [order["order_id"]]


def test_settlement_marks_trades_delivered_or_partly_against_the_meters(cleared):
    interval = cleared[0]
    with gateway(UTILITY, "billing1") as gw:
        settled = json.loads(
            contract(gw, "MarketContract").submit("SettleInterval", args=(interval,))
        )
    export_left = metered(SELLER, interval)["export_wh"]
    listed = sorted(trades_of(interval, UTILITY, "billing1"), key=lambda t: t["trade_id"])
    by_buyer = {t["buyer"]: t for t in listed}
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
    assert settled["delivered_wh"] == sum(t["delivered_wh"] for t in listed)
    assert settled["delivered"] + settled["partially_delivered"] == settled["trades"] == 2


def test_an_invoice_nets_grid_import_and_p2p_purchases_once_per_period(cleared):
    interval = cleared[0]
    period = (trading_day().isoformat(), (trading_day() + timedelta(days=1)).isoformat())
    settle_open_trades()
    with gateway(UTILITY, "billing1") as gw:
        billing = contract(gw, "BillingContract")
        issued = json.loads(billing.submit("GenerateInvoice", args=("h-009", *period)))
        again = json.loads(billing.submit("GenerateInvoice", args=("h-009", *period)))
        access = invoice_access("h-009", *period)
        invoice = read_recorded(gw, "BillingContract", "GetInvoice", ("h-009", *period), access)
    assert again == issued
    assert set(issued) == {"household_id", "period_start", "period_end", "invoice_sha256",
                           "inputs_hash", "tx_id"}  # fmt: skip
    lines = {line["code"]: line for line in invoice["lines"]}
    assert {"grid_import", "p2p_purchase", "p2p_grid_fee", "feed_in", "fixed_charge"} <= set(lines)
    assert invoice["total"] == sum(line["amount"] for line in invoice["lines"])
    day = day_readings(BUYER, trading_day())
    bought = sum(line["quantity_wh"] for line in invoice["lines"] if line["code"] == "p2p_purchase")
    grid = sum(line["quantity_wh"] for line in invoice["lines"] if line["code"] == "grid_import")
    assert grid + bought == sum(r["import_wh"] for r in day)
    assert interval.startswith(trading_day().isoformat())

    with gateway(COMMUNITY, "household9") as gw:
        assert (
            json.loads(
                contract(gw, "BillingContract").evaluate("GetInvoice", args=("h-009", *period))
            )
            == invoice
        )
    with gateway(REGULATOR, "auditor1") as gw:
        evidence = json.loads(
            contract(gw, "BillingContract").evaluate("GetInvoiceEvidence", args=("h-009", *period))
        )
    canonical = json.dumps(invoice, sort_keys=True, separators=(",", ":")).encode()
    assert evidence["invoice_sha256"] == hashlib.sha256(canonical).hexdigest()
    assert evidence["inputs_hash"] == invoice["inputs_hash"]

    with gateway(COMMUNITY, "household1") as gw, pytest.raises(GatewayError) as refused:
        contract(gw, "BillingContract").evaluate("GetInvoice", args=("h-009", *period))
    assert "household h-001 may not read the invoices of household h-009" in str(refused.value)
    with gateway(UTILITY, "operator1") as gw, pytest.raises(EndorseError) as not_billing:
        contract(gw, "BillingContract").submit("GenerateInvoice", args=("h-009", *period))
    assert "caller role 'operator' may not call GenerateInvoice; allowed: billing" in str(
        not_billing.value
    )


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
