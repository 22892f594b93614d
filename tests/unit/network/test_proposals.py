"""The operator's side of config updates (`network/proposals.py`), where it needs no peer.

The admin's peer session is replaced by one holding a key made here, so signing is the
client's real `configproposal.sign` on a real update envelope; nothing connects anywhere.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
from fabric_protos.common import configtx_pb2
from network_builders import home_of, signer_of

from client import update_envelope
from gridspec.updates import Need, UpdateProposal, UpdateReceipt, UpdateSignature
from network import proposals
from network.console import NetworkError
from network.topology import UTILITY

CHANNEL = "consortium"


def update() -> bytes:
    change = configtx_pb2.ConfigUpdate(channel_id=CHANNEL)
    change.write_set.groups["Orderer"].values["BatchTimeout"].version = 1
    return update_envelope(CHANNEL, change.SerializeToString())


def proposal(kind: str, subject: str, serial: int = 1) -> UpdateProposal:
    return UpdateProposal(
        id=f"20261206T10150{serial}Z-{CHANNEL}-{kind}-00000{serial}",
        channel=CHANNEL,
        kind=kind,
        subject=subject,
        description=f"{kind} of {subject}",
        proposed_by="RegulatorMSP",
        proposed_at="2026-12-06T10:15:00+00:00",
        base_block=4,
        needs=(Need("/Channel/Application/Admins", "MAJORITY Admins", ("UtilityMSP",), 1),),
        changes=(),
        envelope=update(),
    )


@dataclass
class Session:
    identity: Any
    sign: Any


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Utility's home; its admin's peer session is a key made here, connecting nowhere."""
    identity, sign = signer_of("UtilityMSP")

    @contextmanager
    def session(home: Any, user: str):
        assert user == "admin"
        yield Session(identity, sign)

    monkeypatch.setattr(proposals, "peer_session", session)
    return home_of(tmp_path, UTILITY)


@pytest.mark.parametrize("kind", ["admission", "removal"])
def test_an_org_does_not_sign_a_change_of_its_own_membership(home, kind):
    own = proposal(kind, "UtilityMSP")

    with pytest.raises(NetworkError) as caught:
        proposals.sign_kept(home, own)

    assert str(caught.value) == "UtilityMSP may not sign a change of its own membership"
    assert proposals.store(home).signatures(own.id) == []


@pytest.mark.parametrize(
    ("kind", "subject"),
    [("removal", "RiverMSP"), ("admission", "RiverMSP"), ("revocation-list", "UtilityMSP")],
    ids=["removal-of-another", "admission-of-another", "own-crl"],
)
def test_an_admin_signs_with_its_own_key_and_the_home_keeps_it(home, kind, subject):
    kept = proposal(kind, subject)

    signature = proposals.sign_kept(home, kept)

    assert (signature.msp_id, signature.update_id) == ("UtilityMSP", kept.id)
    assert proposals.store(home).signatures(kept.id) == [signature]


def test_signatures_of_a_proposal_are_read_and_checked(home, tmp_path):
    kept = proposal("removal", "RiverMSP")
    other = proposal("removal", "RiverMSP", serial=2)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(proposals.sign_kept(home, kept).to_json()))
    stray = tmp_path / "stray.json"
    stray.write_text(json.dumps(proposals.sign_kept(home, other).to_json()))
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "gridledger/config-signature/1"}')

    assert [s.msp_id for s in proposals.load_signatures(kept, [good])] == ["UtilityMSP"]
    with pytest.raises(NetworkError) as caught:
        proposals.load_signatures(kept, [good, stray])
    assert str(caught.value) == f"{stray}: the signature is for update {other.id}, not {kept.id}"
    with pytest.raises(NetworkError) as caught:
        proposals.load_signatures(kept, [broken])
    assert str(caught.value).startswith(f"{broken} is not a usable signature: ")


def test_a_proposal_file_is_kept_and_another_under_its_id_refused(home, tmp_path):
    kept = proposal("removal", "RiverMSP")
    path = tmp_path / "in.proposal.json"
    path.write_text(json.dumps(kept.to_json()))
    assert proposals.load_proposal(home, path) == kept

    path.write_text(json.dumps(replace(kept, description="something else").to_json()))
    with pytest.raises(NetworkError) as caught:
        proposals.load_proposal(home, path)
    assert str(caught.value) == f"another proposal with id {kept.id} is already kept"


def receipt(kept: UpdateProposal, block: int) -> UpdateReceipt:
    return UpdateReceipt(
        kept.id, kept.channel, block, "UtilityMSP", "2026-12-06T11:00:00+00:00", ()
    )


def test_a_kind_the_operator_cannot_propose_is_named(home):
    with pytest.raises(NetworkError) as caught:
        proposals.wanted("anchor-peers", None, home, {})
    assert str(caught.value) == "no such kind of config update: anchor-peers"


def test_a_signature_document_is_what_the_store_reads_back(home):
    kept = proposal("removal", "RiverMSP")
    signature = proposals.sign_kept(home, kept)

    assert UpdateSignature.from_json(signature.to_json()) == signature
