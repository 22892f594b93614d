"""Test doubles for chaincode: Fabric CA-style certificates and an in-memory ledger.

``FakeStub`` has the async API our contracts use (the shim's ``ChaincodeStub``
subset) plus what :mod:`chaincode.runtime.private` reads from the real one
(``client``, ``channel_id``, ``tx_id``, ``signed_proposal_pb``). Its ledger requests
are real ``ChaincodeMessage``\\ s that a :class:`TxSimulation` answers the way a Fabric
peer does. ``FakeLedger.invoke`` runs a transaction through the real Contract API
dispatcher and, like endorsement + commit, applies its writes only on success.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fabric_chaincode_python.fabric_shim.iterators import StateQueryIterator
from fabric_chaincode_python.fabric_shim.msg_queue_handler import QueueMessage
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb2
from fabric_protos.peer import proposal_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from chaincode.runtime.handler import GridLedgerHandler

Message = shim_pb2.ChaincodeMessage
Record = shim_pb2.WriteRecord
PAGE_SIZE = 100  # a Fabric peer sends range query results 100 at a time

ATTRS_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")
_KEY = ec.generate_private_key(ec.SECP256R1())
T0 = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)


def make_cert_pem(
    common_name: str = "admin@utility",
    attrs: dict[str, str] | None = None,
    *,
    raw_extension: bytes | None = None,
) -> bytes:
    """A PEM enrollment certificate; *attrs* go in Fabric CA's attribute extension."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "client"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_KEY.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0 - datetime.timedelta(days=1))
        .not_valid_after(T0 + datetime.timedelta(days=365))
    )
    value = raw_extension
    if value is None and attrs is not None:
        value = json.dumps({"attrs": attrs}).encode()
    if value is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ATTRS_OID, value), critical=False
        )
    return builder.sign(_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def identity(msp_id: str = "UtilityMSP", role: str | None = "admin", cn: str = "") -> dict:
    """A creator as the shim's stub returns it: ``{"mspid", "idBytes"}``."""
    attrs = {"hf.EnrollmentID": cn or f"{role}@{msp_id}", "hf.Type": "client"}
    if role is not None:
        attrs["role"] = role
    return {"mspid": msp_id, "idBytes": make_cert_pem(cn or f"{role}@{msp_id}", attrs)}


class Refused(Exception):
    """A ledger request the peer answers with ERROR; the message is the peer's text."""


class Write(NamedTuple):
    """One pending write of a transaction: ``put`` (with its value), ``delete`` or ``purge``."""

    op: str
    value: bytes | None = None


class TxSimulation:
    """One transaction as a Fabric peer simulates it, over a :class:`FakeLedger`.

    :meth:`answer` replies to the chaincode's ledger requests (GET_STATE, PUT_STATE,
    DEL_STATE, PURGE_PRIVATE_DATA, GET_PRIVATE_DATA_HASH, GET_STATE_BY_RANGE,
    QUERY_STATE_NEXT / CLOSE, GET / PUT_STATE_METADATA, public or in a collection,
    and Fabric 3's WRITE_BATCH_STATE and GET_STATE_MULTIPLE) as the peer's handler
    does: RESPONSE, or ERROR with Fabric's text. Reads see committed state only;
    writes wait in :attr:`writes` and :attr:`metadata_writes` until
    :meth:`FakeLedger.commit`. Range results come in pages of *page_size*.
    """

    def __init__(self, ledger: FakeLedger, tx_id: str, *, page_size: int = PAGE_SIZE) -> None:
        self.ledger = ledger
        self.tx_id = tx_id
        self.page_size = page_size
        self.writes: dict[tuple[str, str], Write] = {}  # (collection or "", key) -> last write
        self.metadata_writes: dict[tuple[str, str], dict[str, bytes]] = {}
        self.closed_queries: list[str] = []
        self._open: dict[str, list[Any]] = {}  # query id -> results not sent yet
        self._queries = 0
        self._wrote = False
        self._queried_private = False

    def answer(self, request: Any) -> Any | None:
        """The peer's reply to *request*, or ``None`` for a message that is not a ledger request."""
        handle = self._HANDLERS.get(request.type)
        if handle is None:
            return None
        try:
            kind, payload = Message.RESPONSE, handle(self, request.payload)
        except Refused as refusal:
            kind, payload = Message.ERROR, str(refusal).encode()
        return Message(type=kind, payload=payload, txid=request.txid, channel_id=request.channel_id)

    def _get_state(self, payload: bytes) -> bytes:
        request = shim_pb2.GetState.FromString(payload)
        self._may_access(request.collection)
        return self.ledger.committed(request.collection).get(request.key, b"")

    def _get_state_multiple(self, payload: bytes) -> bytes:
        """Like GET_STATE for each key, in order; empty bytes for an absent one."""
        request = shim_pb2.GetStateMultiple.FromString(payload)
        self._may_access(request.collection)
        committed = self.ledger.committed(request.collection)
        values = [committed.get(key, b"") for key in request.keys]
        return shim_pb2.GetStateMultipleResult(values=values).SerializeToString()

    def _put_state(self, payload: bytes) -> bytes:
        request = shim_pb2.PutState.FromString(payload)
        self._may_access(request.collection)
        self._before_write()
        # proto3 cannot tell an empty value from none: Fabric records a delete.
        write = Write("put", request.value) if request.value else Write("delete")
        self.writes[(request.collection, request.key)] = write
        return b""

    def _del_state(self, payload: bytes) -> bytes:
        request = shim_pb2.DelState.FromString(payload)
        self._may_access(request.collection)
        self._before_write()
        self.writes[(request.collection, request.key)] = Write("delete")
        return b""

    def _purge(self, payload: bytes) -> bytes:
        request = shim_pb2.DelState.FromString(payload)
        if not request.collection:
            raise Refused("only applicable for private data")
        self._may_access(request.collection)
        self._before_write()
        self.writes[(request.collection, request.key)] = Write("purge")
        return b""

    def _get_hash(self, payload: bytes) -> bytes:
        request = shim_pb2.GetState.FromString(payload)
        self._known(request.collection, allow_public=False)  # no membership needed
        return self.ledger.private_hashes.get(request.collection, {}).get(request.key, b"")

    def _range(self, payload: bytes) -> bytes:
        request = shim_pb2.GetStateByRange.FromString(payload)
        if request.collection:
            self._may_access(request.collection)
            if self._wrote:
                raise Refused(
                    f"txid [{self.tx_id}]: unsuppored transaction. Queries on pvt data is "
                    "supported only in a read-only transaction"
                )
            self._queried_private = True
        items = self.ledger.committed(request.collection)
        keys = sorted(
            k for k in items if request.startKey <= k and (not request.endKey or k < request.endKey)
        )
        self._queries += 1
        query_id = f"{self.tx_id}-query-{self._queries}"
        self._open[query_id] = [
            shim_pb2.QueryResultBytes(
                resultBytes=kv_query_result_pb2.KV(
                    namespace=self.ledger.namespace, key=k, value=items[k]
                ).SerializeToString()
            )
            for k in keys
        ]
        return self._page(query_id)

    def _next(self, payload: bytes) -> bytes:
        query_id = shim_pb2.QueryStateNext.FromString(payload).id
        if query_id not in self._open:
            raise Refused("query iterator not found")
        return self._page(query_id)

    def _close(self, payload: bytes) -> bytes:
        query_id = shim_pb2.QueryStateClose.FromString(payload).id
        self._open.pop(query_id, None)
        self.closed_queries.append(query_id)
        return shim_pb2.QueryResponse(has_more=False, id=query_id).SerializeToString()

    def _page(self, query_id: str) -> bytes:
        results = self._open.pop(query_id)
        page, rest = results[: self.page_size], results[self.page_size :]
        if rest:  # like the peer, which drops an iterator once it is exhausted
            self._open[query_id] = rest
        response = shim_pb2.QueryResponse(results=page, has_more=bool(rest), id=query_id)
        return response.SerializeToString()

    def _get_metadata(self, payload: bytes) -> bytes:
        request = shim_pb2.GetStateMetadata.FromString(payload)
        self._may_access(request.collection)
        entries = sorted(self.ledger.metadata.get((request.collection, request.key), {}).items())
        result = shim_pb2.StateMetadataResult(
            entries=[shim_pb2.StateMetadata(metakey=k, value=v) for k, v in entries]
        )
        return result.SerializeToString()

    def _put_metadata(self, payload: bytes) -> bytes:
        request = shim_pb2.PutStateMetadata.FromString(payload)
        self._may_access(request.collection)
        self._before_write()
        entry = request.metadata
        self.metadata_writes[(request.collection, request.key)] = {entry.metakey: entry.value}
        return b""

    def _write_batch(self, payload: bytes) -> bytes:
        """Each record in order, as its own request would be (Fabric's ``HandleWriteBatch``).

        The first refused record makes the answer ERROR; the records before it stay in
        the simulation, as in the peer's (the transaction fails anyway).
        """
        batch = shim_pb2.WriteBatchState.FromString(payload)
        for record in batch.rec:
            apply, request = self._record_request(record)
            apply(self, request.SerializeToString())
        return b""

    @staticmethod
    def _record_request(record: Any) -> tuple[Callable[[TxSimulation, bytes], bytes], Any]:
        """The handler and request a WriteRecord stands for."""
        where = {"key": record.key, "collection": record.collection}
        if record.type == Record.PUT_STATE:
            return TxSimulation._put_state, shim_pb2.PutState(value=record.value, **where)
        if record.type == Record.DEL_STATE:
            return TxSimulation._del_state, shim_pb2.DelState(**where)
        if record.type == Record.PURGE_PRIVATE_DATA:
            return TxSimulation._purge, shim_pb2.DelState(**where)
        if record.type == Record.PUT_STATE_METADATA:
            metadata = shim_pb2.StateMetadata(
                metakey=record.metadata.metakey, value=record.metadata.value
            )
            return TxSimulation._put_metadata, shim_pb2.PutStateMetadata(metadata=metadata, **where)
        raise Refused("unknown operation type")

    def _known(self, collection: str, *, allow_public: bool = True) -> None:
        if not collection and allow_public:
            return
        if not collection or (
            self.ledger.collections is not None and collection not in self.ledger.collections
        ):
            raise Refused(
                f"collection [{collection}] not defined in the collection config for "
                f"chaincode [{self.ledger.namespace}]"
            )

    def _may_access(self, collection: str) -> None:
        self._known(collection)
        if collection in self.ledger.refuse:
            raise Refused(self.ledger.refuse[collection])

    def _before_write(self) -> None:
        if self._queried_private:
            raise Refused(
                f"txid [{self.tx_id}]: unsuppored transaction. Transaction has already "
                "performed queries on pvt data. Writes are not allowed"
            )
        self._wrote = True

    _HANDLERS: ClassVar[dict[int, Callable[[TxSimulation, bytes], bytes]]] = {
        Message.GET_STATE: _get_state,
        Message.PUT_STATE: _put_state,
        Message.DEL_STATE: _del_state,
        Message.PURGE_PRIVATE_DATA: _purge,
        Message.GET_PRIVATE_DATA_HASH: _get_hash,
        Message.GET_STATE_BY_RANGE: _range,
        Message.QUERY_STATE_NEXT: _next,
        Message.QUERY_STATE_CLOSE: _close,
        Message.GET_STATE_METADATA: _get_metadata,
        Message.PUT_STATE_METADATA: _put_metadata,
        Message.GET_STATE_MULTIPLE: _get_state_multiple,
        Message.WRITE_BATCH_STATE: _write_batch,
    }
    REQUESTS: ClassVar[frozenset[int]] = frozenset(_HANDLERS)  # the message types answered


class _Loopback:
    """Stands in for the shim's MsgQueueHandler: each request goes to the simulation at once."""

    def __init__(self, simulation: TxSimulation) -> None:
        self.simulation = simulation
        self.sent: list[Any] = []

    async def queue_msg(self, queued: QueueMessage) -> None:
        self.sent.append(queued.msg)
        reply = self.simulation.answer(queued.msg)
        if reply is None:
            name = Message.Type.Name(queued.msg.type)
            raise AssertionError(f"the fake peer does not answer {name}")
        queued.success(reply)


class FakeStub:
    """The subset of ``ChaincodeStub`` our contracts use, over a :class:`FakeLedger`.

    ``client`` is a real :class:`GridLedgerHandler` whose message queue is a loopback
    to a :class:`TxSimulation`: every ledger request, from these methods or from
    :mod:`chaincode.runtime.private`, is a real ``ChaincodeMessage`` answered as a
    peer would, and an ERROR raises ``PeerError`` through the handler's own code.
    ``FakeStub(state)`` wraps a bare dict of public state in a new ledger.
    """

    def __init__(
        self,
        state: dict[str, bytes] | None = None,
        function: str = "",
        args: tuple[str, ...] = (),
        creator: dict | None = None,
        tx_id: str = "tx-1",
        timestamp: datetime.datetime = T0,
        *,
        ledger: FakeLedger | None = None,
        transient: dict[str, bytes] | None = None,
        channel_id: str = "consortium",
    ) -> None:
        if ledger is None:
            ledger = FakeLedger(state={} if state is None else state)
        elif state is not None:
            raise ValueError("pass state or ledger, not both")
        self.ledger = ledger
        self.channel_id = channel_id
        self.tx_id = tx_id
        self._function = function
        self._args = list(args)
        self._creator = creator if creator is not None else {}
        self._timestamp = Timestamp()
        self._timestamp.FromDatetime(timestamp)
        self.simulation = TxSimulation(ledger, tx_id, page_size=ledger.page_size)
        self._loopback = _Loopback(self.simulation)
        self.client = GridLedgerHandler("fake-chaincode", None)
        self.client.msg_queue_handler = self._loopback
        # what the shim's stub decodes from the signed proposal; only the transient map is used
        payload = proposal_pb2.ChaincodeProposalPayload(TransientMap=transient or {})
        self.signed_proposal_pb = {"proposal": {"payload": payload}}
        self.events: list[tuple[str, bytes]] = []

    @property
    def requests(self) -> list[Any]:
        """Every ledger request this transaction sent, in order (``ChaincodeMessage``)."""
        return list(self._loopback.sent)

    @property
    def writes(self) -> dict[str, bytes]:
        """The public values this transaction puts."""
        return {
            key: write.value
            for (collection, key), write in self.simulation.writes.items()
            if not collection and write.op == "put" and write.value is not None
        }

    @property
    def private_writes(self) -> dict[tuple[str, str], Write]:
        """The private writes (put, delete, purge) by ``(collection, key)``."""
        return {ck: write for ck, write in self.simulation.writes.items() if ck[0]}

    def get_function_and_parameters(self) -> tuple[str, list[str]]:
        return self._function, self._args

    def get_txid(self) -> str:
        return self.tx_id

    def get_channel_id(self) -> str:
        return self.channel_id

    def get_tx_timestamp(self) -> Timestamp:
        return self._timestamp

    def get_creator(self) -> dict:
        return self._creator

    async def get_state(self, key: str) -> bytes:
        return await self.client.handle_get_state("", key, self.channel_id, self.tx_id)

    async def put_state(self, key: str, value: bytes) -> None:
        await self.client.handle_put_state("", key, bytes(value), self.channel_id, self.tx_id)

    async def delete_state(self, key: str) -> None:
        await self.client.handle_delete_state("", key, self.channel_id, self.tx_id)

    async def get_state_by_range(self, start_key: str, end_key: str) -> StateQueryIterator:
        """Like the shim's: the shim's own iterator over the peer's pages."""
        first = await self.client.handle_get_state_by_range(
            "", start_key, end_key, self.channel_id, self.tx_id
        )
        return StateQueryIterator(
            handler=self.client,
            channel_id=self.channel_id,
            tx_id=self.tx_id,
            initial_response=first,
            response_factory=shim_pb2.QueryResponse.FromString,
            parser=lambda result: kv_query_result_pb2.KV.FromString(result.resultBytes),
        )

    def set_event(self, name: str, payload: bytes) -> None:
        self.events.append((name, bytes(payload)))


class Ctx:
    """A transaction context around a stub, for calling helpers directly."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub

    def get_stub(self) -> Any:
        return self._stub


@dataclass
class Result:
    status: int
    message: str
    payload: bytes
    stub: FakeStub

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class FakeLedger:
    """Committed ledger state, as one peer that is a member of every collection holds it.

    ``invoke`` runs a transaction and commits its writes only on success (endorsement +
    commit); a transaction reads committed state, never its own writes.

    * ``state`` — public key -> value.
    * ``private`` — collection -> key -> value; ``private_hashes`` — collection -> key ->
      SHA-256 of the value, what every peer of the channel holds (drop a value from
      ``private`` to play a peer outside the collection).
    * ``private_history`` — (collection, key) -> every value committed, as members'
      private data stores keep them: a delete leaves it, a purge erases it. Both remove
      the value, its hash and its metadata from state.
    * ``metadata`` — (collection or "", key) -> {metakey: value}, e.g. the
      ``VALIDATION_PARAMETER`` of a key-level endorsement policy.
    * ``epoch`` — the n-th transaction is stamped ``epoch + n minutes`` (move it to
      play a later day).
    * ``collections`` — when set, a request on any other collection is refused as the
      peer refuses one missing from the collection config; ``refuse`` — collection ->
      ERROR text for every request on it but the hash (e.g. memberOnlyRead).
    """

    state: dict[str, bytes] = field(default_factory=dict)
    events: list[tuple[str, bytes]] = field(default_factory=list)
    private: dict[str, dict[str, bytes]] = field(default_factory=dict)
    private_hashes: dict[str, dict[str, bytes]] = field(default_factory=dict)
    private_history: dict[tuple[str, str], list[bytes]] = field(default_factory=dict)
    metadata: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    collections: set[str] | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    namespace: str = "gridledger"
    page_size: int = PAGE_SIZE
    epoch: datetime.datetime = T0
    _count: int = 0

    async def invoke(
        self,
        chaincode: Any,
        creator: dict,
        function: str,
        *args: str,
        transient: dict[str, bytes] | None = None,
    ) -> Result:
        self._count += 1
        stub = FakeStub(
            None,
            function,
            args,
            creator,
            tx_id=f"tx-{self._count}",
            timestamp=self.epoch + datetime.timedelta(minutes=self._count),
            ledger=self,
            transient=transient,
        )
        response = await chaincode.invoke(stub)
        if response.status == 200:
            self.commit(stub.simulation)
            self.events.extend(stub.events[-1:])
        return Result(response.status, response.message, response.payload, stub)

    def seed_private(self, collection: str, key: str, value: bytes) -> None:
        """Seed a committed private value (with its hash and history), as an earlier tx would."""
        self._apply(collection, key, Write("put", bytes(value)))

    def private_hash(self, collection: str, key: str) -> bytes | None:
        return self.private_hashes.get(collection, {}).get(key)

    def committed(self, collection: str) -> dict[str, bytes]:
        """The committed values of *collection* ("" for public state), read-only by intent."""
        return self.state if not collection else self.private.get(collection, {})

    def commit(self, simulation: TxSimulation) -> None:
        """Apply a successful transaction's writes, as the peer does at commit."""
        for (collection, key), write in simulation.writes.items():
            self._apply(collection, key, write)
        for (collection, key), entries in simulation.metadata_writes.items():
            # a delete in the same transaction wins; metadata of an absent key is dropped
            if key in self.committed(collection):
                self.metadata[(collection, key)] = dict(entries)

    def _apply(self, collection: str, key: str, write: Write) -> None:
        values = self.state if not collection else self.private.setdefault(collection, {})
        if write.op == "put":
            assert write.value
            values[key] = write.value
            if collection:
                digest = hashlib.sha256(write.value).digest()
                self.private_hashes.setdefault(collection, {})[key] = digest
                self.private_history.setdefault((collection, key), []).append(write.value)
            return
        values.pop(key, None)
        self.metadata.pop((collection, key), None)
        if collection:
            self.private_hashes.get(collection, {}).pop(key, None)
            if write.op == "purge":
                self.private_history.pop((collection, key), None)


class TLSMaterial(NamedTuple):
    ca: bytes
    server_cert: bytes
    server_key: bytes
    client_cert: bytes
    client_key: bytes


def tls_material() -> TLSMaterial:
    """A CA, a server certificate for localhost/127.0.0.1 and a client certificate (PEM)."""
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tls-ca")])
    ca_cert = _certificate(ca_name, ca_name, _KEY, _KEY, ca=True)

    def leaf(cn: str, usage: x509.ObjectIdentifier, sans: list) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        cert = _certificate(name, ca_name, key, _KEY, usage=usage, sans=sans)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cert.public_bytes(serialization.Encoding.PEM), key_pem

    server = leaf(
        "localhost",
        x509.ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    client = leaf("peer0.utility", x509.ExtendedKeyUsageOID.CLIENT_AUTH, [])
    return TLSMaterial(ca_cert.public_bytes(serialization.Encoding.PEM), *server, *client)


def _certificate(subject, issuer, key, signer, *, ca=False, usage=None, sans=()):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(signer, hashes.SHA256())
