"""In-process fakes of a channel for the config update tests: a peer's Deliver service over
a list of blocks, an orderer's AtomicBroadcast service that accepts or refuses, and the
blocks they hold. Both check every signature they receive as Fabric's nodes would.
(A uniquely named module rather than `conftest`, like `client_fakes`.)
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
from client_fakes import verify
from cryptography.exceptions import InvalidSignature
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.orderer import ab_pb2, ab_pb2_grpc
from fabric_protos.peer import events_pb2, events_pb2_grpc


def block(number: int, last_config: int, header_type: int, data: bytes, channel: str) -> Any:
    """A block of one transaction, its last-config index in its SIGNATURES metadata."""
    orderer = common_pb2.OrdererBlockMetadata(last_config=common_pb2.LastConfig(index=last_config))
    signatures = common_pb2.Metadata(value=orderer.SerializeToString()).SerializeToString()
    header = common_pb2.ChannelHeader(type=header_type, channel_id=channel)
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()), data=data
    )
    envelope = common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()
    return common_pb2.Block(
        header=common_pb2.BlockHeader(number=number),
        data=common_pb2.BlockData(data=[envelope]),
        metadata=common_pb2.BlockMetadata(metadata=[signatures, b"", b"", b"", b""]),
    )


def config_block(number: int, config: Any, channel: str) -> Any:
    """A config block setting `config`."""
    data = configtx_pb2.ConfigEnvelope(config=config).SerializeToString()
    return block(number, number, common_pb2.HeaderType.CONFIG, data, channel)


@dataclass
class FakePeer(events_pb2_grpc.DeliverServicer):
    """A peer's Deliver service over `blocks` (specified and newest positions).

    It checks each request's signature as a peer would (FORBIDDEN when it fails), serves
    only `channel` when one is named (NOT_FOUND for any other), refuses everything with
    `status` when that is not SUCCESS, and logs each seek with its TLS certificate hash.
    """

    blocks: list[Any] = field(default_factory=list)
    channel: str | None = None
    status: int = common_pb2.Status.SUCCESS
    seeks: list[tuple[Any, bytes]] = field(default_factory=list)

    def Deliver(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:
        for request in request_iterator:
            yield from self.answer(request)

    def answer(self, request: Any) -> Iterator[Any]:
        payload = common_pb2.Payload.FromString(request.payload)
        creator = common_pb2.SignatureHeader.FromString(payload.header.signature_header).creator
        header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
        seek = ab_pb2.SeekInfo.FromString(payload.data)
        self.seeks.append((seek, header.tls_cert_hash))
        try:
            verify(request.signature, request.payload, creator)
        except InvalidSignature:
            yield events_pb2.DeliverResponse(status=common_pb2.Status.FORBIDDEN)
            return
        if self.channel is not None and header.channel_id != self.channel:
            yield events_pb2.DeliverResponse(status=common_pb2.Status.NOT_FOUND)
            return
        if self.status != common_pb2.Status.SUCCESS:
            yield events_pb2.DeliverResponse(status=self.status)
            return
        newest = len(self.blocks) - 1
        start, stop = (
            newest if p.HasField("newest") else p.specified.number for p in (seek.start, seek.stop)
        )
        for number in range(start, stop + 1):
            yield events_pb2.DeliverResponse(block=self.blocks[number])
        yield events_pb2.DeliverResponse(status=common_pb2.Status.SUCCESS)


@dataclass
class FakeOrderer(ab_pb2_grpc.AtomicBroadcastServicer):
    """Checks the submitter's signature, answers `status`; on SUCCESS calls `accepted`."""

    status: int = common_pb2.Status.SUCCESS
    info: str = ""
    received: list[bytes] = field(default_factory=list)
    accepted: Callable[[], None] = lambda: None

    def Broadcast(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:
        for envelope in request_iterator:
            payload = common_pb2.Payload.FromString(envelope.payload)
            header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
            verify(envelope.signature, envelope.payload, header.creator)
            self.received.append(envelope.SerializeToString())
            if self.status == common_pb2.Status.SUCCESS:
                self.accepted()
            yield ab_pb2.BroadcastResponse(status=self.status, info=self.info)
