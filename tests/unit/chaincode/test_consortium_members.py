"""MemberContract through the real Contract API dispatcher over an in-memory ledger."""

import asyncio
import json

import pytest
from ccfakes import FakeLedger, FakeStub, identity

from chaincode.consortium import build_chaincode

UTILITY_ADMIN = identity("UtilityMSP", "admin", cn="alice")
COMMUNITY_ADMIN = identity("CommunityMSP", "admin", cn="carol")
REGULATOR_ADMIN = identity("RegulatorMSP", "admin", cn="rita")
REGISTER = "MemberContract:RegisterMember"


@pytest.fixture
def cc():
    return build_chaincode()


def invoke(ledger, cc, creator, function, *args):
    return asyncio.run(ledger.invoke(cc, creator, function, *args))


def register(ledger, cc, creator, msp_id, name, kind):
    return invoke(ledger, cc, creator, REGISTER, msp_id, name, kind)


def test_register_stores_the_record_and_emits_an_event(cc):
    ledger = FakeLedger()

    result = register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")

    assert (result.status, result.message) == (200, "")
    expected = (
        b'{"kind":"utility","msp_id":"UtilityMSP","name":"Grid Utility",'
        b'"registered_at":"2026-03-01T09:31:00Z","registered_by":"alice","tx_id":"tx-1"}'
    )
    assert result.payload == expected
    assert ledger.state == {"member~UtilityMSP": expected}
    assert ledger.events == [("MemberRegistered", expected)]


def test_retry_with_the_same_values_returns_the_existing_record_without_writing(cc):
    ledger = FakeLedger()
    first = register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")
    other_admin = identity("UtilityMSP", "admin", cn="bob")

    retry = register(ledger, cc, other_admin, "UtilityMSP", "Grid Utility", "utility")

    assert (retry.status, retry.payload) == (200, first.payload)
    assert retry.stub.writes == {}
    assert retry.stub.events == []


@pytest.mark.parametrize(
    ("name", "kind"), [("Other Utility", "utility"), ("Grid Utility", "community")]
)
def test_re_registering_with_different_values_is_refused(cc, name, kind):
    ledger = FakeLedger()
    register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")
    before = dict(ledger.state)

    result = register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", name, kind)

    assert (result.status, result.message) == (500, "member UtilityMSP is already registered")
    assert ledger.state == before


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("household", "caller role 'household' may not call RegisterMember; allowed: admin"),
        ("meter", "caller role 'meter' may not call RegisterMember; allowed: admin"),
        ("operator", "caller role 'operator' may not call RegisterMember; allowed: admin"),
        ("billing", "caller role 'billing' may not call RegisterMember; allowed: admin"),
        ("regulator", "caller role 'regulator' may not call RegisterMember; allowed: admin"),
        (None, "caller without a role may not call RegisterMember; allowed: admin"),
    ],
)
def test_only_admins_may_register(cc, role, message):
    ledger = FakeLedger()

    result = register(
        ledger, cc, identity("UtilityMSP", role), "UtilityMSP", "Grid Utility", "utility"
    )

    assert (result.status, result.message) == (500, message)
    assert ledger.state == {}


def test_an_org_may_not_register_another_org(cc):
    ledger = FakeLedger()

    result = register(ledger, cc, COMMUNITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")

    assert (result.status, result.message) == (
        500,
        "caller from CommunityMSP may not act for UtilityMSP",
    )
    assert ledger.state == {}


MSP_RULE = "is invalid: use 1-64 letters, digits, '.' or '-', starting with a letter"
NAME_EDGES = "member name must not have leading or trailing spaces or control characters"
KIND_RULE = "is not one of: community, regulator, utility"


@pytest.mark.parametrize(
    ("msp_id", "name", "kind", "message"),
    [
        ("", "Grid", "utility", f"msp id '' {MSP_RULE}"),
        ("1MSP", "Grid", "utility", f"msp id '1MSP' {MSP_RULE}"),
        ("Utility MSP", "Grid", "utility", f"msp id 'Utility MSP' {MSP_RULE}"),
        ("U" * 65, "Grid", "utility", f"msp id '{'U' * 65}' {MSP_RULE}"),
        ("UtilityMSP", "  ", "utility", "member name must not be empty"),
        ("UtilityMSP", "G" * 129, "utility", "member name must be at most 128 characters"),
        ("UtilityMSP", " Grid", "utility", NAME_EDGES),
        ("UtilityMSP", "Grid\nUtility", "utility", NAME_EDGES),
        ("UtilityMSP", "Grid", "bank", f"member kind 'bank' {KIND_RULE}"),
        ("UtilityMSP", "Grid", "Utility", f"member kind 'Utility' {KIND_RULE}"),
    ],
)
def test_arguments_are_validated_with_exact_messages(cc, msp_id, name, kind, message):
    ledger = FakeLedger()

    result = register(ledger, cc, UTILITY_ADMIN, msp_id, name, kind)

    assert (result.status, result.message) == (500, message)
    assert ledger.state == {}


def test_get_member_returns_the_record(cc):
    ledger = FakeLedger()
    registered = register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")

    result = invoke(ledger, cc, REGULATOR_ADMIN, "MemberContract:GetMember", "UtilityMSP")

    assert (result.status, result.payload) == (200, registered.payload)
    assert result.stub.writes == {}


def test_get_member_of_an_unregistered_org(cc):
    result = invoke(FakeLedger(), cc, UTILITY_ADMIN, "MemberContract:GetMember", "RegulatorMSP")

    assert (result.status, result.message) == (500, "member RegulatorMSP is not registered")


def test_get_member_with_a_corrupt_record_is_an_error_not_none(cc):
    ledger = FakeLedger(state={"member~UtilityMSP": b"{not json"})

    result = invoke(ledger, cc, UTILITY_ADMIN, "MemberContract:GetMember", "UtilityMSP")

    assert (result.status, result.message) == (
        500,
        "state at key member~UtilityMSP is not valid json",
    )


def test_list_members_is_sorted_by_msp_id(cc):
    ledger = FakeLedger()
    assert invoke(ledger, cc, UTILITY_ADMIN, "MemberContract:ListMembers").json() == []
    register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")
    register(ledger, cc, REGULATOR_ADMIN, "RegulatorMSP", "Energy Regulator", "regulator")
    register(ledger, cc, COMMUNITY_ADMIN, "CommunityMSP", "Sunnyside", "community")
    ledger.state["memberz"] = b"not a member"  # just past the member~ range

    result = invoke(ledger, cc, UTILITY_ADMIN, "MemberContract:ListMembers")

    assert result.status == 200
    members = result.json()
    assert [m["msp_id"] for m in members] == ["CommunityMSP", "RegulatorMSP", "UtilityMSP"]
    assert [m["kind"] for m in members] == ["community", "regulator", "utility"]


def test_default_contract_accepts_unprefixed_names(cc):
    result = register(FakeLedger(), cc, UTILITY_ADMIN, "UtilityMSP", "Grid", "utility")
    plain = invoke(
        FakeLedger(), cc, UTILITY_ADMIN, "RegisterMember", "UtilityMSP", "Grid", "utility"
    )

    assert plain.status == result.status == 200


def test_metadata_declares_read_only_transactions_as_evaluate(cc):
    # the shim names it get_metadata; Fabric's usual "GetMetadata" is not found (shim defect)
    stub = FakeStub({}, "org.hyperledger.fabric:get_metadata")

    response = asyncio.run(cc.invoke(stub))

    contract = json.loads(response.payload)["contracts"]["MemberContract"]
    transactions = {tx["name"]: tx for tx in contract["transactions"]}
    assert {name: tx["tag"][-1] for name, tx in transactions.items()} == {
        "GetMember": "EVALUATE",
        "ListMembers": "EVALUATE",
        "RegisterMember": "SUBMIT",
        "UpdateMember": "SUBMIT",
    }
    # ctx is annotated as TransactionContext, so it is not counted as an argument
    assert len(transactions["RegisterMember"]["parameters"]) == 3


UPDATE = "MemberContract:UpdateMember"


def test_update_renames_the_callers_org_and_records_who_and_when(cc):
    ledger = FakeLedger()
    register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")

    result = invoke(ledger, cc, UTILITY_ADMIN, UPDATE, "UtilityMSP", "GridCo")

    assert result.status == 200, result.message
    record = json.loads(result.payload)
    assert (record["name"], record["kind"], record["registered_by"]) == (
        "GridCo",
        "utility",
        "alice",
    )
    assert (record["updated_by"], record["tx_id"]) == ("alice", "tx-2")
    assert ledger.state["member~UtilityMSP"] == result.payload
    assert ledger.events[-1] == ("MemberUpdated", result.payload)


def test_update_with_the_current_name_writes_nothing(cc):
    ledger = FakeLedger()
    first = register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")

    again = invoke(ledger, cc, UTILITY_ADMIN, UPDATE, "UtilityMSP", "Grid Utility")

    assert (again.status, again.payload) == (200, first.payload)
    assert again.stub.writes == {}


@pytest.mark.parametrize(
    ("creator", "msp_id", "message"),
    [
        (COMMUNITY_ADMIN, "UtilityMSP", "CommunityMSP may not act for UtilityMSP"),
        (UTILITY_ADMIN, "UtilityMSP", "member UtilityMSP is not registered"),
        (identity("UtilityMSP", "operator"), "UtilityMSP", "caller role 'operator'"),
    ],
)
def test_update_refusals(cc, creator, msp_id, message):
    ledger = FakeLedger()
    result = invoke(ledger, cc, creator, UPDATE, msp_id, "GridCo")
    assert result.status == 500
    assert message in result.message
    assert ledger.state == {}
