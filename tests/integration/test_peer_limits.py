"""The network's own back-pressure, through a real peer: a peer running as many gateway
calls as its limit allows turns the next one away at once; the client reports that as
RESOURCE_EXHAUSTED and, with retries on, sends it again until a place frees.

Open chaincode event streams hold places for as long as they listen, which makes the
peer's limit reachable on purpose. A cancelled stream gives its place back only when the
channel's next block reaches it, so the test commits a block after closing them. It
uses the regulator's peer, which no other test is using at the same time (the suite
runs one test at a time)."""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import ExitStack

import grpc
import pytest
from member_registry import ensure_registered, members

from client import Gateway, GatewayError, RetryPolicy
from gridspec.channels import CONSORTIUM_CHAINCODE, CONSORTIUM_CHANNEL
from network.connect import gateway, peer_session
from network.nodeconfig import GATEWAY_CONCURRENCY
from network.topology import REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

NO_RETRY = RetryPolicy(max_attempts=1)
PATIENT = RetryPolicy(max_attempts=30, initial_backoff=0.1, max_backoff=0.5)


def turned_away(gw: Gateway) -> GatewayError | None:
    """The error of one GetMember evaluation, or None when the peer ran it."""
    contract = gw.get_network(CONSORTIUM_CHANNEL).get_contract(CONSORTIUM_CHAINCODE)
    try:
        contract.evaluate("GetMember", args=(UTILITY.msp_id,))
    except GatewayError as error:
        return error
    return None


def new_block() -> None:
    """A block on the consortium channel: every stream cancelled before it lets go."""
    with gateway(UTILITY, "admin") as gw:
        members(gw).submit("UpdateMember", args=(UTILITY.msp_id, f"GridCo {uuid.uuid4().hex[:8]}"))


def release(streams: ExitStack) -> None:
    streams.close()
    new_block()


def test_a_peer_at_its_gateway_limit_turns_calls_away_and_the_client_retries_them():
    ensure_registered()
    new_block()
    with peer_session(REGULATOR, "admin") as session, ExitStack() as streams:
        refusing = Gateway(session.identity, session.sign, session.channel, retry=NO_RETRY)
        network = refusing.get_network(CONSORTIUM_CHANNEL)
        for _ in range(GATEWAY_CONCURRENCY):
            streams.enter_context(network.chaincode_events(CONSORTIUM_CHAINCODE, timeout=60))
        deadline, error = time.monotonic() + 20, None
        while error is None and time.monotonic() < deadline:
            time.sleep(1)  # the peer registers the streams while the client waits
            error = turned_away(refusing)
        assert error is not None, "the peer ran a call beyond its limit"
        assert error.turned_away
        assert error.grpc_code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert f"exceeding concurrency limit ({GATEWAY_CONCURRENCY})" in error.message

        patient = Gateway(session.identity, session.sign, session.channel, retry=PATIENT)
        threading.Timer(1.0, release, args=(streams,)).start()
        started = time.monotonic()
        assert turned_away(patient) is None
        assert time.monotonic() - started >= 0.5, "it ran before a place was free"
