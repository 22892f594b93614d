"""Fewer messages per transaction: Fabric 3's write batches and multi-key reads.

Every ledger request of a chaincode is a round trip over the peer stream, and a
batch of 96 readings made about 200 of them. Since Fabric 3.0 the peer says in its
READY message (a `ChaincodeAdditionalParams`) whether it accepts writes in batches
(WRITE_BATCH_STATE) and reads of many keys at once (GET_STATE_MULTIPLE), and how
many per message. The Go shim uses both; the Python shim knows neither, so this
module adds them: the handler keeps a transaction's writes and sends them in one
message before COMPLETED (or as soon as a batch is full). What a transaction commits
does not change, since Fabric's reads never see the transaction's own writes; only
where a refusal shows can: a write the peer refuses fails the batch, at its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fabric_protos.peer import chaincode_shim_pb2 as shim_pb2

__all__ = ["WRITES", "PeerParams", "write_record"]

Message = shim_pb2.ChaincodeMessage
Record = shim_pb2.WriteRecord

# a ledger request that writes → the kind of record it becomes in a write batch
WRITES = {
    Message.PUT_STATE: Record.PUT_STATE,
    Message.DEL_STATE: Record.DEL_STATE,
    Message.PURGE_PRIVATE_DATA: Record.PURGE_PRIVATE_DATA,
    Message.PUT_STATE_METADATA: Record.PUT_STATE_METADATA,
}


@dataclass(frozen=True)
class PeerParams:
    """What the peer's READY message offers (all off for a peer older than Fabric 3)."""

    use_write_batch: bool = False
    max_write_batch: int = 0
    use_get_multiple: bool = False
    max_get_multiple: int = 0

    @classmethod
    def parse(cls, payload: bytes) -> PeerParams:
        """Decode a `ChaincodeAdditionalParams` (fields 1-4: bool, uint32, bool, uint32).

        The protobuf package GridLedger pins predates the message, so its four varint
        fields are read here; unknown fields are skipped as protobuf requires.
        """
        values: dict[int, int] = {}
        position = 0
        while position < len(payload):
            tag, position = varint(payload, position)
            field, wire = tag >> 3, tag & 7
            if wire == 0:
                values[field], position = varint(payload, position)
            elif wire == 2:
                size, position = varint(payload, position)
                position += size
            elif wire in (1, 5):
                position += 8 if wire == 1 else 4
            else:
                raise ValueError(f"peer READY parameters: unsupported wire type {wire}")
            if position > len(payload):
                raise ValueError(f"peer READY parameters: field {field} runs past the end")
        return cls(
            use_write_batch=bool(values.get(1, 0)),
            max_write_batch=values.get(2, 0),
            use_get_multiple=bool(values.get(3, 0)),
            max_get_multiple=values.get(4, 0),
        )


def varint(data: bytes, position: int) -> tuple[int, int]:
    """The varint at `position` and the position after it."""
    value = shift = 0
    while True:
        if position >= len(data):
            raise ValueError("peer READY parameters: truncated varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


def write_record(message: Any) -> Any:
    """The WriteRecord that carries one PUT_STATE / DEL_STATE / PURGE / PUT_STATE_METADATA."""
    kind = WRITES[message.type]
    if message.type == Message.PUT_STATE:
        put = shim_pb2.PutState.FromString(message.payload)
        return Record(key=put.key, value=put.value, collection=put.collection, type=kind)
    if message.type == Message.PUT_STATE_METADATA:
        meta = shim_pb2.PutStateMetadata.FromString(message.payload)
        return Record(key=meta.key, collection=meta.collection, metadata=meta.metadata, type=kind)
    delete = shim_pb2.DelState.FromString(message.payload)
    return Record(key=delete.key, collection=delete.collection, type=kind)
