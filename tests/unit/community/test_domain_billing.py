"""Invoices on a worked example: grid import per band, P2P netting, feed-in, shortfall."""

import hashlib
import json

import pytest
from domain_builders import CLEARED_AT, tou_tariff

from chaincode.community.domain import (
    BillingError,
    IntervalReading,
    InvoiceLine,
    SettledTrade,
    compute_invoice,
    invoice_inputs,
    invoice_inputs_hash,
)

DAY1, DAY2 = "2026-03-01", "2026-03-02"


def settled(number, seller, buyer, energy_wh, delivered_wh, interval="2026-03-01T09:15:00Z"):
    return SettledTrade(
        trade_id=f"t-20260301T0915Z-{number:05d}",
        interval_start=interval,
        seller=seller,
        buyer=buyer,
        seller_order_id=f"o-{number}",
        buyer_order_id=f"b-{number}",
        energy_wh=energy_wh,
        price_per_kwh=16,
        timestamp=CLEARED_AT,
        delivered_wh=delivered_wh,
        shortfall_price_per_kwh=30,
        status="delivered" if delivered_wh == energy_wh else "partially_delivered",
    )


# The settlement example of 2026-03-01T09:15Z (day band), price 16, grid price 30:
T1 = settled(1, "h-1", "h-4", 1200, 1200)  # delivered
T2 = settled(2, "h-1", "h-5", 800, 300)  # h-1 exported too little: 500 Wh short
T3 = settled(3, "h-2", "h-5", 1000, 1000)  # delivered


def reading(household, interval, import_wh=0, export_wh=0):
    return IntervalReading(household, f"2026-03-01T{interval}:00Z", import_wh, export_wh)


BUYER_READINGS = [
    reading("h-5", "02:00", import_wh=400),  # night
    reading("h-5", "09:15", import_wh=1500),  # day; 1300 of it bought p2p
    reading("h-5", "12:00", import_wh=100, export_wh=250),  # day
    reading("h-5", "18:00", import_wh=900),  # peak
]
SELLER_READINGS = [
    reading("h-1", "09:15", export_wh=1500),  # 1500 sold p2p (t-1 1200 + t-2 300)
    reading("h-1", "13:00", export_wh=2000),
    reading("h-1", "20:00", import_wh=600),  # peak
]


def test_the_buyers_invoice():
    """h-5, one day, tariff night 20 / day 30 / peak 45, feed-in 8, p2p fee 3, fixed 25.

    grid import night: 400 Wh at 20                      =  8.0 ->   8
    grid import day:   (1500 - 1300) + 100 = 300 at 30   =  9.0 ->   9
    grid import peak:  900 at 45                          = 40.5 ->  41 (half up)
    p2p purchase t-2:  300 at 16                          =  4.8 ->   5
    p2p purchase t-3:  1000 at 16                         = 16.0 ->  16
    p2p grid fee:      1300 at 3                          =  3.9 ->   4
    feed-in:           250 at 8                           =  2.0 ->  -2
    fixed charge:      1 day at 25                        =          25
    total                                                           106
    """
    invoice = compute_invoice("h-5", DAY1, DAY2, tou_tariff(), BUYER_READINGS, [T3, T2])

    assert invoice.lines == (
        InvoiceLine("grid_import", "grid import, band night 22:00-06:00 utc", 400, 20, 8),
        InvoiceLine("grid_import", "grid import, band day 06:00-17:00 utc", 300, 30, 9),
        InvoiceLine("grid_import", "grid import, band peak 17:00-22:00 utc", 900, 45, 41),
        InvoiceLine(
            "p2p_purchase",
            "p2p purchase t-20260301T0915Z-00002 from h-1, interval 2026-03-01T09:15:00Z",
            300,
            16,
            5,
        ),
        InvoiceLine(
            "p2p_purchase",
            "p2p purchase t-20260301T0915Z-00003 from h-2, interval 2026-03-01T09:15:00Z",
            1000,
            16,
            16,
        ),
        InvoiceLine("p2p_grid_fee", "grid fee on p2p purchases", 1300, 3, 4),
        InvoiceLine("feed_in", "feed-in of export not sold p2p", 250, 8, -2),
        InvoiceLine("fixed_charge", "fixed charge, 1 days at 25 per day", 0, None, 25),
    )
    assert invoice.total == 106
    assert (invoice.household, invoice.period_start, invoice.period_end) == ("h-5", DAY1, DAY2)
    assert (invoice.tariff_id, invoice.currency) == ("tou-1", "EUR")
    record = invoice.to_record()
    assert record["total"] == 106
    assert all(type(line["amount"]) is int for line in record["lines"])


def test_the_sellers_invoice():
    """h-1: sold t-1 (1200 of 1200) and t-2 (300 of 800 delivered), exported 3500.

    grid import night / day: 0                     ->   0,   0
    grid import peak: 600 at 45 = 27.0             ->  27
    p2p sale t-1: 1200 at 16 = 19.2                -> -19
    p2p sale t-2:  300 at 16 =  4.8                ->  -5
    feed-in: 3500 - 1500 = 2000 at 8 = 16.0        -> -16
    shortfall t-2: 500 at 30 = 15.0                ->  15
    fixed charge                                   ->  25
    total                                              27
    """
    invoice = compute_invoice("h-1", DAY1, DAY2, tou_tariff(), SELLER_READINGS, [T2, T1])

    assert [(x.code, x.quantity_wh, x.unit_price_per_kwh, x.amount) for x in invoice.lines] == [
        ("grid_import", 0, 20, 0),
        ("grid_import", 0, 30, 0),
        ("grid_import", 600, 45, 27),
        ("p2p_sale", 1200, 16, -19),
        ("p2p_sale", 300, 16, -5),
        ("feed_in", 2000, 8, -16),
        ("shortfall", 500, 30, 15),
        ("fixed_charge", 0, None, 25),
    ]
    assert invoice.lines[3].description == (
        "p2p sale t-20260301T0915Z-00001 to h-4, interval 2026-03-01T09:15:00Z"
    )
    assert invoice.lines[6].description == (
        "shortfall on p2p sale t-20260301T0915Z-00002: sold 800 wh, delivered 300 wh"
    )
    assert invoice.total == 27


def test_p2p_money_nets_to_zero_across_the_two_invoices():
    buyer = compute_invoice("h-5", DAY1, DAY2, tou_tariff(), BUYER_READINGS, [T2, T3])
    seller = compute_invoice("h-1", DAY1, DAY2, tou_tariff(), SELLER_READINGS, [T1, T2])
    purchase, sale = buyer.lines[3], seller.lines[4]
    assert "t-20260301T0915Z-00002" in purchase.description
    assert "t-20260301T0915Z-00002" in sale.description
    assert (purchase.quantity_wh, sale.quantity_wh) == (300, 300)
    assert purchase.amount + sale.amount == 0


def test_a_period_of_several_days_charges_each_day():
    invoice = compute_invoice("h-9", "2026-03-01", "2026-04-01", tou_tariff(), [], [])
    assert [(line.code, line.amount) for line in invoice.lines] == [
        ("grid_import", 0),
        ("grid_import", 0),
        ("grid_import", 0),
        ("feed_in", 0),
        ("fixed_charge", 775),  # 31 days * 25
    ]
    assert invoice.lines[-1].description == "fixed charge, 31 days at 25 per day"


EXPECTED_HASH = "3dbfe6c6e90747ca52dcaa87bd22846f4d1cc468d6bd355ec3954c0672b62adb"


def test_the_inputs_hash_is_the_sha256_of_the_canonical_inputs():
    document = invoice_inputs("h-5", DAY1, DAY2, tou_tariff(), BUYER_READINGS, [T2, T3])
    assert list(document) == ["schema", "household", "period", "tariff", "readings", "trades"]
    assert document["schema"] == "gridledger.invoice-inputs/1"
    assert document["period"] == {"start": DAY1, "end": DAY2}
    assert [r["interval_start"] for r in document["readings"]] == sorted(
        r.interval_start for r in BUYER_READINGS
    )
    assert "status" not in document["trades"][0]
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    expected = hashlib.sha256(canonical).hexdigest()

    invoice = compute_invoice("h-5", DAY1, DAY2, tou_tariff(), BUYER_READINGS, [T2, T3])

    assert invoice.inputs_hash == expected
    assert (
        invoice_inputs_hash("h-5", DAY1, DAY2, tou_tariff(), BUYER_READINGS, [T2, T3]) == expected
    )


def test_the_inputs_hash_is_stable():
    """Pinned: a change here changes every invoice hash already on the ledger."""
    digest = invoice_inputs_hash("h-5", DAY1, DAY2, tou_tariff(), BUYER_READINGS, [T2, T3])
    assert digest == EXPECTED_HASH
    # the order of the inputs and the trades' later status "settled" do not change it
    shuffled = invoice_inputs_hash(
        "h-5",
        DAY1,
        DAY2,
        tou_tariff(),
        list(reversed(BUYER_READINGS)),
        [T3.mark_settled(), T2.mark_settled()],
    )
    assert shuffled == EXPECTED_HASH


@pytest.mark.parametrize(
    ("readings", "trades", "tariff"),
    [
        ([*BUYER_READINGS[:3], reading("h-5", "18:00", import_wh=901)], [T2, T3], tou_tariff()),
        (BUYER_READINGS, [T3], tou_tariff()),
        (BUYER_READINGS, [T2, T3], tou_tariff(feed_in_price_per_kwh=9)),
    ],
)
def test_any_change_of_input_changes_the_hash(readings, trades, tariff):
    assert invoice_inputs_hash("h-5", DAY1, DAY2, tariff, readings, trades) != EXPECTED_HASH


@pytest.mark.parametrize(
    ("household", "start", "end", "readings", "trades", "message"),
    [
        (
            "h-5",
            DAY2,
            DAY2,
            [],
            [],
            "invoice h-5 2026-03-02/2026-03-02: period must end after it starts",
        ),
        (
            "h-5",
            "2026-3-1",
            DAY2,
            [],
            [],
            "invoice h-5: period_start '2026-3-1' is not an iso-8601 date like 2026-03-01",
        ),
        (
            "h-5",
            DAY1,
            DAY2,
            [reading("h-1", "02:00")],
            [],
            "invoice h-5 2026-03-01/2026-03-02: reading h-1 2026-03-01T02:00:00Z "
            "is not the household's",
        ),
        (
            "h-5",
            DAY1,
            DAY2,
            [IntervalReading("h-5", "2026-03-02T00:00:00Z", 1, 0)],
            [],
            "invoice h-5 2026-03-01/2026-03-02: reading h-5 2026-03-02T00:00:00Z "
            "is outside the period",
        ),
        (
            "h-5",
            DAY1,
            DAY2,
            [reading("h-5", "02:00"), reading("h-5", "02:00", import_wh=3)],
            [],
            "invoice h-5 2026-03-01/2026-03-02: reading h-5 2026-03-01T02:00:00Z "
            "is given more than once",
        ),
        (
            "h-5",
            DAY1,
            DAY2,
            BUYER_READINGS,
            [T1],
            "invoice h-5 2026-03-01/2026-03-02: trade t-20260301T0915Z-00001 "
            "does not involve household h-5",
        ),
        (
            "h-5",
            DAY1,
            DAY2,
            BUYER_READINGS,
            [T2, T2],
            "invoice h-5 2026-03-01/2026-03-02: trade t-20260301T0915Z-00002 "
            "is given more than once",
        ),
        (
            "h-5",
            DAY1,
            DAY2,
            BUYER_READINGS,
            [settled(7, "h-1", "h-5", 100, 100, interval="2026-03-02T09:15:00Z")],
            "invoice h-5 2026-03-01/2026-03-02: trade t-20260301T0915Z-00007 is for interval "
            "2026-03-02T09:15:00Z, outside the period",
        ),
        (
            "h-5",
            DAY1,
            DAY2,
            [reading("h-5", "09:15", import_wh=1000)],
            [T2, T3],
            "invoice h-5 2026-03-01/2026-03-02: household h-5 bought 1300 wh p2p in interval "
            "2026-03-01T09:15:00Z but imported only 1000 wh",
        ),
        (
            "h-1",
            DAY1,
            DAY2,
            [],
            [T1],
            "invoice h-1 2026-03-01/2026-03-02: household h-1 sold 1200 wh p2p in interval "
            "2026-03-01T09:15:00Z but exported only 0 wh",
        ),
    ],
)
def test_inputs_that_do_not_fit_are_refused(household, start, end, readings, trades, message):
    with pytest.raises(BillingError) as caught:
        compute_invoice(household, start, end, tou_tariff(), readings, trades)
    assert str(caught.value) == message


def test_the_tariff_must_be_valid_for_the_period():
    with pytest.raises(BillingError) as caught:
        compute_invoice("h-5", DAY1, DAY2, tou_tariff(valid_from="2026-03-02"), [], [])
    assert str(caught.value) == (
        "invoice h-5 2026-03-01/2026-03-02: tariff tou-1 is valid only from 2026-03-02"
    )
