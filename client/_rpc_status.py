"""Read the `google.rpc.Status` a gRPC server puts in the `grpc-status-details-bin` trailer.

The Fabric gateway attaches one `gateway.ErrorDetail` per peer to a failed call this way.
Neither `fabric_protos` nor `protobuf` ships `google/rpc/status.proto`, and the packages
that do (`googleapis-common-protos`, `grpcio-status`) are not dependencies, so the three
fields we need are read straight from the protobuf wire format:

    message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
    message Any    { string type_url = 1; bytes value = 2; }
"""

from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["STATUS_DETAILS_KEY", "PackedDetail", "status_details"]

STATUS_DETAILS_KEY = "grpc-status-details-bin"

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5
_STATUS_DETAILS = 3
_ANY_TYPE_URL, _ANY_VALUE = 1, 2


class PackedDetail(NamedTuple):
    """One `google.protobuf.Any` from `Status.details`, still packed."""

    type_url: str
    value: bytes


def status_details(status: bytes) -> list[PackedDetail]:
    """Return the packed `details` of a serialized `google.rpc.Status`.

    Raises ValueError when `status` is not a well-formed protobuf message.
    """
    return [
        _packed_detail(value)
        for number, value in _fields(status)
        if number == _STATUS_DETAILS and isinstance(value, bytes)
    ]


def _packed_detail(any_message: bytes) -> PackedDetail:
    type_url, value = "", b""
    for number, field in _fields(any_message):
        if not isinstance(field, bytes):
            continue
        if number == _ANY_TYPE_URL:
            type_url = field.decode("utf-8")
        elif number == _ANY_VALUE:
            value = field
    return PackedDetail(type_url, value)


def _fields(message: bytes) -> Iterator[tuple[int, int | bytes]]:
    """Yield (field number, value) pairs; varints as int, everything else as bytes."""
    position = 0
    while position < len(message):
        key, position = _varint(message, position)
        number, wire_type = key >> 3, key & 0x7
        value: int | bytes
        if wire_type == _VARINT:
            value, position = _varint(message, position)
        elif wire_type == _LENGTH_DELIMITED:
            length, position = _varint(message, position)
            value, position = _take(message, position, length)
        elif wire_type == _FIXED64:
            value, position = _take(message, position, 8)
        elif wire_type == _FIXED32:
            value, position = _take(message, position, 4)
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type} at byte {position}")
        yield number, value


def _varint(message: bytes, position: int) -> tuple[int, int]:
    result, shift = 0, 0
    while position < len(message) and shift < 64:
        byte = message[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
    raise ValueError(f"malformed protobuf varint before byte {position}")


def _take(message: bytes, position: int, length: int) -> tuple[bytes, int]:
    end = position + length
    if end > len(message):
        raise ValueError(f"protobuf field of {length} bytes runs past the end of the message")
    return message[position:end], end
