"""Decoding Fabric's messages with an error that says what was being read.

A block or envelope that cannot be decoded is an error naming where it came from (a
`ValueError`), never a silently skipped entry: the audit, the config tools and the
config block reader share these few functions.
"""

from typing import Any

from ._protos import DecodeError, common_pb2

__all__ = ["SIGNATURES", "decode", "last_config_index", "payload"]

SIGNATURES = 0  # common.BlockMetadataIndex.SIGNATURES: holds the OrdererBlockMetadata


def decode(message_type: Any, data: bytes, what: str) -> Any:
    try:
        return message_type.FromString(data)
    except DecodeError as exc:
        raise ValueError(f"{what} is not a {message_type.DESCRIPTOR.full_name}: {exc}") from exc


def payload(data: bytes, number: int, index: int) -> tuple[Any, Any]:
    """The envelope's payload and its channel header."""
    where = f"transaction {index} of block {number}"
    envelope = decode(common_pb2.Envelope, data, where)
    found = decode(common_pb2.Payload, envelope.payload, where)
    channel_header = decode(common_pb2.ChannelHeader, found.header.channel_header, where)
    return found, channel_header


def last_config_index(block: Any) -> int | None:
    """The last-config index the orderer put in the SIGNATURES metadata, if any."""
    metadata = block.metadata.metadata
    if len(metadata) <= SIGNATURES or not metadata[SIGNATURES]:
        return None
    number = int(block.header.number)
    signatures = decode(common_pb2.Metadata, metadata[SIGNATURES], f"metadata of block {number}")
    if not signatures.value:
        return None
    orderer = decode(
        common_pb2.OrdererBlockMetadata, signatures.value, f"orderer metadata of block {number}"
    )
    if not orderer.HasField("last_config"):
        return None
    return int(orderer.last_config.index)
