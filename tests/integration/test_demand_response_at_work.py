"""Demand response at work on the real network: what an event did, and who reacted to it.

The operator publishes OpenADR 3 events through the utility's VTN. A load-shed event
of yesterday evening is measured from the readings on the ledger: a household of this
run drew less in the event's hour than on the days before, and the effect says by how
much. A price event of tomorrow evening reaches a household's bidding agent through
the cooperative's aggregator (a VEN): the agent's order for an interval of it, placed
on the ledger as the household's delegate, bids at the event's price, not the tariff's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import OPERATOR, SUNNYSIDE, Api, api_session, login, secret
from community_fixtures import enrolled, fresh_household, gateway_as, register, submit_day

from agents import AgentLimits, BiddingAgent, GridPrices, IntervalForecast, Trader
from agents.price_events import price_signal
from client import Enrollment
from client.facade import Caller, Ledger
from network.demo import TARIFF
from network.topology import COMMUNITY, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

RUN = uuid.uuid4().hex[:8]
VTN = f"{SUNNYSIDE}/openadr3/3.0.1"
FMT = "%Y-%m-%dT%H:%M:%SZ"
BASELINE_WH = (300, 320, 280, 300)  # the household's import in 17:00-18:00, quarter by quarter
SHED_WH = (150, 120, 100, 110)  # the same hour on the event's day
LIMITS = {"max_buy_price_per_kwh": 60, "min_sell_price_per_kwh": 5, "max_wh_per_interval": 800}


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


def token(api: Api, client_id: str, client_secret: str) -> dict[str, str]:
    """A VTN token (OAuth 2 client credentials: the client's own enrolment)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
    }
    answer = api.client.post(f"{VTN}/auth/token", data=form)
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


@pytest.fixture(scope="module")
def business(api: Api) -> dict[str, str]:
    return token(api, OPERATOR.user, secret(UTILITY.key, OPERATOR.user))


@pytest.fixture(scope="module")
def aggregator(api: Api) -> dict[str, str]:
    """The cooperative's aggregator: a VEN identity the utility's admin registers."""
    admin = login(api.client_of(UTILITY.key), UTILITY.key, "admin")
    identity = {"enrollment_id": f"aggregator-{RUN}", "role": "ven"}
    made = api.post("/admin/identities", headers=admin, json=identity, org=UTILITY.key)
    assert made.status_code == 201, made.get_json()
    return token(api, identity["enrollment_id"], made.get_json()["secret"])


def vtn(api: Api, headers: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
    answer = api.client.open(f"{VTN}{path}", method=method, headers=headers, **kwargs)
    assert answer.status_code in (200, 201), answer.get_json()
    return answer.get_json()


@pytest.fixture(scope="module")
def program(api: Api, business: dict[str, str]) -> str:
    body = {"programName": f"sunnyside-dr-{RUN}", "programType": "DEMAND_RESPONSE"}
    return str(vtn(api, business, "POST", "/programs", json=body)["id"])


def evening(days: int) -> datetime:
    """17:00 UTC, *days* from today."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days, hours=17)


def quarters(start: datetime, imports: tuple[int, ...]) -> list[dict[str, Any]]:
    return [
        {
            "interval_start": (start + timedelta(minutes=15 * n)).strftime(FMT),
            "interval_minutes": 15,
            "import_wh": wh,
            "export_wh": 0,
        }
        for n, wh in enumerate(imports)
    ]


def test_the_effect_of_a_load_shed_event_is_measured_from_the_readings(
    api: Api, business: dict[str, str], program: str
) -> None:
    household = fresh_household()
    register(household)
    event_hour = evening(-1)
    submit_day(household, quarters(event_hour, SHED_WH))
    for back in (1, 2, 3):  # the fourth day before has no readings: left out of the baseline
        submit_day(household, quarters(event_hour - timedelta(days=back), BASELINE_WH))
    shed = {
        "programID": program,
        "eventName": f"evening shed {RUN}",
        "intervalPeriod": {"start": event_hour.strftime(FMT), "duration": "PT1H"},
        "intervals": [{"id": 0, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [1.5]}]}],
    }
    event = vtn(api, business, "POST", "/events", json=shed)

    measured = api.ok(
        "GET",
        f"{SUNNYSIDE}/demand-response/{event['id']}/effect",
        OPERATOR,
        200,
        query_string={"baseline_days": 4, "household_id": household.household_id},
    )
    [row] = measured["households"]
    load, baseline = sum(SHED_WH), sum(BASELINE_WH)
    assert row == {
        "household_id": household.household_id,
        "load_wh": load,
        "baseline_wh": baseline,
        "reduction_wh": baseline - load,
        "reduction_percent": round(100 * (baseline - load) / baseline, 1),
        "baseline_days_used": 3,
    }
    assert measured["total"]["reduction_wh"] == baseline - load
    end = (event_hour + timedelta(hours=1)).strftime(FMT)
    assert measured["window"] == [{"start": event_hour.strftime(FMT), "end": end}]


@contextmanager
def ledger_of(identity: Enrollment) -> Iterator[Ledger]:
    """The domain facade as *identity*, over the community's peer."""
    with gateway_as(identity) as gw:
        caller = Caller.from_certificate(COMMUNITY.msp_id, identity.certificate)
        yield Ledger(gw, caller, community="sunnyside")


def tariff_prices() -> GridPrices:
    peak = next(b for b in TARIFF["bands"] if b["name"] == "peak")
    return GridPrices(
        peak["import_price_per_kwh"],
        TARIFF["feed_in_price_per_kwh"],
        TARIFF["p2p_grid_fee_per_kwh"],
    )


def test_a_households_agent_bids_at_the_price_of_an_event(
    api: Api, business: dict[str, str], aggregator: dict[str, str], program: str
) -> None:
    start = evening(1)
    price = {
        "programID": program,
        "eventName": f"evening price {RUN}",
        "payloadDescriptors": [{"payloadType": "PRICE", "units": "KWH", "currency": "EUR"}],
        "intervalPeriod": {"start": start.strftime(FMT), "duration": "PT1H"},
        "intervals": [{"id": 0, "payloads": [{"type": "PRICE", "values": [0.9]}]}],
    }
    published = vtn(api, business, "POST", "/events", json=price)
    # the aggregator, a VEN of the VTN, hands the program's events to its households' agents
    events = vtn(api, aggregator, "GET", "/events", query_string={"programID": program})

    household = fresh_household()
    register(household)
    tag = household.household_id
    own = enrolled(f"household-{tag}", {"role": "household", "household_id": tag})
    agent_id = f"agent-{tag}"
    agent_identity = enrolled(agent_id, {"role": "agent", "household_id": tag})
    with ledger_of(own) as ledger:
        ledger.grant_agent(agent_id, LIMITS)

    interval = start + timedelta(minutes=15)
    signal = price_signal(interval, tariff_prices(), events, currency="EUR")
    assert (signal.event_id, signal.prices.import_price_per_kwh) == (published["id"], 90)
    agent = BiddingAgent(AgentLimits.from_record(LIMITS))
    forecast = IntervalForecast(net_wh=400, error_wh=40)
    without_event = agent.order(forecast, tariff_prices())
    with ledger_of(agent_identity) as ledger:
        placed = Trader(agent, ledger).trade(interval.strftime(FMT), forecast, signal.prices)
    assert placed is not None and without_event is not None
    assert placed["price_per_kwh"] == signal.prices.fair_price_per_kwh
    assert placed["price_per_kwh"] > without_event["price_per_kwh"]

    with ledger_of(own) as ledger:
        day = interval.strftime("%Y-%m-%dT00:00:00Z")
        next_day = (interval + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
        orders = ledger.my_orders(day, next_day)
    [mine] = [o for o in orders if o["order_id"] == placed["order_id"]]
    assert (mine["side"], mine["max_price_per_kwh"]) == ("bid", placed["price_per_kwh"])
