"""Config update proposals (`client/configproposal.py`) on configs configtxgen made.

A proposal is made from a real genesis config, signed by the test orgs' admins, checked
and submitted to an in-process fake orderer (AtomicBroadcast) while an in-process fake
peer (Deliver) holds the channel's blocks: when the orderer accepts an update, the peer
gets the config block it becomes, as a real channel would cut it.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import grpc
import pytest
from client_fakes import in_process_channel, in_process_server
from cryptography import x509
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.orderer import ab_pb2_grpc, configuration_pb2
from fabric_protos.orderer.etcdraft import configuration_pb2 as etcdraft
from fabric_protos.peer import events_pb2_grpc
from fabric_tools import CHANNEL, HOST, founders, genesis_block, genesis_config, river
from ledger_fakes import FakeOrderer, FakePeer, block, config_block

from chaincode.consortium.membership_records import OnboardingRecord
from client import (
    BroadcastError,
    ConfigBlock,
    application_msps,
    compute_update,
    orderer_msps,
    read_update_envelope,
    set_batch_timeout,
    signers,
)
from client.configproposal import (
    admission,
    check,
    consenter_of,
    outstanding,
    propose,
    removal,
    sign,
    submit_update,
    wait_for_config,
)
from gridspec.bundle import OrgBundle
from gridspec.updates import Need, UpdateProposal, UpdateReceipt, onboarding_record

UTILITY, COMMUNITY, REGULATOR = founders()
APP_ADMINS, ORDERER_ADMINS = "/Channel/Application/Admins", "/Channel/Orderer/Admins"
FOUNDERS = ("CommunityMSP", "RegulatorMSP", "UtilityMSP")
WITH_RIVER = ("CommunityMSP", "RegulatorMSP", "RiverMSP", "UtilityMSP")
REFUSAL = "implicit policy evaluation failed - 1 sub-policies were satisfied"


def config() -> Any:
    return genesis_config(founders())


def with_river() -> Any:
    return genesis_config((*founders(), river()))


def admit_river(proposed_by: str = "UtilityMSP") -> UpdateProposal:
    bundle = river().bundle
    return propose(
        CHANNEL,
        ConfigBlock(0, config()),
        admission(config(), bundle),
        kind="admission",
        subject=bundle.msp_id,
        description="admit RiverMSP",
        proposed_by=proposed_by,
        bundle=bundle.to_json(),
    )


def consenters(config: Any) -> list[tuple[str, int]]:
    value = config.channel_group.groups["Orderer"].values["ConsensusType"].value
    metadata = configuration_pb2.ConsensusType.FromString(value).metadata
    return [(c.host, c.port) for c in etcdraft.ConfigMetadata.FromString(metadata).consenters]


# ---------------------------------------------------------------- proposing


def test_an_admission_needs_a_majority_of_application_admins_and_adds_the_orgs_group():
    proposal = admit_river()

    assert proposal.needs == (Need(APP_ADMINS, "MAJORITY Admins", FOUNDERS, 2),)
    assert proposal.changes[0] == "added group Channel/Application/RiverMSP"
    assert all(c.startswith("added ") and "/RiverMSP" in c for c in proposal.changes)
    assert "added value Channel/Application/RiverMSP/MSP" in proposal.changes
    assert re.fullmatch(rf"[0-9]{{8}}T[0-9]{{6}}Z-{CHANNEL}-admission-[0-9a-f]{{6}}", proposal.id)
    assert (proposal.channel, proposal.base_block, proposal.proposed_by) == (
        CHANNEL,
        0,
        "UtilityMSP",
    )
    assert datetime.fromisoformat(proposal.proposed_at).utcoffset() is not None
    assert OrgBundle.from_json(proposal.bundle) == river().bundle
    assert UpdateProposal.from_json(proposal.to_json()) == proposal


def test_the_envelope_is_an_unsigned_config_update_of_the_channel():
    proposal = admit_river()

    channel, inner = read_update_envelope(proposal.envelope)

    outer = common_pb2.Envelope.FromString(proposal.envelope)
    header = common_pb2.ChannelHeader.FromString(
        common_pb2.Payload.FromString(outer.payload).header.channel_header
    )
    assert (header.type, header.channel_id, outer.signature) == (
        common_pb2.HeaderType.CONFIG_UPDATE,
        CHANNEL,
        b"",
    )
    assert channel == CHANNEL
    assert list(inner.signatures) == []
    expected = compute_update(CHANNEL, config(), admission(config(), river().bundle))
    assert configtx_pb2.ConfigUpdate.FromString(inner.config_update) == expected


def test_a_proposal_that_changes_nothing_is_refused():
    with pytest.raises(ValueError) as caught:
        propose(
            CHANNEL,
            ConfigBlock(0, config()),
            config(),
            kind="batch-timeout",
            subject="",
            description="nothing",
            proposed_by="UtilityMSP",
        )
    assert str(caught.value) == "no differences detected between original and updated config"


def test_a_removal_takes_out_the_orgs_groups_and_its_consenter():
    before = with_river()

    after = removal(before, "RiverMSP")

    assert consenter_of(before, "RiverMSP") == (HOST, 10050)
    assert (application_msps(after), orderer_msps(after)) == (list(FOUNDERS), list(FOUNDERS))
    assert consenters(after) == [(HOST, 7050), (HOST, 8050), (HOST, 9050)]
    assert consenters(before) == [*consenters(after), (HOST, 10050)]
    proposal = propose(
        CHANNEL,
        ConfigBlock(3, before),
        after,
        kind="removal",
        subject="RiverMSP",
        description="remove RiverMSP",
        proposed_by="RegulatorMSP",
    )
    assert proposal.needs == (
        Need(APP_ADMINS, "MAJORITY Admins", WITH_RIVER, 3),
        Need(ORDERER_ADMINS, "MAJORITY Admins", WITH_RIVER, 3),
    )
    assert "removed group Channel/Application/RiverMSP" in proposal.changes
    assert "modified value Channel/Orderer/ConsensusType" in proposal.changes


def test_a_consenter_is_found_by_the_msp_id_not_by_the_groups_key():
    renamed = with_river()
    orderer = renamed.channel_group.groups["Orderer"].groups
    orderer["River"].CopyFrom(orderer["RiverMSP"])
    del orderer["RiverMSP"]

    assert consenter_of(renamed, "RiverMSP") == (HOST, 10050)
    assert (HOST, 10050) not in consenters(removal(renamed, "RiverMSP"))


def test_an_org_running_no_orderer_has_no_consenter_to_remove():
    ordered_by_founders = genesis_config((*founders(), river()), founders())

    assert consenter_of(ordered_by_founders, "RiverMSP") is None
    after = removal(ordered_by_founders, "RiverMSP")
    assert consenters(after) == consenters(ordered_by_founders)
    assert application_msps(after) == list(FOUNDERS)


def test_a_config_without_an_orderer_section_has_no_consenter_and_stays_as_it_was():
    bare = configtx_pb2.Config()
    bare.CopyFrom(config())
    del bare.channel_group.groups["Orderer"]

    assert consenter_of(bare, "UtilityMSP") is None
    assert "Orderer" not in bare.channel_group.groups


# ---------------------------------------------------------------- signing and checking


def test_two_admins_signatures_check_out_and_count_with_the_submitter():
    proposal = admit_river()

    signatures = [sign(proposal, org.admin, org.sign) for org in (UTILITY, REGULATOR)]

    for org, signature in zip((UTILITY, REGULATOR), signatures, strict=True):
        check(proposal, signature)
        assert (signature.update_id, signature.channel, signature.msp_id) == (
            proposal.id,
            CHANNEL,
            org.msp_id,
        )
    assert outstanding(proposal, signatures) == {}
    assert outstanding(proposal, signatures[:1]) == {APP_ADMINS: 1}
    assert outstanding(proposal, signatures[:1], submitter="CommunityMSP") == {}
    assert outstanding(proposal, signatures[:1], submitter="UtilityMSP") == {APP_ADMINS: 1}
    assert outstanding(proposal, [], submitter="RiverMSP") == {APP_ADMINS: 2}


def test_a_signature_for_another_update_is_refused():
    proposal = admit_river()
    other = propose(
        CHANNEL,
        ConfigBlock(0, config()),
        set_batch_timeout(config(), "2s"),
        kind="batch-timeout",
        subject="",
        description="slower blocks",
        proposed_by="UtilityMSP",
    )
    signature = sign(other, UTILITY.admin, UTILITY.sign)

    with pytest.raises(ValueError) as caught:
        check(proposal, signature)
    assert str(caught.value) == f"the signature is for update {other.id}, not {proposal.id}"

    relabelled = replace(signature, update_id=proposal.id)
    with pytest.raises(ValueError) as caught:
        check(proposal, relabelled)
    subject = x509.load_pem_x509_certificate(UTILITY.admin.credentials).subject
    assert str(caught.value) == (
        f"the signature of UtilityMSP ({subject.rfc4514_string()}) is not over this config update"
    )


def test_a_signature_whose_msp_id_is_not_its_signers_is_refused():
    proposal = admit_river()
    signature = replace(sign(proposal, UTILITY.admin, UTILITY.sign), msp_id="RegulatorMSP")

    with pytest.raises(ValueError) as caught:
        check(proposal, signature)
    assert str(caught.value) == (
        f"the signature of update {proposal.id} says RegulatorMSP but is by UtilityMSP"
    )


def test_a_proposal_whose_envelope_is_for_another_channel_is_not_signed():
    proposal = replace(admit_river(), channel="consortium")

    with pytest.raises(ValueError) as caught:
        sign(proposal, UTILITY.admin, UTILITY.sign)
    assert str(caught.value) == f"update {proposal.id} names consortium but its envelope {CHANNEL}"


def test_a_failing_signer_yields_no_signature():
    def unplugged(digest: bytes) -> bytes:
        raise OSError("the signing device is unplugged")

    with pytest.raises(OSError, match=r"^the signing device is unplugged$"):
        sign(admit_river(), UTILITY.admin, unplugged)


# ---------------------------------------------------------------- submitting


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Any]]:
    peer, first, second = FakePeer(), FakeOrderer(), FakeOrderer()
    with (
        in_process_channel(events_pb2_grpc.add_DeliverServicer_to_server, peer) as peer_channel,
        in_process_channel(ab_pb2_grpc.add_AtomicBroadcastServicer_to_server, first) as one,
        in_process_channel(ab_pb2_grpc.add_AtomicBroadcastServicer_to_server, second) as two,
    ):
        with in_process_server(
            ab_pb2_grpc.add_AtomicBroadcastServicer_to_server, FakeOrderer()
        ) as gone:
            pass  # its port was just freed: nothing listens there now
        with grpc.insecure_channel(gone) as dead:
            yield {
                "peer": peer,
                "first": first,
                "second": second,
                "peer_channel": peer_channel,
                "one": one,
                "two": two,
                "dead": dead,
            }


@pytest.fixture
def net(servers: dict[str, Any]) -> dict[str, Any]:
    """Genesis and an ordinary block on the peer; an accepted update becomes block 2."""
    peer = servers["peer"]
    genesis = common_pb2.Block.FromString(genesis_block(tuple(o.bundle for o in founders())))
    peer.blocks = [genesis, block(1, 0, common_pb2.HeaderType.ENDORSER_TRANSACTION, b"tx", CHANNEL)]
    admitted = admission(config(), river().bundle)
    admitted.sequence = 1
    for orderer in (servers["first"], servers["second"]):
        orderer.status, orderer.info = common_pb2.Status.SUCCESS, ""
        orderer.received.clear()
        orderer.accepted = lambda: peer.blocks.append(
            config_block(len(peer.blocks), admitted, CHANNEL)
        )
    return servers


def submit(net: dict[str, Any], proposal: UpdateProposal, signatures: list[Any], *orderers: str):
    return submit_update(
        proposal,
        signatures,
        COMMUNITY.admin,
        COMMUNITY.sign,
        orderers=[net[o] for o in orderers],
        peer=net["peer_channel"],
        timeout=5,
    )


def test_an_accepted_update_gives_a_receipt_with_the_next_config_block(net):
    proposal = admit_river()
    utility = sign(proposal, UTILITY.admin, UTILITY.sign)

    receipt = submit(net, proposal, [utility], "one", "two")

    assert receipt == UpdateReceipt(
        proposal.id,
        CHANNEL,
        2,
        "CommunityMSP",
        receipt.submitted_at,
        (("UtilityMSP", utility.signed_at), ("CommunityMSP", receipt.signatures[1][1])),
    )
    [sent] = net["first"].received
    assert signers(sent) == ["UtilityMSP", "CommunityMSP"]
    assert net["second"].received == []
    record = onboarding_record(proposal, receipt)
    assert OnboardingRecord.parse(json.dumps(record)).config_block == 2


def test_each_org_is_in_the_receipt_once_however_often_it_signed(net):
    proposal = admit_river()
    first = sign(proposal, UTILITY.admin, UTILITY.sign)
    again = sign(proposal, UTILITY.admin, UTILITY.sign)
    own = sign(proposal, COMMUNITY.admin, COMMUNITY.sign)

    receipt = submit(net, proposal, [first, own, again], "one")

    assert receipt.signatures == (("UtilityMSP", first.signed_at), ("CommunityMSP", own.signed_at))
    assert signers(net["first"].received[0]) == ["UtilityMSP", "CommunityMSP"]


def test_a_refusal_is_final_and_carries_the_orderers_reason(net):
    net["first"].status, net["first"].info = common_pb2.Status.FORBIDDEN, REFUSAL
    proposal = admit_river()

    with pytest.raises(BroadcastError) as caught:
        submit(net, proposal, [], "one", "two")

    assert (caught.value.status, caught.value.info) == ("FORBIDDEN", REFUSAL)
    assert len(net["first"].received) == 1
    assert net["second"].received == []
    assert len(net["peer"].blocks) == 2


def test_an_unreachable_orderer_is_passed_over_for_the_next(net):
    receipt = submit(net, admit_river(), [], "dead", "one")

    assert receipt.block == 2
    assert receipt.signatures[0][0] == "CommunityMSP"
    assert len(net["first"].received) == 1


def test_when_no_orderer_is_reachable_the_last_error_is_raised(net):
    with pytest.raises(BroadcastError) as caught:
        submit(net, admit_river(), [], "dead")
    assert caught.value.grpc_code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.status is None


def test_a_signature_that_does_not_check_out_is_never_sent(net):
    proposal = admit_river()
    forged = replace(sign(proposal, UTILITY.admin, UTILITY.sign), msp_id="RegulatorMSP")

    with pytest.raises(ValueError, match=r"says RegulatorMSP but is by UtilityMSP$"):
        submit(net, proposal, [forged], "one")
    assert net["first"].received == []


def test_without_orderers_nothing_is_submitted(net):
    with pytest.raises(ValueError) as caught:
        submit(net, admit_river(), [], *())
    assert str(caught.value) == f"no orderer of {CHANNEL} is known to submit to"


def test_waiting_for_a_config_block_that_never_comes_times_out(net):
    with pytest.raises(TimeoutError) as caught:
        wait_for_config(net["peer_channel"], UTILITY.admin, UTILITY.sign, CHANNEL, 0, timeout=1)
    assert str(caught.value) == f"no config block after 0 on {CHANNEL} in 1s"
