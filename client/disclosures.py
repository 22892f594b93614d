"""Checking a disclosed reading without the ledger's help: from a commitment, or from a block.

The commitment of a meter-day is the SHA-256 every peer keeps of the day's bundle
roots (:mod:`gridspec.reading_bundle`). Anyone holding the block that wrote it finds
the same hash in the block's public read-write set, where Fabric records, for each
private write, the SHA-256 of its key and of its value: so a block obtained from any
peer, or from an archive, proves a disclosure with no query to the ledger.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from gridspec.disclosure import implied_commitment

from ._protos import (
    DecodeError,
    common_pb2,
    kv_rwset_pb2,
    proposal_pb2,
    proposal_response_pb2,
    rwset_pb2,
    transaction_pb2,
)
from .audit import validation_codes

__all__ = ["READINGS_COLLECTION", "commitment_in_block", "hashed_writes", "verify_in_block"]

READINGS_COLLECTION = "readings"
VALID = 0


def hashed_writes(block: Any, namespace: str, collection: str) -> Iterator[tuple[bytes, bytes]]:
    """(SHA-256 of key, SHA-256 of value) of every private write the block's valid
    transactions made to `collection` of chaincode `namespace`, in block order:
    Envelope → Payload → Transaction → ChaincodeActionPayload → ProposalResponsePayload →
    ChaincodeAction → TxReadWriteSet → HashedRWSet. A block not validated by a peer (no
    validation codes) is a ValueError."""
    codes = validation_codes(block)
    for data, code in zip(block.data.data, codes, strict=True):
        if code != VALID:
            continue
        try:
            payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(data).payload)
            header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
            if header.type != common_pb2.HeaderType.ENDORSER_TRANSACTION:
                continue
            for action in transaction_pb2.Transaction.FromString(payload.data).actions:
                yield from _action_writes(action, namespace, collection)
        except DecodeError:
            continue


def _action_writes(action: Any, namespace: str, collection: str) -> Iterator[tuple[bytes, bytes]]:
    action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
    response = proposal_response_pb2.ProposalResponsePayload.FromString(
        action_payload.action.proposal_response_payload
    )
    results = proposal_pb2.ChaincodeAction.FromString(response.extension).results
    for ns in rwset_pb2.TxReadWriteSet.FromString(results).ns_rwset:
        if ns.namespace != namespace:
            continue
        for hashed in ns.collection_hashed_rwset:
            if hashed.collection_name == collection:
                rwset = kv_rwset_pb2.HashedRWSet.FromString(hashed.hashed_rwset)
                for write in rwset.hashed_writes:
                    if not write.is_delete:
                        yield bytes(write.key_hash), bytes(write.value_hash)


def commitment_in_block(block: Any, namespace: str, key: str) -> str | None:
    """The hash (hex) the block's last write of readings key `key` committed, if any."""
    wanted = hashlib.sha256(key.encode()).digest()
    found = None
    for key_hash, value_hash in hashed_writes(block, namespace, READINGS_COLLECTION):
        if key_hash == wanted:
            found = value_hash.hex()
    return found


def verify_in_block(disclosure: Any, block: Any, namespace: str = "community") -> bool:
    """Whether a valid transaction of the block wrote the commitment proving `disclosure`."""
    claim = implied_commitment(disclosure)
    return claim.mismatch is None and commitment_in_block(block, namespace, claim.key) == (
        claim.commitment
    )
