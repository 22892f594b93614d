"""The regulator's audit of a cleared interval: the utility discloses, the regulator checks.

The book and ledger are test_community_market's (h-001 and h-002 offer, h-003 and h-004
bid; clearing at 12). A disclosure is what GetClearingDisclosure returns; the audit runs
AuditClearing with the disclosed orders in the transient map, as the regulator's peer
would, and must find every way a disclosure or a public record can be wrong.
"""

import json

import pytest
from ccommunity import (
    BILLING,
    OPERATOR,
    REGULATOR,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    invoke,
    member,
    snapshot,
)
from test_community_market import INTERVAL, clear, place_book, with_meters

CHECKS = ("complete", "genuine", "price", "volume", "counts", "trades")
RECOMPUTED = {"price_per_kwh": 12, "matched_wh": 1000, "offers": 2, "bids": 2, "trades": 2}


@pytest.fixture
def cleared(cc):
    ledger = with_meters(cc)
    place_book(ledger, cc)
    assert clear(ledger, cc).status == 200
    return ledger


def disclose(ledger, cc, creator=OPERATOR):
    result = invoke(ledger, cc, creator, "MarketContract:GetClearingDisclosure", INTERVAL)
    assert result.status == 200, result.message
    return result.json()["orders"]


def audit(ledger, cc, orders, creator=REGULATOR, raw=None):
    value = canonical(orders) if raw is None else raw
    return invoke(
        ledger, cc, creator, "MarketContract:AuditClearing", INTERVAL, transient={"orders": value}
    )


def report(ledger, cc, orders):
    result = audit(ledger, cc, orders)
    assert result.status == 200, result.message
    return result.json()


def failed(found):
    return sorted(name for name, ok in found["checks"].items() if not ok)


@pytest.mark.parametrize("creator", [OPERATOR, BILLING, member("CommunityMSP", "admin1", "admin")])
def test_the_utilitys_or_communitys_staff_disclose_the_orders_as_placed(cc, cleared, creator):
    orders = disclose(cleared, cc, creator)
    assert [o["order_id"] for o in orders] == ["b-1", "b-2", "o-1", "o-2"]
    stored = {json.loads(v)["order_id"]: json.loads(v) for k, v in
              cleared.private["orders"].items() if k.startswith("order~")}  # fmt: skip
    assert orders == [stored[o["order_id"]] for o in orders]


def test_an_honest_disclosure_verifies_and_the_audit_writes_nothing(cc, cleared):
    before = snapshot(cleared)
    result = audit(cleared, cc, disclose(cleared, cc))
    assert result.status == 200, result.message
    assert result.json() == {
        "interval_start": INTERVAL,
        "verified": True,
        "orders_disclosed": 4,
        "checks": dict.fromkeys(CHECKS, True),
        "recomputed": RECOMPUTED,
        "problems": [],
    }
    assert (result.stub.writes, result.stub.private_writes) == ({}, {})
    assert snapshot(cleared) == before


def test_a_withheld_order_is_found(cc, cleared):
    orders = [o for o in disclose(cleared, cc) if o["order_id"] != "o-2"]
    found = report(cleared, cc, orders)
    assert found["verified"] is False
    # o-2 was unsold: the price and volume survive without it, the counts do not
    assert failed(found) == ["complete", "counts"]
    assert found["problems"] == [
        "1 committed orders not disclosed: o-2",
        "offers is 2 on the ledger but 1 by the clearing rule",
    ]


def test_an_order_changed_before_disclosure_is_found(cc, cleared):
    orders = disclose(cleared, cc)
    changed = [{**o, "max_price_per_kwh": 13} if o["order_id"] == "b-2" else o for o in orders]
    found = report(cleared, cc, changed)
    # b-2's limit was the price: at 13 the interval and trades move with it
    assert failed(found) == ["genuine", "price", "trades"]
    assert found["problems"][0] == "1 orders differ from their commitments: b-2"
    assert found["recomputed"]["price_per_kwh"] == 13


def test_an_order_never_committed_is_found(cc, cleared):
    orders = disclose(cleared, cc)
    extra = {**orders[-1], "order_id": "o-9", "seller": "h-009"}
    found = report(cleared, cc, [*orders, extra])
    assert "1 disclosed orders were never committed: o-9" in found["problems"]
    assert "complete" in failed(found)


def test_an_order_disclosed_twice_is_found(cc, cleared):
    orders = disclose(cleared, cc)
    found = report(cleared, cc, [*orders, orders[0]])
    assert failed(found) == ["complete"]
    assert found["problems"] == ["orders disclosed more than once: b-1"]


@pytest.mark.parametrize(
    ("field", "value", "failing"),
    [
        ("price_per_kwh", 15, ["price"]),
        ("matched_wh", 900, ["volume"]),
        ("trades", 3, ["counts"]),
    ],
)
def test_a_public_record_that_breaks_the_clearing_rule_is_found(cc, cleared, field, value, failing):
    key = f"clearing~{INTERVAL}"
    record = json.loads(cleared.state[key])
    expected = record[field]
    cleared.state[key] = canonical({**record, field: value})
    found = report(cleared, cc, disclose(cleared, cc))
    assert failed(found) == failing
    assert found["problems"] == [
        f"{field} is {value} on the ledger but {expected} by the clearing rule"
    ]


def test_a_trade_commitment_that_differs_is_found(cc, cleared):
    key = f"clearing~{INTERVAL}"
    record = json.loads(cleared.state[key])
    first = sorted(record["trade_commitments"])[0]
    record["trade_commitments"][first] = "0" * 64
    cleared.state[key] = canonical(record)
    found = report(cleared, cc, disclose(cleared, cc))
    assert failed(found) == ["trades"]
    assert found["problems"] == [f"1 trades differ from their commitments: {first}"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "the disclosed orders must be sent in the transient map under 'orders'"),
        (b"{}", "transient 'orders' must be a JSON list of orders"),
        (b'[{"side": "swap"}]', f"interval {INTERVAL}: an order must have side offer or bid"),
    ],
)
def test_a_malformed_disclosure_is_refused(cc, cleared, raw, message):
    if raw is None:
        result = invoke(cleared, cc, REGULATOR, "MarketContract:AuditClearing", INTERVAL)
    else:
        result = audit(cleared, cc, None, raw=raw)
    assert (result.status, result.message) == (500, message)


def test_an_interval_not_cleared_cannot_be_audited_or_disclosed(cc):
    ledger = with_meters(cc)
    message = f"interval {INTERVAL} is not cleared"
    for creator, name in ((REGULATOR, "AuditClearing"), (OPERATOR, "GetClearingDisclosure")):
        result = invoke(ledger, cc, creator, f"MarketContract:{name}", INTERVAL)
        assert (result.status, result.message) == (500, message)
