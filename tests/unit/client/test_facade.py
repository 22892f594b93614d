"""The domain facade: the role table applied before the network, and where each call goes."""

from __future__ import annotations

import asyncio
import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chaincode.community import build_chaincode as community_chaincode
from chaincode.consortium import build_chaincode as consortium_chaincode
from client.facade import Caller, Forbidden, Ledger
from client.transactions import CONTRACTS
from gridspec.roles import RULES
from gridspec.signed_bundle import SignedBundle


class Recorder:
    """Stands in for Gateway → Network → Contract and records every call."""

    def __init__(self):
        self.calls = []

    def get_network(self, channel):
        recorder = self

        class Network:
            def get_contract(self, chaincode, contract):
                class Contract:
                    def submit(self, name, args, transient, endorsing_organizations=None):
                        return recorder.record(
                            "submit",
                            channel,
                            chaincode,
                            contract,
                            name,
                            args,
                            transient,
                            endorsing_organizations,
                        )

                    def evaluate(self, name, args, transient, endorsing_organizations=None):
                        return recorder.record(
                            "evaluate",
                            channel,
                            chaincode,
                            contract,
                            name,
                            args,
                            transient,
                            endorsing_organizations,
                        )

                return Contract()

        return Network()

    def record(self, *call):
        self.calls.append(call)
        if call[4] == "RecordAccess":
            return b'{"access_id": "tx-record", "recorded_at": "2026-03-02T09:00:00Z"}'
        return b'{"ok": true}'


HOUSEHOLD = Caller("CommunityMSP", "household1", "household", "h-001")
OPERATOR = Caller("UtilityMSP", "operator1", "operator", None)
BILLING = Caller("UtilityMSP", "billing1", "billing", None)
ADVISOR = Caller("CommunityMSP", "advisor1", "third_party", None)
AUDITOR = Caller("RegulatorMSP", "auditor1", "regulator", None)
DAY = ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")


def ledger(caller, community="sunnyside"):
    recorder = Recorder()
    return Ledger(recorder, caller, community=community), recorder


@pytest.mark.parametrize(
    ("caller", "action", "message"),
    [
        (
            HOUSEHOLD,
            lambda facade: facade.clear_interval("2026-03-01T12:00:00Z"),
            "caller from CommunityMSP (community) may not call ClearInterval; allowed: utility",
        ),
        (
            HOUSEHOLD,
            lambda facade: facade.readings("h-002", "a", "b"),
            "household h-001 may not read household h-002",
        ),
        (
            HOUSEHOLD,
            lambda facade: facade.invoice("h-002", "2026-03-01", "2026-03-02"),
            "household h-001 may not read the invoices of household h-002",
        ),
        (
            AUDITOR,
            lambda facade: facade.readings("h-001", "a", "b"),
            "caller role 'regulator' may not call GetReadings; "
            "allowed: household, operator, billing, third_party",
        ),
        (
            OPERATOR,
            lambda facade: facade.generate_invoice("h-001", "2026-03-01", "2026-03-02"),
            "caller role 'operator' may not call GenerateInvoice; allowed: billing",
        ),
        (
            OPERATOR,
            lambda facade: facade.invoice("h-001", "2026-03-01", "2026-03-02"),
            "caller role 'operator' may not call GetInvoice; allowed: household, billing",
        ),
        (
            HOUSEHOLD,
            lambda facade: facade.accesses("h-002", *DAY),
            "household h-001 may not read the accesses of household h-002",
        ),
        (
            OPERATOR,
            lambda facade: facade.accesses("h-001", *DAY),
            "caller from UtilityMSP (utility) may not call ListAccesses; allowed: community",
        ),
        (
            HOUSEHOLD,
            lambda facade: facade.access_counts(*DAY),
            "caller from CommunityMSP (community) may not call CountAccesses; allowed: regulator",
        ),
        (
            Caller("UtilityMSP", "x", None, None),
            lambda facade: facade.submit_bundles([]),
            "caller without a role may not call SubmitReadings; allowed: meter",
        ),
    ],
)
def test_the_role_table_refuses_before_any_network_call(caller, action, message):
    facade, recorder = ledger(caller)
    with pytest.raises(Forbidden) as refused:
        action(facade)
    assert refused.value.reason == message
    assert recorder.calls == []


def test_without_a_community_only_consortium_calls_can_be_made():
    facade, recorder = ledger(OPERATOR, community=None)

    facade.members()
    with pytest.raises(ValueError) as caught:
        facade.clear_interval("2026-03-01T12:00:00Z")

    assert str(caught.value) == "MarketContract is a community's: name the community"
    assert [call[:2] for call in recorder.calls] == [("evaluate", "consortium")]


def test_community_calls_go_to_the_community_channel_and_consortium_calls_to_consortium():
    facade, recorder = ledger(OPERATOR)
    assert facade.clear_interval("2026-03-01T12:00:00Z") == {"ok": True}
    facade.members()
    assert recorder.calls[0][:5] == (
        "submit",
        "community-sunnyside",
        "community",
        "MarketContract",
        "ClearInterval",
    )
    assert recorder.calls[1][:5] == (
        "evaluate",
        "consortium",
        "consortium",
        "MemberContract",
        "ListMembers",
    )


def test_private_inputs_travel_in_the_transient_map_and_private_reads_go_to_their_holders():
    household, recorder = ledger(HOUSEHOLD)
    household.place_order({"order_id": "o-1", "side": "bid"})
    household.readings("h-001", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")
    order_call, read_call = recorder.calls
    assert order_call[5] == () and json.loads(order_call[6]["order"]) == {
        "order_id": "o-1",
        "side": "bid",
    }
    assert read_call[7] == ["CommunityMSP"]

    operator, recorder = ledger(OPERATOR)
    operator.readings("h-001", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")
    operator.register_meter("m-1", "h-001", "F-1", "pem", {"name": "A"})
    assert recorder.calls[1][7] == ["UtilityMSP"]
    assert json.loads(recorder.calls[2][6]["household"]) == {"name": "A"}


def test_a_household_reads_its_own_data_without_recording_it():
    household, recorder = ledger(HOUSEHOLD)
    household.readings("h-001", *DAY)
    household.disclosure("m-001", DAY[0])
    household.invoice("h-001", "2026-03-01", "2026-03-02")
    assert [(c[0], c[4], c[6]) for c in recorder.calls] == [
        ("evaluate", "GetReadings", None),
        ("evaluate", "DiscloseReading", None),
        ("evaluate", "GetInvoice", None),
    ]


@pytest.mark.parametrize(
    ("caller", "read", "recorded"),
    [
        (
            OPERATOR,
            lambda facade: facade.readings("h-001", *DAY),
            ("readings", "h-001", *DAY),
        ),
        (
            ADVISOR,
            lambda facade: facade.readings("h-001", *DAY),
            ("readings", "h-001", *DAY),
        ),
        (
            BILLING,
            lambda facade: facade.invoice("h-001", "2026-03-01", "2026-03-02"),
            ("invoice", "h-001", *DAY),
        ),
        (
            OPERATOR,
            lambda facade: facade.disclosure("m-001", "2026-03-01T10:00:00Z"),
            ("disclosure", "m-001", "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"),
        ),
        (
            ADVISOR,
            lambda facade: facade.disclosure("m-001", "2026-03-01T23:45:00Z"),
            ("disclosure", "m-001", "2026-03-01T23:45:00Z", "2026-03-02T00:00:00Z"),
        ),
        (
            ADVISOR,
            lambda facade: facade.disclosure("m-001", "2026-03-01T10:10:00Z"),
            ("disclosure", "m-001", "2026-03-01T10:10:00Z", "2026-03-01T10:15:00Z"),
        ),
    ],
    ids=[
        "operator-readings",
        "third-party-readings",
        "billing-invoice",
        "disclosure-hour",
        "disclosure-quarter",
        "disclosure-five",
    ],
)
def test_anyone_else_records_the_access_then_reads_with_its_id(caller, read, recorded):
    facade, recorder = ledger(caller)
    assert read(facade) == {"ok": True}
    record, reading = recorder.calls
    assert (record[0], record[3], record[4], record[5]) == (
        "submit",
        "AccessContract",
        "RecordAccess",
        recorded,
    )
    assert (reading[0], reading[6]) == ("evaluate", {"access": b"tx-record"})


def test_the_household_lists_its_accesses_and_the_regulator_counts_them():
    household, recorder = ledger(HOUSEHOLD)
    household.accesses("h-001", *DAY)
    assert recorder.calls[0][:6] == (
        "evaluate",
        "community-sunnyside",
        "community",
        "AccessContract",
        "ListAccesses",
        ("h-001", *DAY),
    )
    assert recorder.calls[0][7] == ["CommunityMSP"]
    regulator, recorder = ledger(AUDITOR)
    regulator.access_counts(*DAY)
    assert recorder.calls[0][4:6] == ("CountAccesses", DAY)


def test_bundles_travel_as_signed_in_the_transient_map_and_the_gateway_plans_endorsement():
    facade, recorder = ledger(Caller("UtilityMSP", "headend1", "meter", None))
    bundles = [SignedBundle(b'{"exact": "bytes"}', b"sig"), SignedBundle(b"\x00\xff", b"s2")]
    facade.submit_bundles(bundles)
    sent = recorder.calls[0][6]
    assert set(sent) == {"bundles"}
    assert SignedBundle.list_from_wire(json.loads(sent["bundles"])) == bundles
    assert recorder.calls[0][7] is None


def chaincode_transactions(chaincode):
    async def metadata():
        class Stub:
            def get_function_and_parameters(self):
                return "org.hyperledger.fabric:get_metadata", []

            def get_args(self):
                return []

        return await chaincode.invoke(Stub())

    data = json.loads(asyncio.run(metadata()).payload)
    return {
        tx["name"]
        for name, contract in data["contracts"].items()
        if name != "org.hyperledger.fabric"
        for tx in contract["transactions"]
    }


def test_the_facade_reaches_every_transaction_and_each_has_a_rule():
    every = chaincode_transactions(community_chaincode()) | chaincode_transactions(
        consortium_chaincode()
    )
    assert every == set(CONTRACTS)
    assert set(CONTRACTS) <= set(RULES)


def test_a_caller_is_read_from_its_certificate_attributes():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "household9")])
    attrs = {"attrs": {"role": "household", "household_id": "h-009", "hf.Type": "client"}}
    pem = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC))
        .add_extension(
            x509.UnrecognizedExtension(
                x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1"), json.dumps(attrs).encode()
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )
    assert Caller.from_certificate("CommunityMSP", pem) == Caller(
        "CommunityMSP", "household9", "household", "h-009"
    )
