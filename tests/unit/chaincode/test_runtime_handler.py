"""Our server and handler against a fake peer over a real gRPC stream (no Fabric)."""

import asyncio
import json
import logging

import pytest
from ccpeer import FakePeer, Message, response_of, serving
from fabric_chaincode_python.fabric_contract_api import (
    Contract,
    ContractChaincode,
    TransactionContext,
)
from fabric_chaincode_python.fabric_shim.handler import Handler
from fabric_chaincode_python.fabric_shim.interfaces import Chaincode

from chaincode.runtime import AccessDenied, Conflict, NotFound, ValidationError, emit_event


class PingContract(Contract):
    Name = "PingContract"

    async def Ping(self, ctx: TransactionContext, key: str) -> str:
        value = (await ctx.get_stub().get_state(key)).decode()
        emit_event(ctx, "Pinged", {"key": key, "value": value})
        return value

    async def TwoEvents(self, ctx: TransactionContext) -> str:
        ctx.get_stub().set_event("First", b"1")
        ctx.get_stub().set_event("Second", b"2")
        return "ok"


class Exploding(Chaincode):
    async def init(self, stub):
        raise RuntimeError("init exploded")

    async def invoke(self, stub):
        raise RuntimeError("disk on fire")


def ping_chaincode() -> ContractChaincode:
    return ContractChaincode.new_chaincode(PingContract())


def errors_in(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_300_concurrent_transactions_each_complete_once_with_their_event(caplog):
    caplog.set_level(logging.ERROR)
    count = 300
    state = {f"k{i}": f"v{i}".encode() for i in range(count)}

    async def scenario():
        async with serving(ping_chaincode()) as target, FakePeer(target, state=state) as peer:
            calls = (peer.invoke("Ping", f"k{i}", tx_id=f"tx-{i}") for i in range(count))
            replies = await asyncio.wait_for(asyncio.gather(*calls), timeout=20)
            await asyncio.sleep(0.2)  # room for a duplicate or stray message to arrive
            return peer, replies

    peer, replies = asyncio.run(scenario())

    assert len(replies) == count
    for i, reply in enumerate(replies):
        assert reply.txid == f"tx-{i}"
        response = response_of(reply)
        assert (response.status, response.payload) == (200, f"v{i}".encode())
        assert reply.chaincode_event.event_name == "Pinged"
        assert json.loads(reply.chaincode_event.payload) == {"key": f"k{i}", "value": f"v{i}"}
    assert peer.unexpected == []
    assert errors_in(caplog) == []


def test_completed_carries_the_last_event_set():
    async def scenario():
        async with serving(ping_chaincode()) as target, FakePeer(target) as peer:
            return await asyncio.wait_for(peer.invoke("TwoEvents"), timeout=5)

    reply = asyncio.run(scenario())

    assert response_of(reply).status == 200
    assert reply.chaincode_event.event_name == "Second"
    assert reply.chaincode_event.payload == b"2"


def test_transaction_without_event_has_none():
    async def scenario():
        async with serving(ping_chaincode()) as target, FakePeer(target) as peer:
            return await asyncio.wait_for(peer.invoke("NoSuchTx"), timeout=5)

    reply = asyncio.run(scenario())

    assert response_of(reply).status == 500
    assert not reply.HasField("chaincode_event")


def test_peer_error_on_get_state_fails_the_transaction_instead_of_returning_the_error_text():
    async def scenario():
        async with serving(ping_chaincode()) as target, FakePeer(target) as peer:
            peer.state["secret"] = b"value"
            peer.refuse.add("secret")
            return await asyncio.wait_for(peer.invoke("Ping", "secret"), timeout=5)

    response = response_of(asyncio.run(scenario()))

    assert response.status == 502
    assert response.message == "peer refused GetState: access to secret denied"


ERRORS = {
    "validation": (ValidationError, 400),
    "denied": (AccessDenied, 403),
    "missing": (NotFound, 404),
    "conflict": (Conflict, 409),
}


class FailingContract(Contract):
    Name = "FailingContract"

    async def Fail(self, ctx: TransactionContext, kind: str) -> str:
        if kind == "plain":
            raise RuntimeError("not one of ours")
        if kind == "long":
            raise NotFound(f"no meter {'m' * 7000}")
        if kind == "caught":
            try:
                raise NotFound("looked and did not find")
            except NotFound:
                pass
            raise RuntimeError("something else broke")
        raise ERRORS[kind][0](f"{kind} happened")


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        *[(kind, status, f"{kind} happened") for kind, (_, status) in ERRORS.items()],
        ("plain", 500, "not one of ours"),
        ("caught", 500, "something else broke"),
    ],
)
def test_a_chaincode_error_answers_with_its_own_status(kind, status, message):
    async def scenario():
        chaincode = ContractChaincode.new_chaincode(FailingContract())
        async with serving(chaincode) as target, FakePeer(target) as peer:
            return await asyncio.wait_for(peer.invoke("Fail", kind), timeout=5)

    response = response_of(asyncio.run(scenario()))

    assert (response.status, response.message) == (status, message)


def test_an_error_echoing_a_long_argument_is_cut_to_fit_the_metadata_it_travels_in():
    async def scenario():
        chaincode = ContractChaincode.new_chaincode(FailingContract())
        async with serving(chaincode) as target, FakePeer(target) as peer:
            return await asyncio.wait_for(peer.invoke("Fail", "long"), timeout=5)

    response = response_of(asyncio.run(scenario()))

    assert response.status == 404
    assert response.message == f"no meter {'m' * 991}... (6009 more characters)"


def test_shim_still_routes_ledger_requests_through_the_method_we_override():
    # GridLedgerHandler checks the peer's replies by overriding this private name.
    assert callable(getattr(Handler, "_Handler__ask_peer_and_listen", None))


def test_chaincode_that_raises_is_answered_with_error_not_silence(caplog):
    async def scenario():
        async with serving(Exploding()) as target, FakePeer(target) as peer:
            return await asyncio.wait_for(peer.invoke("Anything", tx_id="tx-boom"), timeout=5)

    reply = asyncio.run(scenario())

    assert (reply.type, reply.txid) == (Message.ERROR, "tx-boom")
    assert reply.payload == b"Invoke failed: disk on fire"
    assert any("tx-boom" in message for message in errors_in(caplog))


def test_keepalive_is_echoed():
    async def scenario():
        async with serving(ping_chaincode()) as target, FakePeer(target) as peer:
            await peer.send(Message(type=Message.KEEPALIVE))
            for _ in range(100):
                if peer.keepalives:
                    break
                await asyncio.sleep(0.02)
            return peer.keepalives

    assert asyncio.run(scenario()) == 1


def test_stream_end_cancels_transactions_waiting_for_the_peer():
    async def scenario():
        async with serving(ping_chaincode()) as target, FakePeer(target) as peer:
            peer.hold.add("slow")
            waiting = asyncio.create_task(peer.invoke("Ping", "slow"))
            await asyncio.wait_for(peer.held.wait(), timeout=5)
            await peer.finish_writing()
            code = await asyncio.wait_for(peer.closed(), timeout=5)
            waiting.cancel()
            return code

    assert asyncio.run(scenario()).name == "OK"
