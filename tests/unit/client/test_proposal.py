import hashlib
import time

import pytest
from fabric_protos.common import common_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2

from client import Gateway


def decode(proposal_bytes: bytes) -> dict:
    proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    return {
        "channel_header": channel_header,
        "extension": proposal_pb2.ChaincodeHeaderExtension.FromString(channel_header.extension),
        "signature_header": common_pb2.SignatureHeader.FromString(header.signature_header),
        "spec": spec,
        "transient": dict(payload.TransientMap),
    }


@pytest.fixture
def contract(user, channel):
    gateway = Gateway(user.identity, user.sign, channel)
    return gateway.get_network("energy").get_contract("gridledger", "Market")


def test_proposal_carries_channel_chaincode_function_args_transient_and_creator(
    contract, user
) -> None:
    before = time.time()
    proposal = contract.new_proposal("PlaceBid", ["m-17", b"\x00\x01"], transient={"price": b"12"})
    fields = decode(proposal.bytes())

    channel_header = fields["channel_header"]
    assert channel_header.type == common_pb2.HeaderType.ENDORSER_TRANSACTION
    assert channel_header.channel_id == "energy"
    assert channel_header.tx_id == proposal.transaction_id
    assert before - 1 <= channel_header.timestamp.seconds <= time.time() + 1
    assert fields["extension"].chaincode_id.name == "gridledger"
    assert fields["spec"].chaincode_id.name == "gridledger"
    assert list(fields["spec"].input.args) == [b"Market:PlaceBid", b"m-17", b"\x00\x01"]
    assert fields["transient"] == {"price": b"12"}
    assert fields["signature_header"].creator == user.identity.serialize()


def test_transaction_id_is_sha256_of_nonce_and_creator(contract) -> None:
    proposal = contract.new_proposal("ReadMeter", ["m-17"])
    signature_header = decode(proposal.bytes())["signature_header"]
    expected = hashlib.sha256(signature_header.nonce + signature_header.creator).hexdigest()
    assert len(signature_header.nonce) == 24
    assert proposal.transaction_id == expected


def test_every_proposal_has_a_fresh_transaction_id(contract) -> None:
    ids = {contract.new_proposal("ReadMeter").transaction_id for _ in range(20)}
    assert len(ids) == 20


def test_digest_is_sha256_of_bytes(contract) -> None:
    proposal = contract.new_proposal("ReadMeter")
    assert proposal.digest() == hashlib.sha256(proposal.bytes()).digest()


def test_default_contract_sends_the_bare_function_name(user, channel) -> None:
    contract = Gateway(user.identity, user.sign, channel).get_network("energy").get_contract("cc")
    args = decode(contract.new_proposal("ReadMeter").bytes())["spec"].input.args
    assert list(args) == [b"ReadMeter"]


def test_a_single_string_is_not_taken_for_an_argument_list(contract) -> None:
    with pytest.raises(TypeError, match="args must be a sequence of arguments"):
        contract.new_proposal("ReadMeter", "m-17")
