"""The endorse → submit → commit-status flow against the in-process fake gateway."""

import grpc
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import transaction_pb2

from client import (
    CommitError,
    CommitStatusError,
    EndorseError,
    ErrorDetail,
    Gateway,
    GatewayError,
    SubmitError,
)


@pytest.fixture
def contract(user, channel):
    return Gateway(user.identity, user.sign, channel).get_network("energy").get_contract("grid")


def test_submit_returns_the_chaincode_result_after_a_valid_commit(contract, fake_gateway) -> None:
    fake_gateway.result = b'{"bid":"b-1"}'

    assert contract.submit("PlaceBid", ["m-17", "12"]) == b'{"bid":"b-1"}'

    assert fake_gateway.verified == ["Endorse", "Submit", "CommitStatus"]
    endorse = fake_gateway.received["Endorse"]
    submit = fake_gateway.received["Submit"]
    status = gateway_pb2.CommitStatusRequest.FromString(
        fake_gateway.received["CommitStatus"].request
    )
    assert endorse.channel_id == submit.channel_id == status.channel_id == "energy"
    assert endorse.transaction_id == submit.transaction_id == status.transaction_id


def test_long_form_reports_the_commit_status(contract, fake_gateway) -> None:
    fake_gateway.result = b"ok"
    transaction = contract.new_proposal("PlaceBid").endorse()
    commit = transaction.submit()
    status = commit.status()

    assert transaction.result == b"ok"
    assert commit.transaction_id == transaction.transaction_id
    assert (status.code, status.code_name, status.block_number, status.successful) == (
        0,
        "VALID",
        42,
        True,
    )


def test_invalid_commit_raises_commit_error_with_the_code_name(contract, fake_gateway) -> None:
    fake_gateway.validation_code = transaction_pb2.ENDORSEMENT_POLICY_FAILURE

    with pytest.raises(CommitError) as caught:
        contract.submit("PlaceBid", ["m-17"])

    transaction_id = fake_gateway.received["Endorse"].transaction_id
    assert caught.value.transaction_id == transaction_id
    assert (caught.value.code, caught.value.code_name, caught.value.block_number) == (
        10,
        "ENDORSEMENT_POLICY_FAILURE",
        42,
    )
    assert str(caught.value) == (
        f"transaction {transaction_id} failed to commit with status code 10"
        " (ENDORSEMENT_POLICY_FAILURE)"
    )


def test_endorse_failure_carries_per_peer_details_and_the_transaction_id(
    contract, fake_gateway
) -> None:
    fake_gateway.failures["Endorse"] = (
        grpc.StatusCode.ABORTED,
        "failed to endorse transaction, see attached details for more info",
        [
            gateway_pb2.ErrorDetail(
                address="peer0.org1:7051", msp_id="Org1MSP", message="meter m-17 is not registered"
            ),
            gateway_pb2.ErrorDetail(address="peer0.org2:9051", msp_id="Org2MSP", message="timeout"),
        ],
    )

    with pytest.raises(EndorseError) as caught:
        contract.submit("PlaceBid", ["m-17"])

    error = caught.value
    assert error.transaction_id == fake_gateway.received["Endorse"].transaction_id
    assert error.grpc_code == grpc.StatusCode.ABORTED
    assert error.message == "failed to endorse transaction, see attached details for more info"
    assert error.details == [
        ErrorDetail("peer0.org1:7051", "Org1MSP", "meter m-17 is not registered"),
        ErrorDetail("peer0.org2:9051", "Org2MSP", "timeout"),
    ]
    assert isinstance(error.__cause__, grpc.RpcError)
    assert "Submit" not in fake_gateway.received


@pytest.mark.parametrize(
    ("failing_call", "error_type"),
    [
        ("Endorse", EndorseError),
        ("Submit", SubmitError),
        ("CommitStatus", CommitStatusError),
    ],
)
def test_each_failed_call_raises_its_own_error(
    contract, fake_gateway, failing_call, error_type
) -> None:
    fake_gateway.failures[failing_call] = (grpc.StatusCode.UNAVAILABLE, "orderer down", [])

    with pytest.raises(error_type) as caught:
        contract.submit("PlaceBid")

    assert caught.value.grpc_code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.details == []
    assert caught.value.transaction_id == fake_gateway.received["Endorse"].transaction_id


def test_evaluate_returns_the_result_and_failures_are_gateway_errors(
    contract, fake_gateway
) -> None:
    fake_gateway.result = b"1234"
    assert contract.evaluate("ReadMeter", ["m-17"]) == b"1234"

    fake_gateway.failures["Evaluate"] = (grpc.StatusCode.NOT_FOUND, "meter m-17 not found", [])
    with pytest.raises(GatewayError, match="meter m-17 not found"):
        contract.evaluate("ReadMeter", ["m-17"])


def test_endorsing_organizations_are_forwarded(contract, fake_gateway) -> None:
    contract.submit(
        "RecordReading", transient={"reading": b"5"}, endorsing_organizations=["Org2MSP"]
    )
    contract.evaluate("ReadReading", endorsing_organizations=["Org2MSP", "Org3MSP"])

    assert list(fake_gateway.received["Endorse"].endorsing_organizations) == ["Org2MSP"]
    assert list(fake_gateway.received["Evaluate"].target_organizations) == ["Org2MSP", "Org3MSP"]


def test_offline_signatures_are_used_when_the_gateway_has_no_signer(
    user, channel, fake_gateway
) -> None:
    contract = Gateway(user.identity, None, channel).get_network("energy").get_contract("grid")
    proposal = contract.new_proposal("PlaceBid")
    proposal.set_signature(user.sign(proposal.digest()))
    transaction = proposal.endorse()
    transaction.set_signature(user.sign(transaction.digest()))
    commit = transaction.submit()
    commit.set_signature(user.sign(commit.digest()))

    assert commit.status().successful
    assert fake_gateway.verified == ["Endorse", "Submit", "CommitStatus"]


def test_unsigned_request_without_a_signer_is_refused(user, channel) -> None:
    contract = Gateway(user.identity, None, channel).get_network("energy").get_contract("grid")
    proposal = contract.new_proposal("PlaceBid")
    with pytest.raises(ValueError, match="has no signature and the gateway has no signer"):
        proposal.endorse()


def test_a_wrong_signature_is_rejected_by_the_gateway(user, channel, fake_gateway) -> None:
    contract = Gateway(user.identity, None, channel).get_network("energy").get_contract("grid")
    proposal = contract.new_proposal("PlaceBid")
    proposal.set_signature(user.sign(b"\x00" * 32))
    with pytest.raises(EndorseError) as caught:
        proposal.endorse()
    assert caught.value.grpc_code == grpc.StatusCode.UNAUTHENTICATED


def test_undecodable_error_details_keep_the_error_and_say_so(contract, fake_gateway) -> None:
    fake_gateway.failures["Endorse"] = (grpc.StatusCode.ABORTED, "failed", b"\x1a\x05ab")

    with pytest.raises(EndorseError) as caught:
        contract.submit("PlaceBid")

    assert caught.value.message == "failed"
    assert caught.value.details == []
    assert caught.value.__notes__ == [
        "could not decode the gateway's error details:"
        " protobuf field of 5 bytes runs past the end of the message"
    ]


def test_an_envelope_without_a_chaincode_result_is_an_endorse_error(contract, fake_gateway) -> None:
    fake_gateway.prepared_transaction = common_pb2.Envelope(payload=b"\xff\xff")

    with pytest.raises(EndorseError, match="endorsed transaction has no readable chaincode result"):
        contract.submit("PlaceBid")

    assert "Submit" not in fake_gateway.received


def test_commit_status_deadline_is_a_setting(user, channel, fake_gateway) -> None:
    gateway = Gateway(user.identity, user.sign, channel, commit_status_timeout=0.05)
    fake_gateway.delays["CommitStatus"] = 0.3

    with pytest.raises(CommitStatusError) as caught:
        gateway.get_network("energy").get_contract("grid").submit("PlaceBid")

    assert caught.value.grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED
