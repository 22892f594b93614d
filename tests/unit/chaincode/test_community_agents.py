"""AgentContract and agents' orders over the in-memory ledger.

A household delegates to an agent identity (role ``agent``, its household_id) with
limits; the agent's orders are the household's, refused when they break the limits,
and refused altogether once the household revokes the delegation. The ledger and
helpers are test_community_market's (h-001 to h-004 have meters).
"""

import json

import pytest
from ccommunity import (
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    invoke,
    keyed,
    member,
    snapshot,
)
from test_community_market import HOUSEHOLDS, order, place, with_meters

LIMITS = {"max_buy_price_per_kwh": 25, "min_sell_price_per_kwh": 9, "max_wh_per_interval": 1000}
AGENT = member("CommunityMSP", "agent-h1", "agent", household_id="h-001")


@pytest.fixture
def ledger(cc):
    return with_meters(cc)


def grant(ledger, cc, agent_id="agent-h1", limits=LIMITS, creator=None):
    value = canonical({"agent_id": agent_id, "limits": limits})
    return invoke(
        ledger, cc, creator or HOUSEHOLDS[1], "AgentContract:GrantAgent", transient={"agent": value}
    )


def revoke(ledger, cc, agent_id="agent-h1"):
    value = canonical({"agent_id": agent_id})
    household = HOUSEHOLDS[1]
    return invoke(ledger, cc, household, "AgentContract:RevokeAgent", transient={"agent": value})


def by_agent(ledger, cc, agent=AGENT, **changes):
    return place(ledger, cc, creator=agent, **changes)


def test_a_delegation_is_private_and_the_agent_places_the_households_orders(cc, ledger):
    granted = grant(ledger, cc)
    assert granted.status == 200, granted.message
    assert granted.stub.writes == {}  # nothing public: it says who trades for whom
    record = json.loads(ledger.private["households"][keyed("agent", "h-001", "agent-h1")])
    assert (record["limits"], record["revoked_at"]) == (LIMITS, None)
    placed = by_agent(ledger, cc, side="bid", energy_wh=800, price=25)
    assert placed.status == 200, placed.message
    stored = json.loads(ledger.private["orders"][keyed("order", order()["interval_start"], "o-1")])
    assert (stored["buyer"], stored["max_price_per_kwh"]) == ("h-001", 25)
    listed = invoke(ledger, cc, HOUSEHOLDS[1], "AgentContract:ListAgents")
    assert listed.json() == [record]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"side": "bid", "price": 26}, "bid price 26 is above max_buy_price_per_kwh 25"),
        ({"side": "offer", "price": 8}, "offer price 8 is below min_sell_price_per_kwh 9"),
        ({"side": "offer", "energy_wh": 1001}, "energy 1001 wh is above max_wh_per_interval 1000"),
    ],
    ids=["bid-too-dear", "offer-too-cheap", "too-much"],
)
def test_an_agents_order_that_breaks_the_limits_is_refused(cc, ledger, changes, reason):
    assert grant(ledger, cc).status == 200
    before = snapshot(ledger)
    result = by_agent(ledger, cc, **changes)
    assert (result.status, result.message) == (
        500,
        f"order o-1 breaks household h-001's limits for agent agent-h1: {reason}",
    )
    assert snapshot(ledger) == before


def test_the_household_itself_is_not_bound_by_its_agents_limits(cc, ledger):
    assert grant(ledger, cc).status == 200
    assert place(ledger, cc, side="bid", price=90, energy_wh=5000).status == 200


def test_a_revoked_or_never_granted_agent_places_nothing(cc, ledger):
    never = by_agent(ledger, cc)
    assert never.message == "household h-001 has not delegated to agent agent-h1"
    assert grant(ledger, cc).status == 200
    assert revoke(ledger, cc).status == 200
    before = snapshot(ledger)
    after = by_agent(ledger, cc)
    assert after.message == "household h-001 has revoked its delegation to agent agent-h1"
    assert snapshot(ledger) == before
    again = grant(ledger, cc)
    assert again.message == (
        "agent agent-h1 was revoked; enrol a new agent identity to delegate again"
    )


def test_an_agent_acts_only_for_the_household_in_its_certificate(cc, ledger):
    assert grant(ledger, cc).status == 200
    other = member("CommunityMSP", "agent-h1", "agent", household_id="h-002")
    result = by_agent(ledger, cc, agent=other)
    assert result.message == "household h-002 has not delegated to agent agent-h1"


def test_granting_again_changes_the_limits(cc, ledger):
    assert grant(ledger, cc).status == 200
    assert by_agent(ledger, cc, side="bid", price=30).status == 500
    assert grant(ledger, cc, limits={**LIMITS, "max_buy_price_per_kwh": 30}).status == 200
    assert by_agent(ledger, cc, side="bid", price=30).status == 200


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"agent_id": "a b", "limits": LIMITS}, "agent_id must be the agent's enrolment id"),
        ({"agent_id": "a1"}, "transient 'agent' must have exactly: agent_id, limits"),
        (
            {"agent_id": "a1", "limits": {**LIMITS, "max_wh_per_interval": 0}},
            "agent limits: max_wh_per_interval must be between 1 and 1000000",
        ),
        (
            {"agent_id": "a1", "limits": {"max_buy_price_per_kwh": 1}},
            "agent limits: field min_sell_price_per_kwh is missing",
        ),
    ],
)
def test_a_malformed_delegation_is_refused(cc, ledger, value, message):
    before = snapshot(ledger)
    result = invoke(
        ledger, cc, HOUSEHOLDS[1], "AgentContract:GrantAgent", transient={"agent": canonical(value)}
    )
    assert result.status == 500
    assert result.message.startswith(message)
    assert snapshot(ledger) == before


def test_only_a_household_delegates(cc, ledger):
    result = grant(ledger, cc, creator=AGENT)
    assert result.message == ("caller role 'agent' may not call GrantAgent; allowed: household")
