"""The community chaincode's listings for the dashboard, over the in-memory ledger:
meters with the day each last sent readings, a household's own orders, the invoices
billing issued, and every tariff with its approval.

FakeLedger stamps its n-th transaction T0 + n minutes (2026-03-01T09:30Z + n); the
readings of ``ccommunity.day_batch`` are of 2026-02-27, two days before.
"""

import json

import pytest
from ccfakes import FakeLedger
from ccommunity import (
    BILLING,
    HOUSEHOLD1,
    HOUSEHOLD2,
    NO_ROLE,
    OPERATOR,
    REGULATOR,
    TOU,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    community_ledger,
    day_batch,
    household,
    invoke,
    register,
    salted,
    submit,
)

from network.scenario import community

H1, H2 = community()[:2]
INTERVAL = "2026-03-01T12:00:00Z"
LATER = "2026-03-01T12:15:00Z"


def listed(ledger, cc, creator, transaction, *args):
    result = invoke(ledger, cc, creator, transaction, *args)
    assert result.status == 200, result.message
    return result.json()


def refused(ledger, cc, creator, transaction, *args):
    result = invoke(ledger, cc, creator, transaction, *args)
    assert result.status != 200
    return result.message


# --- ListMeters ------------------------------------------------------------------------


@pytest.fixture
def meters(cc):
    """h-001 and h-002 registered; only h-001's meter has sent a day (2026-02-27)."""
    ledger = salted(FakeLedger())
    for one in (H1, H2):
        assert register(ledger, cc, one).status == 200
    assert submit(ledger, cc, day_batch(H1)).status == 200
    return ledger


def test_a_household_lists_its_own_meters_with_the_last_day_they_sent(cc, meters):
    for asked in ("", "h-001"):
        found = listed(meters, cc, HOUSEHOLD1, "MeterContract:ListMeters", asked)
        assert [(m["meter_id"], m["household_id"]) for m in found] == [(H1.meter_id, "h-001")]
        assert found[0]["last_reading_day"] == "2026-02-27"
        assert found[0]["status"] == "active"


def test_a_meter_silent_for_a_week_has_no_last_day(cc, meters):
    found = listed(meters, cc, HOUSEHOLD2, "MeterContract:ListMeters", "")
    assert [(m["meter_id"], m["last_reading_day"]) for m in found] == [(H2.meter_id, None)]


def test_a_household_may_not_list_another_households_meters(cc, meters):
    message = refused(meters, cc, HOUSEHOLD1, "MeterContract:ListMeters", "h-002")
    assert message == "household h-001 may not list the meters of h-002"


@pytest.mark.parametrize("staff", [OPERATOR, BILLING])
def test_the_staff_list_every_meter_or_one_households(cc, meters, staff):
    every = listed(meters, cc, staff, "MeterContract:ListMeters", "")
    assert [m["household_id"] for m in every] == ["h-001", "h-002"]
    assert [m["last_reading_day"] for m in every] == ["2026-02-27", None]
    one = listed(meters, cc, staff, "MeterContract:ListMeters", "h-002")
    assert [m["meter_id"] for m in one] == [H2.meter_id]


def test_listing_meters_follows_the_role_table(cc, meters):
    assert "may not call ListMeters" in refused(
        meters, cc, REGULATOR, "MeterContract:ListMeters", ""
    )
    assert "may not call ListMeters" in refused(meters, cc, NO_ROLE, "MeterContract:ListMeters", "")
    assert "household id 'x' is invalid" in refused(
        meters, cc, OPERATOR, "MeterContract:ListMeters", "x"
    )


# --- ListMyOrders ------------------------------------------------------------------------


def place(ledger, cc, creator, order_id, interval=INTERVAL, side="offer", price=20):
    order = {
        "order_id": order_id,
        "side": side,
        "interval_start": interval,
        "energy_wh": 500,
        "price_per_kwh": price,
        "salt": f"salt-of-{order_id}-0123456789abcdef",
    }
    result = invoke(
        ledger, cc, creator, "MarketContract:PlaceOrder", transient={"order": canonical(order)}
    )
    assert result.status == 200, result.message


@pytest.fixture
def orders(cc):
    """h-001 offers twice at 12:00 and once at 12:15; h-002 bids at 12:00."""
    ledger = community_ledger()
    for one in (H1, H2):
        assert register(ledger, cc, one).status == 200
    place(ledger, cc, HOUSEHOLD1, "o-1")
    place(ledger, cc, HOUSEHOLD1, "o-2", price=22)
    place(ledger, cc, HOUSEHOLD1, "o-3", interval=LATER)
    place(ledger, cc, HOUSEHOLD2, "b-1", side="bid", price=30)
    return ledger


def test_a_household_lists_its_own_orders_without_their_salts(cc, orders):
    found = listed(
        orders, cc, HOUSEHOLD1, "MarketContract:ListMyOrders", INTERVAL, "2026-03-02T00:00:00Z"
    )
    assert [(o["order_id"], o["interval_start"]) for o in found] == [
        ("o-1", INTERVAL),
        ("o-2", INTERVAL),
        ("o-3", LATER),
    ]
    assert [o["min_price_per_kwh"] for o in found] == [20, 22, 20]
    assert all("salt" not in o and o["seller"] == "h-001" for o in found)


def test_another_households_orders_stay_out_of_the_list(cc, orders):
    found = listed(orders, cc, HOUSEHOLD2, "MarketContract:ListMyOrders", INTERVAL, LATER)
    assert [(o["order_id"], o["side"], o["buyer"]) for o in found] == [("b-1", "bid", "h-002")]
    assert listed(orders, cc, household(3), "MarketContract:ListMyOrders", INTERVAL, LATER) == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (INTERVAL, INTERVAL, "list orders of 1 to 96 intervals (a day)"),
        ("2026-03-01T00:00:00Z", "2026-03-02T00:15:00Z", "list orders of 1 to 96 intervals"),
        (LATER, INTERVAL, "ends before it starts"),
        ("2026-03-01T12:05:00Z", LATER, "2026-03-01T12:05:00Z"),
    ],
)
def test_an_order_listing_is_a_day_at_most_of_aligned_intervals(cc, orders, start, end, message):
    assert message in refused(orders, cc, HOUSEHOLD1, "MarketContract:ListMyOrders", start, end)


@pytest.mark.parametrize("creator", [OPERATOR, BILLING, REGULATOR])
def test_only_households_list_their_orders(cc, orders, creator):
    message = refused(orders, cc, creator, "MarketContract:ListMyOrders", INTERVAL, LATER)
    assert "may not call ListMyOrders" in message


# --- ListInvoiceEvidence -------------------------------------------------------------------


def evidence(household_id, start, end):
    return {
        "household_id": household_id,
        "period_start": start,
        "period_end": end,
        "invoice_sha256": "ab" * 32,
        "inputs_hash": "cd" * 32,
        "tx_id": f"tx-{household_id}-{start}",
    }


@pytest.fixture
def issued():
    ledger = FakeLedger()
    for record in (
        evidence("h-002", "2026-02-01", "2026-03-01"),
        evidence("h-001", "2026-02-20", "2026-02-21"),
        evidence("h-001", "2026-01-01", "2026-02-01"),
        evidence("h-003", "2026-02-20", "2026-02-21"),
    ):
        key = f"invoicerec~{record['household_id']}~{record['period_start']}~{record['period_end']}"
        ledger.state[key] = canonical(record)
    return ledger


@pytest.mark.parametrize("creator", [BILLING, REGULATOR, HOUSEHOLD1])
def test_the_invoices_issued_for_periods_starting_in_a_range(cc, issued, creator):
    found = listed(
        issued, cc, creator, "BillingContract:ListInvoiceEvidence", "2026-02-01", "2026-03-01"
    )
    assert [(e["period_start"], e["household_id"]) for e in found] == [
        ("2026-02-01", "h-002"),
        ("2026-02-20", "h-001"),
        ("2026-02-20", "h-003"),
    ]
    assert found[1] == evidence("h-001", "2026-02-20", "2026-02-21")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-02-01", "2026-02-01", "a listing covers 1 to 366 days, end exclusive"),
        ("2025-01-01", "2026-03-01", "a listing covers 1 to 366 days"),
        ("2026-02-30", "2026-03-01", "2026-02-30"),
    ],
)
def test_an_invoice_listing_is_checked(cc, issued, start, end, message):
    assert message in refused(
        issued, cc, BILLING, "BillingContract:ListInvoiceEvidence", start, end
    )


# --- ListTariffs ----------------------------------------------------------------------------


def test_every_tariff_with_its_approval_by_the_day_it_starts(cc):
    ledger = FakeLedger()
    later = {**TOU, "tariff_id": "tou-2", "valid_from": "2026-06-01"}
    for tariff in (later, TOU):
        proposed = invoke(ledger, cc, OPERATOR, "TariffContract:ProposeTariff", json.dumps(tariff))
        assert proposed.status == 200, proposed.message
    assert invoke(ledger, cc, REGULATOR, "TariffContract:ApproveTariff", "tou-1").status == 200
    found = listed(ledger, cc, HOUSEHOLD1, "TariffContract:ListTariffs")
    assert [(t["tariff"]["tariff_id"], t["status"]) for t in found] == [
        ("tou-1", "approved"),
        ("tou-2", "proposed"),
    ]
    assert found[0]["approved_by"] == "RegulatorMSP:rita"
    assert found[1]["approved_by"] is None
    assert listed(FakeLedger(), cc, REGULATOR, "TariffContract:ListTariffs") == []
