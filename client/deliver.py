"""Blocks from a peer's Deliver service, with the private data the caller may read.

A deliver request is an envelope signed by the requesting identity: a DELIVER_SEEK_INFO
channel header and a `SeekInfo` naming the first and last block, with
BLOCK_UNTIL_READY so that blocks not yet committed are waited for. The peer checks the
identity against the channel's Readers policy, streams the blocks and ends with a
status. `DeliverWithPrivateData` pairs each block with the private data of the
collections whose member policy the identity satisfies, keyed by each transaction's
position in the block; a peer outside a collection has none to give, and data purged
or past its `blockToLive` is left out.

The request is signed like everything else, so `bytes()` and `digest()` are exposed for
offline signing. Peers that require client certificates bind a deliver request to the
TLS session it arrives on: pass `tls_certificate_hash`, the `certificate_hash` of the
client's TLS certificate, or the peer refuses the request.
"""

import hashlib
from collections.abc import Iterable
from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import signing
from ._protos import (
    DecodeError,
    ab_pb2,
    common_pb2,
    events_pb2_grpc,
    kv_rwset_pb2,
    rwset_pb2,
)
from .errors import DeliverError, translate_rpc_errors
from .identity import Identity, Sign
from .proposal import new_header

__all__ = ["DeliverRequest", "certificate_hash", "deliver_blocks", "find_private_writes"]


class DeliverRequest:
    """A signed request for blocks `start` to `stop` (inclusive) of one channel.

    With `private_data` the peer's `DeliverWithPrivateData` is called and `blocks()`
    returns `peer.BlockAndPrivateData` messages; otherwise `Deliver` and `common.Block`s.
    `timeout` (seconds) bounds the whole exchange, waiting for future blocks included.
    """

    def __init__(
        self,
        channel: grpc.Channel,
        identity: Identity,
        sign: Sign | None,
        channel_name: str,
        start: int,
        stop: int,
        *,
        private_data: bool = False,
        tls_certificate_hash: bytes = b"",
        timeout: float = 30,
    ) -> None:
        if not 0 <= start <= stop:
            raise ValueError(f"blocks {start} to {stop}: need 0 <= start <= stop")
        self._channel = channel
        self._sign = sign
        self._channel_name = channel_name
        self._start = start
        self._stop = stop
        self._private_data = private_data
        self._timeout = timeout
        self._transaction_id, header = new_header(
            common_pb2.HeaderType.DELIVER_SEEK_INFO,
            channel_name,
            identity.serialize(),
            tls_certificate_hash=tls_certificate_hash,
        )
        seek_info = ab_pb2.SeekInfo(
            start=_position(start),
            stop=_position(stop),
            behavior=ab_pb2.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY,
        )
        payload = common_pb2.Payload(header=header, data=seek_info.SerializeToString())
        self._payload: bytes = payload.SerializeToString()
        self._signature: bytes | None = None

    @property
    def transaction_id(self) -> str:
        return self._transaction_id

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return signing.digest(self._payload)

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; `sign` is then skipped."""
        self._signature = signature

    def blocks(self) -> list[Any]:
        """Send the request and return the blocks, in order, once the peer reports SUCCESS.

        Raises DeliverError when the call fails, the peer answers with another status,
        or the stream does not hold exactly the blocks asked for.
        """
        if self._signature is None:
            if self._sign is None:
                raise ValueError(
                    f"deliver request {self._transaction_id} has no signature and no signer"
                )
            self._signature = self._sign(self.digest())
        stub = events_pb2_grpc.DeliverStub(self._channel)
        method = stub.DeliverWithPrivateData if self._private_data else stub.Deliver
        envelope = common_pb2.Envelope(payload=self._payload, signature=self._signature)
        with translate_rpc_errors(DeliverError, None):
            responses = method(iter([envelope]), timeout=self._timeout)
            try:
                return self._collect(responses)
            finally:
                responses.cancel()  # a no-op once the peer has closed the stream

    def _collect(self, responses: Iterable[Any]) -> list[Any]:
        wanted = "block_and_private_data" if self._private_data else "block"
        blocks: list[Any] = []
        for response in responses:
            kind = response.WhichOneof("Type")
            if kind == "status":
                self._check_status(int(response.status), len(blocks))
                return blocks
            if kind != wanted:
                raise DeliverError(f"{self._what()}: the peer sent a {kind} instead of a {wanted}")
            item = getattr(response, kind)
            block = item.block if self._private_data else item
            number, expected = int(block.header.number), self._start + len(blocks)
            if number != expected or expected > self._stop:
                raise DeliverError(
                    f"{self._what()}: the peer sent block {number} where "
                    + (f"block {expected} was expected" if expected <= self._stop else "none was")
                )
            blocks.append(item)
        raise DeliverError(
            f"{self._what()}: the stream ended without a status after {len(blocks)} blocks"
        )

    def _check_status(self, status: int, received: int) -> None:
        if status != common_pb2.Status.SUCCESS:
            raise DeliverError(
                f"{self._what()}: the peer answered with status {status} ({_status_name(status)})",
                status=status,
            )
        if received != self._stop - self._start + 1:
            raise DeliverError(
                f"{self._what()}: the peer reported success after {received} blocks",
                status=status,
            )

    def _what(self) -> str:
        return f"blocks {self._start} to {self._stop} of channel {self._channel_name}"

    # Last in the class on purpose: below it, `bytes` in an annotation would mean this method.
    def bytes(self) -> bytes:
        """The serialized envelope payload (headers and `SeekInfo`): what the signature covers."""
        return self._payload


def deliver_blocks(
    channel: grpc.Channel,
    identity: Identity,
    sign: Sign | None,
    channel_name: str,
    start: int,
    stop: int,
    *,
    private_data: bool = False,
    tls_certificate_hash: bytes = b"",
    timeout: float = 30,
) -> list[Any]:
    """Blocks `start` to `stop` (inclusive) of `channel_name`, from the peer at the end of
    `channel`; with `private_data`, as `BlockAndPrivateData` (see `find_private_writes`).

    Same as `DeliverRequest(channel, identity, sign, channel_name, start, stop, ...).blocks()`.
    """
    request = DeliverRequest(
        channel,
        identity,
        sign,
        channel_name,
        start,
        stop,
        private_data=private_data,
        tls_certificate_hash=tls_certificate_hash,
        timeout=timeout,
    )
    return request.blocks()


def find_private_writes(
    block_and_private_data: Any, namespace: str, collection: str
) -> dict[str, bytes]:
    """{key: value} that the block's transactions wrote to `collection` of chaincode `namespace`.

    Only the private data the peer returned counts: none from a peer outside the
    collection, none for purged or expired keys. Transactions are taken in block order,
    so a later write wins and a delete removes the key. Raises DeliverError when the
    private data cannot be decoded.
    """
    number = int(block_and_private_data.block.header.number)
    private_data_map = block_and_private_data.private_data_map
    writes: dict[str, bytes] = {}
    for sequence in sorted(private_data_map):
        transaction = private_data_map[sequence]
        if transaction.data_model != rwset_pb2.TxReadWriteSet.DataModel.KV:
            raise DeliverError(
                f"private data of transaction {sequence} in block {number} "
                f"has data model {transaction.data_model}, not KV"
            )
        for namespace_set in transaction.ns_pvt_rwset:
            if namespace_set.namespace != namespace:
                continue
            for collection_set in namespace_set.collection_pvt_rwset:
                if collection_set.collection_name != collection:
                    continue
                try:
                    kv_set = kv_rwset_pb2.KVRWSet.FromString(collection_set.rwset)
                except DecodeError as exc:
                    raise DeliverError(
                        f"private data of {namespace}/{collection} in transaction {sequence} "
                        f"of block {number} is not a KVRWSet: {exc}"
                    ) from exc
                for write in kv_set.writes:
                    if write.is_delete:
                        writes.pop(write.key, None)
                    else:
                        writes[write.key] = bytes(write.value)
    return writes


def certificate_hash(certificate_pem: bytes) -> bytes:
    """The SHA-256 of a PEM certificate's DER bytes: how Fabric names a TLS client cert."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError as exc:
        raise ValueError("not a PEM X.509 certificate") from exc
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()


def _position(number: int) -> Any:
    return ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=number))


def _status_name(status: int) -> str:
    try:
        name: str = common_pb2.Status.Name(status)
    except ValueError:
        return "UNKNOWN_STATUS"
    return name
