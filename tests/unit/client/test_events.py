"""Chaincode events against the fake gateway's ChaincodeEvents stream.

The fake holds a small ledger of chaincode events per block and streams from it as a
peer does: from the start position (or the block of `after_transaction_id`), only the
requested chaincode's events, then blocks committed while the stream is open.
"""

import hashlib
import threading
from itertools import islice

import grpc
import pytest
from client_fakes import FakeGateway, chaincode_event, in_process_channel
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc

from client import ChaincodeEvent, ChaincodeEventsError, Gateway, GatewayError

BLOCKS = [
    [chaincode_event("tx-a", "MemberRegistered", b'{"msp_id":"UtilityMSP"}')],
    [],
    [
        chaincode_event("tx-b", "MemberUpdated", b"b"),
        chaincode_event("tx-x", "TariffProposed", b"x", chaincode="other"),
        chaincode_event("tx-c", "MemberUpdated", b"c"),
    ],
    [chaincode_event("tx-d", "AggregatePublished", b"d")],
]


def event(block: int, tx_id: str, name: str, payload: bytes) -> ChaincodeEvent:
    return ChaincodeEvent(block, tx_id, "grid", name, payload)


B, C, D = (
    event(2, "tx-b", "MemberUpdated", b"b"),
    event(2, "tx-c", "MemberUpdated", b"c"),
    event(3, "tx-d", "AggregatePublished", b"d"),
)


@pytest.fixture(scope="module")
def events_server():
    servicer = FakeGateway()
    with in_process_channel(gateway_pb2_grpc.add_GatewayServicer_to_server, servicer, 4) as channel:
        yield servicer, channel


@pytest.fixture
def peer(events_server) -> FakeGateway:
    servicer, _ = events_server
    servicer.reset()
    for block in BLOCKS:
        servicer.commit_block(*block)
    return servicer


@pytest.fixture
def network(events_server, user):
    return Gateway(user.identity, user.sign, events_server[1]).get_network("consortium")


def received_request(peer: FakeGateway):
    return gateway_pb2.ChaincodeEventsRequest.FromString(peer.received["ChaincodeEvents"].request)


def test_replay_from_a_block_yields_the_chaincodes_events_in_ledger_order(
    peer, network, user
) -> None:
    with network.chaincode_events("grid", start_block=2) as events:
        assert list(islice(events, 3)) == [B, C, D]

    request = received_request(peer)
    assert (request.channel_id, request.chaincode_id) == ("consortium", "grid")
    assert request.identity == user.identity.serialize()
    assert request.start_position.specified.number == 2
    assert request.after_transaction_id == ""


@pytest.mark.parametrize("start_block", [2, 0], ids=["its-block", "an-earlier-block"])
def test_after_transaction_id_skips_events_up_to_and_including_it(
    peer, network, start_block
) -> None:
    with network.chaincode_events(
        "grid", start_block=start_block, after_transaction_id="tx-b"
    ) as events:
        assert list(islice(events, 2)) == [C, D]

    assert received_request(peer).after_transaction_id == "tx-b"


def test_without_a_start_block_only_blocks_committed_later_are_seen(peer, network) -> None:
    with network.chaincode_events("grid") as events:
        assert peer.listening.wait(5)
        number = peer.commit_block(chaincode_event("tx-e", "MemberUpdated", b"e"))
        assert next(events) == event(number, "tx-e", "MemberUpdated", b"e")

    assert number == len(BLOCKS)
    assert received_request(peer).start_position.WhichOneof("Type") == "next_commit"


def test_close_from_another_thread_ends_a_waiting_iteration(peer, network) -> None:
    events = network.chaincode_events("grid", start_block=3)
    received: list[ChaincodeEvent] = []
    first = threading.Event()

    def listen() -> None:
        for each in events:
            received.append(each)
            first.set()

    listener = threading.Thread(target=listen)
    listener.start()
    assert first.wait(5)

    events.close()  # the listener is now waiting for block 4
    listener.join(5)

    assert not listener.is_alive()
    assert received == [D]
    assert peer.stream_ended.wait(5)
    assert next(events, None) is None


def test_leaving_the_with_block_cancels_the_stream_on_the_peer(peer, network) -> None:
    with network.chaincode_events("grid", start_block=0) as events:
        assert next(events).transaction_id == "tx-a"
        assert not peer.stream_ended.is_set()

    assert peer.stream_ended.wait(5)


def test_a_refused_stream_raises_chaincode_events_error(peer, network) -> None:
    peer.failures["ChaincodeEvents"] = (grpc.StatusCode.PERMISSION_DENIED, "access denied", [])

    with network.chaincode_events("grid") as events, pytest.raises(ChaincodeEventsError) as caught:
        next(events)

    error = caught.value
    assert isinstance(error, GatewayError)
    assert (error.grpc_code, error.message, error.transaction_id) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "access denied",
        None,
    )
    assert isinstance(error.__cause__, grpc.RpcError)


def test_the_stream_timeout_ends_it_with_deadline_exceeded(peer, network) -> None:
    with (
        network.chaincode_events("grid", timeout=0.2) as events,
        pytest.raises(ChaincodeEventsError) as caught,
    ):
        next(events)

    assert caught.value.grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_the_request_can_be_signed_offline(peer, events_server, user) -> None:
    network = Gateway(user.identity, None, events_server[1]).get_network("consortium")
    request = network.new_chaincode_events_request("grid", start_block=3)
    assert request.digest() == hashlib.sha256(request.bytes()).digest()
    with pytest.raises(ValueError, match="has no signature and the gateway has no signer"):
        request.events()

    request.set_signature(user.sign(request.digest()))
    with request.events() as events:
        assert next(events) == D

    assert peer.received["ChaincodeEvents"].request == request.bytes()
    assert peer.verified == ["ChaincodeEvents"]


def test_a_wrong_signature_is_refused_by_the_peer(peer, events_server, user) -> None:
    network = Gateway(user.identity, None, events_server[1]).get_network("consortium")
    request = network.new_chaincode_events_request("grid")
    request.set_signature(user.sign(hashlib.sha256(b"something else").digest()))

    with request.events() as events, pytest.raises(ChaincodeEventsError) as caught:
        next(events)

    assert caught.value.grpc_code == grpc.StatusCode.UNAUTHENTICATED


def test_a_negative_start_block_is_refused(network) -> None:
    with pytest.raises(ValueError, match="start_block must be a block number, not -1"):
        network.chaincode_events("grid", start_block=-1)
