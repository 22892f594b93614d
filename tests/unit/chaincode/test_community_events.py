"""GridEventContract and the community role table over the in-memory ledger."""

import asyncio
import json

import pytest
from ccfakes import FakeLedger, identity
from ccommunity import chaincode, invoke  # noqa: F401 (chaincode: the cc fixture)

from chaincode.access import RULES, authorize

OPERATOR = identity("UtilityMSP", "operator", cn="olga")
HOUSEHOLD = identity("SunnysideMSP", "household", cn="h1")
AUDITOR = identity("RegulatorMSP", "regulator", cn="rita")
REPORT = "GridEventContract:ReportGridEvent"
OUTAGE = {
    "event_id": "ev-1",
    "event_type": "OUTAGE",
    "feeder": "F-12",
    "start": "2026-03-01T09:00:00Z",
    "cause": "transformer fault",
    "affected_meters": 42,
}


def report(ledger, cc, event, creator=OPERATOR):
    return invoke(ledger, cc, creator, REPORT, json.dumps(event))


def test_an_operator_reports_an_outage_and_anyone_on_the_channel_reads_it(cc):
    ledger = FakeLedger()
    recorded = report(ledger, cc, OUTAGE)
    assert recorded.status == 200, recorded.message
    record = recorded.json()
    assert {k: record[k] for k in OUTAGE} == OUTAGE
    assert (record["end"], record["reported_by"]) == (None, "olga")
    assert ledger.events == [("GridEventReported", recorded.payload)]

    read = invoke(ledger, cc, AUDITOR, "GridEventContract:GetGridEvent", "ev-1")
    assert read.json() == record


def test_reporting_the_same_event_again_writes_nothing_and_a_changed_one_is_refused(cc):
    ledger = FakeLedger()
    first = report(ledger, cc, OUTAGE)
    again = report(ledger, cc, OUTAGE)
    assert (again.status, again.payload, again.stub.writes) == (200, first.payload, {})

    changed = report(ledger, cc, {**OUTAGE, "affected_meters": 43})
    assert (changed.status, changed.message) == (500, "grid event ev-1 is already recorded")


def test_the_end_is_appended_once_and_merged_into_reads(cc):
    ledger = FakeLedger()
    report(ledger, cc, OUTAGE)
    ended = invoke(
        ledger, cc, OPERATOR, "GridEventContract:EndGridEvent", "ev-1", "2026-03-01T11:00:00Z"
    )
    assert ended.status == 200, ended.message
    assert "gridevent~ev-1" not in ended.stub.writes  # the original record is never rewritten
    listed = invoke(
        ledger,
        cc,
        HOUSEHOLD,
        "GridEventContract:ListGridEvents",
        "2026-03-01T00:00:00Z",
        "2026-03-02T00:00:00Z",
    )
    assert [e["end"] for e in listed.json()] == ["2026-03-01T11:00:00Z"]
    twice = invoke(
        ledger, cc, OPERATOR, "GridEventContract:EndGridEvent", "ev-1", "2026-03-01T12:00:00Z"
    )
    assert twice.message == "grid event ev-1 already has an end"


def test_a_price_or_load_signal_is_no_incident_but_an_openadr_event(cc):
    ledger = FakeLedger()
    alert = {**OUTAGE, "event_id": "ev-2", "event_type": "ELECTRICITY_PRICE", "signal": 30}
    refused = report(ledger, cc, alert)
    assert (refused.status, refused.message) == (500, "grid event has unknown fields: signal")
    del alert["signal"]
    refused = report(ledger, cc, alert)
    assert refused.message.endswith(
        "a price or load-shed signal is an OpenADR 3 event of the utility's VTN"
    )
    assert ledger.state == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        *(
            (
                {"event_type": event_type},
                "grid event ev-1: event_type must be one of OUTAGE, FAULT, MAINTENANCE; "
                "a price or load-shed signal is an OpenADR 3 event of the utility's VTN",
            )
            # not a string: a list or an object is no incident type either
            for event_type in ("EARTHQUAKE", "SIMPLE", ["OUTAGE"], {"OUTAGE": 1}, None)
        ),
        ({"start": "yesterday"}, "start must be a UTC time like 2026-03-01T09:15:00Z"),
        ({"end": "2026-03-01T08:00:00Z"}, "grid event ev-1: end must be after start"),
        (
            {"affected_meters": -1},
            "grid event ev-1: affected_meters must be an integer between 0 and 10000000",
        ),
        ({"signal": 1}, "grid event has unknown fields: signal"),
        ({"colour": "red"}, "grid event has unknown fields: colour"),
        (
            {"event_id": "bad id"},
            "event id 'bad id' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
    ],
)
def test_invalid_events_are_refused_with_the_exact_reason(cc, change, message):
    ledger = FakeLedger()
    result = report(ledger, cc, {**OUTAGE, **change})
    assert (result.status, result.message) == (500, message)
    assert ledger.state == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "grid event is nested too deeply"),
        ('{"event_id": "ev-1", "signal": NaN}', "grid event holds NaN: numbers must be finite"),
        (
            json.dumps({**OUTAGE, "cause": "\ud800"}),
            "grid event holds the unpaired surrogate U+D800: text must be valid unicode",
        ),
    ],
    ids=["nested-100000-deep", "nan", "unpaired-surrogate"],
)
def test_json_the_ledger_cannot_keep_is_refused_with_the_exact_reason(cc, raw, message):
    ledger = FakeLedger()
    result = invoke(ledger, cc, OPERATOR, REPORT, raw)
    assert (result.status, result.message) == (500, message)
    assert ledger.state == {}


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (
            HOUSEHOLD,
            "caller from SunnysideMSP (community) may not call ReportGridEvent; allowed: utility",
        ),
        (
            identity("UtilityMSP", "billing"),
            "caller role 'billing' may not call ReportGridEvent; allowed: operator",
        ),
        (
            identity("UtilityMSP", None),
            "caller without a role may not call ReportGridEvent; allowed: operator",
        ),
    ],
)
def test_only_the_utilitys_operators_report_events(cc, creator, message):
    ledger = FakeLedger()
    result = report(ledger, cc, OUTAGE, creator)
    assert (result.status, result.message) == (500, message)


def test_every_transaction_of_the_chaincode_has_an_access_rule(cc):
    metadata = asyncio.run(
        FakeLedger().invoke(cc, AUDITOR, "org.hyperledger.fabric:get_metadata")
    ).json()
    names = {
        tx["name"] for contract in metadata["contracts"].values() for tx in contract["transactions"]
    }
    assert names - {"get_metadata"} <= set(RULES), names - set(RULES)


def test_a_transaction_without_a_rule_is_refused_by_default():
    class Ctx:
        def get_stub(self):
            class Stub:
                def get_function_and_parameters(self):
                    return "GridEventContract:Unlisted", []

            return Stub()

    with pytest.raises(Exception, match="Unlisted has no access rule; refusing by default"):
        authorize(Ctx())
