"""DemandResponseContract over the in-memory ledger: OpenADR 3 events and their revisions."""

import json

from ccfakes import FakeLedger, identity
from ccommunity import chaincode, invoke  # noqa: F401 (chaincode: the cc fixture)

OPERATOR = identity("UtilityMSP", "operator", cn="olga")
HOUSEHOLD = identity("CommunityMSP", "household", cn="h1")
AUDITOR = identity("RegulatorMSP", "regulator", cn="rita")
PUBLISH = "DemandResponseContract:PublishDemandResponseEvent"
PRICE_EVENT = {
    "id": "ev-price-1",
    "programID": "prog-tou",
    "eventName": "evening peak",
    "payloadDescriptors": [{"payloadType": "PRICE", "units": "KWH", "currency": "EUR"}],
    "intervalPeriod": {"start": "2026-03-01T17:00:00Z", "duration": "PT1H"},
    "intervals": [
        {"id": 0, "payloads": [{"type": "PRICE", "values": [0.45]}]},
        {"id": 1, "payloads": [{"type": "PRICE", "values": [0.6]}]},
    ],
}


def publish(ledger, cc, event, creator=OPERATOR):
    return invoke(ledger, cc, creator, PUBLISH, json.dumps(event))


def history(ledger, cc, event_id="ev-price-1"):
    done = invoke(ledger, cc, AUDITOR, "DemandResponseContract:DemandResponseHistory", event_id)
    assert done.status == 200, done.message
    return done.json()


def test_a_published_event_is_stamped_by_the_register_with_its_issuer(cc):
    ledger = FakeLedger()
    done = publish(ledger, cc, {**PRICE_EVENT, "createdDateTime": "1999-01-01T00:00:00Z"})
    assert done.status == 200, done.message
    record = done.json()
    event = record["event"]
    assert event["createdDateTime"] == event["modificationDateTime"] != "1999-01-01T00:00:00Z"
    assert (event["objectType"], event["intervals"]) == ("EVENT", PRICE_EVENT["intervals"])
    assert record["issued_by"] == {"msp_id": "UtilityMSP", "name": "olga"}
    assert (record["revision"], record["deleted"]) == (1, False)
    [entry] = history(ledger, cc)
    assert (entry["operation"], entry["event"], entry["tx_id"]) == (
        "CREATE",
        event,
        done.stub.tx_id,
    )
    assert ledger.events[-1][0] == "DemandResponseCreate"


def test_publishing_the_same_event_again_writes_nothing(cc):
    ledger = FakeLedger()
    first = publish(ledger, cc, PRICE_EVENT)
    again = publish(ledger, cc, PRICE_EVENT)
    assert (again.status, again.payload, again.stub.writes) == (200, first.payload, {})
    assert len(history(ledger, cc)) == 1


def test_every_update_and_the_deletion_are_revisions_and_none_is_rewritten(cc):
    ledger = FakeLedger()
    first = publish(ledger, cc, PRICE_EVENT).json()["event"]
    changed = {**PRICE_EVENT, "eventName": "evening peak, extended"}
    updated = publish(ledger, cc, changed)
    assert updated.status == 200, updated.message
    assert not any(key.endswith("00000001") for key in updated.stub.writes)
    event = updated.json()["event"]
    assert event["createdDateTime"] == first["createdDateTime"]
    assert event["modificationDateTime"] > first["modificationDateTime"]

    withdrawn = invoke(
        ledger, cc, OPERATOR, "DemandResponseContract:WithdrawDemandResponseEvent", "ev-price-1"
    )
    assert withdrawn.json()["deleted"] is True
    again = invoke(
        ledger, cc, OPERATOR, "DemandResponseContract:WithdrawDemandResponseEvent", "ev-price-1"
    )
    assert (again.status, again.stub.writes) == (200, {})
    trail = history(ledger, cc)
    assert [(e["revision"], e["operation"]) for e in trail] == [
        (1, "CREATE"),
        (2, "UPDATE"),
        (3, "DELETE"),
    ]
    assert trail[1]["event"]["eventName"] == "evening peak, extended"
    reborn = publish(ledger, cc, PRICE_EVENT)
    assert (reborn.status, reborn.message) == (
        500,
        "event ev-price-1 was deleted; publish a new event instead",
    )


def test_listing_leaves_out_withdrawn_events_and_filters_by_program(cc):
    ledger = FakeLedger()
    publish(ledger, cc, PRICE_EVENT)
    publish(ledger, cc, {**PRICE_EVENT, "id": "ev-other", "programID": "prog-shed"})
    publish(ledger, cc, {**PRICE_EVENT, "id": "ev-gone"})
    invoke(ledger, cc, OPERATOR, "DemandResponseContract:WithdrawDemandResponseEvent", "ev-gone")

    def listed(program):
        done = invoke(
            ledger, cc, HOUSEHOLD, "DemandResponseContract:ListDemandResponseEvents", program
        )
        return [r["event"]["id"] for r in done.json()]

    assert listed("") == ["ev-price-1", "ev-other"]
    assert listed("prog-shed") == ["ev-other"]


def test_only_the_operator_publishes_and_a_malformed_event_leaves_the_ledger_as_it_was(cc):
    ledger = FakeLedger()
    refused = publish(ledger, cc, PRICE_EVENT, creator=HOUSEHOLD)
    assert refused.status == 500 and "may not call PublishDemandResponseEvent" in refused.message
    no_period = {**PRICE_EVENT, "intervalPeriod": None}
    cases = {
        "event id must be": {**PRICE_EVENT, "id": "has space"},
        "has no intervalPeriod, and neither has the event": no_period,
        "ISO 8601 duration": {
            **PRICE_EVENT,
            "intervalPeriod": {"start": "2026-03-01T17:00:00Z", "duration": "P1M"},
        },
        "intervals must be a list": {**PRICE_EVENT, "intervals": []},
        "at most 65536 bytes": {**PRICE_EVENT, "eventName": "x" * 70_000},
    }
    for message, event in cases.items():
        done = publish(ledger, cc, event)
        assert done.status == 500 and message in done.message, (message, done.message)
        assert done.stub.writes == {}
    missing = invoke(ledger, cc, AUDITOR, "DemandResponseContract:GetDemandResponseEvent", "nope")
    assert (missing.status, missing.message) == (
        500,
        "event nope is not on the grid-event register",
    )
