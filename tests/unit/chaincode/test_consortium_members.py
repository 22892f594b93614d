"""MemberContract through the real Contract API dispatcher over an in-memory ledger."""

import asyncio
import json

import pytest
from ccfakes import FakeLedger, FakeStub, identity

from chaincode.consortium import build_chaincode
from chaincode.runtime.errors import LAST_ERROR

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
        b'"registered_at":"2026-03-01T09:31:00Z","registered_by":"alice","status":"active",'
        b'"tx_id":"tx-1"}'
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
        "RecordOnboarding": "SUBMIT",
        "RecordRemoval": "SUBMIT",
        "RegisterMember": "SUBMIT",
        "UpdateMember": "SUBMIT",
    }
    # ctx is annotated as TransactionContext, so it is not counted as an argument
    assert len(transactions["RegisterMember"]["parameters"]) == 3
    assert len(transactions["RecordOnboarding"]["parameters"]) == 4
    assert len(transactions["RecordRemoval"]["parameters"]) == 2


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


# -- membership changes decided by a channel config update ------------------------------------

ONBOARD = "MemberContract:RecordOnboarding"
REMOVE = "MemberContract:RecordRemoval"
NORTHSIDE_ADMIN = identity("NorthsideMSP", "admin", cn="nina")
ONBOARDING = {
    "change_id": "onboard-northside-1",
    "channel": "consortium",
    "config_block": 7,
    "proposed_by": "UtilityMSP",
    "proposed_at": "2026-11-21T10:00:00+00:00",
    "signatures": [
        {"msp_id": "UtilityMSP", "signed_at": "2026-11-21T10:05:00+00:00"},
        {"msp_id": "RegulatorMSP", "signed_at": "2026-11-21T10:07:30.250Z"},
    ],
    "submitted_by": "UtilityMSP",
    "submitted_at": "2026-11-21T10:10:00Z",
    "community_channel": "community-northside",
}
REMOVAL = {
    "change_id": "remove-northside-1",
    "channels": ["consortium", "community-northside"],
    "config_blocks": {"consortium": 12, "community-northside": 4},
    "proposed_by": "RegulatorMSP",
    "proposed_at": "2027-02-01T08:00:00+00:00",
    "signatures": [
        {"msp_id": "RegulatorMSP", "signed_at": "2027-02-01T08:01:00+00:00"},
        {"msp_id": "UtilityMSP", "signed_at": "2027-02-01T08:02:00+00:00"},
    ],
    "submitted_by": "UtilityMSP",
    "submitted_at": "2027-02-01T08:03:00+00:00",
    "revoked_identities": ["admin@northside", "household1"],
    "crl_block": 13,
}


def as_json(record, **changes):
    return json.dumps({**record, **changes})


def without(record, field):
    return json.dumps({name: value for name, value in record.items() if name != field})


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def call(ledger, cc, creator, function, *args):
    """Invoke, with the status the server's handler answers (400, 403, 404, 409, ...)."""

    async def run():
        LAST_ERROR.set(None)
        result = await ledger.invoke(cc, creator, function, *args)
        error = LAST_ERROR.get()
        if result.status == 500 and error is not None and str(error) == result.message:
            result.status = error.status
        return result

    return asyncio.run(run())


def onboard(ledger, cc, creator=UTILITY_ADMIN, msp_id="NorthsideMSP", record=None, **values):
    name, kind = values.get("name", "Northside Energy"), values.get("kind", "community")
    record = as_json(ONBOARDING) if record is None else record
    return call(ledger, cc, creator, ONBOARD, msp_id, name, kind, record)


def remove(ledger, cc, creator=UTILITY_ADMIN, msp_id="NorthsideMSP", record=None):
    record = as_json(REMOVAL) if record is None else record
    return call(ledger, cc, creator, REMOVE, msp_id, record)


def consortium(cc):
    """A ledger where the utility (tx-1), the regulator (tx-2) and a community (tx-3) are in."""
    ledger = FakeLedger()
    register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")
    register(ledger, cc, REGULATOR_ADMIN, "RegulatorMSP", "Energy Regulator", "regulator")
    register(ledger, cc, COMMUNITY_ADMIN, "CommunityMSP", "Sunnyside", "community")
    return ledger


def stored(ledger, msp_id):
    return json.loads(ledger.state[f"member~{msp_id}"])


def test_onboarding_stores_the_record_of_the_config_update_and_emits_an_event(cc):
    ledger = consortium(cc)

    result = onboard(ledger, cc)

    assert (result.status, result.message) == (200, "")
    expected = {
        "msp_id": "NorthsideMSP",
        "name": "Northside Energy",
        "kind": "community",
        "status": "active",
        "registered_at": "2026-03-01T09:34:00Z",
        "registered_by": "alice",
        "recorded_by_msp": "UtilityMSP",
        "tx_id": "tx-4",
        "onboarding": ONBOARDING,
    }
    assert result.payload == canonical(expected)
    assert result.stub.writes == {"member~NorthsideMSP": result.payload}
    assert ledger.state["member~NorthsideMSP"] == result.payload
    assert ledger.events[-1] == ("MemberOnboarded", result.payload)


def test_onboarding_without_a_community_channel_stores_null(cc):
    ledger = consortium(cc)

    result = onboard(
        ledger,
        cc,
        msp_id="AuditMSP",
        kind="regulator",
        record=as_json(ONBOARDING, community_channel=None),
    )

    assert result.status == 200, result.message
    assert stored(ledger, "AuditMSP")["onboarding"]["community_channel"] is None


def test_an_onboarded_org_reads_and_acts_as_a_member(cc):
    ledger = consortium(cc)
    onboard(ledger, cc)

    got = call(ledger, cc, REGULATOR_ADMIN, "MemberContract:GetMember", "NorthsideMSP")
    renamed = call(ledger, cc, NORTHSIDE_ADMIN, UPDATE, "NorthsideMSP", "Northside Co-op")
    vouches = onboard(ledger, cc, NORTHSIDE_ADMIN, msp_id="EastsideMSP", name="Eastside")

    assert got.json()["onboarding"] == ONBOARDING
    assert (renamed.status, renamed.json()["name"]) == (200, "Northside Co-op")
    assert renamed.json()["onboarding"] == ONBOARDING
    assert (vouches.status, vouches.json()["recorded_by_msp"]) == (200, "NorthsideMSP")


def test_onboarding_retry_returns_the_record_without_writing_or_emitting(cc):
    ledger = consortium(cc)
    first = onboard(ledger, cc)
    events = list(ledger.events)

    retry = onboard(ledger, cc, REGULATOR_ADMIN)

    assert (retry.status, retry.payload) == (200, first.payload)
    assert retry.stub.writes == {}
    assert retry.stub.events == []
    assert ledger.events == events


def test_registering_an_onboarded_org_with_its_own_values_is_a_retry(cc):
    ledger = consortium(cc)
    first = onboard(ledger, cc)

    again = register(ledger, cc, NORTHSIDE_ADMIN, "NorthsideMSP", "Northside Energy", "community")

    assert (again.status, again.payload) == (200, first.payload)
    assert again.stub.writes == {}


@pytest.mark.parametrize(
    ("msp_id", "values", "record"),
    [
        ("NorthsideMSP", {"name": "Northside Co-op"}, as_json(ONBOARDING)),
        ("NorthsideMSP", {"kind": "utility"}, as_json(ONBOARDING)),
        ("NorthsideMSP", {}, as_json(ONBOARDING, config_block=8)),
        ("NorthsideMSP", {}, as_json(ONBOARDING, submitted_at="2026-11-21T10:10:00+00:00")),
        ("CommunityMSP", {"name": "Sunnyside"}, as_json(ONBOARDING)),  # registered itself
    ],
)
def test_onboarding_an_org_already_in_with_other_values_conflicts(cc, msp_id, values, record):
    ledger = consortium(cc)
    onboard(ledger, cc)
    before = dict(ledger.state)

    result = onboard(ledger, cc, msp_id=msp_id, record=record, **values)

    assert (result.status, result.message) == (409, f"member {msp_id} is already registered")
    assert ledger.state == before


@pytest.mark.parametrize(
    ("change", "creator", "message"),
    [
        (
            "onboarding",
            identity("EastsideMSP", "admin"),
            "caller org EastsideMSP is not a registered member",
        ),
        (
            "removal",
            identity("EastsideMSP", "admin"),
            "caller org EastsideMSP is not a registered member",
        ),
        ("onboarding", COMMUNITY_ADMIN, "caller org CommunityMSP was removed from the consortium"),
        ("removal", COMMUNITY_ADMIN, "caller org CommunityMSP was removed from the consortium"),
        (
            "onboarding",
            identity("UtilityMSP", "operator"),
            "caller role 'operator' may not call RecordOnboarding; allowed: admin",
        ),
        (
            "removal",
            identity("RegulatorMSP", "regulator"),
            "caller role 'regulator' may not call RecordRemoval; allowed: admin",
        ),
        (
            "removal",
            identity("UtilityMSP", None),
            "caller without a role may not call RecordRemoval; allowed: admin",
        ),
    ],
)
def test_only_admins_of_active_members_record_changes(cc, change, creator, message):
    ledger = consortium(cc)
    onboard(ledger, cc)
    remove(ledger, cc, msp_id="CommunityMSP")
    before, events = dict(ledger.state), list(ledger.events)

    if change == "onboarding":
        result = onboard(ledger, cc, creator, msp_id="WestsideMSP", name="Westside")
    else:
        result = remove(ledger, cc, creator)

    assert (result.status, result.message) == (403, message)
    assert (ledger.state, ledger.events) == (before, events)


@pytest.mark.parametrize(
    ("change", "creator", "msp_id"),
    [
        ("onboarding", NORTHSIDE_ADMIN, "NorthsideMSP"),  # not in yet: still its own
        ("onboarding", UTILITY_ADMIN, "UtilityMSP"),
        ("removal", UTILITY_ADMIN, "UtilityMSP"),
        ("removal", NORTHSIDE_ADMIN, "NorthsideMSP"),
    ],
)
def test_an_org_never_records_its_own_change(cc, change, creator, msp_id):
    ledger = consortium(cc)
    if change == "removal":
        onboard(ledger, cc)
    before = dict(ledger.state)

    if change == "onboarding":
        result = onboard(ledger, cc, creator, msp_id=msp_id)
    else:
        result = remove(ledger, cc, creator, msp_id=msp_id)

    assert (result.status, result.message) == (400, f"an org may not record its own {change}")
    assert ledger.state == before


@pytest.mark.parametrize(
    ("msp_id", "name", "kind", "message"),
    [
        ("1MSP", "Northside", "community", f"msp id '1MSP' {MSP_RULE}"),
        ("NorthsideMSP", " Northside", "community", NAME_EDGES),
        ("NorthsideMSP", "", "community", "member name must not be empty"),
        ("NorthsideMSP", "Northside", "coop", f"member kind 'coop' {KIND_RULE}"),
    ],
)
def test_onboarding_arguments_are_validated_like_registration(cc, msp_id, name, kind, message):
    ledger = consortium(cc)
    before = dict(ledger.state)

    result = onboard(ledger, cc, msp_id=msp_id, name=name, kind=kind)

    assert (result.status, result.message) == (400, message)
    assert ledger.state == before


CHANGE_RULE = (
    "is invalid: use 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
)
CHANNEL_RULE = (
    "is not a channel name: use 1-249 lowercase letters, digits, '.' or '-', starting with a letter"
)
INT_RULE = "must be an integer of at least 1"
TIME_RULE = "must be an ISO-8601 time like 2026-11-21T10:00:00+00:00"
NAIVE = "has no time zone: write it in UTC with Z or +00:00"
OB = "onboarding record"
SIGNED = ONBOARDING["signatures"][0]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("change_id", "", f"{OB} change_id '' {CHANGE_RULE}"),
        ("change_id", "-onboard", f"{OB} change_id '-onboard' {CHANGE_RULE}"),
        ("change_id", "onboard northside", f"{OB} change_id 'onboard northside' {CHANGE_RULE}"),
        ("change_id", "c" * 129, f"{OB} change_id '{'c' * 129}' {CHANGE_RULE}"),
        ("change_id", 42, f"{OB} change_id '42' {CHANGE_RULE}"),
        ("channel", "Consortium", f"{OB} channel 'Consortium' {CHANNEL_RULE}"),
        ("channel", "1consortium", f"{OB} channel '1consortium' {CHANNEL_RULE}"),
        ("channel", "c" * 250, f"{OB} channel '{'c' * 250}' {CHANNEL_RULE}"),
        ("channel", "community_north", f"{OB} channel 'community_north' {CHANNEL_RULE}"),
        ("channel", None, f"{OB} channel 'None' {CHANNEL_RULE}"),
        ("config_block", 0, f"{OB} config_block {INT_RULE}"),
        ("config_block", -3, f"{OB} config_block {INT_RULE}"),
        ("config_block", True, f"{OB} config_block {INT_RULE}"),
        ("config_block", 7.0, f"{OB} config_block {INT_RULE}"),
        ("config_block", "7", f"{OB} config_block {INT_RULE}"),
        ("config_block", None, f"{OB} config_block {INT_RULE}"),
        ("proposed_by", "1MSP", f"{OB} proposed_by '1MSP' {MSP_RULE}"),
        ("proposed_by", "Utility MSP", f"{OB} proposed_by 'Utility MSP' {MSP_RULE}"),
        ("proposed_by", None, f"{OB} proposed_by 'None' {MSP_RULE}"),
        ("proposed_at", "2026-11-21T10:00:00", f"{OB} proposed_at 2026-11-21T10:00:00 {NAIVE}"),
        (
            "proposed_at",
            "2026-11-21T11:00:00+01:00",
            f"{OB} proposed_at 2026-11-21T11:00:00+01:00 is not in UTC: write it with Z or +00:00",
        ),
        (
            "proposed_at",
            "2026-02-30T10:00:00Z",
            f"{OB} proposed_at 2026-02-30T10:00:00Z is not a valid time",
        ),
        ("proposed_at", "2026-11-21", f"{OB} proposed_at {TIME_RULE}"),
        ("proposed_at", "20261121T100000Z", f"{OB} proposed_at {TIME_RULE}"),
        ("proposed_at", "2026-11-21 10:00:00Z", f"{OB} proposed_at {TIME_RULE}"),
        ("proposed_at", "yesterday", f"{OB} proposed_at {TIME_RULE}"),
        ("proposed_at", 1795255200, f"{OB} proposed_at {TIME_RULE}"),
        ("signatures", [], f"{OB} signatures must be a non-empty list"),
        ("signatures", "UtilityMSP", f"{OB} signatures must be a non-empty list"),
        ("signatures", None, f"{OB} signatures must be a non-empty list"),
        ("signatures", ["UtilityMSP"], f"{OB} signatures[0] must be a JSON object"),
        (
            "signatures",
            [{"msp_id": "UtilityMSP"}],
            f"{OB} signatures[0] is missing field 'signed_at'",
        ),
        (
            "signatures",
            [{**SIGNED, "signature": "MEUCIQ"}],
            f"{OB} signatures[0] has unknown field 'signature'",
        ),
        (
            "signatures",
            [SIGNED, {**SIGNED, "msp_id": "utility msp"}],
            f"{OB} signatures[1].msp_id 'utility msp' {MSP_RULE}",
        ),
        (
            "signatures",
            [{**SIGNED, "signed_at": "2026-11-21T10:05:00"}],
            f"{OB} signatures[0].signed_at 2026-11-21T10:05:00 {NAIVE}",
        ),
        (
            "signatures",
            [SIGNED, {**SIGNED, "signed_at": "2026-11-21T10:06:00Z"}],
            f"{OB} lists MSP UtilityMSP's signature twice",
        ),
        ("submitted_by", "", f"{OB} submitted_by '' {MSP_RULE}"),
        ("submitted_at", "2026-11-21T10:10", f"{OB} submitted_at {TIME_RULE}"),
        (
            "submitted_at",
            "2026-11-21T10:10:00-05:00",
            f"{OB} submitted_at 2026-11-21T10:10:00-05:00 is not in UTC: write it with Z or +00:00",
        ),
        ("community_channel", "Northside", f"{OB} community_channel 'Northside' {CHANNEL_RULE}"),
        ("community_channel", 5, f"{OB} community_channel '5' {CHANNEL_RULE}"),
    ],
)
def test_onboarding_record_fields_are_validated_with_exact_messages(cc, field, value, message):
    ledger = consortium(cc)
    before = dict(ledger.state)

    result = onboard(ledger, cc, record=as_json(ONBOARDING, **{field: value}))

    assert (result.status, result.message) == (400, message)
    assert ledger.state == before


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{not json", f"{OB} must be a JSON object"),
        ("", f"{OB} must be a JSON object"),
        ("[]", f"{OB} must be a JSON object"),
        ("null", f"{OB} must be a JSON object"),
        ('"onboard-northside-1"', f"{OB} must be a JSON object"),
        ("[" * 100_000 + "]" * 100_000, f"{OB} is nested too deeply"),
        ('{"config_block": NaN}', f"{OB} holds NaN: numbers must be finite"),
        ('{"config_block": 1e400}', f"{OB} holds 1e400: numbers must be finite"),
        (as_json(ONBOARDING, approved=True), f"{OB} has unknown field 'approved'"),
        *[(without(ONBOARDING, field), f"{OB} is missing field '{field}'") for field in ONBOARDING],
    ],
)
def test_onboarding_record_shape_is_validated(cc, record, message):
    ledger = consortium(cc)

    result = onboard(ledger, cc, record=record)

    assert (result.status, result.message) == (400, message)
    assert "member~NorthsideMSP" not in ledger.state


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("change_id", "c" * 128),
        ("change_id", "0x1f:channel.update_7-b"),
        ("channel", "c" * 249),
        ("config_block", 1),
        ("proposed_at", "2026-11-21T10:00:00.123456+00:00"),
        ("proposed_at", "2026-11-21T10:00:00-00:00"),
        ("signatures", [SIGNED]),
    ],
)
def test_onboarding_record_edges_that_are_accepted_are_stored_as_written(cc, field, value):
    ledger = consortium(cc)

    result = onboard(ledger, cc, record=as_json(ONBOARDING, **{field: value}))

    assert result.status == 200, result.message
    assert stored(ledger, "NorthsideMSP")["onboarding"][field] == value


def test_removal_marks_the_member_removed_and_keeps_its_record(cc):
    ledger = consortium(cc)
    onboarded = onboard(ledger, cc).json()

    result = remove(ledger, cc, REGULATOR_ADMIN)

    assert (result.status, result.message) == (200, "")
    expected = {
        **onboarded,
        "status": "removed",
        "removal": REMOVAL,
        "removed_at": "2026-03-01T09:35:00Z",
        "removed_by": "rita",
        "removed_by_msp": "RegulatorMSP",
        "tx_id": "tx-5",
    }
    assert result.payload == canonical(expected)
    assert result.stub.writes == {"member~NorthsideMSP": result.payload}
    assert ledger.events[-1] == ("MemberRemoved", result.payload)
    got = call(ledger, cc, UTILITY_ADMIN, "MemberContract:GetMember", "NorthsideMSP")
    assert got.payload == result.payload


def test_removal_of_a_self_registered_member_keeps_its_registration(cc):
    ledger = consortium(cc)
    registered = stored(ledger, "CommunityMSP")

    result = remove(ledger, cc, msp_id="CommunityMSP")

    assert result.status == 200, result.message
    record = result.json()
    assert {field: record[field] for field in registered if field not in ("status", "tx_id")} == {
        field: value for field, value in registered.items() if field not in ("status", "tx_id")
    }
    assert (record["status"], record["tx_id"], "onboarding" in record) == ("removed", "tx-4", False)


def test_removal_retry_returns_the_record_without_writing_or_emitting(cc):
    ledger = consortium(cc)
    onboard(ledger, cc)
    first = remove(ledger, cc)
    events = list(ledger.events)

    retry = remove(ledger, cc, REGULATOR_ADMIN)

    assert (retry.status, retry.payload) == (200, first.payload)
    assert retry.stub.writes == {}
    assert retry.stub.events == []
    assert ledger.events == events


def test_a_second_removal_with_another_record_conflicts(cc):
    ledger = consortium(cc)
    onboard(ledger, cc)
    remove(ledger, cc)
    before = dict(ledger.state)

    result = remove(ledger, cc, record=as_json(REMOVAL, crl_block=None))

    assert (result.status, result.message) == (409, "member NorthsideMSP was already removed")
    assert ledger.state == before


def test_removal_of_an_unregistered_org_is_not_found(cc):
    ledger = consortium(cc)
    before = dict(ledger.state)

    result = remove(ledger, cc)

    assert (result.status, result.message) == (404, "member NorthsideMSP is not registered")
    assert ledger.state == before


def test_removal_arguments_are_validated(cc):
    result = remove(consortium(cc), cc, msp_id="Northside MSP")

    assert (result.status, result.message) == (400, f"msp id 'Northside MSP' {MSP_RULE}")


@pytest.mark.parametrize(
    ("function", "args", "message"),
    [
        (
            ONBOARD,
            ("NorthsideMSP", "Northside Energy", "community", as_json(ONBOARDING)),
            "member NorthsideMSP was removed; admit it again under a new MSP id",
        ),
        (
            REGISTER,
            ("NorthsideMSP", "Northside Energy", "community"),
            "member NorthsideMSP was removed; admit it again under a new MSP id",
        ),
        (UPDATE, ("NorthsideMSP", "Northside Energy"), "member NorthsideMSP was removed"),
        (UPDATE, ("NorthsideMSP", "Northside Co-op"), "member NorthsideMSP was removed"),
    ],
)
def test_a_removed_msp_id_is_never_admitted_again(cc, function, args, message):
    ledger = consortium(cc)
    onboard(ledger, cc)
    remove(ledger, cc)
    before = dict(ledger.state)
    creator = UTILITY_ADMIN if function == ONBOARD else NORTHSIDE_ADMIN

    result = call(ledger, cc, creator, function, *args)

    assert (result.status, result.message) == (409, message)
    assert ledger.state == before


def test_a_returning_org_is_admitted_under_a_new_msp_id(cc):
    ledger = consortium(cc)
    onboard(ledger, cc)
    remove(ledger, cc)
    record = as_json(ONBOARDING, change_id="onboard-northside-2", config_block=20)

    result = onboard(ledger, cc, msp_id="Northside2MSP", record=record)

    assert (result.status, result.json()["status"]) == (200, "active")
    assert stored(ledger, "NorthsideMSP")["status"] == "removed"


RM = "removal record"
BOTH_BLOCKS = (
    f"{RM} config_blocks must map exactly the channels consortium, community-northside "
    "to their config blocks"
)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("change_id", "remove northside", f"{RM} change_id 'remove northside' {CHANGE_RULE}"),
        ("proposed_by", "9MSP", f"{RM} proposed_by '9MSP' {MSP_RULE}"),
        ("proposed_at", "2027-02-01T08:00:00", f"{RM} proposed_at 2027-02-01T08:00:00 {NAIVE}"),
        ("signatures", [], f"{RM} signatures must be a non-empty list"),
        ("signatures", [SIGNED, SIGNED], f"{RM} lists MSP UtilityMSP's signature twice"),
        ("submitted_by", None, f"{RM} submitted_by 'None' {MSP_RULE}"),
        ("submitted_at", "soon", f"{RM} submitted_at {TIME_RULE}"),
        ("channels", [], f"{RM} channels must be a non-empty list of channel names"),
        ("channels", "consortium", f"{RM} channels must be a non-empty list of channel names"),
        (
            "channels",
            ["consortium", "Community-Northside"],
            f"{RM} channels[1] 'Community-Northside' {CHANNEL_RULE}",
        ),
        (
            "channels",
            ["consortium", "community-northside", "consortium"],
            f"{RM} lists channel consortium twice",
        ),
        (
            "channels",
            ["consortium"],
            f"{RM} config_blocks must map exactly the channels consortium to their config blocks",
        ),
        (
            "config_blocks",
            {"consortium": 12},
            BOTH_BLOCKS,
        ),
        (
            "config_blocks",
            {"consortium": 12, "community-northside": 4, "community-eastside": 5},
            BOTH_BLOCKS,
        ),
        (
            "config_blocks",
            [12, 4],
            BOTH_BLOCKS,
        ),
        (
            "config_blocks",
            {"consortium": 12, "community-northside": 0},
            f"{RM} config_blocks[community-northside] {INT_RULE}",
        ),
        (
            "config_blocks",
            {"consortium": "12", "community-northside": 4},
            f"{RM} config_blocks[consortium] {INT_RULE}",
        ),
        ("revoked_identities", None, f"{RM} revoked_identities must be a list of enrollment ids"),
        (
            "revoked_identities",
            "household1",
            f"{RM} revoked_identities must be a list of enrollment ids",
        ),
        *[
            (
                "revoked_identities",
                ["household1", bad],
                f"{RM} revoked_identities[1] must be 1-255 characters without control characters "
                "or leading or trailing spaces",
            )
            for bad in ["", " ", " household2", "household2\n", "x" * 256, 7, None]
        ],
        (
            "revoked_identities",
            ["household1", "household2", "household1"],
            f"{RM} lists revoked identity household1 twice",
        ),
        ("crl_block", 0, f"{RM} crl_block {INT_RULE}"),
        ("crl_block", False, f"{RM} crl_block {INT_RULE}"),
        ("crl_block", "13", f"{RM} crl_block {INT_RULE}"),
    ],
)
def test_removal_record_fields_are_validated_with_exact_messages(cc, field, value, message):
    ledger = consortium(cc)
    onboard(ledger, cc)
    before = dict(ledger.state)

    result = remove(ledger, cc, record=as_json(REMOVAL, **{field: value}))

    assert (result.status, result.message) == (400, message)
    assert ledger.state == before


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{not json", f"{RM} must be a JSON object"),
        ("[1]", f"{RM} must be a JSON object"),
        ("[" * 100_000 + "]" * 100_000, f"{RM} is nested too deeply"),
        ('{"crl_block": Infinity}', f"{RM} holds Infinity: numbers must be finite"),
        (as_json(REMOVAL, reason="fraud"), f"{RM} has unknown field 'reason'"),
        *[(without(REMOVAL, field), f"{RM} is missing field '{field}'") for field in REMOVAL],
    ],
)
def test_removal_record_shape_is_validated(cc, record, message):
    ledger = consortium(cc)
    onboard(ledger, cc)
    before = dict(ledger.state)

    result = remove(ledger, cc, record=record)

    assert (result.status, result.message) == (400, message)
    assert ledger.state == before


def test_a_removal_revoking_nobody_without_a_crl_is_recorded(cc):
    ledger = consortium(cc)
    onboard(ledger, cc)
    record = {
        **REMOVAL,
        "channels": ["consortium"],
        "config_blocks": {"consortium": 12},
        "revoked_identities": [],
        "crl_block": None,
    }

    result = remove(ledger, cc, record=json.dumps(record))

    assert result.status == 200, result.message
    assert stored(ledger, "NorthsideMSP")["removal"] == record


OLD_UTILITY = {
    "kind": "utility",
    "msp_id": "UtilityMSP",
    "name": "Grid Utility",
    "registered_at": "2025-01-01T00:00:00Z",
    "registered_by": "alice",
    "tx_id": "tx-0",
}
OLD_COMMUNITY = {**OLD_UTILITY, "kind": "community", "msp_id": "CommunityMSP", "name": "Sunnyside"}


def old_ledger():
    """A ledger written before removals existed: its records have no status."""
    return FakeLedger(
        state={
            "member~UtilityMSP": canonical(OLD_UTILITY),
            "member~CommunityMSP": canonical(OLD_COMMUNITY),
        }
    )


def test_records_without_a_status_count_as_active(cc):
    ledger = old_ledger()

    got = call(ledger, cc, COMMUNITY_ADMIN, "MemberContract:GetMember", "UtilityMSP")
    listed = call(ledger, cc, COMMUNITY_ADMIN, "MemberContract:ListMembers")
    retry = register(ledger, cc, UTILITY_ADMIN, "UtilityMSP", "Grid Utility", "utility")
    renamed = call(ledger, cc, COMMUNITY_ADMIN, UPDATE, "CommunityMSP", "Sunnyside Co-op")
    vouches = onboard(ledger, cc, UTILITY_ADMIN)

    assert got.json() == {**OLD_UTILITY, "status": "active"}
    assert [m["status"] for m in listed.json()] == ["active", "active"]
    assert (retry.status, retry.payload, retry.stub.writes) == (200, canonical(OLD_UTILITY), {})
    assert renamed.status == 200, renamed.message
    assert vouches.status == 200, vouches.message


def test_a_member_without_a_status_can_be_removed(cc):
    ledger = old_ledger()

    result = remove(ledger, cc, msp_id="CommunityMSP")
    refused = onboard(ledger, cc, COMMUNITY_ADMIN)

    assert (result.status, result.json()["status"]) == (200, "removed")
    assert (refused.status, refused.message) == (
        403,
        "caller org CommunityMSP was removed from the consortium",
    )


def test_list_members_shows_removed_members_with_their_status(cc):
    ledger = consortium(cc)
    onboard(ledger, cc)
    remove(ledger, cc)

    result = call(ledger, cc, REGULATOR_ADMIN, "MemberContract:ListMembers")

    assert [(m["msp_id"], m["status"]) for m in result.json()] == [
        ("CommunityMSP", "active"),
        ("NorthsideMSP", "removed"),
        ("RegulatorMSP", "active"),
        ("UtilityMSP", "active"),
    ]


def test_a_member_record_that_is_not_an_object_is_a_state_error(cc):
    ledger = consortium(cc)
    ledger.state["member~UtilityMSP"] = b"[]"

    result = onboard(ledger, cc)

    assert (result.status, result.message) == (
        500,
        "state at key member~UtilityMSP is not a member record",
    )
