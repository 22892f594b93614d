"""The uniform-price double auction of one interval, on hand-computed examples."""

import pytest
from domain_builders import CLEARED_AT, INTERVAL, bid, offer

from chaincode.community.domain import (
    MAX_ORDERS_PER_SIDE,
    Bid,
    Fill,
    Offer,
    OrderError,
    SelfTradeError,
    Trade,
    clear_interval,
    energy_cost,
)

ID_RULE = "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"


def worked_example():
    """Three sellers and three buyers; the curves cross at 14.

    merit order: bids b-1 25, b-2 18, b-3 12; offers o-1 10, o-2 14, o-3 20
      1. b-1 x o-1: 1200 Wh (b-1 filled, o-1 has 800 left)
      2. b-2 x o-1:  800 Wh (o-1 filled, b-2 has 1000 left)
      3. b-2 x o-2: 1000 Wh (b-2 filled, o-2 has 500 left)
      b-3 (12) < o-2 (14): stop.
    Equilibrium: no lower than the accepted offers (10, 14) and the unserved b-3 (12),
    no higher than the accepted bids (25, 18) and the partly unsold o-2 (14): price 14.
    (The old midpoint of the marginal orders, 16, left o-2 with 500 Wh unsold below it.)
    """
    offers = [
        offer("o-3", "h-3", 1000, 20, "2026-03-01T09:02:00Z"),
        offer("o-1", "h-1", 2000, 10, "2026-03-01T09:00:00Z"),
        offer("o-2", "h-2", 1500, 14, "2026-03-01T09:01:00Z"),
    ]
    bids = [
        bid("b-2", "h-5", 1800, 18, "2026-03-01T09:01:30Z"),
        bid("b-3", "h-6", 1000, 12, "2026-03-01T09:02:30Z"),
        bid("b-1", "h-4", 1200, 25, "2026-03-01T09:00:30Z"),
    ]
    return offers, bids


def test_worked_example_clears_at_one_uniform_price():
    offers, bids = worked_example()

    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)

    assert result.price_per_kwh == 14
    assert [
        (t.trade_id, t.seller, t.buyer, t.seller_order_id, t.buyer_order_id, t.energy_wh)
        for t in result.trades
    ] == [
        ("t-20260301T0915Z-00001", "h-1", "h-4", "o-1", "b-1", 1200),
        ("t-20260301T0915Z-00002", "h-1", "h-5", "o-1", "b-2", 800),
        ("t-20260301T0915Z-00003", "h-2", "h-5", "o-2", "b-2", 1000),
    ]
    assert all(t.price_per_kwh == 14 and t.status == "matched" for t in result.trades)
    assert all(t.interval_start == INTERVAL and t.timestamp == CLEARED_AT for t in result.trades)
    # 1200 Wh * 14 / 1000 = 16.8 -> 17; 800 * 14 = 11.2 -> 11; 1000 * 14 = 14
    assert [t.amount for t in result.trades] == [17, 11, 14]
    assert result.matched_wh == 3000
    assert result.offer_fills == (
        Fill("o-1", "h-1", "offer", 2000, 2000),
        Fill("o-2", "h-2", "offer", 1500, 1000),
        Fill("o-3", "h-3", "offer", 1000, 0),
    )
    assert result.bid_fills == (
        Fill("b-1", "h-4", "bid", 1200, 1200),
        Fill("b-2", "h-5", "bid", 1800, 1800),
        Fill("b-3", "h-6", "bid", 1000, 0),
    )
    assert result.unmatched_supply == {"h-2": 500, "h-3": 1000}
    assert result.unmatched_demand == {"h-6": 1000}


def test_result_record_is_plain_json_of_ints():
    offers, bids = worked_example()
    record = clear_interval(INTERVAL, offers, bids, CLEARED_AT).to_record()

    assert record["price_per_kwh"] == 14
    assert record["trades"][0] == {
        "trade_id": "t-20260301T0915Z-00001",
        "interval_start": INTERVAL,
        "seller": "h-1",
        "buyer": "h-4",
        "seller_order_id": "o-1",
        "buyer_order_id": "b-1",
        "energy_wh": 1200,
        "price_per_kwh": 14,
        "amount": 17,
        "timestamp": CLEARED_AT,
        "status": "matched",
    }
    assert record["offer_fills"][1] == {
        "order_id": "o-2",
        "household": "h-2",
        "side": "offer",
        "energy_wh": 1500,
        "matched_wh": 1000,
        "unmatched_wh": 500,
    }
    assert record["unmatched_demand"] == {"h-6": 1000}
    assert Trade.from_record(record["trades"][0]).to_record() == record["trades"][0]


def test_the_price_is_the_floor_of_the_midpoint():
    result = clear_interval(
        INTERVAL, [offer("o-1", "h-1", 500, 14)], [bid("b-1", "h-2", 500, 17)], CLEARED_AT
    )
    assert result.price_per_kwh == 15  # (17 + 14) / 2 = 15.5 -> 15
    assert type(result.price_per_kwh) is int


def test_equal_limits_cross_at_that_price():
    result = clear_interval(
        INTERVAL, [offer("o-1", "h-1", 500, 12)], [bid("b-1", "h-2", 700, 12)], CLEARED_AT
    )
    assert result.price_per_kwh == 12
    assert [t.energy_wh for t in result.trades] == [500]
    assert result.unmatched_demand == {"h-2": 200}
    assert result.unmatched_supply == {}


def test_one_offer_is_split_over_several_bids():
    result = clear_interval(
        INTERVAL,
        [offer("o-1", "h-1", 5000, 10)],
        [bid("b-1", "h-2", 1000, 30), bid("b-2", "h-3", 1500, 20), bid("b-3", "h-4", 4000, 15)],
        CLEARED_AT,
    )
    # every bid crosses; the supply runs out in b-3 (15), which is left partly unserved:
    # no price below 15 clears, and none above the accepted bids' lowest, 15
    assert result.price_per_kwh == 15
    assert [(t.buyer, t.energy_wh) for t in result.trades] == [
        ("h-2", 1000),
        ("h-3", 1500),
        ("h-4", 2500),
    ]
    assert result.unmatched_demand == {"h-4": 1500}


def test_a_partly_unsold_marginal_offer_sets_the_price():
    # b-1 (30) clears against o-1 (10) and o-2 (25); o-2 is left partly unsold, so the
    # price is its 25: above it o-2 would want to sell all it offered
    result = clear_interval(
        INTERVAL,
        [offer("o-1", "h-1", 400, 10), offer("o-2", "h-2", 400, 25)],
        [bid("b-1", "h-3", 600, 30)],
        CLEARED_AT,
    )
    assert result.price_per_kwh == 25
    assert [t.energy_wh for t in result.trades] == [400, 200]


def test_equal_prices_go_to_the_earlier_order():
    offers = [
        offer("o-a", "h-1", 1000, 10, "2026-03-01T09:00:02Z"),
        offer("o-b", "h-2", 1000, 10, "2026-03-01T09:00:01Z"),
    ]
    result = clear_interval(INTERVAL, offers, [bid("b-1", "h-3", 1000, 20)], CLEARED_AT)
    assert [t.seller_order_id for t in result.trades] == ["o-b"]


def test_time_priority_is_exact_to_the_fraction_of_a_second():
    # as strings "...00.5Z" < "...00Z"; as times the whole second is earlier
    bids = [
        bid("b-a", "h-2", 1000, 20, "2026-03-01T09:00:00.5Z"),
        bid("b-b", "h-3", 1000, 20, "2026-03-01T09:00:00Z"),
    ]
    result = clear_interval(INTERVAL, [offer("o-1", "h-1", 1000, 10)], bids, CLEARED_AT)
    assert [t.buyer_order_id for t in result.trades] == ["b-b"]


def test_equal_price_and_time_go_to_the_smaller_order_id():
    offers = [offer("o-2", "h-1", 1000, 10), offer("o-10", "h-2", 1000, 10)]
    bids = [bid("b-9", "h-3", 1000, 20), bid("b-10", "h-4", 1000, 20)]
    result = clear_interval(INTERVAL, offers, [bids[0]], CLEARED_AT)
    assert [t.seller_order_id for t in result.trades] == ["o-10"]  # lexicographic: "o-10" < "o-2"
    result = clear_interval(INTERVAL, [offers[0]], bids, CLEARED_AT)
    assert [t.buyer_order_id for t in result.trades] == ["b-10"]


def test_nothing_crosses_when_the_best_bid_is_below_the_best_offer():
    result = clear_interval(
        INTERVAL,
        [offer("o-1", "h-1", 1000, 15), offer("o-2", "h-2", 1000, 20)],
        [bid("b-1", "h-3", 800, 14), bid("b-2", "h-4", 500, 9)],
        CLEARED_AT,
    )
    assert result.price_per_kwh is None
    assert result.trades == ()
    assert result.matched_wh == 0
    assert result.unmatched_supply == {"h-1": 1000, "h-2": 1000}
    assert result.unmatched_demand == {"h-3": 800, "h-4": 500}


@pytest.mark.parametrize(
    ("offers", "bids"),
    [([], []), ([offer("o-1", "h-1", 10, 1)], []), ([], [bid("b-1", "h-2", 10, 99)])],
)
def test_a_one_sided_book_clears_nothing(offers, bids):
    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)
    assert (result.price_per_kwh, result.trades) == (None, ())


def test_a_household_may_not_trade_with_itself():
    with pytest.raises(SelfTradeError) as caught:
        clear_interval(
            INTERVAL,
            [offer("o-7", "h-3", 1000, 10), offer("o-2", "h-3", 500, 11)],
            [bid("b-5", "h-3", 500, 20), bid("b-1", "h-4", 500, 20)],
            CLEARED_AT,
        )
    assert str(caught.value) == (
        "household h-3 has both offer o-2 and bid b-5 in interval 2026-03-01T09:15:00Z"
    )
    assert isinstance(caught.value, OrderError | ValueError)


def test_an_order_id_is_used_once_across_offers_and_bids():
    with pytest.raises(OrderError) as caught:
        clear_interval(
            INTERVAL, [offer("x-1", "h-1", 1000, 10)], [bid("x-1", "h-2", 500, 20)], CLEARED_AT
        )
    assert str(caught.value) == "interval 2026-03-01T09:15:00Z: order id x-1 is used more than once"


def test_too_many_orders_are_refused():
    offers = [offer(f"o-{k}", f"h-{k}", 1, 1) for k in range(MAX_ORDERS_PER_SIDE + 1)]
    with pytest.raises(OrderError) as caught:
        clear_interval(INTERVAL, offers, [], CLEARED_AT)
    assert str(caught.value) == (
        "interval 2026-03-01T09:15:00Z: at most 10000 offers may be cleared, got 10001"
    )


def test_the_interval_and_the_clearing_time_are_checked():
    with pytest.raises(ValueError, match=r"^interval 2026-03-01T09:10:00Z is not aligned"):
        clear_interval("2026-03-01T09:10:00Z", [], [], CLEARED_AT)
    with pytest.raises(ValueError) as caught:
        clear_interval(INTERVAL, [], [], "now")
    assert str(caught.value) == (
        "interval 2026-03-01T09:15:00Z: clearing timestamp 'now' is not an iso-8601 utc time "
        "like 2026-03-01T09:15:00Z"
    )


def test_orders_of_the_wrong_kind_are_a_type_error():
    with pytest.raises(TypeError, match=r"^bids must be Bid, got Offer$"):
        clear_interval(INTERVAL, [], [offer("o-1", "h-1", 1, 1)], CLEARED_AT)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_id": "o 17"}, f"offer id 'o 17' is invalid: {ID_RULE}"),
        ({"order_id": 17}, "offer id must be a string"),
        ({"seller": ""}, f"offer o-17: seller '' is invalid: {ID_RULE}"),
        ({"seller": "h/1"}, f"offer o-17: seller 'h/1' is invalid: {ID_RULE}"),
        ({"energy_wh": 0}, "offer o-17: energy_wh must be between 1 and 1000000"),
        ({"energy_wh": 1_000_001}, "offer o-17: energy_wh must be between 1 and 1000000"),
        ({"energy_wh": 1.5}, "offer o-17: energy_wh must be an integer"),
        ({"energy_wh": True}, "offer o-17: energy_wh must be an integer"),
        ({"energy_wh": "100"}, "offer o-17: energy_wh must be an integer"),
        ({"min_price_per_kwh": -1}, "offer o-17: min_price_per_kwh must be between 0 and 100000"),
        ({"min_price_per_kwh": 12.0}, "offer o-17: min_price_per_kwh must be an integer"),
        (
            {"placed_at": "2026-03-01 09:00"},
            "offer o-17: placed_at '2026-03-01 09:00' is not an iso-8601 utc time "
            "like 2026-03-01T09:15:00Z",
        ),
    ],
)
def test_offer_validation_messages(kwargs, message):
    values = {
        "order_id": "o-17",
        "seller": "h-1",
        "energy_wh": 1000,
        "min_price_per_kwh": 12,
        "placed_at": "2026-03-01T09:00:00Z",
    }
    with pytest.raises(OrderError) as caught:
        Offer(**{**values, **kwargs})
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_id": ""}, f"bid id '' is invalid: {ID_RULE}"),
        ({"buyer": "h 2"}, f"bid b-3: buyer 'h 2' is invalid: {ID_RULE}"),
        ({"energy_wh": -5}, "bid b-3: energy_wh must be between 1 and 1000000"),
        ({"max_price_per_kwh": 100_001}, "bid b-3: max_price_per_kwh must be between 0 and 100000"),
        (
            {"placed_at": "2026-03-01T09:00:00+01:00"},
            "bid b-3: placed_at '2026-03-01T09:00:00+01:00' is not an iso-8601 utc time "
            "like 2026-03-01T09:15:00Z",
        ),
    ],
)
def test_bid_validation_messages(kwargs, message):
    values = {
        "order_id": "b-3",
        "buyer": "h-2",
        "energy_wh": 1000,
        "max_price_per_kwh": 20,
        "placed_at": "2026-03-01T09:00:00Z",
    }
    with pytest.raises(OrderError) as caught:
        Bid(**{**values, **kwargs})
    assert str(caught.value) == message


def test_orders_from_records():
    record = {
        "order_id": "o-17",
        "seller": "h-1",
        "energy_wh": 1000,
        "min_price_per_kwh": 12,
        "placed_at": "2026-03-01T09:00:00Z",
        "tx_id": "ignored",
    }
    assert Offer.from_record(record) == offer("o-17", "h-1", 1000, 12)
    assert Offer.from_record(record).to_record() == {
        k: v for k, v in record.items() if k != "tx_id"
    }
    with pytest.raises(OrderError) as caught:
        Offer.from_record({k: v for k, v in record.items() if k != "energy_wh"})
    assert str(caught.value) == "offer o-17: field energy_wh is missing"
    with pytest.raises(OrderError) as caught:
        Bid.from_record(["b-1"])
    assert str(caught.value) == "bid record must be a json object"
    bid_record = {
        "order_id": "b-1",
        "buyer": "h-2",
        "energy_wh": 5,
        "max_price_per_kwh": 9,
        "placed_at": "2026-03-01T09:00:00Z",
    }
    assert Bid.from_record(bid_record).to_record() == bid_record


def test_energy_cost_rounds_half_up():
    assert energy_cost(1500, 25) == 38  # 37.5
    assert energy_cost(1499, 25) == 37  # 37.475
    assert energy_cost(500, 1) == 1  # 0.5
    assert energy_cost(499, 1) == 0
    assert energy_cost(0, 45) == 0
    assert energy_cost(10**9, 100_000) == 10**11
    for bad in (-1, 1.0, True):
        with pytest.raises(ValueError, match=r"^energy cost: energy_wh must be a non-negative"):
            energy_cost(bad, 10)
    with pytest.raises(ValueError, match=r"^energy cost: price_per_kwh must be a non-negative"):
        energy_cost(10, -3)
