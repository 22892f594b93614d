"""Settlement of matched trades against metered export and import."""

import pytest
from domain_builders import CLEARED_AT, INTERVAL, bid, offer

from chaincode.community.domain import (
    IntervalReading,
    SettledTrade,
    SettlementError,
    Trade,
    TradeError,
    clear_interval,
    settle_interval,
)

GRID_PRICE = 30


def trade(number, seller, buyer, energy_wh, price=16, interval=INTERVAL):
    compact = interval.replace("-", "").replace(":", "").replace("00Z", "Z")
    return Trade(
        trade_id=f"t-{compact}-{number:05d}",
        interval_start=interval,
        seller=seller,
        buyer=buyer,
        seller_order_id=f"o-{seller}",
        buyer_order_id=f"b-{buyer}",
        energy_wh=energy_wh,
        price_per_kwh=price,
        timestamp=CLEARED_AT,
    )


def reading(household, import_wh=0, export_wh=0, interval=INTERVAL):
    return IntervalReading(household, interval, import_wh, export_wh)


def test_full_delivery():
    [settled] = settle_interval(
        INTERVAL,
        [trade(1, "h-1", "h-2", 1000)],
        [reading("h-1", export_wh=1400), reading("h-2", import_wh=1000)],
        GRID_PRICE,
    )
    assert (settled.status, settled.delivered_wh, settled.shortfall_wh) == ("delivered", 1000, 0)
    assert (settled.shortfall_charge, settled.delivered_amount) == (0, 16)


def test_partial_delivery_charges_the_seller_at_the_grid_price():
    [settled] = settle_interval(
        INTERVAL,
        [trade(1, "h-1", "h-2", 1000)],
        [reading("h-1", export_wh=650), reading("h-2", import_wh=1200)],
        GRID_PRICE,
    )
    assert settled.status == "partially_delivered"
    assert (settled.delivered_wh, settled.shortfall_wh) == (650, 350)
    assert settled.shortfall_price_per_kwh == 30
    assert settled.shortfall_charge == 11  # 350 Wh * 30 / 1000 = 10.5 -> 11 (half up)
    assert settled.delivered_amount == 10  # 650 Wh * 16 / 1000 = 10.4 -> 10


def test_a_buyer_importing_less_limits_the_delivery_too():
    [settled] = settle_interval(
        INTERVAL,
        [trade(1, "h-1", "h-2", 1000)],
        [reading("h-1", export_wh=2000), reading("h-2", import_wh=400)],
        GRID_PRICE,
    )
    assert (settled.status, settled.delivered_wh, settled.shortfall_charge) == (
        "partially_delivered",
        400,
        18,  # 600 Wh * 30 / 1000
    )


def test_zero_delivery():
    [settled] = settle_interval(
        INTERVAL,
        [trade(1, "h-1", "h-2", 800)],
        [reading("h-1", import_wh=300), reading("h-2", import_wh=900)],
        GRID_PRICE,
    )
    assert settled.status == "partially_delivered"
    assert (settled.delivered_wh, settled.shortfall_wh, settled.shortfall_charge) == (0, 800, 24)
    assert settled.delivered_amount == 0


def test_metered_energy_is_allocated_to_trades_in_trade_id_order():
    """The auction's worked example (price 14) against short meters.

    h-1 sold 1200 (t-1 to h-4) + 800 (t-2 to h-5) but exported 1500;
    h-2 sold 1000 (t-3 to h-5) and exported 1000; h-5 bought 1800 but imported 1500.
      t-1: min(1200, h-1 1500, h-4 2000) = 1200 -> h-1 300 left, h-4 800 left
      t-2: min( 800, h-1  300, h-5 1500) =  300 -> h-1 0 left, h-5 1200 left
      t-3: min(1000, h-2 1000, h-5 1200) = 1000
    """
    offers = [
        offer("o-1", "h-1", 2000, 10, "2026-03-01T09:00:00Z"),
        offer("o-2", "h-2", 1500, 14, "2026-03-01T09:01:00Z"),
        offer("o-3", "h-3", 1000, 20, "2026-03-01T09:02:00Z"),
    ]
    bids = [
        bid("b-1", "h-4", 1200, 25, "2026-03-01T09:00:30Z"),
        bid("b-2", "h-5", 1800, 18, "2026-03-01T09:01:30Z"),
        bid("b-3", "h-6", 1000, 12, "2026-03-01T09:02:30Z"),
    ]
    trades = clear_interval(INTERVAL, offers, bids, CLEARED_AT).trades
    readings = [
        reading("h-1", export_wh=1500),
        reading("h-2", export_wh=1000),
        reading("h-4", import_wh=2000),
        reading("h-5", import_wh=1500),
    ]

    settled = settle_interval(INTERVAL, reversed(trades), readings, GRID_PRICE)

    assert [
        (s.trade_id, s.status, s.delivered_wh, s.shortfall_wh, s.shortfall_charge) for s in settled
    ] == [
        ("t-20260301T0915Z-00001", "delivered", 1200, 0, 0),
        ("t-20260301T0915Z-00002", "partially_delivered", 300, 500, 15),
        ("t-20260301T0915Z-00003", "delivered", 1000, 0, 0),
    ]
    assert [s.delivered_amount for s in settled] == [17, 4, 14]  # 16.8, 4.2, 14.0
    record = settled[1].to_record()
    assert record == {
        "trade_id": "t-20260301T0915Z-00002",
        "interval_start": INTERVAL,
        "seller": "h-1",
        "buyer": "h-5",
        "seller_order_id": "o-1",
        "buyer_order_id": "b-2",
        "energy_wh": 800,
        "price_per_kwh": 14,
        "amount": 11,
        "timestamp": CLEARED_AT,
        "delivered_wh": 300,
        "delivered_amount": 4,
        "shortfall_wh": 500,
        "shortfall_price_per_kwh": 30,
        "shortfall_charge": 15,
        "status": "partially_delivered",
    }
    assert all(type(v) is int for k, v in record.items() if k.endswith(("_wh", "amount", "kwh")))
    assert SettledTrade.from_record(record) == settled[1]


def test_billing_marks_a_settled_trade_settled():
    [settled] = settle_interval(
        INTERVAL,
        [trade(1, "h-1", "h-2", 1000)],
        [reading("h-1", export_wh=500), reading("h-2", import_wh=1000)],
        GRID_PRICE,
    )
    final = settled.mark_settled()
    assert final.status == "settled"
    assert (final.delivered_wh, final.shortfall_charge) == (500, 15)
    assert SettledTrade.from_record(final.to_record()) == final


def test_no_trades_settle_to_nothing():
    assert settle_interval(INTERVAL, [], [reading("h-1", export_wh=5)], GRID_PRICE) == ()


@pytest.mark.parametrize(
    ("trades", "readings", "message"),
    [
        (
            [trade(1, "h-1", "h-2", 100)],
            [reading("h-1", export_wh=100)],
            "settlement 2026-03-01T09:15:00Z: household h-2 has no reading",
        ),
        (
            [trade(1, "h-1", "h-2", 100)],
            [reading("h-1"), reading("h-2"), reading("h-1", export_wh=7)],
            "settlement 2026-03-01T09:15:00Z: household h-1 has more than one reading",
        ),
        (
            [trade(1, "h-1", "h-2", 100)],
            [reading("h-1"), reading("h-2", interval="2026-03-01T09:30:00Z")],
            "settlement 2026-03-01T09:15:00Z: reading of household h-2 is for interval "
            "2026-03-01T09:30:00Z",
        ),
        (
            [trade(1, "h-1", "h-2", 100, interval="2026-03-01T09:00:00Z")],
            [reading("h-1"), reading("h-2")],
            "settlement 2026-03-01T09:15:00Z: trade t-20260301T0900Z-00001 is for interval "
            "2026-03-01T09:00:00Z",
        ),
        (
            [trade(1, "h-1", "h-2", 100), trade(1, "h-1", "h-2", 100)],
            [reading("h-1"), reading("h-2")],
            "settlement 2026-03-01T09:15:00Z: trade t-20260301T0915Z-00001 is given more than once",
        ),
    ],
)
def test_inputs_that_do_not_fit_are_refused(trades, readings, message):
    with pytest.raises(SettlementError) as caught:
        settle_interval(INTERVAL, trades, readings, GRID_PRICE)
    assert str(caught.value) == message


def test_the_grid_price_is_checked():
    with pytest.raises(SettlementError) as caught:
        settle_interval(INTERVAL, [], [], -1)
    assert str(caught.value) == (
        "settlement 2026-03-01T09:15:00Z: grid_price_per_kwh must be between 0 and 100000"
    )


def test_an_already_settled_trade_cannot_be_settled_again():
    [settled] = settle_interval(
        INTERVAL,
        [trade(1, "h-1", "h-2", 1000)],
        [reading("h-1", export_wh=1000), reading("h-2", import_wh=1000)],
        GRID_PRICE,
    )
    with pytest.raises(TradeError) as caught:
        Trade.from_record(settled.to_record())
    assert str(caught.value) == (
        "trade t-20260301T0915Z-00001: status is delivered, expected matched"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"shortfall_charge": 0}, "shortfall_charge 0 does not match its inputs (expected 15)"),
        ({"delivered_amount": 9}, "delivered_amount 9 does not match its inputs (expected 8)"),
        ({"status": "delivered"}, "status is delivered but 500 of 1000 wh were delivered"),
        (
            {"status": "matched"},
            "status is matched, expected one of: delivered, partially_delivered, settled",
        ),
        ({"delivered_wh": 1001}, "delivered_wh must be between 0 and 1000"),
        ({"buyer": "h-1"}, "seller and buyer are the same household h-1"),
    ],
)
def test_settled_trade_records_are_checked(changes, message):
    record = {
        "trade_id": "t-1",
        "interval_start": INTERVAL,
        "seller": "h-1",
        "buyer": "h-2",
        "seller_order_id": "o-1",
        "buyer_order_id": "b-1",
        "energy_wh": 1000,
        "price_per_kwh": 16,
        "timestamp": CLEARED_AT,
        "delivered_wh": 500,
        "shortfall_price_per_kwh": 30,
        "status": "partially_delivered",
        "shortfall_charge": 15,
    }
    with pytest.raises(TradeError) as caught:
        SettledTrade.from_record({**record, **changes})
    assert str(caught.value) == f"trade t-1: {message}"
