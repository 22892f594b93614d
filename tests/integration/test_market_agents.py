"""A household's bidding agent on the real network: delegated, held to its limits, revoked.

A fresh household and an agent identity for it (role ``agent``, the household's id)
are enrolled at the community's CA. Until the household delegates on the ledger the
agent can place nothing; once it has, the agent's orders are the household's, and the
community's and utility's peers refuse any that breaks the household's limits; once
the household revokes, the agent is refused at once (no certificate revocation needed).
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from community_fixtures import contract, enrolled, fresh_household, gateway_as, register

from agents import (
    AgentLimits,
    BiddingAgent,
    Forecaster,
    GridPrices,
    IntervalForecast,
    Trader,
    history_from_readings,
)
from chaincode.community.domain import Tariff
from client import EndorseError, Enrollment
from client.facade import Caller, Ledger
from network.connect import gateway
from network.demo import TARIFF
from network.scenario import Household, community, day_readings
from network.topology import COMMUNITY, REGULATOR

pytestmark = pytest.mark.usefixtures("fabric_network")

FMT = "%Y-%m-%dT%H:%M:%SZ"
LIMITS = {"max_buy_price_per_kwh": 24, "min_sell_price_per_kwh": 7, "max_wh_per_interval": 500}


def late_interval(household: Household) -> str:
    """An interval of the late evening five days ago with no order yet, in which the
    household's agent finds something worth trading: no other test trades there (they
    take nights, midday, afternoons, and the evening three days ago).

    Whether the agent trades depends on its forecast, and the simulated household's
    readings are drawn per meter id, which is new each run, so the interval is chosen
    by what the agent would do, not fixed."""
    start = datetime.now(UTC).replace(hour=21, minute=0, second=0, microsecond=0)
    start -= timedelta(days=5)
    agent = BiddingAgent(AgentLimits.from_record(LIMITS))
    with gateway(REGULATOR, "auditor1") as gw:
        market = contract(gw, "MarketContract")
        for slot in range(12):
            interval = (start + slot * timedelta(minutes=15)).strftime(FMT)
            book = json.loads(market.evaluate("GetOrderBook", args=(interval,)))
            wanted = agent.order(forecast_of(household, interval), prices_at(interval))
            if not book["cleared"] and wanted is not None:
                return interval
    pytest.fail("no late interval five days ago is both free and worth trading; `make clean`")


def order(side: str, energy_wh: int, price: int, interval: str) -> bytes:
    return json.dumps(
        {
            "order_id": f"o-ag-{uuid.uuid4().hex[:8]}",
            "side": side,
            "interval_start": interval,
            "energy_wh": energy_wh,
            "price_per_kwh": price,
            "salt": base64.urlsafe_b64encode(os.urandom(18)).decode(),
        }
    ).encode()


@contextmanager
def ledger_of(identity: Enrollment) -> Iterator[Ledger]:
    """The domain facade as the agent's identity, over the community's peer."""
    with gateway_as(identity) as gw:
        caller = Caller.from_certificate(COMMUNITY.msp_id, identity.certificate)
        yield Ledger(gw, caller, community="sunnyside")


def forecast_of(household: Household, interval: str) -> IntervalForecast:
    """The agent's day-ahead forecast of *interval*, from 8 weeks of the household's
    simulated readings (as its home meter gateway would keep them)."""
    day = datetime.strptime(interval, FMT).date()
    history = history_from_readings(
        r for back in range(1, 57) for r in day_readings(household, day - timedelta(days=back))
    )
    forecaster = Forecaster(household).fit(history)
    slot = (datetime.strptime(interval, FMT) - datetime.strptime(interval[:10], "%Y-%m-%d")).seconds
    return forecaster.predict(day, history).interval(slot // 900)


def prices_at(interval: str) -> GridPrices:
    """The grid's prices in *interval* under the community's tariff."""
    tariff = Tariff.from_record(TARIFF)
    return GridPrices(
        tariff.import_price_at(interval), tariff.feed_in_price_per_kwh, tariff.p2p_grid_fee_per_kwh
    )


def place(identity: Enrollment, payload: bytes) -> dict:
    with gateway_as(identity) as gw:
        raw = contract(gw, "MarketContract").submit("PlaceOrder", transient={"order": payload})
    return json.loads(raw)


def delegate(household: Enrollment, transaction: str, **agent: object) -> None:
    with gateway_as(household) as gw:
        contract(gw, "AgentContract").submit(
            transaction, transient={"agent": json.dumps(agent).encode()}
        )


@pytest.fixture(scope="module")
def parties() -> tuple[Household, Enrollment, Enrollment, str]:
    # a household without solar or battery: it imports every evening, so its agent bids
    plain = next(h for h in community() if not h.solar_kwp)
    household = replace(fresh_household(), solar_kwp=plain.solar_kwp, battery=None,
                        persons=plain.persons, annual_kwh=plain.annual_kwh)  # fmt: skip
    register(household)
    tag = household.household_id
    own = enrolled(f"household-{tag}", {"role": "household", "household_id": tag})
    agent_id = f"agent-{tag}"
    agent = enrolled(agent_id, {"role": "agent", "household_id": tag})
    return household, own, agent, agent_id


def test_an_agent_trades_only_while_delegated_and_within_the_limits(parties) -> None:
    simulated, household, agent, agent_id = parties
    household_id = simulated.household_id
    interval = late_interval(simulated)
    with pytest.raises(EndorseError) as undelegated:
        place(agent, order("bid", 100, 20, interval))
    assert f"household {household_id} has not delegated to agent {agent_id}" in str(
        undelegated.value
    )

    delegate(household, "GrantAgent", agent_id=agent_id, limits=LIMITS)
    placed = place(agent, order("bid", 500, 24, interval))
    assert placed["interval_start"] == interval
    with gateway_as(household) as gw:
        (listed,) = json.loads(contract(gw, "AgentContract").evaluate("ListAgents"))
    assert (listed["agent_id"], listed["limits"], listed["revoked_at"]) == (agent_id, LIMITS, None)

    for side, energy_wh, price, reason in (
        ("bid", 100, 25, "bid price 25 is above max_buy_price_per_kwh 24"),
        ("bid", 501, 10, "energy 501 wh is above max_wh_per_interval 500"),
    ):
        with pytest.raises(EndorseError) as broken:
            place(agent, order(side, energy_wh, price, interval))
        assert f"for agent {agent_id}: {reason}" in str(broken.value)

    # the agent's own order, from its forecast of the household, at the tariff's prices
    forecast = forecast_of(simulated, interval)
    with ledger_of(agent) as ledger:
        trader = Trader(BiddingAgent(AgentLimits.from_record(LIMITS)), ledger)
        placed = trader.trade(interval, forecast, prices_at(interval))
    assert placed is not None, "the agent found nothing worth trading in an evening interval"
    assert (placed["side"], placed["interval_start"]) == ("bid", interval)
    assert 1 <= placed["energy_wh"] <= LIMITS["max_wh_per_interval"]
    assert placed["price_per_kwh"] <= LIMITS["max_buy_price_per_kwh"]
    with gateway(REGULATOR, "auditor1") as gw:
        book = json.loads(contract(gw, "MarketContract").evaluate("GetOrderBook", args=(interval,)))
    assert book["orders"] >= 2  # the agent's first order and this one, at least

    delegate(household, "RevokeAgent", agent_id=agent_id)
    with pytest.raises(EndorseError) as revoked:
        place(agent, order("bid", 100, 20, interval))
    assert f"household {household_id} has revoked its delegation to agent {agent_id}" in str(
        revoked.value
    )
