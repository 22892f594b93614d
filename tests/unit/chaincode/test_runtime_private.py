"""chaincode.runtime.private: the messages it sends a peer, over a real gRPC stream.

A test chaincode calls each function; the fake peer records every request exactly as
received and answers like a Fabric peer (or with ERROR when told to).
"""

import asyncio
import hashlib
import json

import pytest
from ccfakes import Ctx, FakeLedger, FakeStub
from ccpeer import FakePeer, Message, response_of, serving
from fabric_chaincode_python.fabric_contract_api import (
    Contract,
    ContractChaincode,
    TransactionContext,
)
from fabric_protos.common import policies_pb2
from fabric_protos.msp import msp_principal_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim

from chaincode.runtime import (
    PeerError,
    StateError,
    ValidationError,
    delete_private,
    get_key_endorsement,
    get_private,
    get_private_hash,
    get_private_json,
    list_private,
    purge_private,
    put_private,
    put_private_json,
    set_key_endorsement,
    signature_policy,
    transient,
)


def shown(value: bytes | None) -> str:
    return json.dumps(None if value is None else value.hex())


class VaultContract(Contract):
    Name = "VaultContract"

    async def Get(self, ctx: TransactionContext, collection: str, key: str) -> str:
        return shown(await get_private(ctx, collection, key))

    async def Put(self, ctx: TransactionContext, collection: str, key: str, value: str) -> str:
        await put_private(ctx, collection, key, value.encode())
        return "ok"

    async def Delete(self, ctx: TransactionContext, collection: str, key: str) -> str:
        await delete_private(ctx, collection, key)
        return "ok"

    async def Purge(self, ctx: TransactionContext, collection: str, key: str) -> str:
        await purge_private(ctx, collection, key)
        return "ok"

    async def Hash(self, ctx: TransactionContext, collection: str, key: str) -> str:
        return shown(await get_private_hash(ctx, collection, key))

    async def List(self, ctx: TransactionContext, collection: str, start: str, end: str) -> str:
        entries = await list_private(ctx, collection, start, end)
        return json.dumps([[key, value.decode()] for key, value in entries])

    async def Transient(self, ctx: TransactionContext) -> str:
        return json.dumps({name: value.hex() for name, value in transient(ctx).items()})

    async def Endorse(
        self, ctx: TransactionContext, key: str, msp_ids: str, collection: str, mode: str
    ) -> str:
        await set_key_endorsement(
            ctx, key, msp_ids.split(","), collection=collection, all_of=mode == "all"
        )
        return "ok"

    async def Policy(self, ctx: TransactionContext, key: str, collection: str) -> str:
        return shown(await get_key_endorsement(ctx, key, collection=collection))


def envelope(msp_ids: list[str], n: int) -> bytes:
    """The SignaturePolicyEnvelope Fabric expects: n of the peers of msp_ids, in order."""
    return policies_pb2.SignaturePolicyEnvelope(
        version=0,
        rule=policies_pb2.SignaturePolicy(
            n_out_of=policies_pb2.SignaturePolicy.NOutOf(
                n=n,
                rules=[policies_pb2.SignaturePolicy(signed_by=i) for i in range(len(msp_ids))],
            )
        ),
        identities=[
            msp_principal_pb2.MSPPrincipal(
                principal_classification=msp_principal_pb2.MSPPrincipal.ROLE,
                principal=msp_principal_pb2.MSPRole(
                    msp_identifier=msp_id, role=msp_principal_pb2.MSPRole.PEER
                ).SerializeToString(),
            )
            for msp_id in msp_ids
        ],
    ).SerializeToString()


def run(scenario, **peer_options):
    """Serve VaultContract, connect a fake peer, run ``scenario(peer)``; (peer, its result)."""

    async def main():
        chaincode = ContractChaincode.new_chaincode(VaultContract())
        async with serving(chaincode) as target, FakePeer(target, **peer_options) as peer:
            return peer, await asyncio.wait_for(scenario(peer), timeout=10)

    return asyncio.run(main())


def invoking(function, *args, **options):
    async def scenario(peer):
        return await peer.invoke(f"VaultContract:{function}", *args, **options)

    return scenario


def ok(reply) -> str:
    response = response_of(reply)
    assert response.status == 200, response.message
    return response.payload.decode()


TWO_ORGS = ["UtilityMSP", "CommunityMSP"]
ONE_REQUEST = [
    pytest.param(
        ("Get", "readings", "m-1"),
        Message.GET_STATE,
        shim.GetState(key="m-1", collection="readings"),
        "GetPrivateData",
        id="get",
    ),
    pytest.param(
        ("Put", "readings", "m-1", "42"),
        Message.PUT_STATE,
        shim.PutState(key="m-1", value=b"42", collection="readings"),
        "PutPrivateData",
        id="put",
    ),
    pytest.param(
        ("Delete", "readings", "m-1"),
        Message.DEL_STATE,
        shim.DelState(key="m-1", collection="readings"),
        "DelPrivateData",
        id="delete",
    ),
    pytest.param(
        ("Purge", "readings", "m-1"),
        Message.PURGE_PRIVATE_DATA,
        shim.DelState(key="m-1", collection="readings"),
        "PurgePrivateData",
        id="purge",
    ),
    pytest.param(
        ("Hash", "readings", "m-1"),
        Message.GET_PRIVATE_DATA_HASH,
        shim.GetState(key="m-1", collection="readings"),
        "GetPrivateDataHash",
        id="hash",
    ),
    pytest.param(
        ("Endorse", "m-1", "UtilityMSP,CommunityMSP", "readings", "all"),
        Message.PUT_STATE_METADATA,
        shim.PutStateMetadata(
            key="m-1",
            collection="readings",
            metadata=shim.StateMetadata(
                metakey="VALIDATION_PARAMETER", value=envelope(TWO_ORGS, 2)
            ),
        ),
        "PutStateMetadata",
        id="endorse-private-all",
    ),
    pytest.param(
        ("Endorse", "meter~m-1", "CommunityMSP,UtilityMSP", "", "any"),
        Message.PUT_STATE_METADATA,
        shim.PutStateMetadata(
            key="meter~m-1",
            metadata=shim.StateMetadata(
                metakey="VALIDATION_PARAMETER", value=envelope(TWO_ORGS[::-1], 1)
            ),
        ),
        "PutStateMetadata",
        id="endorse-public-any",
    ),
    pytest.param(
        ("Policy", "m-1", "readings"),
        Message.GET_STATE_METADATA,
        shim.GetStateMetadata(key="m-1", collection="readings"),
        "GetStateMetadata",
        id="policy",
    ),
]


@pytest.mark.parametrize(("call", "kind", "payload", "action"), ONE_REQUEST)
def test_each_call_sends_exactly_the_message_fabric_expects(call, kind, payload, action):
    peer, reply = run(invoking(*call, tx_id="tx-7"))

    ok(reply)
    assert len(peer.requests) == 1
    request = peer.requests[0]
    assert (Message.Type.Name(request.type), request.txid, request.channel_id) == (
        Message.Type.Name(kind),
        "tx-7",
        "consortium",
    )
    assert request.payload == payload.SerializeToString()
    assert peer.unexpected == []


@pytest.mark.parametrize(("call", "kind", "payload", "action"), ONE_REQUEST)
def test_an_error_answer_fails_the_transaction_with_the_peers_reason(call, kind, payload, action):
    async def scenario(peer):
        peer.fail[kind] = "tx creator does not have write access permission"
        return await peer.invoke(f"VaultContract:{call[0]}", *call[1:])

    _, reply = run(scenario)

    response = response_of(reply)
    assert (response.status, response.message) == (
        502,  # PeerError: the peer refused a ledger request
        f"peer refused {action}: tx creator does not have write access permission",
    )


def test_reads_return_the_peers_value_and_hash_and_none_when_absent():
    async def scenario(peer):
        peer.ledger.seed_private("readings", "m-1", b"42")
        calls = [("Get", "m-1"), ("Get", "m-2"), ("Hash", "m-1"), ("Hash", "m-2")]
        return [ok(await peer.invoke(f"VaultContract:{f}", "readings", k)) for f, k in calls]

    _, shown_values = run(scenario)

    assert [json.loads(value) for value in shown_values] == [
        b"42".hex(),
        None,
        hashlib.sha256(b"42").hexdigest(),
        None,
    ]


def test_committed_writes_reach_later_transactions_and_purge_removes_value_and_hash():
    async def scenario(peer):
        shown_values = []
        for function, *args in [
            ("Put", "readings", "m-1", "42"),
            ("Hash", "readings", "m-1"),
            ("Purge", "readings", "m-1"),
            ("Get", "readings", "m-1"),
            ("Hash", "readings", "m-1"),
        ]:
            shown_values.append(ok(await peer.invoke(f"VaultContract:{function}", *args)))
        return shown_values

    peer, shown_values = run(scenario)

    assert (
        shown_values == ["ok", json.dumps(hashlib.sha256(b"42").hexdigest()), "ok"] + ["null"] * 2
    )
    assert peer.ledger.private == {"readings": {}}
    assert peer.ledger.private_history == {}


def test_a_range_follows_every_page_then_closes_the_query():
    async def scenario(peer):
        for i in range(5):
            peer.ledger.seed_private("readings", f"m-{i}", f"v{i}".encode())
        peer.ledger.seed_private("households", "m-9", b"other collection")
        peer.state["m-8"] = b"public"
        return await peer.invoke("VaultContract:List", "readings", "", "", tx_id="tx-r")

    peer, reply = run(scenario, page_size=2)

    assert json.loads(ok(reply)) == [[f"m-{i}", f"v{i}"] for i in range(5)]
    kinds = [Message.Type.Name(request.type) for request in peer.requests]
    assert kinds == [
        "GET_STATE_BY_RANGE",
        "QUERY_STATE_NEXT",
        "QUERY_STATE_NEXT",
        "QUERY_STATE_CLOSE",
    ]
    first, *rest = peer.requests
    # like the Go shim: an open start becomes U+0001, which leaves out composite keys
    assert first.payload == (
        shim.GetStateByRange(startKey="\x01", endKey="", collection="readings").SerializeToString()
    )
    query_id = shim.QueryStateNext.FromString(rest[0].payload).id
    assert query_id
    assert [request.payload for request in rest] == [
        shim.QueryStateNext(id=query_id).SerializeToString(),
        shim.QueryStateNext(id=query_id).SerializeToString(),
        shim.QueryStateClose(id=query_id).SerializeToString(),
    ]
    assert all(request.txid == "tx-r" for request in peer.requests)


def test_a_bounded_range_of_one_page_is_closed_without_asking_for_more():
    async def scenario(peer):
        for i in range(5):
            peer.ledger.seed_private("readings", f"m-{i}", f"v{i}".encode())
        return await peer.invoke("VaultContract:List", "readings", "m-2", "m-4")

    peer, reply = run(scenario)

    assert json.loads(ok(reply)) == [["m-2", "v2"], ["m-3", "v3"]]
    assert [Message.Type.Name(r.type) for r in peer.requests] == [
        "GET_STATE_BY_RANGE",
        "QUERY_STATE_CLOSE",
    ]
    assert peer.requests[0].payload == (
        shim.GetStateByRange(
            startKey="m-2", endKey="m-4", collection="readings"
        ).SerializeToString()
    )


def test_an_error_on_the_next_page_fails_the_transaction():
    async def scenario(peer):
        for i in range(3):
            peer.ledger.seed_private("readings", f"m-{i}", b"v")
        peer.fail[Message.QUERY_STATE_NEXT] = "query iterator not found"
        return await peer.invoke("VaultContract:List", "readings", "", "")

    peer, reply = run(scenario, page_size=2)

    response = response_of(reply)
    assert (response.status, response.message) == (
        502,  # PeerError: the peer refused a ledger request
        "peer refused QueryStateNext: query iterator not found",
    )
    assert [Message.Type.Name(r.type) for r in peer.requests] == [
        "GET_STATE_BY_RANGE",
        "QUERY_STATE_NEXT",
    ]


def test_transient_is_read_from_the_proposal_the_peer_sends():
    async def scenario(peer):
        given = {"household": b'{"name":"Ann"}', "salt": b"\x00\xff"}
        with_map = await peer.invoke("VaultContract:Transient", transient=given)
        without = await peer.invoke("VaultContract:Transient")
        return with_map, without

    peer, (with_map, without) = run(scenario)

    assert json.loads(ok(with_map)) == {"household": b'{"name":"Ann"}'.hex(), "salt": "00ff"}
    assert json.loads(ok(without)) == {}
    assert peer.requests == []


def test_key_endorsement_round_trip_through_the_peers_state_metadata():
    async def scenario(peer):
        peer.ledger.seed_private("readings", "m-1", b"42")
        peer.ledger.seed_private("readings", "m-2", b"43")
        peer.ledger.metadata[("readings", "m-2")] = {"AN_EARLIER_METAKEY": b"not a policy"}
        endorse = ("m-1", "UtilityMSP,CommunityMSP", "readings", "all")
        ok(await peer.invoke("VaultContract:Endorse", *endorse))
        stored = ok(await peer.invoke("VaultContract:Policy", "m-1", "readings"))
        missing = ok(await peer.invoke("VaultContract:Policy", "m-2", "readings"))
        return stored, missing

    _, (stored, missing) = run(scenario)

    assert json.loads(stored) == envelope(TWO_ORGS, 2).hex()
    assert json.loads(missing) is None
    policy = policies_pb2.SignaturePolicyEnvelope.FromString(bytes.fromhex(json.loads(stored)))
    assert policy.rule.n_out_of.n == 2
    roles = [msp_principal_pb2.MSPRole.FromString(i.principal) for i in policy.identities]
    assert [(r.msp_identifier, r.role) for r in roles] == [
        ("UtilityMSP", msp_principal_pb2.MSPRole.PEER),
        ("CommunityMSP", msp_principal_pb2.MSPRole.PEER),
    ]


def test_signature_policy_any_of_needs_one_signature():
    assert signature_policy(["UtilityMSP"], all_of=False) == envelope(["UtilityMSP"], 1)
    assert signature_policy(TWO_ORGS) == envelope(TWO_ORGS, 2)


def call_on_fake_stub(make_call):
    stub = FakeStub()
    with pytest.raises(ValidationError) as error:
        asyncio.run(make_call(Ctx(stub)))
    assert stub.requests == []  # refused before anything reaches the peer
    return str(error.value)


@pytest.mark.parametrize(
    ("make_call", "message"),
    [
        (lambda ctx: get_private(ctx, "", "k"), "private data collection name must not be empty"),
        (
            lambda ctx: put_private(ctx, "read\x00ings", "k", b"v"),
            "collection name 'read\\x00ings' must not contain a nul character",
        ),
        (
            lambda ctx: get_private_hash(ctx, "readings", ""),
            "key in collection readings must not be empty",
        ),
        (
            lambda ctx: delete_private(ctx, "readings", ""),
            "key in collection readings must not be empty",
        ),
        (lambda ctx: purge_private(ctx, "", "k"), "private data collection name must not be empty"),
        (
            lambda ctx: put_private(ctx, "readings", "k", b""),
            "value of key k in collection readings must not be empty: "
            "fabric treats an empty write as a delete",
        ),
        (
            lambda ctx: list_private(ctx, "readings", "\x00meter\x00", ""),
            "range key '\\x00meter\\x00' in collection readings starts with a nul character, "
            "which is reserved for composite keys",
        ),
        (
            lambda ctx: list_private(ctx, "", "a", "b"),
            "private data collection name must not be empty",
        ),
        (lambda ctx: get_key_endorsement(ctx, ""), "state key must not be empty"),
        (
            lambda ctx: set_key_endorsement(ctx, "k", ["UtilityMSP"], collection="a\x00"),
            "collection name 'a\\x00' must not contain a nul character",
        ),
        (
            lambda ctx: set_key_endorsement(ctx, "k", []),
            "endorsement policy needs at least one msp id",
        ),
        (
            lambda ctx: set_key_endorsement(ctx, "k", "UtilityMSP"),
            "endorsement policy takes a list of msp ids, not the string 'UtilityMSP'",
        ),
        (
            lambda ctx: set_key_endorsement(ctx, "k", ["UtilityMSP", "UtilityMSP"]),
            "endorsement policy lists msp id UtilityMSP twice",
        ),
        (
            lambda ctx: set_key_endorsement(ctx, "k", ["UtilityMSP", ""]),
            "endorsement policy msp ids must be non-empty strings",
        ),
    ],
)
def test_bad_names_keys_and_values_are_refused_with_exact_messages(make_call, message):
    assert call_on_fake_stub(make_call) == message


def test_json_helpers_write_canonical_json_and_refuse_to_read_bad_json():
    ledger = FakeLedger()
    ledger.seed_private("households", "bad", b"{not json")

    async def scenario():
        stub = FakeStub(ledger=ledger)
        ctx = Ctx(stub)
        await put_private_json(ctx, "households", "h-1", {"name": "Ann", "email": "a@x"})
        assert await get_private_json(ctx, "households", "h-1") is None  # not committed yet
        ledger.commit(stub.simulation)
        assert await get_private_json(ctx, "households", "h-1") == {"email": "a@x", "name": "Ann"}
        await get_private_json(ctx, "households", "bad")

    with pytest.raises(StateError) as error:
        asyncio.run(scenario())

    assert str(error.value) == "state at key bad in collection households is not valid json"
    assert ledger.private["households"]["h-1"] == b'{"email":"a@x","name":"Ann"}'


def test_a_malformed_answer_is_a_peer_error_not_a_missing_policy():
    stub = FakeStub()
    stub.simulation.answer = lambda request: Message(
        type=Message.RESPONSE, payload=b"\xff\xff", txid=request.txid
    )

    with pytest.raises(PeerError) as error:
        asyncio.run(get_key_endorsement(Ctx(stub), "k"))

    assert str(error.value) == "peer answered GetStateMetadata with a malformed StateMetadataResult"
