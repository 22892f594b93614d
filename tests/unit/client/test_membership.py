"""Recording a membership change in the member registry (`client/membership.py`).

The ledger is a stand-in that keeps what it is asked to record, so the record the
registry would receive is checked against what the chaincode's own parser accepts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from client_fakes import make_certificate
from cryptography.hazmat.primitives.asymmetric import ec

from chaincode.consortium.membership_records import OnboardingRecord, RemovalRecord
from client.membership import record_membership, records_membership
from gridspec.bundle import Endpoint, OrgBundle
from gridspec.updates import Need, UpdateProposal, UpdateReceipt, UpdateStore


@dataclass
class Registry:
    """A ledger that records what it is told, as `Ledger.record_*` would submit it."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def record_onboarding(self, msp_id: str, name: str, kind: str, record: Any) -> Any:
        self.calls.append(("RecordOnboarding", (msp_id, name, kind, record)))
        return {"tx_id": f"tx-{len(self.calls)}"}

    def record_removal(self, msp_id: str, record: Any) -> Any:
        self.calls.append(("RecordRemoval", (msp_id, record)))
        return {"tx_id": f"tx-{len(self.calls)}"}


def proposal(kind: str, channel: str, serial: int, subject: str = "RiverMSP") -> UpdateProposal:
    return UpdateProposal(
        id=f"20261206T10150{serial}Z-{channel}-{kind}-00000{serial}",
        channel=channel,
        kind=kind,
        subject=subject,
        description=f"{kind} of {subject}",
        proposed_by="RegulatorMSP",
        proposed_at="2026-12-06T10:15:00+00:00",
        base_block=4,
        needs=(Need("/Channel/Application/Admins", "MAJORITY Admins", ("UtilityMSP",), 1),),
        changes=(),
        envelope=b"unsigned",
    )


def receipt(of: UpdateProposal, block: int) -> UpdateReceipt:
    signed = (
        ("UtilityMSP", "2026-12-06T10:16:00+00:00"),
        ("RegulatorMSP", "2026-12-06T10:17:00+00:00"),
    )
    return UpdateReceipt(
        of.id, of.channel, block, "RegulatorMSP", "2026-12-06T10:17:00+00:00", signed
    )


@pytest.fixture
def store(tmp_path) -> UpdateStore:
    return UpdateStore(tmp_path / "updates")


def test_a_removal_names_every_removal_of_that_org_the_submitter_holds(store) -> None:
    earlier = proposal("removal", "community-river", 1)
    unsent = proposal("removal", "consortium", 3)
    of_another = proposal("removal", "consortium", 4, subject="LakeMSP")
    for kept in (earlier, unsent, of_another):
        store.save_proposal(kept)
    store.save_receipt(receipt(earlier, 9))
    store.save_receipt(receipt(of_another, 10))
    last = proposal("removal", "consortium", 2)
    registry = Registry()

    recorded = record_membership(registry, store, last, receipt(last, 12))

    assert recorded.registry_tx_id == "tx-1"
    [(function, (msp_id, record))] = registry.calls
    assert (function, msp_id) == ("RecordRemoval", "RiverMSP")
    assert record["channels"] == ["community-river", "consortium"]
    assert record["config_blocks"] == {"community-river": 9, "consortium": 12}
    assert record["change_id"] == last.id
    RemovalRecord.parse(json.dumps(record))  # what the chaincode accepts


def a_bundle() -> OrgBundle:
    pem = make_certificate(ec.generate_private_key(ec.SECP256R1()), "ca-river").decode()
    return OrgBundle(
        key="river",
        msp_id="RiverMSP",
        display_name="River Energy Cooperative",
        kind="community",
        root_certs=(pem,),
        tls_root_certs=(pem,),
        admin_certs=(pem,),
        peers=(Endpoint("10.0.0.4", 7051),),
        orderers=(),
        ca_url="https://10.0.0.4:7054",
        ca_name="ca-river",
    )


def test_an_admission_is_recorded_with_the_bundles_names(store) -> None:
    admitted = replace(proposal("admission", "consortium", 1), bundle=a_bundle().to_json())
    registry = Registry()

    record_membership(registry, store, admitted, receipt(admitted, 7))

    [(function, (msp_id, name, kind, record))] = registry.calls
    assert (function, msp_id, kind) == ("RecordOnboarding", "RiverMSP", "community")
    assert name == "River Energy Cooperative"
    assert (record["config_block"], record["community_channel"]) == (7, "community-river")
    OnboardingRecord.parse(json.dumps(record))


def test_a_recorded_receipt_is_not_recorded_again(store) -> None:
    last = proposal("removal", "consortium", 2)
    done = replace(receipt(last, 12), registry_tx_id="tx-earlier")
    registry = Registry()
    assert record_membership(registry, store, last, done) is done
    assert registry.calls == []


@pytest.mark.parametrize(
    ("kind", "channel", "recorded"),
    [
        ("admission", "consortium", True),
        ("removal", "consortium", True),
        ("removal", "community-river", False),
        ("revocation-list", "consortium", False),
        ("batch-timeout", "consortium", False),
    ],
)
def test_only_membership_changes_on_consortium_are_recorded(kind, channel, recorded, store) -> None:
    change = replace(proposal(kind, channel, 1), bundle=a_bundle().to_json())
    registry = Registry()
    assert records_membership(change) is recorded
    record_membership(registry, store, change, receipt(change, 3))
    assert len(registry.calls) == (1 if recorded else 0)
