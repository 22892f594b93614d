"""Config update documents and their store (`gridspec/updates.py`), and the registry records.

Proposals, signatures and receipts are the files admins pass between homes, so each is
read back exactly and refused with an exact message when broken. The records made from
them must be what the member registry's chaincode accepts: they are parsed here with the
chaincode's own parser.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from chaincode.consortium.membership_records import OnboardingRecord, RemovalRecord
from gridspec.updates import (
    KINDS,
    Need,
    UpdateError,
    UpdateProposal,
    UpdateReceipt,
    UpdateSignature,
    UpdateStore,
    new_update_id,
    now,
    onboarding_record,
    removal_record,
)

UPDATE_ID = "20261206T101500Z-consortium-admission-1a2b3c"
APP_ADMINS = "/Channel/Application/Admins"
ORDERER_ADMINS = "/Channel/Orderer/Admins"
FOUNDERS = ("CommunityMSP", "RegulatorMSP", "UtilityMSP")
ADMIT = Need(APP_ADMINS, "MAJORITY Admins", FOUNDERS, 2)
ORDER = Need(ORDERER_ADMINS, "MAJORITY Admins", ("RegulatorMSP", "UtilityMSP"), 2)
RIVER = {"format": "gridledger/org-bundle/1", "key": "river", "kind": "community"}

PROPOSAL = UpdateProposal(
    id=UPDATE_ID,
    channel="consortium",
    kind="admission",
    subject="RiverMSP",
    description="admit RiverMSP (River Energy Cooperative)",
    proposed_by="UtilityMSP",
    proposed_at="2026-12-06T10:15:00+00:00",
    base_block=4,
    needs=(ADMIT,),
    changes=("added group /Channel/Application/RiverMSP",),
    envelope=b"\x0a\x02update\x00\xff",
    bundle=RIVER,
)
SIGNATURE = UpdateSignature(
    UPDATE_ID, "consortium", "CommunityMSP", "2026-12-06T10:20:00+00:00", b"\x30\x45sig"
)
RECEIPT = UpdateReceipt(
    update_id=UPDATE_ID,
    channel="consortium",
    block=5,
    submitted_by="UtilityMSP",
    submitted_at="2026-12-06T10:30:00+00:00",
    signatures=(
        ("CommunityMSP", "2026-12-06T10:20:00+00:00"),
        ("UtilityMSP", "2026-12-06T10:30:00+00:00"),
    ),
    registry_tx_id="",
)
DOCUMENTS = {"proposal": PROPOSAL, "signature": SIGNATURE, "receipt": RECEIPT}


@pytest.fixture
def umask_022() -> Iterator[None]:
    """A umask that would leave files world-readable unless written 0600 on purpose."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Any) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------- the documents


def test_a_proposal_is_written_with_its_format_and_base64_envelope():
    document = PROPOSAL.to_json()

    assert document["format"] == "gridledger/config-update/1"
    assert document["envelope"] == base64.b64encode(PROPOSAL.envelope).decode()
    assert document["needs"] == [
        {"policy": APP_ADMINS, "rule": "MAJORITY Admins", "orgs": list(FOUNDERS), "needed": 2}
    ]
    assert SIGNATURE.to_json()["format"] == "gridledger/config-signature/1"
    assert RECEIPT.to_json()["signatures"] == [
        {"msp_id": "CommunityMSP", "signed_at": "2026-12-06T10:20:00+00:00"},
        {"msp_id": "UtilityMSP", "signed_at": "2026-12-06T10:30:00+00:00"},
    ]


@pytest.mark.parametrize("what", DOCUMENTS)
def test_each_document_round_trips_through_json_text(what):
    original = DOCUMENTS[what]

    loaded = type(original).from_json(json.loads(json.dumps(original.to_json())))

    assert loaded == original


def test_a_proposal_without_a_bundle_and_with_an_empty_subject_round_trips():
    proposal = replace(PROPOSAL, kind="batch-timeout", subject="", bundle=None, needs=(ORDER,))

    assert UpdateProposal.from_json(proposal.to_json()) == proposal


def changed(what: str, path: str, value: Any) -> dict[str, Any]:
    """The JSON form of DOCUMENTS[what] with one field set (`...` deletes it)."""
    doc = copy.deepcopy(DOCUMENTS[what].to_json())
    *parents, leaf = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(leaf) if isinstance(node, list) else leaf
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return doc


ID = "must be a config update id like 20261206T101500Z-consortium-admission-1a2b3c"
TEXT = "must be a string of at most 2000 characters"
NUMBER = "must be a whole number"
KINDS_TEXT = "admission, removal, revocation-list, anchor-peers, batch-timeout"
P, S, R = "proposal", "signature", "receipt"
PROPOSED, SIGNED = "gridledger/config-update/1", "gridledger/config-signature/1"
OBJECTS = "objects with msp_id and signed_at"
BROKEN = {  # (document, field path, value or ... to delete it, message)
    "p-format": (P, "format", "x/2", f"proposal format must be {PROPOSED!r}, not 'x/2'"),
    "p-id-traversal": (P, "id", "../x", f"id {ID}"),
    "p-id-missing": (P, "id", ..., f"id {ID}"),
    "p-kind": (P, "kind", "coup", f"proposal kind 'coup' must be one of {KINDS_TEXT}"),
    "p-channel-empty": (P, "channel", "", f"proposal channel {TEXT}"),
    "p-description-long": (P, "description", "x" * 2001, f"proposal description {TEXT}"),
    "p-subject-number": (P, "subject", 3, f"proposal subject {TEXT}"),
    "p-base-block-negative": (P, "base_block", -1, f"proposal base_block {NUMBER}"),
    "p-base-block-bool": (P, "base_block", True, f"proposal base_block {NUMBER}"),
    "p-needs-object": (P, "needs", {}, "proposal needs must be a list"),
    "p-need-orgs": (P, "needs.0.orgs", ["A", "../M"], "proposal needs[0].orgs must be MSP ids"),
    "p-need-needed": (P, "needs.0.needed", "2", f"proposal needs[0] needed {NUMBER}"),
    "p-need-policy": (P, "needs.0.policy", ..., f"proposal needs[0] policy {TEXT}"),
    "p-changes": (P, "changes", ["added", 1], "proposal changes must be a list of strings"),
    "p-envelope-text": (P, "envelope", "not base64!", "proposal envelope is not valid base64"),
    "p-envelope-number": (P, "envelope", 12, "proposal envelope must be base64 text"),
    "p-bundle-list": (P, "bundle", [RIVER], "proposal bundle must be an org bundle object or null"),
    "s-format": (S, "format", None, f"signature format must be {SIGNED!r}, not 'None'"),
    "s-msp-id": (S, "msp_id", "../../U", "signature msp_id '../../U' is not an MSP id"),
    "s-update-id": (S, "update_id", "x", f"update_id {ID}"),
    "s-bytes": (S, "signature", "@@@", "signature signature is not valid base64"),
    "r-block": (R, "block", "5", f"receipt block {NUMBER}"),
    "r-signatures": (R, "signatures", None, "receipt signatures must be a list"),
    "r-signature-text": (R, "signatures.0", "U", f"receipt signatures must be {OBJECTS}"),
    "r-signed-at": (R, "signatures.1.signed_at", ..., f"receipt signed_at {TEXT}"),
    "r-registry-tx": (R, "registry_tx_id", ..., f"receipt registry_tx_id {TEXT}"),
}


@pytest.mark.parametrize(("what", "path", "value", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_document_is_refused_naming_what_is_wrong(what, path, value, message):
    with pytest.raises(UpdateError) as caught:
        type(DOCUMENTS[what]).from_json(changed(what, path, value))
    assert str(caught.value) == message


@pytest.mark.parametrize("what", DOCUMENTS)
@pytest.mark.parametrize("value", [[], "text", None], ids=["list", "text", "null"])
def test_a_document_that_is_no_object_is_refused(what, value):
    with pytest.raises(UpdateError) as caught:
        type(DOCUMENTS[what]).from_json(value)
    assert str(caught.value) == f"a {what} must be a JSON object"


# ---------------------------------------------------------------- who still has to sign


@pytest.mark.parametrize(
    ("signers", "missing"),
    [
        ((), 2),
        (("UtilityMSP",), 1),
        (("UtilityMSP", "UtilityMSP"), 1),
        (("UtilityMSP", "RiverMSP", "LakesideMSP"), 1),
        (("UtilityMSP", "CommunityMSP"), 0),
        (FOUNDERS, 0),
    ],
    ids=["nobody", "one", "one-twice", "outsiders", "majority", "all"],
)
def test_a_need_counts_each_org_named_in_it_once(signers, missing):
    assert ADMIT.missing(signers) == missing


@pytest.mark.parametrize(
    ("signers", "outstanding"),
    [
        ((), {APP_ADMINS: 2, ORDERER_ADMINS: 2}),
        (("CommunityMSP",), {APP_ADMINS: 1, ORDERER_ADMINS: 2}),
        (("CommunityMSP", "UtilityMSP"), {ORDERER_ADMINS: 1}),
        (("RegulatorMSP", "UtilityMSP"), {}),
    ],
    ids=["nobody", "app-only", "orderer-short", "both"],
)
def test_outstanding_lists_only_the_policies_still_short(signers, outstanding):
    proposal = replace(PROPOSAL, needs=(ADMIT, ORDER))

    assert proposal.outstanding(signers) == outstanding


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("channel", ["consortium", "community-riverside"])
def test_new_update_ids_are_ones_the_store_accepts(tmp_path, kind, channel):
    made = new_update_id(channel, kind)

    assert re.fullmatch(rf"[0-9]{{8}}T[0-9]{{6}}Z-{channel}-{kind}-[0-9a-f]{{6}}", made)
    assert UpdateStore(tmp_path).folder_of(made) == tmp_path / made
    assert new_update_id(channel, kind) != made


def test_now_is_utc_to_the_second():
    moment = datetime.fromisoformat(now())

    assert moment.utcoffset() is not None and not moment.utcoffset()
    assert moment.microsecond == 0


# ---------------------------------------------------------------- the store


def test_the_store_keeps_proposals_signatures_and_receipts(tmp_path):
    store = UpdateStore(tmp_path / "updates")
    assert store.proposals() == []
    assert store.signatures(UPDATE_ID) == []
    assert store.receipt(UPDATE_ID) is None

    store.save_proposal(PROPOSAL)
    store.save_proposal(PROPOSAL)  # the same proposal again: kept as it is
    store.save_signature(SIGNATURE)
    store.save_receipt(RECEIPT)

    assert store.proposal(UPDATE_ID) == PROPOSAL
    assert store.proposals() == [PROPOSAL]
    assert store.signatures(UPDATE_ID) == [SIGNATURE]
    assert store.receipt(UPDATE_ID) == RECEIPT
    folder = tmp_path / "updates" / UPDATE_ID
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "proposal.json",
        "receipt.json",
        "signatures",
        "signatures/CommunityMSP.json",
    ]


def test_one_signature_per_msp_is_kept_and_a_new_one_replaces_it(tmp_path):
    store = UpdateStore(tmp_path)
    later = replace(SIGNATURE, signed_at="2026-12-06T11:00:00+00:00", signature=b"again")
    utility = replace(SIGNATURE, msp_id="UtilityMSP")

    store.save_signature(SIGNATURE)
    store.save_signature(utility)
    store.save_signature(later)

    assert store.signatures(UPDATE_ID) == [later, utility]


def test_another_proposal_under_a_kept_id_is_refused(tmp_path):
    store = UpdateStore(tmp_path)
    store.save_proposal(PROPOSAL)
    other = replace(PROPOSAL, description="admit someone else")

    with pytest.raises(UpdateError) as caught:
        store.save_proposal(other)

    assert str(caught.value) == f"another proposal with id {UPDATE_ID} is already kept"
    assert store.proposal(UPDATE_ID) == PROPOSAL


def test_an_unknown_proposal_is_a_key_error_naming_it(tmp_path):
    with pytest.raises(KeyError) as caught:
        UpdateStore(tmp_path).proposal(UPDATE_ID)
    assert caught.value.args == (f"config update {UPDATE_ID} is not known here",)


BAD_IDS = ["../x", "..", f"{UPDATE_ID}/../../x", "/etc/passwd", UPDATE_ID.upper(), ""]
STORE_CALLS = {
    "proposal": lambda store, bad: store.proposal(bad),
    "signatures": lambda store, bad: store.signatures(bad),
    "receipt": lambda store, bad: store.receipt(bad),
    "save-proposal": lambda store, bad: store.save_proposal(replace(PROPOSAL, id=bad)),
    "save-signature": lambda store, bad: store.save_signature(replace(SIGNATURE, update_id=bad)),
    "save-receipt": lambda store, bad: store.save_receipt(replace(RECEIPT, update_id=bad)),
}


@pytest.mark.parametrize("call", STORE_CALLS.values(), ids=STORE_CALLS.keys())
@pytest.mark.parametrize("bad", BAD_IDS)
def test_an_id_gridledger_does_not_make_is_refused_before_any_file_is_touched(tmp_path, call, bad):
    (tmp_path / "x").write_text("{}")
    store = UpdateStore(tmp_path / "updates")

    with pytest.raises(UpdateError) as caught:
        call(store, bad)

    assert str(caught.value) == f"update id {bad!r} is not one GridLedger makes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


@pytest.mark.parametrize("msp_id", ["../Utility", "Utility/x", ".hidden", ""])
def test_a_signature_whose_msp_id_is_no_file_name_is_refused(tmp_path, msp_id):
    store = UpdateStore(tmp_path)

    with pytest.raises(UpdateError) as caught:
        store.save_signature(replace(SIGNATURE, msp_id=msp_id))

    assert str(caught.value) == f"signature msp_id {msp_id!r} is not an MSP id"
    assert list(tmp_path.iterdir()) == []


def test_every_file_is_the_owners_alone_whatever_the_umask(tmp_path, umask_022):
    store = UpdateStore(tmp_path / "updates")
    store.save_proposal(PROPOSAL)
    store.save_signature(SIGNATURE)
    store.save_receipt(RECEIPT)

    folder = tmp_path / "updates" / UPDATE_ID
    files = [folder / "proposal.json", folder / "signatures" / "CommunityMSP.json"]
    assert [mode(p) for p in (*files, folder / "receipt.json")] == [0o600] * 3
    assert [mode(p) for p in (folder, folder / "signatures")] == [0o700] * 2
    assert not list(folder.rglob(".*.tmp"))


# ---------------------------------------------------------------- the registry's records


def test_an_onboarding_record_is_what_record_onboarding_accepts():
    record = onboarding_record(PROPOSAL, RECEIPT)

    assert record == {
        "change_id": UPDATE_ID,
        "channel": "consortium",
        "config_block": 5,
        "community_channel": "community-river",
        "proposed_by": "UtilityMSP",
        "proposed_at": "2026-12-06T10:15:00+00:00",
        "signatures": [
            {"msp_id": "CommunityMSP", "signed_at": "2026-12-06T10:20:00+00:00"},
            {"msp_id": "UtilityMSP", "signed_at": "2026-12-06T10:30:00+00:00"},
        ],
        "submitted_by": "UtilityMSP",
        "submitted_at": "2026-12-06T10:30:00+00:00",
    }
    assert OnboardingRecord.parse(json.dumps(record)).record() == record


@pytest.mark.parametrize(
    "bundle",
    [None, {**RIVER, "kind": "regulator"}, {**RIVER, "kind": "utility"}],
    ids=["no-bundle", "regulator", "utility"],
)
def test_only_a_community_comes_with_a_community_channel(bundle):
    record = onboarding_record(replace(PROPOSAL, bundle=bundle), RECEIPT)

    assert record["community_channel"] is None
    assert OnboardingRecord.parse(json.dumps(record)).community_channel is None


def test_a_removal_record_names_each_channel_and_block_and_the_decisive_approval():
    own = replace(
        PROPOSAL,
        id="20261207T090000Z-community-river-removal-00aa11",
        channel="community-river",
        kind="removal",
        bundle=None,
    )
    last = replace(
        own,
        id="20261207T093000Z-consortium-removal-00aa12",
        channel="consortium",
        proposed_by="RegulatorMSP",
        proposed_at="2026-12-07T09:30:00+00:00",
    )
    decided = [(own, replace(RECEIPT, block=9)), (last, replace(RECEIPT, block=12))]

    record = removal_record(decided)

    assert record == {
        "change_id": last.id,
        "channels": ["community-river", "consortium"],
        "config_blocks": {"community-river": 9, "consortium": 12},
        "revoked_identities": [],
        "crl_block": None,
        "proposed_by": "RegulatorMSP",
        "proposed_at": "2026-12-07T09:30:00+00:00",
        "signatures": RECEIPT.to_json()["signatures"],
        "submitted_by": "UtilityMSP",
        "submitted_at": "2026-12-06T10:30:00+00:00",
    }
    assert RemovalRecord.parse(json.dumps(record)).record() == record
