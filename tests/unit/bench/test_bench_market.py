"""bench/market.py: the order stream of workload (b), checked against the chaincode's rules."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from bench.market import far_future_start, interval_start, orders
from chaincode.community.domain import check_interval_start
from chaincode.community.market import parse_order


def decoded(tag: str, traders: int, count: int) -> list[dict]:
    return [json.loads(o.payload) for o in orders(tag, traders, count)]


def test_each_household_places_one_order_per_interval_in_turn():
    made = list(orders("b00a1b2", 4, 10))
    assert [o.trader for o in made] == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    per_interval = Counter(o.interval_start for o in made)
    assert sorted(per_interval.values()) == [2, 4, 4]


def test_even_households_offer_and_odd_ones_bid():
    for order, body in zip(orders("b00a1b2", 6, 12), decoded("b00a1b2", 6, 12), strict=True):
        assert body["side"] == ("offer" if order.trader % 2 == 0 else "bid")


def test_order_ids_and_salts_are_unique():
    bodies = decoded("b00a1b2", 10, 300)
    assert len({b["order_id"] for b in bodies}) == 300
    assert len({b["salt"] for b in bodies}) == 300


@pytest.mark.parametrize("tag", ["b000000", "b7f3a21", "bffffff"])
def test_every_order_passes_the_chaincodes_checks(tag):
    for n, order in enumerate(orders(tag, 5, 50)):
        placed = parse_order(order.payload, f"h-{n % 5}", "2026-01-01T00:00:00Z")
        assert placed.interval_start == order.interval_start
        assert check_interval_start(order.interval_start) == order.interval_start


def test_the_intervals_lie_in_a_far_future_day_picked_by_the_tag():
    first = far_future_start("b7f3a21")
    assert first == far_future_start("b7f3a21")
    assert first != far_future_start("b7f3a22")
    assert datetime(2300, 1, 1, tzinfo=UTC) <= first < datetime(2400, 1, 1, tzinfo=UTC)
    assert interval_start(first, 5) == first.strftime("%Y-%m-%dT01:15:00Z")
