"""Retries only where Fabric says they are safe, and per-call deadlines, against the fake.

Each case counts exactly the Endorse / Submit / CommitStatus (or Evaluate) calls the
fake gateway received.
"""

import logging

import grpc
import pytest
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import transaction_pb2

from client import (
    CommitError,
    CommitStatusError,
    EndorseError,
    Gateway,
    GatewayError,
    RetryPolicy,
    SubmitError,
)

FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.001)
UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, "connections to all backends failing")
MVCC = transaction_pb2.MVCC_READ_CONFLICT
PHANTOM = transaction_pb2.PHANTOM_READ_CONFLICT


@pytest.fixture
def contract(user, channel):
    gateway = Gateway(user.identity, user.sign, channel, retry=FAST)
    return gateway.get_network("energy").get_contract("grid")


def calls(fake) -> tuple[int, int, int]:
    return tuple(len(fake.requests(method)) for method in ("Endorse", "Submit", "CommitStatus"))


def transaction_ids(fake, method: str) -> list[str]:
    if method == "CommitStatus":
        return [
            gateway_pb2.CommitStatusRequest.FromString(r.request).transaction_id
            for r in fake.requests(method)
        ]
    return [request.transaction_id for request in fake.requests(method)]


# Safe: evaluate and endorse on UNAVAILABLE, with the same proposal.


def test_evaluate_is_sent_again_while_the_gateway_is_unavailable(
    contract, fake_gateway, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="client.retry")
    fake_gateway.result = b"1234"
    fake_gateway.failures_once["Evaluate"] = [UNAVAILABLE, UNAVAILABLE]

    assert contract.evaluate("ReadMeter", ["m-17"]) == b"1234"

    [transaction_id] = set(transaction_ids(fake_gateway, "Evaluate"))
    assert len(fake_gateway.requests("Evaluate")) == 3
    assert [r.getMessage() for r in caplog.records] == [
        f"evaluate of transaction {transaction_id} failed with UNAVAILABLE"
        f" (connections to all backends failing); trying again in 0.00 s, attempt {n} of 3"
        for n in (2, 3)
    ]


def test_evaluate_gives_up_after_max_attempts(contract, fake_gateway) -> None:
    fake_gateway.failures["Evaluate"] = (*UNAVAILABLE, [])

    with pytest.raises(GatewayError) as caught:
        contract.evaluate("ReadMeter")

    assert caught.value.grpc_code == grpc.StatusCode.UNAVAILABLE
    assert len(fake_gateway.requests("Evaluate")) == 3


def test_endorse_is_sent_again_with_the_same_proposal_while_unavailable(
    contract, fake_gateway
) -> None:
    fake_gateway.result = b"ok"
    fake_gateway.failures_once["Endorse"] = [UNAVAILABLE]

    assert contract.submit("PlaceBid") == b"ok"

    assert calls(fake_gateway) == (2, 1, 1)
    endorsed = fake_gateway.requests("Endorse")
    assert endorsed[0].proposed_transaction == endorsed[1].proposed_transaction
    assert len(set(transaction_ids(fake_gateway, "Endorse"))) == 1


def test_endorse_is_sent_again_when_the_peer_pushes_back(contract, fake_gateway, caplog) -> None:
    """RESOURCE_EXHAUSTED: the peer is over its concurrency limit and took nothing."""
    caplog.set_level(logging.INFO, logger="client.retry")
    fake_gateway.result = b"ok"
    busy = (grpc.StatusCode.RESOURCE_EXHAUSTED, "too many requests for /gateway.Gateway")
    fake_gateway.failures_once["Endorse"] = [busy, busy]

    assert contract.submit("SubmitReadings") == b"ok"

    assert calls(fake_gateway) == (3, 1, 1)
    assert len(set(transaction_ids(fake_gateway, "Endorse"))) == 1
    assert "failed with RESOURCE_EXHAUSTED (too many requests" in caplog.records[0].getMessage()


OVER_LIMIT = (
    grpc.StatusCode.UNKNOWN,
    "too many requests for /gateway.Gateway, exceeding concurrency limit (64)",
)


@pytest.mark.parametrize(
    ("method", "expected_calls"),
    [("Endorse", (3, 1, 1)), ("Submit", (1, 3, 1)), ("CommitStatus", (1, 1, 3))],
)
def test_any_call_the_peers_concurrency_limit_turned_away_is_sent_again(
    contract, fake_gateway, caplog, method, expected_calls
) -> None:
    """Fabric's limiter refuses before the call runs, with a plain error (UNKNOWN):
    the same call is safe to send again, even a submit or a commit status request."""
    caplog.set_level(logging.INFO, logger="client.retry")
    fake_gateway.result = b"ok"
    fake_gateway.failures_once[method] = [OVER_LIMIT, OVER_LIMIT]

    assert contract.submit("SubmitReadings") == b"ok"

    assert calls(fake_gateway) == expected_calls
    assert len(set(transaction_ids(fake_gateway, method))) == 1
    assert "failed with RESOURCE_EXHAUSTED (too many requests" in caplog.records[0].getMessage()


def test_a_submit_turned_away_past_the_budget_says_it_was_never_ordered(
    contract, fake_gateway
) -> None:
    fake_gateway.failures["Submit"] = (*OVER_LIMIT, [])

    with pytest.raises(SubmitError) as caught:
        contract.submit("SubmitReadings")

    assert caught.value.turned_away
    assert caught.value.grpc_code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert calls(fake_gateway) == (1, 3, 0)


def test_an_unknown_error_that_only_resembles_the_limiter_is_not_retried(
    contract, fake_gateway
) -> None:
    fake_gateway.failures_once["Submit"] = [
        (grpc.StatusCode.UNKNOWN, "orderer: too many requests for /gateway.Gateway")
    ]

    with pytest.raises(SubmitError) as caught:
        contract.submit("SubmitReadings")

    assert not caught.value.turned_away
    assert caught.value.grpc_code == grpc.StatusCode.UNKNOWN
    assert calls(fake_gateway) == (1, 1, 0)


# Safe: a read conflict at commit starts again with a new proposal.


@pytest.mark.parametrize("conflict", [MVCC, PHANTOM], ids=["mvcc", "phantom"])
def test_a_read_conflict_is_retried_as_a_new_transaction(
    contract, fake_gateway, caplog, conflict
) -> None:
    caplog.set_level(logging.INFO, logger="client.retry")
    fake_gateway.result = b"ok"
    fake_gateway.validation_codes = [conflict]

    assert contract.submit("UpdateMember", ["UtilityMSP", "GridCo"]) == b"ok"

    assert calls(fake_gateway) == (2, 1 + 1, 2)
    first, second = transaction_ids(fake_gateway, "Endorse")
    assert first != second
    assert transaction_ids(fake_gateway, "Submit") == [first, second]
    assert transaction_ids(fake_gateway, "CommitStatus") == [first, second]
    code_name = transaction_pb2.TxValidationCode.Name(conflict)
    assert [r.getMessage() for r in caplog.records] == [
        f"transaction {first} was invalidated with {code_name} in block 42; submitting new"
        f" transaction {second} in 0.00 s, attempt 2 of 3"
    ]


def test_repeated_conflicts_end_with_the_last_transactions_commit_error(
    contract, fake_gateway
) -> None:
    fake_gateway.validation_code = MVCC

    with pytest.raises(CommitError) as caught:
        contract.submit("UpdateMember")

    assert calls(fake_gateway) == (3, 3, 3)
    endorsed = transaction_ids(fake_gateway, "Endorse")
    assert len(set(endorsed)) == 3
    assert (caught.value.code_name, caught.value.transaction_id) == (
        "MVCC_READ_CONFLICT",
        endorsed[-1],
    )


def test_unavailable_endorsements_and_conflicts_share_one_budget(contract, fake_gateway) -> None:
    fake_gateway.failures_once["Endorse"] = [UNAVAILABLE]
    fake_gateway.validation_codes = [MVCC, MVCC]

    with pytest.raises(CommitError):
        contract.submit("UpdateMember")

    assert calls(fake_gateway) == (3, 2, 2)


# Unsafe: never retried.


@pytest.mark.parametrize(
    ("fail", "error_type", "expected_calls"),
    [
        pytest.param({"Submit": [UNAVAILABLE]}, SubmitError, (1, 1, 0), id="submit-unavailable"),
        pytest.param(
            {"Submit": [(grpc.StatusCode.DEADLINE_EXCEEDED, "submit timeout expired")]},
            SubmitError,
            (1, 1, 0),
            id="submit-deadline-exceeded",
        ),
        pytest.param(
            {"CommitStatus": [(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline")]},
            CommitStatusError,
            (1, 1, 1),
            id="commit-status-deadline-exceeded",
        ),
        pytest.param(
            {"CommitStatus": [UNAVAILABLE]},
            CommitStatusError,
            (1, 1, 1),
            id="commit-status-unavailable",
        ),
        pytest.param(
            {"Endorse": [(grpc.StatusCode.ABORTED, "chaincode response 500, meter m-17")]},
            EndorseError,
            (1, 0, 0),
            id="chaincode-error",
        ),
        pytest.param(
            {"Endorse": [(grpc.StatusCode.DEADLINE_EXCEEDED, "endorsement timeout expired")]},
            EndorseError,
            (1, 0, 0),
            id="endorse-deadline-exceeded",
        ),
    ],
)
def test_unsafe_failures_are_never_retried(
    contract, fake_gateway, fail, error_type, expected_calls
) -> None:
    fake_gateway.failures_once.update(fail)

    with pytest.raises(error_type):
        contract.submit("PlaceBid")

    assert calls(fake_gateway) == expected_calls


def test_an_endorsement_policy_failure_is_not_retried(contract, fake_gateway) -> None:
    fake_gateway.validation_codes = [transaction_pb2.ENDORSEMENT_POLICY_FAILURE]

    with pytest.raises(CommitError, match="ENDORSEMENT_POLICY_FAILURE"):
        contract.submit("PlaceBid")

    assert calls(fake_gateway) == (1, 1, 1)


def test_a_chaincode_error_in_evaluate_is_not_retried(contract, fake_gateway) -> None:
    fake_gateway.failures_once["Evaluate"] = [(grpc.StatusCode.UNKNOWN, "meter m-17 not found")]

    with pytest.raises(GatewayError, match="meter m-17 not found"):
        contract.evaluate("ReadMeter")

    assert len(fake_gateway.requests("Evaluate")) == 1


def test_retries_are_on_by_default_and_one_attempt_turns_them_off(
    user, channel, fake_gateway
) -> None:
    def contract(**settings):
        gateway = Gateway(user.identity, user.sign, channel, **settings)
        return gateway.get_network("energy").get_contract("grid")

    fake_gateway.failures_once["Endorse"] = [UNAVAILABLE]
    contract().submit("PlaceBid")
    assert calls(fake_gateway) == (2, 1, 1)

    fake_gateway.reset()
    fake_gateway.failures_once["Endorse"] = [UNAVAILABLE]
    with pytest.raises(EndorseError):
        contract(retry=RetryPolicy(max_attempts=1)).submit("PlaceBid")
    assert calls(fake_gateway) == (1, 0, 0)


def test_the_long_form_never_retries(contract, fake_gateway) -> None:
    fake_gateway.failures_once["Endorse"] = [UNAVAILABLE]

    with pytest.raises(EndorseError):
        contract.new_proposal("PlaceBid").endorse()

    assert calls(fake_gateway) == (1, 0, 0)


# The policy itself.


def test_backoff_doubles_from_the_initial_delay_up_to_the_maximum() -> None:
    policy = RetryPolicy(max_attempts=8, jitter=False)
    assert [policy.backoff(n) for n in range(1, 8)] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


def test_jitter_waits_between_half_and_all_of_the_backoff() -> None:
    delays = [RetryPolicy().backoff(3) for _ in range(200)]
    assert all(0.2 <= delay <= 0.4 for delay in delays)
    assert len(set(delays)) > 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be at least 1, not 0"),
        ({"initial_backoff": 3.0}, "backoff must satisfy 0 <= initial_backoff <= max_backoff"),
        ({"initial_backoff": -1.0}, "backoff must satisfy 0 <= initial_backoff <= max_backoff"),
    ],
)
def test_a_policy_that_makes_no_sense_is_refused(settings, message) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**settings)


# Per-call deadlines.


def test_a_call_timeout_replaces_the_gateways_deadlines(user, channel, fake_gateway) -> None:
    gateway = Gateway(user.identity, user.sign, channel, commit_status_timeout=0.05)
    fake_gateway.delays["CommitStatus"] = 0.3
    contract = gateway.get_network("energy").get_contract("grid")

    contract.submit("PlaceBid", timeout=5)

    assert calls(fake_gateway) == (1, 1, 1)


@pytest.mark.parametrize("method", ["Evaluate", "Endorse"])
def test_a_call_timeout_shorter_than_the_default_cuts_the_call_short(
    contract, fake_gateway, method
) -> None:
    fake_gateway.delays[method] = 1
    call = contract.evaluate if method == "Evaluate" else contract.submit

    with pytest.raises(GatewayError) as caught:
        call("PlaceBid", timeout=0.1)

    assert caught.value.grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_no_retry_starts_that_would_end_after_the_call_deadline(
    user, channel, fake_gateway
) -> None:
    slow = RetryPolicy(initial_backoff=0.5, jitter=False)
    contract = (
        Gateway(user.identity, user.sign, channel, retry=slow)
        .get_network("energy")
        .get_contract("grid")
    )
    fake_gateway.failures["Evaluate"] = (*UNAVAILABLE, [])

    with pytest.raises(GatewayError):
        contract.evaluate("ReadMeter", timeout=0.3)

    assert len(fake_gateway.requests("Evaluate")) == 1


def test_a_timeout_must_be_positive(contract) -> None:
    with pytest.raises(ValueError, match="timeout must be positive, not 0"):
        contract.evaluate("ReadMeter", timeout=0)
