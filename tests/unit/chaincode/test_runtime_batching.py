"""chaincode.runtime.batching and its use: Fabric 3's write batches and multi-key reads.

``PeerParams.parse`` and ``write_record`` directly; then the handler and
``get_private_many`` over a real gRPC stream to ``ccpeer.FakePeer``, which offers the
features in READY (or not, as a peer before Fabric 3), records every request as
received and commits a transaction's writes only when it COMPLETES with status 200.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from ccfakes import FakeLedger, TxSimulation
from ccommunity import DAY, HEAD_END, KEYS, OPERATOR, day_batch, sign
from ccpeer import FABRIC3_DEFAULT, FakePeer, Message, Ready, response_of, serving, tag, varint
from fabric_chaincode_python.fabric_contract_api import (
    Contract,
    ContractChaincode,
    TransactionContext,
)
from fabric_chaincode_python.fabric_shim.interfaces import Chaincode
from fabric_chaincode_python.fabric_shim.response import error, success
from fabric_protos.peer import chaincode_shim_pb2 as shim
from fabric_protos.peer import proposal_response_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from chaincode.community import build_chaincode
from chaincode.runtime import (
    ValidationError,
    delete_private,
    get_private,
    get_private_many,
    list_private,
    purge_private,
    put_private,
    set_key_endorsement,
    signature_policy,
)
from chaincode.runtime.batching import WRITES, PeerParams, write_record
from network.scenario import community, day_readings

Record = shim.WriteRecord
PUT, DEL = Record.PUT_STATE, Record.DEL_STATE
PURGE, META = Record.PURGE_PRIVATE_DATA, Record.PUT_STATE_METADATA
READINGS = "readings"


# --- PeerParams.parse ------------------------------------------------------------------


def additional_params_class() -> Any:
    """``ChaincodeAdditionalParams`` built by protobuf itself from its .proto definition.

    The pinned fabric-protos predates the message, so it is declared here, in a pool of
    its own; its serialisation is the reference for ``ccpeer.Ready.payload``.
    """
    file = descriptor_pb2.FileDescriptorProto(
        name="gridledger_test/additional_params.proto", package="protos", syntax="proto3"
    )
    message = file.message_type.add(name="ChaincodeAdditionalParams")
    fields = [
        ("use_write_batch", descriptor_pb2.FieldDescriptorProto.TYPE_BOOL),
        ("max_size_write_batch", descriptor_pb2.FieldDescriptorProto.TYPE_UINT32),
        ("use_get_multiple_keys", descriptor_pb2.FieldDescriptorProto.TYPE_BOOL),
        ("max_size_get_multiple_keys", descriptor_pb2.FieldDescriptorProto.TYPE_UINT32),
    ]
    for number, (name, kind) in enumerate(fields, 1):
        message.field.add(
            name=name,
            number=number,
            type=kind,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
        )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    descriptor = pool.FindMessageTypeByName("protos.ChaincodeAdditionalParams")
    return message_factory.GetMessageClass(descriptor)


AdditionalParams = additional_params_class()


def params_of(ready: Ready) -> PeerParams:
    return PeerParams(
        use_write_batch=ready.use_write_batch,
        max_write_batch=ready.max_size_write_batch,
        use_get_multiple=ready.use_get_multiple_keys,
        max_get_multiple=ready.max_size_get_multiple_keys,
    )


def test_fabric_default_payload_offers_both_features_1000_at_a_time():
    payload = FABRIC3_DEFAULT.payload()

    assert payload == bytes.fromhex("08 01 10 e8 07 18 01 20 e8 07")
    assert PeerParams.parse(payload) == PeerParams(
        use_write_batch=True, max_write_batch=1000, use_get_multiple=True, max_get_multiple=1000
    )


def test_empty_payload_offers_nothing():
    # what a peer before Fabric 3 sends, and what FakePeer sends unless told otherwise
    assert Ready().payload() == b""
    assert PeerParams.parse(b"") == PeerParams()
    assert PeerParams() == PeerParams(False, 0, False, 0)


@pytest.mark.parametrize(
    "ready",
    [
        FABRIC3_DEFAULT,
        Ready(use_write_batch=True),
        Ready(max_size_write_batch=127),
        Ready(use_get_multiple_keys=True, max_size_get_multiple_keys=128),
        Ready(True, 300, False, 16_384),
        Ready(True, 2**32 - 1, True, 2**21),
    ],
    ids=repr,
)
def test_payload_is_protobufs_own_encoding_and_parses_back(ready):
    reference = AdditionalParams(
        use_write_batch=ready.use_write_batch,
        max_size_write_batch=ready.max_size_write_batch,
        use_get_multiple_keys=ready.use_get_multiple_keys,
        max_size_get_multiple_keys=ready.max_size_get_multiple_keys,
    ).SerializeToString(deterministic=True)

    assert ready.payload() == reference
    assert PeerParams.parse(reference) == params_of(ready)


def fields(*encoded: bytes) -> bytes:
    return b"".join(encoded)


def test_multi_byte_varints_are_decoded():
    payload = fields(
        tag(2, 0) + bytes([0xAC, 0x02]),  # 300
        tag(4, 0) + bytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),  # 2**32 - 1
        tag(1, 0) + bytes([0x81, 0x80, 0x00]),  # 1 in three bytes: valid, if not minimal
    )

    assert PeerParams.parse(payload) == PeerParams(True, 300, False, 2**32 - 1)
    assert AdditionalParams.FromString(payload).max_size_write_batch == 300


def test_unknown_fields_of_every_wire_type_are_skipped():
    # the known fields come first: an unknown field's body, read as fields, would change them
    payload = fields(
        tag(1, 0) + varint(1),
        tag(2, 0) + varint(7),
        tag(3, 0) + varint(1),
        tag(4, 0) + varint(3),
        tag(9, 0) + varint(2**40),  # varint
        tag(10, 1) + (tag(2, 0) + varint(99)) * 4,  # fixed64
        tag(11, 2) + varint(4) + tag(3, 0) + varint(0) + tag(4, 0) + varint(99),  # bytes
        tag(12, 5) + (tag(4, 0) + varint(99)) * 2,  # fixed32
        tag(1_000, 0) + varint(5),  # a field number whose tag takes two bytes
    )

    parsed = PeerParams.parse(payload)

    assert parsed == PeerParams(
        use_write_batch=True, max_write_batch=7, use_get_multiple=True, max_get_multiple=3
    )
    assert parsed == params_of(
        Ready(**{f.name: v for f, v in AdditionalParams.FromString(payload).ListFields()})
    )


def test_a_repeated_field_takes_its_last_value_as_protobuf_does():
    payload = tag(2, 0) + varint(10) + tag(2, 0) + varint(20)

    assert PeerParams.parse(payload).max_write_batch == 20
    assert AdditionalParams.FromString(payload).max_size_write_batch == 20


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(tag(2, 0) + bytes([0xE8]), id="value"),
        pytest.param(tag(1, 0) + varint(1) + bytes([0x80]), id="tag"),
        pytest.param(tag(11, 2) + bytes([0x80, 0x80]), id="length"),
        pytest.param(tag(2, 0), id="missing-value"),
    ],
)
def test_truncated_varint_is_an_error(payload):
    with pytest.raises(ValueError, match=r"^peer READY parameters: truncated varint$"):
        PeerParams.parse(payload)


@pytest.mark.parametrize("wire_type", [3, 4, 6, 7])
def test_group_and_undefined_wire_types_are_an_error(wire_type):
    payload = tag(1, 0) + varint(1) + tag(5, wire_type) + varint(1)

    with pytest.raises(
        ValueError, match=rf"^peer READY parameters: unsupported wire type {wire_type}$"
    ):
        PeerParams.parse(payload)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(tag(1, 0) + varint(1) + tag(11, 2) + varint(5) + b"ab", id="length-delimited"),
        pytest.param(tag(1, 0) + varint(1) + tag(10, 1) + bytes(3), id="fixed64"),
        pytest.param(tag(1, 0) + varint(1) + tag(12, 5) + bytes(1), id="fixed32"),
    ],
)
def test_a_field_running_past_the_end_is_an_error(payload):
    with pytest.raises(Exception):  # noqa: B017 (protobuf's own DecodeError, for reference)
        AdditionalParams.FromString(payload)
    with pytest.raises(ValueError, match=r"field 1[012] runs past the end"):
        PeerParams.parse(payload)


# --- write_record ----------------------------------------------------------------------

POLICY = signature_policy(["UtilityMSP"])
METADATA = shim.StateMetadata(metakey="VALIDATION_PARAMETER", value=POLICY)


@pytest.mark.parametrize(
    ("kind", "request_", "record"),
    [
        pytest.param(
            Message.PUT_STATE,
            shim.PutState(key="meter~m-1", value=b'{"a":1}'),
            Record(key="meter~m-1", value=b'{"a":1}', type=PUT),
            id="put-public",
        ),
        pytest.param(
            Message.PUT_STATE,
            shim.PutState(key="reading~m-1", value=b"42", collection=READINGS),
            Record(key="reading~m-1", value=b"42", collection=READINGS, type=PUT),
            id="put-private",
        ),
        pytest.param(
            Message.DEL_STATE,
            shim.DelState(key="meter~m-1"),
            Record(key="meter~m-1", type=DEL),
            id="delete-public",
        ),
        pytest.param(
            Message.DEL_STATE,
            shim.DelState(key="reading~m-1", collection=READINGS),
            Record(key="reading~m-1", collection=READINGS, type=DEL),
            id="delete-private",
        ),
        pytest.param(
            Message.PURGE_PRIVATE_DATA,
            shim.DelState(key="reading~m-1", collection=READINGS),
            Record(key="reading~m-1", collection=READINGS, type=PURGE),
            id="purge",
        ),
        pytest.param(
            Message.PUT_STATE_METADATA,
            shim.PutStateMetadata(key="meter~m-1", metadata=METADATA),
            Record(key="meter~m-1", metadata=METADATA, type=META),
            id="metadata-public",
        ),
        pytest.param(
            Message.PUT_STATE_METADATA,
            shim.PutStateMetadata(key="reading~m-1", collection=READINGS, metadata=METADATA),
            Record(key="reading~m-1", collection=READINGS, metadata=METADATA, type=META),
            id="metadata-private",
        ),
    ],
)
def test_write_record_carries_the_request(kind, request_, record):
    message = Message(
        type=kind, payload=request_.SerializeToString(), txid="tx-1", channel_id="community"
    )

    made = write_record(message)

    assert made == record
    assert (made.key, made.value, made.collection, made.type) == (
        record.key,
        record.value,
        record.collection,
        record.type,
    )
    assert made.metadata == record.metadata


def test_only_the_four_write_requests_are_batched():
    batched = {Message.Type.Name(kind) for kind in WRITES}

    assert batched == {"PUT_STATE", "DEL_STATE", "PURGE_PRIVATE_DATA", "PUT_STATE_METADATA"}


# --- the fake peer's side --------------------------------------------------------------


def batch_message(*records: Any, tx_id: str = "tx-1") -> Any:
    payload = shim.WriteBatchState(rec=list(records)).SerializeToString()
    return Message(type=Message.WRITE_BATCH_STATE, payload=payload, txid=tx_id)


def test_fake_applies_a_batch_in_order_and_stops_at_the_first_refusal():
    ledger = FakeLedger(collections={READINGS})
    simulation = TxSimulation(ledger, "tx-1")

    reply = simulation.answer(
        batch_message(
            Record(key="a", value=b"1", type=PUT),
            Record(key="a", type=DEL),  # the later write of a key wins
            Record(key="b", value=b"2", collection=READINGS, type=PUT),
            Record(key="c", value=b"3", collection="nope", type=PUT),
            Record(key="d", value=b"4", type=PUT),
        )
    )

    assert reply.type == Message.ERROR
    assert reply.payload == (
        b"collection [nope] not defined in the collection config for chaincode [gridledger]"
    )
    assert {ck: w.op for ck, w in simulation.writes.items()} == {
        ("", "a"): "delete",
        (READINGS, "b"): "put",
    }


def test_fake_refuses_a_record_of_no_known_type():
    reply = TxSimulation(FakeLedger(), "tx-1").answer(batch_message(Record(key="a")))

    assert (reply.type, reply.payload) == (Message.ERROR, b"unknown operation type")


def test_fake_answers_many_keys_aligned_public_or_private_with_access_rules():
    ledger = FakeLedger(state={"a": b"1", "c": b"3"}, collections={READINGS})
    ledger.seed_private(READINGS, "b", b"2")
    simulation = TxSimulation(ledger, "tx-1")

    def ask(keys, collection=""):
        request = shim.GetStateMultiple(keys=keys, collection=collection)
        return simulation.answer(
            Message(type=Message.GET_STATE_MULTIPLE, payload=request.SerializeToString())
        )

    public, private, refused = ask(["c", "x", "a"]), ask(["a", "b"], READINGS), ask(["a"], "nope")

    assert shim.GetStateMultipleResult.FromString(public.payload).values == [b"3", b"", b"1"]
    assert shim.GetStateMultipleResult.FromString(private.payload).values == [b"", b"2"]
    assert (refused.type, refused.payload) == (
        Message.ERROR,
        b"collection [nope] not defined in the collection config for chaincode [gridledger]",
    )


# --- the handler, over a real stream ---------------------------------------------------


@dataclass
class Gate:
    """Holds a transaction at a ``["wait", name]`` step until the test opens it."""

    arrived: asyncio.Event
    open: asyncio.Event


GATES: dict[str, Gate] = {}


class BatchContract(Contract):
    Name = "BatchContract"

    async def Apply(self, ctx: TransactionContext, plan: str) -> str:
        """Run *plan*'s steps in order; the values read, as JSON."""
        stub = ctx.get_stub()
        read: list[str | None] = []
        for step, *args in json.loads(plan):
            if step == "put":
                collection, key, value = args
                if collection:
                    await put_private(ctx, collection, key, value.encode())
                else:
                    await stub.put_state(key, value.encode())
            elif step == "del":
                collection, key = args
                if collection:
                    await delete_private(ctx, collection, key)
                else:
                    await stub.delete_state(key)
            elif step == "purge":
                await purge_private(ctx, *args)
            elif step == "endorse":
                collection, key, msp_id = args
                await set_key_endorsement(ctx, key, [msp_id], collection=collection)
            elif step == "get":
                collection, key = args
                raw = await (
                    get_private(ctx, collection, key) if collection else stub.get_state(key)
                )
                read.append(raw.decode() if raw else None)
            elif step == "list":
                entries = await list_private(ctx, args[0], "", "")
                read.append(",".join(key for key, _ in entries))
            elif step == "wait":
                gate = GATES[args[0]]
                gate.arrived.set()
                await gate.open.wait()
            elif step == "fail":
                raise ValidationError(args[0])
        return json.dumps(read)

    async def Many(self, ctx: TransactionContext, collection: str, keys: str) -> str:
        values = await get_private_many(ctx, collection, json.loads(keys))
        return json.dumps([None if value is None else value.decode() for value in values])


class RawWriter(Chaincode):
    """No Contract API: writes two keys, then ends as its one argument says."""

    async def init(self, stub):
        return success(b"")

    async def invoke(self, stub):
        ending, _ = stub.get_function_and_parameters()
        await stub.put_state("raw-1", b"1")
        await stub.put_state("raw-2", b"2")
        if ending == "raise":
            raise RuntimeError("raw chaincode gave up")
        if ending == "error":
            return error("raw chaincode refused")
        if ending == "404":
            return proposal_response_pb2.Response(status=404, message="raw chaincode: not found")
        return success(b"done")


def batch_chaincode() -> ContractChaincode:
    return ContractChaincode.new_chaincode(BatchContract())


def seed(ledger: FakeLedger) -> FakeLedger:
    """Committed state the plans below change: public k0, k1, k3 and private p0, p3, p9."""
    ledger.state.update({"k0": b"old-0", "k1": b"old-1", "k3": b"old-3"})
    for key in ("p0", "p3", "p9"):
        ledger.seed_private(READINGS, key, f"old-{key}".encode())
    return ledger


def committed(ledger: FakeLedger) -> tuple:
    """Everything a commit changes: state, private values, hashes, history, metadata."""
    return copy.deepcopy(
        (
            ledger.state,
            ledger.private,
            ledger.private_hashes,
            ledger.private_history,
            ledger.metadata,
        )
    )


UNTOUCHED = committed(seed(FakeLedger()))


def run(scenario, chaincode=None, **peer_options):
    """Serve *chaincode* (BatchContract), connect a fake peer, run ``scenario(peer)``.

    Nothing may reach the peer outside a transaction (a batch after COMPLETED would).
    """

    async def main():
        served = chaincode if chaincode is not None else batch_chaincode()
        async with serving(served) as target, FakePeer(target, **peer_options) as peer:
            seed(peer.ledger)
            result = await asyncio.wait_for(scenario(peer), timeout=10)
            assert peer.unexpected == []
            return peer, result

    return asyncio.run(main())


def applying(plan, **options):
    async def scenario(peer):
        return await peer.invoke("BatchContract:Apply", json.dumps(plan), **options)

    return scenario


def names(messages) -> list[str]:
    return [Message.Type.Name(m.type) for m in messages]


def batches(peer: FakePeer, tx_id: str | None = None) -> list[list[Any]]:
    """The records of each WRITE_BATCH_STATE the peer received (of *tx_id*), in order."""
    return [
        list(shim.WriteBatchState.FromString(m.payload).rec)
        for m in peer.requests
        if m.type == Message.WRITE_BATCH_STATE and tx_id in (None, m.txid)
    ]


def ok(reply) -> Any:
    response = response_of(reply)
    assert response.status == 200, response.message
    return json.loads(response.payload)


MIXED = [
    ["put", "", "k1", "v1"],
    ["put", READINGS, "p1", "x1"],
    ["del", "", "k0"],
    ["purge", READINGS, "p0"],
    ["endorse", "", "k1", "UtilityMSP"],
    ["put", "", "k2", "v2"],
    ["del", READINGS, "p9"],
    ["endorse", READINGS, "p1", "CommunityMSP"],
    ["put", READINGS, "p2", "x2"],
]
MIXED_RECORDS = [
    Record(key="k1", value=b"v1", type=PUT),
    Record(key="p1", value=b"x1", collection=READINGS, type=PUT),
    Record(key="k0", type=DEL),
    Record(key="p0", collection=READINGS, type=PURGE),
    Record(
        key="k1",
        type=META,
        metadata=shim.StateMetadata(
            metakey="VALIDATION_PARAMETER", value=signature_policy(["UtilityMSP"])
        ),
    ),
    Record(key="k2", value=b"v2", type=PUT),
    Record(key="p9", collection=READINGS, type=DEL),
    Record(
        key="p1",
        collection=READINGS,
        type=META,
        metadata=shim.StateMetadata(
            metakey="VALIDATION_PARAMETER", value=signature_policy(["CommunityMSP"])
        ),
    ),
    Record(key="p2", value=b"x2", collection=READINGS, type=PUT),
]


def test_writes_go_in_one_batch_in_call_order_before_completed():
    peer, reply = run(applying(MIXED, tx_id="tx-mixed"), ready=FABRIC3_DEFAULT)

    assert ok(reply) == []
    assert names(peer.requests) == ["WRITE_BATCH_STATE"]
    assert batches(peer, "tx-mixed") == [MIXED_RECORDS]
    assert names(peer.received) == ["WRITE_BATCH_STATE", "COMPLETED"]
    assert peer.unexpected == []


def test_a_batched_transaction_commits_what_it_commits_one_request_at_a_time():
    batched, batched_reply = run(applying(MIXED), ready=FABRIC3_DEFAULT)
    single, single_reply = run(applying(MIXED))

    assert names(single.requests) == [
        "PUT_STATE",
        "PUT_STATE",
        "DEL_STATE",
        "PURGE_PRIVATE_DATA",
        "PUT_STATE_METADATA",
        "PUT_STATE",
        "DEL_STATE",
        "PUT_STATE_METADATA",
        "PUT_STATE",
    ]
    assert [write_record(m) for m in single.requests] == MIXED_RECORDS
    assert committed(batched.ledger) == committed(single.ledger)
    assert response_of(batched_reply) == response_of(single_reply)
    # and the plan did change the ledger
    assert batched.ledger.state == {"k1": b"v1", "k2": b"v2", "k3": b"old-3"}
    assert batched.ledger.private[READINGS] == {"p1": b"x1", "p2": b"x2", "p3": b"old-p3"}
    assert set(batched.ledger.metadata) == {("", "k1"), (READINGS, "p1")}


def test_a_full_batch_is_sent_at_once_and_the_rest_before_completed():
    plan = [
        ["put", "", "a", "1"],
        ["put", "", "b", "2"],
        ["get", "", "k3"],
        ["put", "", "c", "3"],
        ["put", READINGS, "d", "4"],
        ["get", READINGS, "p3"],
        ["put", "", "e", "5"],
    ]

    peer, reply = run(applying(plan), ready=Ready(True, 2, False, 0))

    assert ok(reply) == ["old-3", "old-p3"]
    assert names(peer.received) == [
        "WRITE_BATCH_STATE",
        "GET_STATE",
        "WRITE_BATCH_STATE",
        "GET_STATE",
        "WRITE_BATCH_STATE",
        "COMPLETED",
    ]
    assert [[r.key for r in batch] for batch in batches(peer)] == [["a", "b"], ["c", "d"], ["e"]]
    assert peer.ledger.state["e"] == b"5"
    assert peer.ledger.private[READINGS]["d"] == b"4"


def test_reads_are_sent_when_called_and_see_committed_state_either_way():
    plan = [
        ["put", "", "k1", "new-1"],
        ["put", READINGS, "p3", "new-p3"],
        ["get", "", "k1"],  # written above: Fabric reads the committed value
        ["get", READINGS, "p3"],
        ["put", "", "k4", "4"],
    ]

    batched, batched_reply = run(applying(plan), ready=FABRIC3_DEFAULT)
    single, single_reply = run(applying(plan))

    assert names(batched.received) == ["GET_STATE", "GET_STATE", "WRITE_BATCH_STATE", "COMPLETED"]
    assert [r.key for r in batches(batched)[0]] == ["k1", "p3", "k4"]
    assert ok(batched_reply) == ok(single_reply) == ["old-1", "old-p3"]
    assert committed(batched.ledger) == committed(single.ledger)


def test_a_read_is_not_held_back_by_buffered_writes():
    async def scenario(peer):
        peer.hold.add("k3")
        plan = [["put", "", "k1", "1"], ["put", "", "k2", "2"], ["get", "", "k3"]]
        waiting = asyncio.create_task(peer.invoke("BatchContract:Apply", json.dumps(plan)))
        await asyncio.wait_for(peer.held.wait(), timeout=5)
        sent = names(peer.received)
        waiting.cancel()
        return sent

    _, sent = run(scenario, ready=FABRIC3_DEFAULT)

    assert sent == ["GET_STATE"]


@pytest.mark.parametrize("ready", [FABRIC3_DEFAULT, Ready(True, 1000, False, 0)], ids=repr)
def test_a_failed_contract_transaction_sends_no_batch_and_commits_nothing(ready):
    plan = [["put", "", "k1", "v1"], ["put", READINGS, "p1", "x1"], ["fail", "bad input"]]

    peer, reply = run(applying(plan), ready=ready)

    response = response_of(reply)
    assert (response.status, response.message) == (400, "bad input")
    assert peer.requests == []
    assert committed(peer.ledger) == UNTOUCHED


@pytest.mark.parametrize(
    ("ending", "kind", "answer"),
    [
        ("raise", "ERROR", b"Invoke failed: raw chaincode gave up"),
        ("error", "COMPLETED", (500, "raw chaincode refused")),
    ],
)
def test_a_chaincode_that_raises_or_answers_an_error_sends_no_batch(ending, kind, answer):
    async def scenario(peer):
        return await peer.invoke(ending)

    peer, reply = run(scenario, chaincode=RawWriter(), ready=FABRIC3_DEFAULT)

    assert Message.Type.Name(reply.type) == kind
    if kind == "ERROR":
        assert reply.payload == answer
    else:
        assert (response_of(reply).status, response_of(reply).message) == answer
    assert peer.requests == []
    assert committed(peer.ledger) == UNTOUCHED


def test_a_raw_chaincode_success_sends_its_batch():
    async def scenario(peer):
        return await peer.invoke("ok")

    peer, reply = run(scenario, chaincode=RawWriter(), ready=FABRIC3_DEFAULT)

    assert response_of(reply).payload == b"done"
    assert [[r.key for r in batch] for batch in batches(peer)] == [["raw-1", "raw-2"]]
    assert peer.ledger.state["raw-2"] == b"2"


def test_a_4xx_response_is_a_failure_and_sends_no_batch():
    async def scenario(peer):
        return await peer.invoke("404")

    peer, reply = run(scenario, chaincode=RawWriter(), ready=FABRIC3_DEFAULT)

    assert response_of(reply).status == 404
    assert committed(peer.ledger) == UNTOUCHED  # the peer commits nothing either way
    assert batches(peer) == []


def test_batches_filled_before_a_failure_were_sent_but_nothing_commits():
    plan = [
        ["put", "", "k1", "v1"],
        ["put", "", "k2", "v2"],
        ["put", "", "k5", "v5"],
        ["fail", "changed my mind"],
    ]

    peer, reply = run(applying(plan), ready=Ready(True, 2, False, 0))

    assert response_of(reply).status == 400
    assert [[r.key for r in batch] for batch in batches(peer)] == [["k1", "k2"]]
    assert committed(peer.ledger) == UNTOUCHED


def test_a_batch_the_peer_refuses_before_completed_is_a_502_like_any_refusal():
    async def scenario(fake):
        fake.fail[Message.WRITE_BATCH_STATE] = "ledger is on fire"
        return await fake.invoke("BatchContract:Apply", json.dumps(MIXED))

    peer, reply = run(scenario, ready=FABRIC3_DEFAULT)

    response = response_of(reply)
    assert (response.status, response.message) == (
        502,
        "peer refused WriteBatchState: ledger is on fire",
    )
    assert names(peer.received) == ["WRITE_BATCH_STATE", "COMPLETED"]
    assert committed(peer.ledger) == UNTOUCHED


def test_a_full_batch_the_peer_refuses_fails_the_write_that_filled_it():
    async def scenario(fake):
        fake.fail[Message.WRITE_BATCH_STATE] = "ledger is on fire"
        return await fake.invoke("BatchContract:Apply", json.dumps(MIXED))

    peer, reply = run(scenario, ready=Ready(True, 2, False, 0))

    response = response_of(reply)
    assert (response.status, response.message) == (
        502,
        "peer refused WriteBatchState: ledger is on fire",
    )
    assert names(peer.received) == ["WRITE_BATCH_STATE", "COMPLETED"]
    assert committed(peer.ledger) == UNTOUCHED


def test_a_refused_record_fails_the_batch_where_a_single_write_fails_its_call():
    # With one request per write, the PUT_STATE on an unknown collection fails the call
    # (a PeerError, 502); batched, the same refusal comes with the batch, after the
    # chaincode returned, as the same 502. Neither commits anything.
    plan = [["put", "", "k1", "v1"], ["put", "nope", "p1", "x1"], ["put", "", "k2", "v2"]]
    refusal = "collection [nope] not defined in the collection config for chaincode [gridledger]"

    async def scenario(peer):
        peer.ledger.collections = {READINGS}
        return await peer.invoke("BatchContract:Apply", json.dumps(plan))

    batched, batched_reply = run(scenario, ready=FABRIC3_DEFAULT)
    single, single_reply = run(scenario)

    batched_response = response_of(batched_reply)
    assert (batched_response.status, batched_response.message) == (
        502,
        f"peer refused WriteBatchState: {refusal}",
    )
    response = response_of(single_reply)
    assert (response.status, response.message) == (502, f"peer refused PutPrivateData: {refusal}")
    assert committed(batched.ledger) == committed(single.ledger) == UNTOUCHED


def test_a_private_range_query_after_a_write_fails_either_way_but_at_another_request():
    # Fabric refuses a private range query after a write, and any write after one. One
    # request at a time the query is refused; batched, the peer has seen no write when
    # the query comes, answers it, and refuses the batch instead.
    plan = [["put", READINGS, "p1", "x1"], ["list", READINGS]]

    batched, batched_reply = run(applying(plan), ready=FABRIC3_DEFAULT)
    single, single_reply = run(applying(plan))

    response = response_of(single_reply)
    assert response.status == 502
    assert response.message.startswith("peer refused GetPrivateDataByRange: ")
    assert names(batched.received) == [
        "GET_STATE_BY_RANGE",
        "QUERY_STATE_CLOSE",
        "WRITE_BATCH_STATE",
        "COMPLETED",
    ]
    batched_response = response_of(batched_reply)
    assert batched_response.status == 502
    assert batched_response.message.endswith(
        "Transaction has already performed queries on pvt data. Writes are not allowed"
    )
    assert committed(batched.ledger) == committed(single.ledger) == UNTOUCHED


def test_concurrent_transactions_on_one_stream_keep_their_writes_apart():
    async def scenario(peer):
        GATES["a"] = Gate(asyncio.Event(), asyncio.Event())
        plan_a = [
            ["put", "", "a1", "1"],
            ["put", READINGS, "a2", "2"],
            ["wait", "a"],
            ["put", "", "a3", "3"],
        ]
        plan_b = [["put", "", "b1", "1"], ["put", READINGS, "b2", "2"], ["del", "", "k0"]]
        first = asyncio.create_task(
            peer.invoke("BatchContract:Apply", json.dumps(plan_a), tx_id="tx-a")
        )
        await asyncio.wait_for(GATES["a"].arrived.wait(), timeout=5)
        second = await peer.invoke("BatchContract:Apply", json.dumps(plan_b), tx_id="tx-b")
        sent_while_a_waits = [(m.txid, Message.Type.Name(m.type)) for m in peer.received]
        GATES["a"].open.set()
        return sent_while_a_waits, second, await first

    try:
        peer, (sent_while_a_waits, second, first) = run(scenario, ready=FABRIC3_DEFAULT)
    finally:
        GATES.pop("a", None)

    assert ok(first) == ok(second) == []
    assert sent_while_a_waits == [("tx-b", "WRITE_BATCH_STATE"), ("tx-b", "COMPLETED")]
    sent = [(m.txid, shim.WriteBatchState.FromString(m.payload).rec) for m in peer.requests]
    assert [(tx_id, [r.key for r in records]) for tx_id, records in sent] == [
        ("tx-b", ["b1", "b2", "k0"]),
        ("tx-a", ["a1", "a2", "a3"]),
    ]
    assert peer.ledger.state == {"k1": b"old-1", "k3": b"old-3", "a1": b"1", "a3": b"3", "b1": b"1"}
    assert {"a2", "b2"} <= set(peer.ledger.private[READINGS])


# --- get_private_many ------------------------------------------------------------------

FIVE = ["p1", "p2", "p3", "p4", "p5"]


def many(collection, keys, **options):
    async def scenario(peer):
        for key in ("p1", "p3", "p5"):
            peer.ledger.seed_private(READINGS, key, f"v-{key}".encode())
        return await peer.invoke(
            "BatchContract:Many", collection, json.dumps(keys), tx_id="tx-many", **options
        )

    return scenario


def test_many_keys_are_read_in_chunks_of_the_size_the_peer_allows():
    peer, reply = run(many(READINGS, FIVE), ready=Ready(False, 0, True, 2))

    assert ok(reply) == ["v-p1", None, "v-p3", None, "v-p5"]
    assert names(peer.requests) == ["GET_STATE_MULTIPLE"] * 3
    assert [shim.GetStateMultiple.FromString(m.payload) for m in peer.requests] == [
        shim.GetStateMultiple(keys=["p1", "p2"], collection=READINGS),
        shim.GetStateMultiple(keys=["p3", "p4"], collection=READINGS),
        shim.GetStateMultiple(keys=["p5"], collection=READINGS),
    ]


@pytest.mark.parametrize(
    "ready", [None, Ready(True, 1000, False, 1000)], ids=["old-peer", "writes-only"]
)
def test_many_keys_are_read_one_by_one_from_a_peer_without_multi_get(ready):
    peer, reply = run(many(READINGS, FIVE), ready=ready)

    assert ok(reply) == ["v-p1", None, "v-p3", None, "v-p5"]
    assert [shim.GetState.FromString(m.payload) for m in peer.requests] == [
        shim.GetState(key=key, collection=READINGS) for key in FIVE
    ]
    assert names(peer.requests) == ["GET_STATE"] * 5


def test_no_keys_need_no_request():
    peer, reply = run(many(READINGS, []), ready=FABRIC3_DEFAULT)

    assert ok(reply) == []
    assert peer.requests == []


@pytest.mark.parametrize(
    ("alter", "answered"),
    [
        pytest.param(lambda values: values[:-1], 1, id="too-few"),
        pytest.param(lambda values: [*values, b"extra"], 3, id="too-many"),
    ],
)
def test_a_peer_answering_another_number_of_values_is_a_peer_error(alter, answered):
    def rewrite(answer):
        values = list(shim.GetStateMultipleResult.FromString(answer.payload).values)
        result = shim.GetStateMultipleResult(values=alter(values))
        answer.payload = result.SerializeToString()
        return answer

    async def scenario(peer):
        peer.alter[Message.GET_STATE_MULTIPLE] = rewrite
        return await many(READINGS, FIVE)(peer)

    _, reply = run(scenario, ready=Ready(False, 0, True, 2))

    response = response_of(reply)
    assert (response.status, response.message) == (
        502,
        f"peer answered GetPrivateDataMultiple for 2 keys with {answered} values",
    )


def test_a_refused_multi_get_is_a_peer_error():
    async def scenario(peer):
        peer.ledger.refuse[READINGS] = "tx creator does not have read access permission"
        return await many(READINGS, FIVE)(peer)

    peer, reply = run(scenario, ready=FABRIC3_DEFAULT)

    response = response_of(reply)
    assert (response.status, response.message) == (
        502,
        "peer refused GetPrivateDataMultiple: tx creator does not have read access permission",
    )
    assert names(peer.requests) == ["GET_STATE_MULTIPLE"]


@pytest.mark.parametrize(
    ("collection", "keys", "message"),
    [
        (READINGS, ["p1", "p2", ""], "key in collection readings must not be empty"),
        ("", ["p1"], "private data collection name must not be empty"),
        ("bad\x00name", ["p1"], "collection name 'bad\\x00name' must not contain a nul character"),
    ],
)
@pytest.mark.parametrize("ready", [None, FABRIC3_DEFAULT], ids=["old-peer", "fabric3"])
def test_an_invalid_key_is_refused_before_anything_is_sent(collection, keys, message, ready):
    peer, reply = run(many(collection, keys), ready=ready)

    response = response_of(reply)
    assert (response.status, response.message) == (400, message)
    assert peer.requests == []


# --- SubmitReadings through the community chaincode ------------------------------------

H1 = community()[0]
CONFLICT_AT = 40


@dataclass
class Submissions:
    """Register H1's meter, submit a day of readings, the same again, then a conflict."""

    replies: dict[str, Any]
    requests: dict[str, list[Any]]
    ledgers: dict[str, tuple]


def conflicting_batch() -> bytes:
    """Ten readings of the next day (new), then DAY's reading CONFLICT_AT with other values."""
    changed = dict(day_readings(H1, DAY)[CONFLICT_AT])
    changed["import_wh"] += 1
    changed["export_wh"] = 0
    return sign(H1, [*day_readings(H1, DAY + timedelta(days=1))[:10], changed])


# signed once: a bundle's secret and signature are random, and both runs must send the same
BATCHES = {"submit": day_batch(H1), "again": day_batch(H1), "conflict": conflicting_batch()}


def submissions(ready: Ready | None) -> Submissions:
    steps = {
        "register": lambda peer: peer.invoke(
            "MeterContract:RegisterMeter",
            H1.meter_id,
            H1.household_id,
            H1.feeder,
            KEYS.public_pem(H1.meter_id),
            creator=OPERATOR,
            tx_id="register",
        ),
        **{
            name: (
                lambda peer, name=name, batch=batch: peer.invoke(
                    "ReadingContract:SubmitReadings",
                    creator=HEAD_END,
                    transient={"bundles": batch},
                    tx_id=name,
                )
            )
            for name, batch in BATCHES.items()
        },
    }

    async def main():
        replies, ledgers = {}, {}
        async with serving(build_chaincode()) as target, FakePeer(target, ready=ready) as peer:
            for name, step in steps.items():
                replies[name] = await asyncio.wait_for(step(peer), timeout=10)
                ledgers[name] = committed(peer.ledger)
        requests = {name: [m for m in peer.requests if m.txid == name] for name in steps}
        assert peer.unexpected == []
        return Submissions(replies, requests, ledgers)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def offered() -> Submissions:
    return submissions(FABRIC3_DEFAULT)


@pytest.fixture(scope="module")
def not_offered() -> Submissions:
    return submissions(None)


def request_summary(message: Any) -> tuple[str, str, Any]:
    """(type, collection, key or keys or record count) of one request."""
    kind = Message.Type.Name(message.type)
    if message.type == Message.GET_STATE:
        request = shim.GetState.FromString(message.payload)
        return kind, request.collection, request.key
    if message.type == Message.GET_STATE_MULTIPLE:
        request = shim.GetStateMultiple.FromString(message.payload)
        return kind, request.collection, len(request.keys)
    if message.type == Message.WRITE_BATCH_STATE:
        return kind, "", len(shim.WriteBatchState.FromString(message.payload).rec)
    return kind, "", None


def test_a_days_batch_takes_one_multi_get_and_one_write_batch(offered):
    submit = offered.requests["submit"]

    assert ok(offered.replies["submit"]) == {
        "bundles": 1,
        "stored": 96,
        "duplicates": 0,
        "meter_days": [{"meter_id": H1.meter_id, "day": "2026-02-27"}],
    }
    assert [request_summary(m) for m in submit] == [
        ("GET_STATE", "", f"meter~{H1.meter_id}"),
        ("GET_STATE_MULTIPLE", READINGS, 1),
        ("WRITE_BATCH_STATE", "", 2),
    ]
    records = shim.WriteBatchState.FromString(submit[-1].payload).rec
    assert [r.key for r in records] == [
        f"meterday~{H1.meter_id}~2026-02-27",
        f"roots~{H1.meter_id}~2026-02-27",
    ]
    assert {(r.type, r.collection) for r in records} == {(PUT, READINGS)}


def test_a_days_batch_one_request_at_a_time_stores_the_same(offered, not_offered):
    submit = not_offered.requests["submit"]

    assert len(submit) == 1 + 1 + 2
    assert {Message.Type.Name(m.type) for m in submit} == {"GET_STATE", "PUT_STATE"}
    for step in ("register", "submit", "again", "conflict"):
        assert offered.ledgers[step] == not_offered.ledgers[step], step
        batched, single = offered.replies[step], not_offered.replies[step]
        assert (response_of(batched), batched.chaincode_event) == (
            response_of(single),
            single.chaincode_event,
        )
    readings = offered.ledgers["submit"][1][READINGS]
    assert sorted(readings) == [
        f"meterday~{H1.meter_id}~2026-02-27",
        f"roots~{H1.meter_id}~2026-02-27",
    ]


def test_a_repeated_batch_reads_once_and_writes_nothing(offered):
    assert ok(offered.replies["again"])["duplicates"] == 96
    assert [request_summary(m) for m in offered.requests["again"]] == [
        ("GET_STATE", "", f"meter~{H1.meter_id}"),
        ("GET_STATE_MULTIPLE", READINGS, 1),
    ]
    assert offered.ledgers["again"] == offered.ledgers["submit"]


def test_a_conflicting_batch_is_refused_and_writes_nothing(offered):
    start = day_readings(H1, DAY)[CONFLICT_AT]["interval_start"]

    response = response_of(offered.replies["conflict"])

    assert (response.status, response.message) == (
        409,
        f"reading of meter {H1.meter_id} at {start} conflicts with the recorded value",
    )
    assert [request_summary(m) for m in offered.requests["conflict"]] == [
        ("GET_STATE", "", f"meter~{H1.meter_id}"),
        ("GET_STATE_MULTIPLE", READINGS, 2),
    ]
    assert offered.ledgers["conflict"] == offered.ledgers["submit"]
