import grpc

from client import CommitError, EndorseError, ErrorDetail, GatewayError


def test_commit_error_names_the_transaction_and_the_code() -> None:
    error = CommitError("3f2a", 10, "ENDORSEMENT_POLICY_FAILURE", 7)
    assert str(error) == (
        "transaction 3f2a failed to commit with status code 10 (ENDORSEMENT_POLICY_FAILURE)"
    )
    assert (error.transaction_id, error.code, error.code_name, error.block_number) == (
        "3f2a",
        10,
        "ENDORSEMENT_POLICY_FAILURE",
        7,
    )


def test_gateway_error_text_lists_every_peer() -> None:
    error = EndorseError(
        "failed to endorse transaction",
        transaction_id="3f2a",
        grpc_code=grpc.StatusCode.ABORTED,
        details=[
            ErrorDetail("peer0.org1:7051", "Org1MSP", "chaincode response 500"),
            ErrorDetail("peer0.org2:9051", "Org2MSP", "timeout"),
        ],
    )
    assert isinstance(error, GatewayError)
    assert str(error) == (
        "failed to endorse transaction (transaction 3f2a, gRPC status ABORTED)"
        "\n  - peer0.org1:7051 (Org1MSP): chaincode response 500"
        "\n  - peer0.org2:9051 (Org2MSP): timeout"
    )


def test_gateway_error_without_context_is_its_message() -> None:
    assert str(GatewayError("no channel")) == "no channel"
