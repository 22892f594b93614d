"""Block delivery against an in-process fake of a peer's Deliver service.

The fake reads the seek info out of the signed envelope, checks the signature against
the creator's certificate as a peer would, and streams the blocks asked for from its
own small ledger before a status, as Fabric's deliver handler does; a test can instead
script the responses, to feed the client a broken stream.
"""

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from client_fakes import in_process_channel, make_certificate, verify
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import events_pb2, events_pb2_grpc

from client import (
    DeliverError,
    DeliverRequest,
    GatewayError,
    certificate_hash,
    deliver_blocks,
    find_private_writes,
)

CHANNEL = "community-sunnyside"
TLS_HASH = hashlib.sha256(b"client tls certificate").digest()
LEDGER_HEIGHT = 6


def block(number: int) -> Any:
    return common_pb2.Block(
        header=common_pb2.BlockHeader(number=number, data_hash=bytes([number]) * 32),
        data=common_pb2.BlockData(data=[f"envelope {number}".encode()]),
    )


def kv_writes(*writes: tuple[str, bytes | None]) -> bytes:
    """A serialized KVRWSet; a None value is a delete."""
    return kv_rwset_pb2.KVRWSet(
        writes=[
            kv_rwset_pb2.KVWrite(key=key, value=value or b"", is_delete=value is None)
            for key, value in writes
        ]
    ).SerializeToString()


def private_rwset(collections: dict[tuple[str, str], bytes], data_model: int = 0) -> Any:
    """A TxPvtReadWriteSet from {(namespace, collection): serialized KVRWSet}."""
    namespaces: dict[str, list[Any]] = {}
    for (namespace, collection), rwset in collections.items():
        namespaces.setdefault(namespace, []).append(
            rwset_pb2.CollectionPvtReadWriteSet(collection_name=collection, rwset=rwset)
        )
    return rwset_pb2.TxPvtReadWriteSet(
        data_model=data_model,
        ns_pvt_rwset=[
            rwset_pb2.NsPvtReadWriteSet(namespace=namespace, collection_pvt_rwset=sets)
            for namespace, sets in namespaces.items()
        ],
    )


def with_private_data(number: int, private_data: dict[int, Any]) -> Any:
    return events_pb2.BlockAndPrivateData(block=block(number), private_data_map=private_data)


@dataclass
class FakeDeliver(events_pb2_grpc.DeliverServicer):
    """A peer holding blocks 0 to LEDGER_HEIGHT - 1 and `private_data` by block number.

    `script` replaces the peer's answer with these DeliverResponses; `abort` fails the
    call with (code, message) once the request is read. `received` logs the method and
    the envelope of every request.
    """

    private_data: dict[int, dict[int, Any]] = field(default_factory=dict)
    script: list[Any] | None = None
    abort: tuple[grpc.StatusCode, str] | None = None
    received: list[tuple[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.private_data.clear()
        self.script = None
        self.abort = None
        self.received.clear()

    def Deliver(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:
        return self._serve("Deliver", request_iterator, context)

    def DeliverWithPrivateData(
        self, request_iterator: Iterator[Any], context: grpc.ServicerContext
    ) -> Any:
        return self._serve("DeliverWithPrivateData", request_iterator, context)

    def _serve(self, method: str, envelopes: Iterator[Any], context: grpc.ServicerContext) -> Any:
        for envelope in envelopes:  # like Fabric: serve each seek, until the client hangs up
            self.received.append((method, envelope))
            payload = common_pb2.Payload.FromString(envelope.payload)
            creator = common_pb2.SignatureHeader.FromString(payload.header.signature_header).creator
            try:
                verify(envelope.signature, envelope.payload, creator)
            except InvalidSignature:
                yield events_pb2.DeliverResponse(status=common_pb2.Status.FORBIDDEN)
                return
            if self.abort is not None:
                context.abort(*self.abort)
            if self.script is not None:
                yield from self.script
                continue
            seek = ab_pb2.SeekInfo.FromString(payload.data)
            start, stop = seek.start.specified.number, seek.stop.specified.number
            for number in range(start, stop + 1):
                while number >= LEDGER_HEIGHT:  # BLOCK_UNTIL_READY: wait for a block never cut
                    if not context.is_active():
                        return
                    time.sleep(0.05)
                if method == "Deliver":
                    yield events_pb2.DeliverResponse(block=block(number))
                else:
                    item = with_private_data(number, self.private_data.get(number, {}))
                    yield events_pb2.DeliverResponse(block_and_private_data=item)
            yield events_pb2.DeliverResponse(status=common_pb2.Status.SUCCESS)


@pytest.fixture(scope="module")
def deliver_server() -> Iterator[tuple[FakeDeliver, grpc.Channel]]:
    servicer = FakeDeliver()
    with in_process_channel(events_pb2_grpc.add_DeliverServicer_to_server, servicer, 4) as channel:
        yield servicer, channel


@pytest.fixture
def peer(deliver_server) -> FakeDeliver:
    servicer, _ = deliver_server
    servicer.reset()
    return servicer


@pytest.fixture
def peer_channel(deliver_server) -> grpc.Channel:
    return deliver_server[1]


def fetch(channel, user, start: int, stop: int, **options: Any) -> list[Any]:
    return deliver_blocks(channel, user.identity, user.sign, CHANNEL, start, stop, **options)


def decode(envelope: Any) -> dict[str, Any]:
    payload = common_pb2.Payload.FromString(envelope.payload)
    return {
        "channel_header": common_pb2.ChannelHeader.FromString(payload.header.channel_header),
        "signature_header": common_pb2.SignatureHeader.FromString(payload.header.signature_header),
        "seek_info": ab_pb2.SeekInfo.FromString(payload.data),
    }


def test_deliver_returns_the_blocks_from_start_to_stop(peer, peer_channel, user) -> None:
    blocks = fetch(peer_channel, user, 2, 4)

    assert [b.header.number for b in blocks] == [2, 3, 4]
    assert blocks == [block(2), block(3), block(4)]
    assert [method for method, _ in peer.received] == ["Deliver"]


def test_the_request_is_a_signed_seek_info_envelope(peer, peer_channel, user) -> None:
    before = time.time()
    fetch(peer_channel, user, 3, 5, tls_certificate_hash=TLS_HASH)

    [(_, envelope)] = peer.received
    fields = decode(envelope)
    channel_header, signature_header = fields["channel_header"], fields["signature_header"]
    assert channel_header.type == common_pb2.HeaderType.DELIVER_SEEK_INFO
    assert channel_header.channel_id == CHANNEL
    assert channel_header.tls_cert_hash == TLS_HASH
    assert before - 1 <= channel_header.timestamp.seconds <= time.time() + 1
    assert signature_header.creator == user.identity.serialize()
    assert len(signature_header.nonce) == 24
    assert (
        channel_header.tx_id
        == hashlib.sha256(signature_header.nonce + signature_header.creator).hexdigest()
    )
    assert fields["seek_info"] == ab_pb2.SeekInfo(
        start=ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=3)),
        stop=ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=5)),
        behavior=ab_pb2.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY,
    )
    verify(envelope.signature, envelope.payload, signature_header.creator)


def test_every_request_has_a_fresh_transaction_id(user, peer_channel) -> None:
    ids = {
        DeliverRequest(peer_channel, user.identity, user.sign, CHANNEL, 0, 0).transaction_id
        for _ in range(20)
    }
    assert len(ids) == 20


def test_private_data_comes_with_each_block(peer, peer_channel, user) -> None:
    readings = private_rwset({("community", "readings"): kv_writes(("reading~m-1", b"{}"))})
    peer.private_data = {4: {1: readings}}

    blocks = fetch(peer_channel, user, 4, 5, private_data=True)

    assert [method for method, _ in peer.received] == ["DeliverWithPrivateData"]
    assert [b.block for b in blocks] == [block(4), block(5)]
    assert dict(blocks[0].private_data_map) == {1: readings}
    assert dict(blocks[1].private_data_map) == {}


def test_find_private_writes_picks_one_collection_of_one_namespace_in_block_order() -> None:
    item = with_private_data(
        9,
        {
            3: private_rwset(
                {
                    ("community", "readings"): kv_writes(
                        ("reading~m-1~09:00", b"later"), ("readingidx~m-1", None)
                    ),
                    ("community", "households"): kv_writes(("household~h-1", b"Ada")),
                }
            ),
            0: private_rwset(
                {
                    ("community", "readings"): kv_writes(
                        ("reading~m-1~09:00", b"first"),
                        ("reading~m-1~09:15", b"kept"),
                        ("readingidx~m-1", b"[]"),
                    ),
                    ("consortium", "readings"): kv_writes(("reading~m-1~09:30", b"other cc")),
                }
            ),
        },
    )

    assert find_private_writes(item, "community", "readings") == {
        "reading~m-1~09:00": b"later",
        "reading~m-1~09:15": b"kept",
    }
    assert find_private_writes(item, "community", "households") == {"household~h-1": b"Ada"}
    assert find_private_writes(item, "community", "orders") == {}
    assert find_private_writes(with_private_data(9, {}), "community", "readings") == {}


@pytest.mark.parametrize(
    ("private_data", "message"),
    [
        (
            {2: private_rwset({("community", "readings"): b"\x0a\x05ab"})},
            "private data of community/readings in transaction 2 of block 7 is not a KVRWSet",
        ),
        (
            {2: private_rwset({("community", "readings"): kv_writes()}, data_model=1)},
            "private data of transaction 2 in block 7 has data model 1, not KV",
        ),
    ],
    ids=["truncated", "not-kv"],
)
def test_undecodable_private_data_is_an_error(private_data, message) -> None:
    with pytest.raises(DeliverError, match=message):
        find_private_writes(with_private_data(7, private_data), "community", "readings")


def test_a_refusal_status_raises_deliver_error_with_the_status(peer, peer_channel, user) -> None:
    peer.script = [events_pb2.DeliverResponse(status=common_pb2.Status.FORBIDDEN)]

    with pytest.raises(DeliverError) as caught:
        fetch(peer_channel, user, 0, 1, private_data=True)

    error = caught.value
    assert isinstance(error, GatewayError)
    assert (error.status, error.grpc_code, error.transaction_id) == (403, None, None)
    assert str(error) == (
        f"blocks 0 to 1 of channel {CHANNEL}: the peer answered with status 403 (FORBIDDEN)"
    )


def test_a_signature_the_peer_cannot_verify_is_refused(peer, peer_channel, user) -> None:
    request = DeliverRequest(peer_channel, user.identity, None, CHANNEL, 0, 0)
    request.set_signature(user.sign(hashlib.sha256(b"something else").digest()))

    with pytest.raises(DeliverError) as caught:
        request.blocks()
    assert caught.value.status == common_pb2.Status.FORBIDDEN


def test_a_failed_call_raises_deliver_error_chained_to_the_grpc_error(
    peer, peer_channel, user
) -> None:
    peer.abort = (grpc.StatusCode.UNAVAILABLE, "peer is shutting down")

    with pytest.raises(DeliverError) as caught:
        fetch(peer_channel, user, 0, 0)

    error = caught.value
    assert (error.grpc_code, error.message, error.status) == (
        grpc.StatusCode.UNAVAILABLE,
        "peer is shutting down",
        None,
    )
    assert isinstance(error.__cause__, grpc.RpcError)


def test_blocks_not_yet_committed_are_waited_for_until_the_deadline(
    peer, peer_channel, user
) -> None:
    started = time.monotonic()
    with pytest.raises(DeliverError) as caught:
        fetch(peer_channel, user, LEDGER_HEIGHT - 1, LEDGER_HEIGHT, timeout=0.5)

    assert caught.value.grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.4 < time.monotonic() - started < 5


def response(number: int) -> Any:
    return events_pb2.DeliverResponse(block=block(number))


SUCCESS = events_pb2.DeliverResponse(status=common_pb2.Status.SUCCESS)


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ([response(1), response(3), SUCCESS], "the peer sent block 3 where block 2 was expected"),
        ([response(1), response(2), response(3), SUCCESS], "the peer sent block 3 where none was"),
        ([response(1), response(2)], "the stream ended without a status after 2 blocks"),
        ([response(1), SUCCESS], "the peer reported success after 1 blocks"),
        (
            [events_pb2.DeliverResponse(block_and_private_data=with_private_data(1, {}))],
            "the peer sent a block_and_private_data instead of a block",
        ),
    ],
    ids=["gap", "too-many", "no-status", "too-few", "wrong-kind"],
)
def test_a_stream_without_exactly_the_blocks_asked_for_is_an_error(
    peer, peer_channel, user, script, problem
) -> None:
    peer.script = script

    with pytest.raises(DeliverError) as caught:
        fetch(peer_channel, user, 1, 2)

    assert str(caught.value) == f"blocks 1 to 2 of channel {CHANNEL}: {problem}"


def test_long_form_signs_offline(peer, peer_channel, user) -> None:
    request = DeliverRequest(peer_channel, user.identity, None, CHANNEL, 1, 1, private_data=True)
    assert request.digest() == hashlib.sha256(request.bytes()).digest()

    with pytest.raises(ValueError, match="has no signature and no signer"):
        request.blocks()

    request.set_signature(user.sign(request.digest()))
    [item] = request.blocks()

    assert item.block == block(1)
    [(_, envelope)] = peer.received
    assert envelope.payload == request.bytes()
    assert decode(envelope)["channel_header"].tx_id == request.transaction_id


@pytest.mark.parametrize(("start", "stop"), [(3, 2), (-1, 0)])
def test_an_empty_or_negative_range_is_refused(peer_channel, user, start, stop) -> None:
    with pytest.raises(ValueError, match=f"blocks {start} to {stop}: need 0 <= start <= stop"):
        DeliverRequest(peer_channel, user.identity, user.sign, CHANNEL, start, stop)


def test_certificate_hash_is_sha256_of_the_der_certificate() -> None:
    pem = make_certificate(ec.generate_private_key(ec.SECP256R1()), "operator1")
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    assert certificate_hash(pem) == hashlib.sha256(der).digest()
    with pytest.raises(ValueError, match=r"not a PEM X\.509 certificate"):
        certificate_hash(b"not a certificate")
