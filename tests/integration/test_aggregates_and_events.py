"""Consortium aggregates (k-anonymous) and the community's grid event log, on the real network."""

from __future__ import annotations

import json
import uuid

import pytest
from community_fixtures import DAY_END, DAY_START, contract, read_recorded, register, submit_day

from client import EndorseError
from client.accesses import Access
from network.connect import gateway
from network.scenario import community
from network.topology import COMMUNITY, REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

INTERVAL = "2026-03-01T12:00:00Z"
NEIGHBOURS = community()[10:15]


def aggregates(gw):
    return gw.get_network("consortium").get_contract("consortium", "AggregateContract")


def totals_at(households, interval: str) -> dict:
    """What the utility computes from the readings it holds on the community channel."""
    imported = exported = 0
    with gateway(UTILITY, "operator1") as gw:
        for household in households:
            period = (household.household_id, DAY_START, DAY_END)
            access = Access("readings", *period)
            readings = read_recorded(gw, "ReadingContract", "GetReadings", period, access)
            reading = next(r for r in readings if r["interval_start"] == interval)
            imported += reading["import_wh"]
            exported += reading["export_wh"]
    return {"households": len(households), "import_wh": imported, "export_wh": exported}


def test_an_aggregate_of_five_households_is_published_and_one_of_four_is_refused():
    for household in NEIGHBOURS:
        register(household)
        submit_day(household)
    totals = totals_at(NEIGHBOURS, INTERVAL)
    with gateway(UTILITY, "operator1") as gw:
        published = json.loads(
            aggregates(gw).submit(
                "PublishAggregate", args=("sunnyside", INTERVAL, json.dumps(totals))
            )
        )
        with pytest.raises(EndorseError) as too_few:
            aggregates(gw).submit(
                "PublishAggregate",
                args=(
                    "sunnyside",
                    "2026-03-01T12:15:00Z",
                    json.dumps(totals_at(NEIGHBOURS[:4], "2026-03-01T12:15:00Z")),
                ),
            )
    assert "covers 4 households; at least 5 are needed" in str(too_few.value)
    with gateway(REGULATOR, "auditor1") as gw:
        read = json.loads(aggregates(gw).evaluate("GetAggregate", args=("sunnyside", INTERVAL)))
    assert read == published
    assert {k: read[k] for k in totals} == totals


def test_grid_events_are_append_only_and_readable_by_every_member():
    event = {
        "event_id": f"ev-{uuid.uuid4().hex[:8]}",
        "event_type": "OUTAGE",
        "feeder": "F-1",
        "start": "2026-03-01T09:00:00Z",
        "cause": "storm damage",
        "affected_meters": 12,
    }
    with gateway(UTILITY, "operator1") as gw:
        events = contract(gw, "GridEventContract")
        recorded = json.loads(events.submit("ReportGridEvent", args=(json.dumps(event),)))
        ended = json.loads(
            events.submit("EndGridEvent", args=(event["event_id"], "2026-03-01T10:30:00Z"))
        )
        with pytest.raises(EndorseError) as rewrite:
            events.submit("ReportGridEvent", args=(json.dumps({**event, "affected_meters": 1}),))
    assert f"grid event {event['event_id']} is already recorded" in str(rewrite.value)
    assert ended["end"] == "2026-03-01T10:30:00Z"
    assert recorded["reported_by"] == "operator1"

    for org, user in ((REGULATOR, "auditor1"), (COMMUNITY, "household1")):
        with gateway(org, user) as gw:
            read = json.loads(
                contract(gw, "GridEventContract").evaluate(
                    "GetGridEvent", args=(event["event_id"],)
                )
            )
        assert (read["end"], read["affected_meters"]) == ("2026-03-01T10:30:00Z", 12)

    with gateway(COMMUNITY, "household1") as gw, pytest.raises(EndorseError) as refused:
        contract(gw, "GridEventContract").submit("ReportGridEvent", args=(json.dumps(event),))
    assert "caller from CommunityMSP (community) may not call ReportGridEvent" in str(refused.value)
