"""Private data collections, the transient map and key-level endorsement.

``fabric-chaincode-python`` 2.5.4 has none of these, though the peer serves them all
on the chaincode's stream: its stub has no private data calls (get, put, delete,
purge, hash, range), no state metadata (so no key-level endorsement policy) and no
transient map. This module sends those requests itself, with the messages and
payloads of Fabric's Go shim (``shim/handler.go``), each through the handler's one
request path, so a peer's ERROR answer raises :class:`PeerError` as for any ledger
request. The transient map is read from the proposal the stub has already decoded.

What Fabric does with them (``tests/unit/chaincode/ccfakes.FakeLedger`` does the same):

* Reads see committed state, never the transaction's own writes.
* An empty value written is a delete, so :func:`put_private` refuses one.
* Delete removes the value, its hash and its metadata at commit. Purge does the same
  and also erases the key's history from every member's private data store (the
  channel needs the V2_5 application capability); after either, the hash is gone
  from state too: only the blocks keep hashes of values written before.
* :func:`get_private_hash` needs no membership: a peer outside the collection holds
  the hashes.
* A range query on a collection is only allowed in a read-only transaction: the peer
  refuses it after any write, and refuses every write after it.
* Writing metadata of a key that does not exist (after the transaction) does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fabric_protos.common import policies_pb2
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.msp import msp_principal_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb2
from google.protobuf.message import DecodeError
from google.protobuf.message import Message as ProtoMessage

from .errors import PeerError, ValidationError
from .state import _decode, canonical_bytes

__all__ = [
    "VALIDATION_PARAMETER",
    "delete_private",
    "get_key_endorsement",
    "get_private",
    "get_private_hash",
    "get_private_json",
    "get_private_many",
    "list_private",
    "list_private_json",
    "purge_private",
    "put_private",
    "put_private_json",
    "set_key_endorsement",
    "signature_policy",
    "transient",
]

Message = shim_pb2.ChaincodeMessage
VALIDATION_PARAMETER = "VALIDATION_PARAMETER"  # the metadata key of a key-level policy
# Like the Go shim: an unbounded range starts here, so that it leaves out composite
# keys, which begin with U+0000.
EMPTY_KEY_SUBSTITUTE = "\x01"


def transient(ctx: Any) -> dict[str, bytes]:
    """The proposal's transient map (data the client sent to the endorsers only)."""
    proposal = ctx.get_stub().signed_proposal_pb
    if not proposal:
        return {}
    payload = proposal["proposal"]["payload"]
    return {name: bytes(value) for name, value in payload.TransientMap.items()}


async def get_private(ctx: Any, collection: str, key: str) -> bytes | None:
    """The committed value of *key* in *collection*, or ``None`` when absent."""
    _check(collection, key)
    reply = await _ask(
        ctx, Message.GET_STATE, shim_pb2.GetState(key=key, collection=collection), "GetPrivateData"
    )
    return reply.payload or None


async def get_private_many(ctx: Any, collection: str, keys: Sequence[str]) -> list[bytes | None]:
    """The committed values of *keys* in *collection* (``None`` where absent), in order.

    One GET_STATE_MULTIPLE round trip per peer-allowed chunk where the peer offers it
    (Fabric 3), else one GET_STATE per key: the same answer either way.
    """
    for key in keys:
        _check(collection, key)
    params = getattr(ctx.get_stub().client, "peer_params", None)
    if params is None or not params.use_get_multiple:
        return [await get_private(ctx, collection, key) for key in keys]
    size = max(1, params.max_get_multiple)
    values: list[bytes | None] = []
    for start in range(0, len(keys), size):
        chunk = list(keys[start : start + size])
        request = shim_pb2.GetStateMultiple(keys=chunk, collection=collection)
        reply = await _ask(ctx, Message.GET_STATE_MULTIPLE, request, "GetPrivateDataMultiple")
        found = _parse(shim_pb2.GetStateMultipleResult, reply, "GetPrivateDataMultiple").values
        if len(found) != len(chunk):
            raise PeerError(
                f"peer answered GetPrivateDataMultiple for {len(chunk)} keys "
                f"with {len(found)} values"
            )
        values += [bytes(value) or None for value in found]
    return values


async def put_private(ctx: Any, collection: str, key: str, value: bytes) -> None:
    """Write *value* under *key* in *collection* (only its hash goes on the channel)."""
    _check(collection, key)
    if not value:
        raise ValidationError(
            f"value of key {key} in collection {collection} must not be empty: "
            "fabric treats an empty write as a delete"
        )
    request = shim_pb2.PutState(key=key, value=bytes(value), collection=collection)
    await _ask(ctx, Message.PUT_STATE, request, "PutPrivateData")


async def delete_private(ctx: Any, collection: str, key: str) -> None:
    """Delete *key* from *collection*; members' private data stores keep its history."""
    _check(collection, key)
    request = shim_pb2.DelState(key=key, collection=collection)
    await _ask(ctx, Message.DEL_STATE, request, "DelPrivateData")


async def purge_private(ctx: Any, collection: str, key: str) -> None:
    """Delete *key* from *collection* and erase its history from every member's store."""
    _check(collection, key)
    request = shim_pb2.DelState(key=key, collection=collection)
    await _ask(ctx, Message.PURGE_PRIVATE_DATA, request, "PurgePrivateData")


async def get_private_hash(ctx: Any, collection: str, key: str) -> bytes | None:
    """The SHA-256 (32 raw bytes) of the value of *key* in *collection*, or ``None``."""
    _check(collection, key)
    request = shim_pb2.GetState(key=key, collection=collection)
    reply = await _ask(ctx, Message.GET_PRIVATE_DATA_HASH, request, "GetPrivateDataHash")
    return reply.payload or None


async def list_private(
    ctx: Any, collection: str, start_key: str, end_key: str
) -> list[tuple[str, bytes]]:
    """``(key, value)`` pairs of *collection* with ``start_key <= key < end_key``, in key order.

    Empty *start_key* / *end_key* leave that end open. Keys starting with U+0000
    (composite keys) are refused, as in the Go shim. Fabric allows this query only
    in a transaction that writes nothing.
    """
    _check_collection(collection)
    start_key = start_key or EMPTY_KEY_SUBSTITUTE
    for bound in (start_key, end_key):
        if bound.startswith("\x00"):
            raise ValidationError(
                f"range key {bound!r} in collection {collection} starts with a nul "
                "character, which is reserved for composite keys"
            )
    action = "GetPrivateDataByRange"
    request = shim_pb2.GetStateByRange(startKey=start_key, endKey=end_key, collection=collection)
    reply = await _ask(ctx, Message.GET_STATE_BY_RANGE, request, action)
    page = _parse(shim_pb2.QueryResponse, reply, action)
    query_id = page.id
    entries: list[tuple[str, bytes]] = []
    while True:
        for result in page.results:
            kv = _parse_bytes(kv_query_result_pb2.KV, result.resultBytes, action)
            entries.append((kv.key, kv.value))
        if not page.has_more:
            break
        reply = await _ask(
            ctx, Message.QUERY_STATE_NEXT, shim_pb2.QueryStateNext(id=query_id), "QueryStateNext"
        )
        page = _parse(shim_pb2.QueryResponse, reply, "QueryStateNext")
    # After a failure there is nothing to close: the peer drops a transaction's
    # iterators when it completes.
    await _ask(
        ctx, Message.QUERY_STATE_CLOSE, shim_pb2.QueryStateClose(id=query_id), "QueryStateClose"
    )
    return sorted(entries, key=lambda entry: entry[0])


async def get_private_json(ctx: Any, collection: str, key: str) -> Any | None:
    """The JSON value of *key* in *collection*, ``None`` when absent; bad JSON is a StateError."""
    raw = await get_private(ctx, collection, key)
    if raw is None:
        return None
    return _decode(f"{key} in collection {collection}", raw)


async def list_private_json(
    ctx: Any, collection: str, start_key: str, end_key: str
) -> list[tuple[str, Any]]:
    """As :func:`list_private`, each value decoded from JSON; bad JSON is a StateError."""
    entries = await list_private(ctx, collection, start_key, end_key)
    return [(key, _decode(f"{key} in collection {collection}", raw)) for key, raw in entries]


async def put_private_json(ctx: Any, collection: str, key: str, value: Any) -> None:
    """Write *value* under *key* in *collection* as canonical JSON."""
    await put_private(ctx, collection, key, canonical_bytes(value))


def signature_policy(msp_ids: Sequence[str], *, all_of: bool = True) -> bytes:
    """A serialized ``SignaturePolicyEnvelope``: the peers of all (or any one) of *msp_ids*.

    Identities keep the given order (the Go ``statebased`` package sorts them); the
    policy is ``NOutOf(len, ...)`` for all, ``NOutOf(1, ...)`` for any.
    """
    if isinstance(msp_ids, str):
        raise ValidationError(
            f"endorsement policy takes a list of msp ids, not the string '{msp_ids}'"
        )
    if not msp_ids:
        raise ValidationError("endorsement policy needs at least one msp id")
    seen: set[str] = set()
    for msp_id in msp_ids:
        if not isinstance(msp_id, str) or not msp_id:
            raise ValidationError("endorsement policy msp ids must be non-empty strings")
        if msp_id in seen:
            raise ValidationError(f"endorsement policy lists msp id {msp_id} twice")
        seen.add(msp_id)
    identities = [
        msp_principal_pb2.MSPPrincipal(
            principal_classification=msp_principal_pb2.MSPPrincipal.ROLE,
            principal=msp_principal_pb2.MSPRole(
                msp_identifier=msp_id, role=msp_principal_pb2.MSPRole.PEER
            ).SerializeToString(),
        )
        for msp_id in msp_ids
    ]
    rules = [policies_pb2.SignaturePolicy(signed_by=index) for index in range(len(msp_ids))]
    rule = policies_pb2.SignaturePolicy(
        n_out_of=policies_pb2.SignaturePolicy.NOutOf(n=len(rules) if all_of else 1, rules=rules)
    )
    envelope = policies_pb2.SignaturePolicyEnvelope(version=0, rule=rule, identities=identities)
    return envelope.SerializeToString()


async def set_key_endorsement(
    ctx: Any, key: str, msp_ids: Sequence[str], *, collection: str = "", all_of: bool = True
) -> None:
    """Make the next changes of *key* (public, or in *collection*) need endorsement by
    the peers of all of *msp_ids* (``all_of=False``: of any one of them).

    Takes effect once this transaction commits, and only if *key* then exists.
    """
    _check(collection, key, private=bool(collection))
    policy = signature_policy(msp_ids, all_of=all_of)
    request = shim_pb2.PutStateMetadata(
        key=key,
        collection=collection,
        metadata=shim_pb2.StateMetadata(metakey=VALIDATION_PARAMETER, value=policy),
    )
    await _ask(ctx, Message.PUT_STATE_METADATA, request, "PutStateMetadata")


async def get_key_endorsement(ctx: Any, key: str, *, collection: str = "") -> bytes | None:
    """The serialized key-level endorsement policy of *key*, or ``None`` when it has none."""
    _check(collection, key, private=bool(collection))
    request = shim_pb2.GetStateMetadata(key=key, collection=collection)
    reply = await _ask(ctx, Message.GET_STATE_METADATA, request, "GetStateMetadata")
    result = _parse(shim_pb2.StateMetadataResult, reply, "GetStateMetadata")
    for entry in result.entries:
        if entry.metakey == VALIDATION_PARAMETER:
            return bytes(entry.value)
    return None


async def _ask(ctx: Any, kind: int, request: ProtoMessage, action: str) -> Any:
    """Send one request of this transaction to the peer; its RESPONSE (ERROR raises PeerError)."""
    stub = ctx.get_stub()
    message = Message(
        type=kind, payload=request.SerializeToString(), txid=stub.tx_id, channel_id=stub.channel_id
    )
    # chaincode.runtime.handler overrides this (name-mangled) method of the shim's
    # Handler: every ledger request, ours included, goes through it.
    return await stub.client._Handler__ask_peer_and_listen(message, action)


def _parse(kind: Any, reply: Any, action: str) -> Any:
    return _parse_bytes(kind, reply.payload, action)


def _parse_bytes(kind: Any, data: bytes, action: str) -> Any:
    try:
        return kind.FromString(data)
    except DecodeError as exc:
        name = kind.DESCRIPTOR.name
        raise PeerError(f"peer answered {action} with a malformed {name}") from exc


def _check_collection(collection: str) -> None:
    if not collection:
        raise ValidationError("private data collection name must not be empty")
    if "\x00" in collection:
        raise ValidationError(f"collection name {collection!r} must not contain a nul character")


def _check(collection: str, key: str, *, private: bool = True) -> None:
    if private:
        _check_collection(collection)
        if not key:
            raise ValidationError(f"key in collection {collection} must not be empty")
    elif not key:
        raise ValidationError("state key must not be empty")
