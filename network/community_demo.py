"""The `make run` demo's day of the Sunnyside community, through the real network.

Yesterday (UTC) in the simulated community of network/scenario.py: the regulator
approves the utility's tariff, the operator registers 20 meters, the head-end submits
every meter's 96 signed readings, four households trade their midday energy in four
sealed-bid auctions, the operator clears and settles them, the billing system issues
two invoices, and the regulator verifies a reading it can only see the hash of.
Every step is idempotent, so the demo can be re-run on the same ledger.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from client import Contract
from network.connect import gateway
from network.console import info, step
from network.scenario import Household, community, day_readings, signed_batch, simulated_salt
from network.topology import COMMUNITY, REGULATOR, UTILITY, Org

CHANNEL = "community-sunnyside"
FMT = "%Y-%m-%dT%H:%M:%SZ"
TARIFF = {
    "tariff_id": "sunnyside-tou-2026",
    "currency": "EUR",
    "bands": [
        {"name": "night", "start": "21:00", "end": "07:00", "import_price_per_kwh": 18},
        {"name": "day", "start": "07:00", "end": "17:00", "import_price_per_kwh": 28},
        {"name": "peak", "start": "17:00", "end": "21:00", "import_price_per_kwh": 42},
    ],
    "feed_in_price_per_kwh": 8,
    "p2p_grid_fee_per_kwh": 3,
    "daily_fixed_charge": 40,
    "valid_from": "2026-01-01",
}
TRADERS = {
    "h-001": "household1",
    "h-002": "household2",
    "h-009": "household9",
    "h-010": "household10",
}
MIDDAY_SLOTS = range(48, 52)


def call(
    org: Org,
    user: str,
    contract: str,
    function: str,
    *args: str,
    transient: dict[str, bytes] | None = None,
    submit: bool = True,
) -> dict | list:
    with gateway(org, user) as gw:
        target: Contract = gw.get_network(CHANNEL).get_contract("community", contract)
        if submit:
            return json.loads(target.submit(function, args=args, transient=transient))
        return json.loads(target.evaluate(function, args=args, transient=transient))


def approve_tariff() -> None:
    call(UTILITY, "operator1", "TariffContract", "ProposeTariff", json.dumps(TARIFF))
    record = call(REGULATOR, "auditor1", "TariffContract", "ApproveTariff", TARIFF["tariff_id"])
    info(f"tariff {TARIFF['tariff_id']} approved by {record['approved_by']}")


def meter_day(households: list[Household], day: date) -> None:
    imported = exported = stored = 0
    for household in households:
        call(
            UTILITY,
            "operator1",
            "MeterContract",
            "RegisterMeter",
            household.meter_id,
            household.household_id,
            household.feeder,
            household.device_public_key_pem,
        )
        readings = day_readings(household, day)
        batch = signed_batch(household, readings)
        summary = call(
            UTILITY, "headend1", "MeterContract", "SubmitReadings", transient={"readings": batch}
        )
        stored += summary["stored"]
        imported += sum(int(r["import_wh"]) for r in readings)
        exported += sum(int(r["export_wh"]) for r in readings)
    info(
        f"{len(households)} meters, {len(households) * 96} readings ({stored} new) in the "
        f"private collection: {imported / 1000:.1f} kWh imported, "
        f"{exported / 1000:.1f} kWh exported"
    )


def trade_midday(by_id: dict[str, Household], day: date) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for slot in MIDDAY_SLOTS:
        interval = (start + slot * timedelta(minutes=15)).strftime(FMT)
        book = call(UTILITY, "operator1", "MarketContract", "GetOrderBook", interval, submit=False)
        if not book["cleared"]:
            for household_id, user in TRADERS.items():
                place(by_id[household_id], user, interval, day)
            call(UTILITY, "operator1", "MarketContract", "ClearInterval", interval)
        clearing = call(
            UTILITY, "operator1", "MarketContract", "GetClearing", interval, submit=False
        )
        info(
            f"{interval}: {len(clearing['orders'])} sealed orders, price "
            f"{clearing['price_per_kwh']} c/kWh, {clearing['matched_wh']} Wh traded"
        )


def place(household: Household, user: str, interval: str, day: date) -> None:
    reading = next(r for r in day_readings(household, day) if r["interval_start"] == interval)
    selling = int(reading["export_wh"]) > 0
    order = {
        "order_id": f"demo-{household.household_id}-{interval[:16].replace(':', '')}",
        "side": "offer" if selling else "bid",
        "interval_start": interval,
        "energy_wh": max(int(reading["export_wh"] if selling else reading["import_wh"]), 1),
        "price_per_kwh": 9 + int(household.household_id[-1]) if selling else 26,
        "salt": simulated_salt(household.seed, household.household_id, interval),
    }
    call(
        COMMUNITY,
        user,
        "MarketContract",
        "PlaceOrder",
        transient={"order": json.dumps(order).encode()},
    )


def settle(day: date) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    window = (start.strftime(FMT), (start + timedelta(days=1)).strftime(FMT))
    trades = call(UTILITY, "billing1", "MarketContract", "ListTrades", *window, submit=False)
    for interval in sorted({t["interval_start"] for t in trades if t["status"] == "matched"}):
        call(UTILITY, "billing1", "MarketContract", "SettleInterval", interval)
    trades = call(UTILITY, "billing1", "MarketContract", "ListTrades", *window, submit=False)
    for trade in trades:
        info(
            f"trade {trade['trade_id']}: {trade['seller']} -> {trade['buyer']} "
            f"{trade['energy_wh']} Wh at {trade['price_per_kwh']} c/kWh, {trade['status']}"
        )


def invoice(household_id: str, day: date) -> None:
    period = (day.isoformat(), (day + timedelta(days=1)).isoformat())
    record = call(UTILITY, "billing1", "BillingContract", "GenerateInvoice", household_id, *period)
    by_code: dict[str, int] = {}
    for line in record["lines"]:
        by_code[line["code"]] = by_code.get(line["code"], 0) + line["amount"]
    lines = ", ".join(f"{code} {amount}" for code, amount in by_code.items())
    info(f"invoice {household_id} {period[0]}: total {record['total']} cents ({lines})")


def verify_as_regulator(household: Household, day: date) -> None:
    reading = call(
        COMMUNITY,
        "household1",
        "MeterContract",
        "GetReadings",
        household.household_id,
        f"{day.isoformat()}T12:00:00Z",
        f"{day.isoformat()}T12:15:00Z",
        submit=False,
    )[0]
    verdict = call(
        REGULATOR, "auditor1", "MeterContract", "VerifyReading", json.dumps(reading), submit=False
    )
    info(
        f"regulator verifies {household.household_id}'s disclosed 12:00 reading against its "
        f"hash: {'verified' if verdict['verified'] else 'NOT verified'}"
    )


def run_community_day() -> None:
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    households = community()
    by_id = {h.household_id: h for h in households}
    step(f"demo: a day of the Sunnyside community ({day}, channel {CHANNEL})")
    approve_tariff()
    meter_day(households, day)
    trade_midday(by_id, day)
    settle(day)
    for household_id in ("h-001", "h-009"):
        invoice(household_id, day)
    verify_as_regulator(by_id["h-001"], day)
