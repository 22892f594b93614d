"""AggregateContract: k-anonymous community aggregates over the in-memory ledger."""

import asyncio
import json

import pytest
from ccfakes import FakeLedger, identity

from chaincode.consortium import build_chaincode

OPERATOR = identity("UtilityMSP", "operator", cn="olga")
REGULATOR = identity("RegulatorMSP", "regulator", cn="rita")
PUBLISH = "AggregateContract:PublishAggregate"
INTERVAL = "2026-03-01T12:00:00Z"


@pytest.fixture
def cc():
    return build_chaincode()


def invoke(ledger, cc, creator, function, *args):
    return asyncio.run(ledger.invoke(cc, creator, function, *args))


def publish(ledger, cc, households, creator=OPERATOR, interval=INTERVAL, import_wh=1000):
    totals = {"households": households, "import_wh": import_wh, "export_wh": 400}
    return invoke(ledger, cc, creator, PUBLISH, "sunnyside", interval, json.dumps(totals))


def test_an_aggregate_of_at_least_k_households_is_published_for_everyone(cc):
    ledger = FakeLedger()
    result = publish(ledger, cc, 5)
    assert result.status == 200, result.message
    record = result.json()
    assert (record["households"], record["k"], record["published_by"]) == (5, 5, "UtilityMSP:olga")
    assert ledger.events == [("AggregatePublished", result.payload)]
    read = invoke(ledger, cc, REGULATOR, "AggregateContract:GetAggregate", "sunnyside", INTERVAL)
    assert read.json() == record


def test_fewer_than_k_households_are_refused_and_nothing_is_written(cc):
    ledger = FakeLedger()
    result = publish(ledger, cc, 4)
    assert (result.status, result.message) == (
        500,
        "aggregate of community sunnyside for 2026-03-01T12:00:00Z covers 4 households; "
        "at least 5 are needed",
    )
    assert ledger.state == {}


def test_the_regulator_sets_k_and_it_applies_to_later_publications(cc):
    ledger = FakeLedger()
    assert invoke(ledger, cc, REGULATOR, "AggregateContract:SetThreshold", "10").status == 200
    assert invoke(ledger, cc, OPERATOR, "AggregateContract:GetThreshold").json() == {"k": 10}
    assert "at least 10 are needed" in publish(ledger, cc, 9).message
    assert publish(ledger, cc, 10).status == 200


@pytest.mark.parametrize(("k", "value"), [("2", 2), ("1000", 1000), ("0010", 10)])
def test_k_is_read_from_ascii_digits_within_its_range(cc, k, value):
    ledger = FakeLedger()
    result = invoke(ledger, cc, REGULATOR, "AggregateContract:SetThreshold", k)
    assert result.status == 200, result.message
    assert invoke(ledger, cc, OPERATOR, "AggregateContract:GetThreshold").json() == {"k": value}


@pytest.mark.parametrize(
    ("creator", "function", "args", "message"),
    [
        (
            REGULATOR,
            PUBLISH,
            ("sunnyside", INTERVAL, "{}"),
            "caller from RegulatorMSP (regulator) may not call PublishAggregate; allowed: utility",
        ),
        (
            identity("CommunityMSP", "operator"),
            PUBLISH,
            ("sunnyside", INTERVAL, "{}"),
            "caller from CommunityMSP (community) may not call PublishAggregate; allowed: utility",
        ),
        (
            OPERATOR,
            "AggregateContract:SetThreshold",
            ("3",),
            "caller from UtilityMSP (utility) may not call SetThreshold; allowed: regulator",
        ),
        # not an integer from 2 to 1000 in ASCII digits: '²' and '١٢' pass str.isdigit(),
        # int() refuses '²' and a number of more than 4300 digits
        *(
            (
                REGULATOR,
                "AggregateContract:SetThreshold",
                (k,),
                "k must be an integer from 2 to 1000",
            )
            for k in ("1", "1001", "10000", "²", "١٢", "1" * 4301, " 10", "10\n", "-5", "")
        ),
        (
            OPERATOR,
            PUBLISH,
            ("Sunny Side", INTERVAL, "{}"),
            "community 'Sunny Side' is invalid: use lowercase letters, digits and '-'",
        ),
        (
            OPERATOR,
            PUBLISH,
            ("sunnyside", "2026-03-01T12:07:00Z", "{}"),
            "interval 2026-03-01T12:07:00Z must be a UTC 15-minute start like 2026-03-01T09:15:00Z",
        ),
        (
            OPERATOR,
            PUBLISH,
            ("sunnyside", INTERVAL, '{"households": 5}'),
            "aggregate must have exactly: export_wh, households, import_wh",
        ),
        (
            OPERATOR,
            PUBLISH,
            ("sunnyside", INTERVAL, "[" * 100_000 + "]" * 100_000),
            "aggregate is nested too deeply",
        ),
        (
            OPERATOR,
            PUBLISH,
            ("sunnyside", INTERVAL, '{"households": 5, "import_wh": NaN, "export_wh": 0}'),
            "aggregate holds NaN: numbers must be finite",
        ),
    ],
)
def test_refusals_name_the_reason(cc, creator, function, args, message):
    ledger = FakeLedger()
    result = invoke(ledger, cc, creator, function, *args)
    assert (result.status, result.message) == (500, message)
    assert ledger.state == {}


def test_republishing_is_a_no_op_and_different_totals_are_refused(cc):
    ledger = FakeLedger()
    first = publish(ledger, cc, 6)
    again = publish(ledger, cc, 6)
    assert (again.status, again.payload, again.stub.writes) == (200, first.payload, {})
    changed = publish(ledger, cc, 6, import_wh=999)
    assert changed.message == (
        "aggregate of community sunnyside for 2026-03-01T12:00:00Z is already published"
    )


def test_list_returns_a_communitys_aggregates_in_interval_order(cc):
    ledger = FakeLedger()
    for interval in ("2026-03-01T12:15:00Z", INTERVAL, "2026-03-02T00:00:00Z"):
        assert publish(ledger, cc, 5, interval=interval).status == 200
    listed = invoke(
        ledger,
        cc,
        REGULATOR,
        "AggregateContract:ListAggregates",
        "sunnyside",
        "2026-03-01T00:00:00Z",
        "2026-03-02T00:00:00Z",
    )
    assert [a["interval_start"] for a in listed.json()] == [INTERVAL, "2026-03-01T12:15:00Z"]
