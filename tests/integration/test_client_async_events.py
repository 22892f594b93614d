"""Chaincode events and the grpc.aio client, through the real peers.

The consortium chaincode's `UpdateMember` sets a `MemberUpdated` event whose payload is
the new member record (also the transaction's result). Listeners use the utility
admin's gateway; each stream has a deadline, so a missing event fails the test with
DEADLINE_EXCEEDED rather than hanging it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import pytest
from homes import ca_cert, msp_dir
from member_registry import ensure_registered, members

from client import (
    AsyncGateway,
    ChaincodeEvent,
    connect_async,
    load_identity,
    load_private_key,
    new_private_key_signer,
)
from gridspec.channels import CONSORTIUM_CHAINCODE, CONSORTIUM_CHANNEL
from network.ca import private_key
from network.connect import gateway
from network.topology import UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")

STREAM_TIMEOUT = 60


@asynccontextmanager
async def async_gateway(org: Org, user: str) -> AsyncIterator[AsyncGateway]:
    """`network.connect.gateway` over one grpc.aio channel to `org`'s peer, closed after."""
    msp = msp_dir(org, user)
    cert = msp / "signcerts" / "cert.pem"
    key = private_key(msp)
    channel = connect_async(
        org.peer_address,
        tls_root_cert=ca_cert(org).read_bytes(),
        client_cert=cert.read_bytes(),
        client_key=key.read_bytes(),
    )
    async with channel:
        signer = new_private_key_signer(load_private_key(key))
        yield AsyncGateway(load_identity(org.msp_id, cert), signer, channel)


def event_of(events: Iterable[ChaincodeEvent], transaction_id: str) -> ChaincodeEvent:
    return next(event for event in events if event.transaction_id == transaction_id)


def rename(gw, name: str) -> tuple[str, bytes]:
    """Submit UpdateMember for the utility; its transaction id and result."""
    result = members(gw).submit("UpdateMember", args=(UTILITY.msp_id, name))
    return json.loads(result)["tx_id"], result


def test_a_submitted_update_arrives_as_its_event_and_replays_from_an_earlier_block():
    ensure_registered()
    with gateway(UTILITY, "admin") as gw:
        network = gw.get_network(CONSORTIUM_CHANNEL)
        with network.chaincode_events(CONSORTIUM_CHAINCODE, timeout=STREAM_TIMEOUT) as events:
            transaction_id, result = rename(gw, f"GridCo Events {uuid.uuid4().hex[:8]}")
            live = event_of(events, transaction_id)

        with network.chaincode_events(
            CONSORTIUM_CHAINCODE, start_block=live.block_number - 1, timeout=STREAM_TIMEOUT
        ) as events:
            replayed = event_of(events, transaction_id)

        with network.chaincode_events(
            CONSORTIUM_CHAINCODE,
            start_block=live.block_number,
            after_transaction_id=transaction_id,
            timeout=STREAM_TIMEOUT,
        ) as events:
            next_transaction_id, _ = rename(gw, f"GridCo Events {uuid.uuid4().hex[:8]}")
            resumed = next(events)

    assert (live.chaincode_name, live.event_name, live.payload) == (
        CONSORTIUM_CHAINCODE,
        "MemberUpdated",
        result,
    )
    assert replayed == live
    assert resumed.transaction_id == next_transaction_id


def test_concurrent_async_evaluations_share_one_channel_and_an_async_submit_commits_valid():
    ensure_registered()
    name = f"GridCo Async {uuid.uuid4().hex[:8]}"

    async def scenario():
        async with async_gateway(UTILITY, "admin") as gw:
            network = gw.get_network(CONSORTIUM_CHANNEL)
            contract = network.get_contract(CONSORTIUM_CHAINCODE, "MemberContract")
            answers = await asyncio.gather(*(contract.evaluate("ListMembers") for _ in range(50)))

            proposal = contract.new_proposal("UpdateMember", args=(UTILITY.msp_id, name))
            transaction = await proposal.endorse()
            status = await (await transaction.submit()).status()
            record = json.loads(await contract.evaluate("GetMember", args=(UTILITY.msp_id,)))
            async with network.chaincode_events(
                CONSORTIUM_CHAINCODE, start_block=status.block_number, timeout=STREAM_TIMEOUT
            ) as events:
                event = await anext(
                    e async for e in events if e.transaction_id == proposal.transaction_id
                )
        return answers, status, record, event

    answers, status, record, event = asyncio.run(scenario())

    assert len(answers) == 50
    assert all(answer == answers[0] for answer in answers)
    assert UTILITY.msp_id in {member["msp_id"] for member in json.loads(answers[0])}
    assert (status.code_name, status.successful) == ("VALID", True)
    assert (record["name"], record["tx_id"]) == (name, event.transaction_id)
    assert (event.event_name, event.block_number) == ("MemberUpdated", status.block_number)
