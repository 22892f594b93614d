"""The grpc.aio client against the fake gateway: the same flow, errors, retries and events.

Every test runs its scenario in a fresh event loop with one `grpc.aio` channel to a
fake gateway served by enough threads to answer many calls at once.
"""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from client_fakes import FakeGateway, chaincode_event, in_process_server
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.peer import transaction_pb2

from client import (
    AsyncGateway,
    ChaincodeEvent,
    ChaincodeEventsError,
    CommitError,
    EndorseError,
    ErrorDetail,
    GatewayError,
    RetryPolicy,
    SubmitError,
    connect_async,
)

FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.001)
UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, "connections to all backends failing")


@pytest.fixture(scope="module")
def aio_server():
    servicer = FakeGateway()
    with in_process_server(gateway_pb2_grpc.add_GatewayServicer_to_server, servicer, 32) as address:
        yield servicer, address


@pytest.fixture
def fake(aio_server) -> FakeGateway:
    servicer, _ = aio_server
    servicer.reset()
    return servicer


@pytest.fixture
def run(aio_server, user) -> Callable[..., Any]:
    """Run `scenario(gateway)` in a new event loop, over one aio channel that it closes."""
    _, target = aio_server

    def run_scenario(
        scenario: Callable[[AsyncGateway], Awaitable[Any]], *, signed: bool = True
    ) -> Any:
        async def main() -> Any:
            async with grpc.aio.insecure_channel(target) as channel:
                gateway = AsyncGateway(
                    user.identity, user.sign if signed else None, channel, retry=FAST
                )
                return await scenario(gateway)

        return asyncio.run(main())

    return run_scenario


def grid(gateway: AsyncGateway):
    return gateway.get_network("energy").get_contract("grid", "MarketContract")


def calls(fake) -> tuple[int, int, int]:
    return tuple(len(fake.requests(method)) for method in ("Endorse", "Submit", "CommitStatus"))


def test_async_submit_returns_the_result_after_a_valid_commit(run, fake) -> None:
    fake.result = b'{"bid":"b-1"}'

    assert run(lambda gw: grid(gw).submit("PlaceBid", ["m-17", "12"])) == b'{"bid":"b-1"}'

    assert fake.verified == ["Endorse", "Submit", "CommitStatus"]
    endorse, submit = fake.received["Endorse"], fake.received["Submit"]
    status = gateway_pb2.CommitStatusRequest.FromString(fake.received["CommitStatus"].request)
    assert endorse.transaction_id == submit.transaction_id == status.transaction_id
    assert endorse.channel_id == submit.channel_id == status.channel_id == "energy"


def test_async_evaluate_returns_the_result_and_names_the_contract(run, fake) -> None:
    fake.result = b"1234"

    assert run(lambda gw: grid(gw).evaluate("ReadMeter", ["m-17"])) == b"1234"

    assert fake.verified == ["Evaluate"]
    sync_contract_proposal = fake.received["Evaluate"].proposed_transaction.proposal_bytes
    assert b"MarketContract:ReadMeter" in sync_contract_proposal


def test_the_long_form_awaits_each_step_and_signs_offline(run, fake, user) -> None:
    fake.result = b"ok"

    async def scenario(gateway: AsyncGateway):
        proposal = grid(gateway).new_proposal("PlaceBid", endorsing_organizations=["Org2MSP"])
        assert proposal.digest() == hashlib.sha256(proposal.bytes()).digest()
        proposal.set_signature(user.sign(proposal.digest()))
        transaction = await proposal.endorse()
        transaction.set_signature(user.sign(transaction.digest()))
        commit = await transaction.submit()
        commit.set_signature(user.sign(commit.digest()))
        return proposal, transaction, commit, await commit.status()

    proposal, transaction, commit, status = run(scenario, signed=False)

    assert proposal.transaction_id == transaction.transaction_id == commit.transaction_id
    assert transaction.result == b"ok"
    assert (status.code, status.code_name, status.block_number, status.successful) == (
        0,
        "VALID",
        42,
        True,
    )
    assert fake.verified == ["Endorse", "Submit", "CommitStatus"]
    assert list(fake.received["Endorse"].endorsing_organizations) == ["Org2MSP"]
    assert fake.received["Submit"].prepared_transaction.payload == transaction.bytes()


def test_an_unsigned_request_without_a_signer_is_refused(run) -> None:
    with pytest.raises(ValueError, match="has no signature and the gateway has no signer"):
        run(lambda gw: grid(gw).evaluate("ReadMeter"), signed=False)


def test_async_failures_carry_the_same_error_types_and_details(run, fake) -> None:
    fake.failures["Endorse"] = (
        grpc.StatusCode.ABORTED,
        "failed to endorse transaction, see attached details for more info",
        [gateway_pb2.ErrorDetail(address="peer0:7051", msp_id="Org1MSP", message="no meter")],
    )

    with pytest.raises(EndorseError) as caught:
        run(lambda gw: grid(gw).submit("PlaceBid"))

    error = caught.value
    assert error.grpc_code == grpc.StatusCode.ABORTED
    assert error.transaction_id == fake.received["Endorse"].transaction_id
    assert error.details == [ErrorDetail("peer0:7051", "Org1MSP", "no meter")]
    assert isinstance(error.__cause__, grpc.aio.AioRpcError)
    assert calls(fake) == (1, 0, 0)


def test_an_invalid_async_commit_raises_commit_error(run, fake) -> None:
    fake.validation_code = transaction_pb2.ENDORSEMENT_POLICY_FAILURE

    with pytest.raises(CommitError, match="ENDORSEMENT_POLICY_FAILURE"):
        run(lambda gw: grid(gw).submit("PlaceBid"))

    assert calls(fake) == (1, 1, 1)


def test_two_hundred_concurrent_async_submits_over_one_channel(run, fake) -> None:
    fake.result = b"ok"
    fake.delays["CommitStatus"] = 0.05

    async def scenario(gateway: AsyncGateway):
        contract = grid(gateway)
        return await asyncio.gather(*(contract.submit("PlaceBid", [f"m-{n}"]) for n in range(200)))

    assert run(scenario) == [b"ok"] * 200

    assert calls(fake) == (200, 200, 200)
    committed = {
        gateway_pb2.CommitStatusRequest.FromString(r.request).transaction_id
        for r in fake.requests("CommitStatus")
    }
    assert committed == {r.transaction_id for r in fake.requests("Endorse")}
    assert len(committed) == 200
    assert fake.max_in_flight >= 16, "the commit status calls were not in flight together"


def test_async_retries_follow_the_same_rules(run, fake) -> None:
    fake.failures_once["Endorse"] = [UNAVAILABLE]
    fake.validation_codes = [transaction_pb2.MVCC_READ_CONFLICT]

    run(lambda gw: grid(gw).submit("UpdateMember"))

    assert calls(fake) == (3, 2, 2)
    first, again, second = (r.transaction_id for r in fake.requests("Endorse"))
    assert first == again != second


def test_an_async_submit_with_an_unknown_outcome_is_not_retried(run, fake) -> None:
    fake.failures_once["Submit"] = [(grpc.StatusCode.DEADLINE_EXCEEDED, "submit timeout")]

    with pytest.raises(SubmitError):
        run(lambda gw: grid(gw).submit("PlaceBid"))

    assert calls(fake) == (1, 1, 0)


def test_an_async_call_timeout_cuts_the_call_short(run, fake) -> None:
    fake.delays["Evaluate"] = 0.5

    with pytest.raises(GatewayError) as caught:
        run(lambda gw: grid(gw).evaluate("ReadMeter", timeout=0.1))

    assert caught.value.grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_get_commit_awaits_the_status_of_an_earlier_transaction(run, fake) -> None:
    status = run(lambda gw: gw.get_network("energy").get_commit("tx-17").status())

    request = gateway_pb2.CommitStatusRequest.FromString(fake.received["CommitStatus"].request)
    assert (request.transaction_id, request.channel_id) == ("tx-17", "energy")
    assert status.successful


def test_connect_async_needs_the_client_certificate_and_key_together() -> None:
    with pytest.raises(ValueError, match="client_cert and client_key must be given together"):
        connect_async("127.0.0.1:1", tls_root_cert=b"", client_cert=b"cert", client_key=None)


# Chaincode events


def events_ledger(fake: FakeGateway) -> None:
    fake.commit_block(chaincode_event("tx-a", "MemberRegistered", b"a"))
    fake.commit_block(
        chaincode_event("tx-b", "MemberUpdated", b"b"),
        chaincode_event("tx-c", "MemberUpdated", b"c"),
    )


def test_async_events_replay_and_skip_after_a_transaction(run, fake) -> None:
    events_ledger(fake)

    async def scenario(gateway: AsyncGateway):
        network = gateway.get_network("consortium")
        replayed, resumed = [], []
        async with network.chaincode_events("grid", start_block=0) as events:
            async for event in events:
                replayed.append(event)
                if len(replayed) == 3:
                    break
        async with network.chaincode_events(
            "grid", start_block=1, after_transaction_id="tx-b"
        ) as events:
            resumed.append(await anext(events))
        return replayed, resumed

    replayed, resumed = run(scenario)

    assert [(e.block_number, e.transaction_id) for e in replayed] == [
        (0, "tx-a"),
        (1, "tx-b"),
        (1, "tx-c"),
    ]
    assert resumed == [ChaincodeEvent(1, "tx-c", "grid", "MemberUpdated", b"c")]
    assert fake.stream_ended.wait(5)


def test_closing_async_events_from_another_task_ends_the_iteration(run, fake) -> None:
    async def scenario(gateway: AsyncGateway):
        events = gateway.get_network("consortium").chaincode_events("grid")
        received: list[ChaincodeEvent] = []
        first = asyncio.Event()

        async def listen() -> None:
            async for event in events:
                received.append(event)
                first.set()

        listener = asyncio.create_task(listen())
        assert await asyncio.to_thread(fake.listening.wait, 5)
        fake.commit_block(chaincode_event("tx-e", "MemberUpdated", b"e"))
        await asyncio.wait_for(first.wait(), 5)

        events.close()  # the listener is now waiting for the next block
        await asyncio.wait_for(listener, 5)
        return received

    assert [event.transaction_id for event in run(scenario)] == ["tx-e"]
    assert fake.stream_ended.wait(5)


def test_a_refused_async_stream_raises_chaincode_events_error(run, fake) -> None:
    fake.failures["ChaincodeEvents"] = (grpc.StatusCode.PERMISSION_DENIED, "access denied", [])

    async def scenario(gateway: AsyncGateway):
        async with gateway.get_network("consortium").chaincode_events("grid") as events:
            await anext(events)

    with pytest.raises(ChaincodeEventsError) as caught:
        run(scenario)

    assert (caught.value.grpc_code, caught.value.message) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "access denied",
    )


def test_an_async_events_request_can_be_signed_offline(run, fake, user) -> None:
    events_ledger(fake)

    async def scenario(gateway: AsyncGateway):
        request = gateway.get_network("consortium").new_chaincode_events_request(
            "grid", start_block=1
        )
        request.set_signature(user.sign(request.digest()))
        async with request.events() as events:
            return request.bytes(), await anext(events)

    request_bytes, event = run(scenario, signed=False)

    assert event.transaction_id == "tx-b"
    assert fake.received["ChaincodeEvents"].request == request_bytes
    assert fake.verified == ["ChaincodeEvents"]
