"""FakeLedger / FakeStub / TxSimulation behave like a Fabric peer for private data."""

import asyncio
import hashlib

import pytest
from ccfakes import Ctx, FakeLedger, FakeStub, TxSimulation, Write, identity
from ccpeer import Message
from fabric_chaincode_python.fabric_contract_api import (
    Contract,
    ContractChaincode,
    TransactionContext,
)
from fabric_protos.peer import chaincode_shim_pb2 as shim

from chaincode.runtime import (
    PeerError,
    ValidationError,
    delete_private,
    get_key_endorsement,
    get_private,
    get_private_hash,
    list_json,
    list_private,
    purge_private,
    put_json,
    put_private,
    set_key_endorsement,
    signature_policy,
    transient,
)

ANYONE = identity("UtilityMSP", "operator")


class NotesContract(Contract):
    Name = "Notes"

    async def Write(self, ctx: TransactionContext, key: str, value: str) -> str:
        await put_private(ctx, "notes", key, value.encode())
        seen = await get_private(ctx, "notes", key)  # a transaction reads committed state
        return "unseen" if seen is None else seen.decode()

    async def Read(self, ctx: TransactionContext, key: str) -> str:
        value = await get_private(ctx, "notes", key)
        return "absent" if value is None else value.decode()

    async def WriteThenFail(self, ctx: TransactionContext, key: str) -> str:
        await put_private(ctx, "notes", key, b"draft")
        raise ValidationError(f"note {key} is not final")

    async def Secret(self, ctx: TransactionContext) -> str:
        return transient(ctx).get("secret", b"none").decode()


def invoke(ledger, function, *args, **options):
    chaincode = ContractChaincode.new_chaincode(NotesContract())
    return asyncio.run(ledger.invoke(chaincode, ANYONE, f"Notes:{function}", *args, **options))


def test_writes_reach_only_later_transactions():
    ledger = FakeLedger()

    written = invoke(ledger, "Write", "n-1", "hello")
    read = invoke(ledger, "Read", "n-1")

    assert (written.status, written.payload) == (200, b"unseen")
    assert written.stub.private_writes == {("notes", "n-1"): Write("put", b"hello")}
    assert written.stub.writes == {}
    assert read.payload == b"hello"
    assert ledger.private == {"notes": {"n-1": b"hello"}}
    assert ledger.private_hashes == {"notes": {"n-1": hashlib.sha256(b"hello").digest()}}


def test_a_failed_transaction_commits_nothing():
    ledger = FakeLedger()

    result = invoke(ledger, "WriteThenFail", "n-1")

    assert (result.status, result.message) == (500, "note n-1 is not final")
    assert result.stub.private_writes == {("notes", "n-1"): Write("put", b"draft")}
    assert (ledger.private, ledger.private_hashes, ledger.private_history) == ({}, {}, {})


def test_the_transient_map_belongs_to_one_invoke():
    ledger = FakeLedger()

    first = invoke(ledger, "Secret", transient={"secret": b"s3cret"})
    second = invoke(ledger, "Secret")

    assert (first.payload, second.payload) == (b"s3cret", b"none")


def tx(ledger, tx_id="tx-1", **options):
    stub = FakeStub(ledger=ledger, tx_id=tx_id, **options)
    return stub, Ctx(stub)


def commit(ledger, write, tx_id="tx-1"):
    """Run ``write(ctx)`` in a new transaction and commit it."""
    stub, ctx = tx(ledger, tx_id)
    asyncio.run(write(ctx))
    ledger.commit(stub.simulation)
    return stub


def test_seeded_values_have_their_hash_and_history():
    ledger = FakeLedger()
    ledger.seed_private("readings", "m-1", b"42")

    assert ledger.private == {"readings": {"m-1": b"42"}}
    assert ledger.private_hash("readings", "m-1") == hashlib.sha256(b"42").digest()
    assert ledger.private_hash("readings", "m-2") is None
    assert ledger.private_history == {("readings", "m-1"): [b"42"]}


@pytest.mark.parametrize(
    ("remove", "history"),
    [(delete_private, [b"v1", b"v2"]), (purge_private, None)],
    ids=["delete", "purge"],
)
def test_delete_and_purge_drop_value_hash_and_metadata_and_purge_also_erases_history(
    remove, history
):
    ledger = FakeLedger()
    ledger.seed_private("readings", "m-1", b"v1")
    ledger.seed_private("readings", "m-1", b"v2")
    ledger.seed_private("readings", "m-2", b"kept")
    commit(
        ledger, lambda ctx: set_key_endorsement(ctx, "m-1", ["UtilityMSP"], collection="readings")
    )
    assert ("readings", "m-1") in ledger.metadata

    stub = commit(ledger, lambda ctx: remove(ctx, "readings", "m-1"), tx_id="tx-2")

    assert stub.private_writes == {("readings", "m-1"): Write(remove.__name__.split("_")[0])}
    assert ledger.private == {"readings": {"m-2": b"kept"}}
    assert ledger.private_hashes == {"readings": {"m-2": hashlib.sha256(b"kept").digest()}}
    assert ledger.metadata == {}
    assert ledger.private_history.get(("readings", "m-1")) == history


def test_hash_and_reads_see_committed_state_only():
    ledger = FakeLedger()
    ledger.seed_private("readings", "m-1", b"old")

    async def scenario(ctx):
        await put_private(ctx, "readings", "m-1", b"new")
        return await get_private(ctx, "readings", "m-1"), await get_private_hash(
            ctx, "readings", "m-1"
        )

    stub, ctx = tx(ledger)
    value, digest = asyncio.run(scenario(ctx))

    assert (value, digest) == (b"old", hashlib.sha256(b"old").digest())
    ledger.commit(stub.simulation)
    assert ledger.private_history[("readings", "m-1")] == [b"old", b"new"]


def test_key_endorsement_metadata_follows_fabrics_commit_rules():
    ledger = FakeLedger(state={"kept": b"1"})
    ledger.seed_private("readings", "m-1", b"42")

    async def scenario(ctx):
        await set_key_endorsement(ctx, "absent", ["UtilityMSP"])  # no such key: dropped
        await set_key_endorsement(ctx, "kept", ["UtilityMSP"])
        await put_json(ctx, "new", {"a": 1})
        await set_key_endorsement(ctx, "new", ["UtilityMSP"], all_of=False)
        await set_key_endorsement(ctx, "m-1", ["CommunityMSP"], collection="readings")
        await delete_private(ctx, "readings", "m-1")  # a delete in the same tx wins

    commit(ledger, scenario)

    assert ledger.metadata == {
        ("", "kept"): {"VALIDATION_PARAMETER": signature_policy(["UtilityMSP"])},
        ("", "new"): {"VALIDATION_PARAMETER": signature_policy(["UtilityMSP"], all_of=False)},
    }
    commit(ledger, lambda ctx: put_json(ctx, "kept", 2), tx_id="tx-2")  # a put keeps the policy
    _, ctx = tx(ledger, "tx-3")
    assert asyncio.run(get_key_endorsement(ctx, "kept")) == signature_policy(["UtilityMSP"])
    assert asyncio.run(get_key_endorsement(ctx, "m-1", collection="readings")) is None


def test_a_private_range_query_is_only_allowed_in_a_read_only_transaction():
    ledger = FakeLedger()
    ledger.seed_private("readings", "m-1", b"42")

    async def query_then_write(ctx):
        assert await list_private(ctx, "readings", "", "") == [("m-1", b"42")]
        await put_json(ctx, "evidence", {"m-1": "..."})

    async def write_then_query(ctx):
        await purge_private(ctx, "readings", "m-1")
        await list_private(ctx, "readings", "", "")

    for scenario, tx_id, message in [
        (
            query_then_write,
            "tx-a",
            "peer refused PutState: txid [tx-a]: unsuppored transaction. Transaction has "
            "already performed queries on pvt data. Writes are not allowed",
        ),
        (
            write_then_query,
            "tx-b",
            "peer refused GetPrivateDataByRange: txid [tx-b]: unsuppored transaction. "
            "Queries on pvt data is supported only in a read-only transaction",
        ),
    ]:
        _, ctx = tx(ledger, tx_id)
        with pytest.raises(PeerError) as error:
            asyncio.run(scenario(ctx))
        assert str(error.value) == message


def test_public_ranges_page_through_the_shims_own_iterator():
    ledger = FakeLedger(state={f"m~{i}": str(i).encode() for i in range(5)}, page_size=2)
    ledger.state["n"] = b"9"
    stub, ctx = tx(ledger)

    entries = asyncio.run(list_json(ctx, "m~", "m\x7f"))

    assert entries == [(f"m~{i}", i) for i in range(5)]
    assert [Message.Type.Name(r.type) for r in stub.requests] == [
        "GET_STATE_BY_RANGE",
        "QUERY_STATE_NEXT",
        "QUERY_STATE_NEXT",
        "QUERY_STATE_CLOSE",
    ]
    assert stub.simulation.closed_queries == ["tx-1-query-1"]


@pytest.mark.parametrize(
    ("ledger_options", "read", "message"),
    [
        (
            {"collections": {"readings"}},
            lambda ctx: get_private(ctx, "reading", "m-1"),
            "peer refused GetPrivateData: collection [reading] not defined in the collection "
            "config for chaincode [gridledger]",
        ),
        (
            {"refuse": {"readings": "tx creator does not have read access permission"}},
            lambda ctx: list_private(ctx, "readings", "", ""),
            "peer refused GetPrivateDataByRange: tx creator does not have read access permission",
        ),
    ],
    ids=["unknown-collection", "refused-collection"],
)
def test_requests_the_peer_refuses_raise_peer_error(ledger_options, read, message):
    _, ctx = tx(FakeLedger(**ledger_options))

    with pytest.raises(PeerError) as error:
        asyncio.run(read(ctx))

    assert str(error.value) == message


def test_a_refused_collection_still_serves_hashes_like_a_non_member_peer():
    ledger = FakeLedger(refuse={"readings": "tx creator does not have read access permission"})
    ledger.seed_private("readings", "m-1", b"42")
    _, ctx = tx(ledger)

    assert asyncio.run(get_private_hash(ctx, "readings", "m-1")) == hashlib.sha256(b"42").digest()


def request(kind, payload):
    return Message(type=kind, payload=payload.SerializeToString(), txid="tx-1", channel_id="ch")


@pytest.mark.parametrize(
    ("kind", "payload", "error"),
    [
        (Message.PURGE_PRIVATE_DATA, shim.DelState(key="k"), "only applicable for private data"),
        (
            Message.GET_PRIVATE_DATA_HASH,
            shim.GetState(key="k"),
            "collection [] not defined in the collection config for chaincode [gridledger]",
        ),
        (Message.QUERY_STATE_NEXT, shim.QueryStateNext(id="q-9"), "query iterator not found"),
    ],
)
def test_the_simulation_answers_malformed_requests_with_fabrics_error(kind, payload, error):
    reply = TxSimulation(FakeLedger(), "tx-1").answer(request(kind, payload))

    assert (reply.type, reply.payload, reply.txid, reply.channel_id) == (
        Message.ERROR,
        error.encode(),
        "tx-1",
        "ch",
    )


def test_the_simulation_records_an_empty_write_as_a_delete_and_ignores_other_messages():
    simulation = TxSimulation(FakeLedger(), "tx-1")

    reply = simulation.answer(
        request(Message.PUT_STATE, shim.PutState(key="k", value=b"", collection="c"))
    )

    assert (reply.type, reply.payload) == (Message.RESPONSE, b"")
    assert simulation.writes == {("c", "k"): Write("delete")}
    assert simulation.answer(request(Message.INVOKE_CHAINCODE, shim.GetState())) is None


def test_a_stub_takes_a_state_dict_or_a_ledger_not_both():
    with pytest.raises(ValueError, match=r"^pass state or ledger, not both$"):
        FakeStub({}, ledger=FakeLedger())
