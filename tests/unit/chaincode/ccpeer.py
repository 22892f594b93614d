"""A fake Fabric peer: the peer's side of ``Chaincode.Connect`` over a real gRPC stream.

It does the REGISTER / REGISTERED / READY handshake and sends TRANSACTION messages
with a signed proposal (creator, timestamp, transient map). READY carries what the
peer offers (``ready``, a :class:`Ready`; by default nothing, as a peer before
Fabric 3). Each transaction's ledger requests (GET_STATE, PUT_STATE, DEL_STATE,
PURGE_PRIVATE_DATA, GET_PRIVATE_DATA_HASH, GET_STATE_BY_RANGE, QUERY_STATE_NEXT /
CLOSE, GET / PUT_STATE_METADATA, WRITE_BATCH_STATE, GET_STATE_MULTIPLE) are recorded
in ``requests`` as received and answered by a ``ccfakes.TxSimulation`` over
``ledger``, as a Fabric peer would; its writes are committed when it COMPLETES with
status 200. ``fail`` turns a request kind into an ERROR answer, ``alter`` rewrites
the answers to a request kind (a peer that misbehaves). Anything unexpected (a second
COMPLETED for a transaction, an unknown request...) is kept in ``unexpected``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from ccfakes import PAGE_SIZE, FakeLedger, TxSimulation
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import (
    chaincode_pb2,
    chaincode_shim_pb2,
    chaincode_shim_pb2_grpc,
    proposal_pb2,
    proposal_response_pb2,
)

from chaincode.runtime.server import start_server

Message = chaincode_shim_pb2.ChaincodeMessage
PACKAGE_ID = "ping_1.0:" + "ab" * 32


def varint(value: int) -> bytes:
    """*value* (>= 0) as a protobuf base-128 varint: 7 bits a byte, low bits first."""
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def tag(field: int, wire_type: int) -> bytes:
    """The key that starts a protobuf field: ``field << 3 | wire_type``, as a varint."""
    return varint(field << 3 | wire_type)


@dataclasses.dataclass(frozen=True)
class Ready:
    """What a Fabric 3 peer offers in READY (its core.yaml ``chaincode.runtimeParams``).

    The fields of ``ChaincodeAdditionalParams`` in ``peer/chaincode_shim.proto``:
    1 ``use_write_batch`` (bool), 2 ``max_size_write_batch`` (uint32),
    3 ``use_get_multiple_keys`` (bool), 4 ``max_size_get_multiple_keys`` (uint32).
    """

    use_write_batch: bool = False
    max_size_write_batch: int = 0
    use_get_multiple_keys: bool = False
    max_size_get_multiple_keys: int = 0

    def payload(self) -> bytes:
        """The wire bytes, as Go's ``proto.Marshal`` writes them: fields in number order,
        varints (wire type 0), proto3 defaults (false, 0) left out."""
        values = dataclasses.astuple(self)
        return b"".join(tag(n, 0) + varint(int(v)) for n, v in enumerate(values, 1) if v)


# Fabric 3's core.yaml: useWriteBatch true, maxSizeWriteBatch 1000,
# useGetMultipleKeys true, maxSizeGetMultipleKeys 1000.
FABRIC3_DEFAULT = Ready(True, 1000, True, 1000)


def signed_proposal(
    channel_id: str,
    tx_id: str,
    creator: dict | None,
    args: list[bytes],
    when: datetime.datetime,
    transient: dict[str, bytes] | None = None,
) -> proposal_pb2.SignedProposal:
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION, channel_id=channel_id, tx_id=tx_id
    )
    channel_header.timestamp.FromDatetime(when)
    creator = creator or {}
    identity = identities_pb2.SerializedIdentity(
        mspid=creator.get("mspid", ""), id_bytes=creator.get("idBytes", b"")
    )
    signature_header = common_pb2.SignatureHeader(
        creator=identity.SerializeToString(), nonce=b"nonce"
    )
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=signature_header.SerializeToString(),
    )
    invocation = chaincode_pb2.ChaincodeInvocationSpec(
        chaincode_spec=chaincode_pb2.ChaincodeSpec(input=chaincode_pb2.ChaincodeInput(args=args))
    )
    payload = proposal_pb2.ChaincodeProposalPayload(
        input=invocation.SerializeToString(), TransientMap=transient or {}
    )
    proposal = proposal_pb2.Proposal(
        header=header.SerializeToString(), payload=payload.SerializeToString()
    )
    return proposal_pb2.SignedProposal(
        proposal_bytes=proposal.SerializeToString(), signature=b"signature"
    )


def response_of(message: Any) -> proposal_response_pb2.Response:
    """The chaincode Response carried by a COMPLETED message."""
    assert message.type == Message.COMPLETED, message
    return proposal_response_pb2.Response.FromString(message.payload)


class FakePeer:
    def __init__(
        self,
        target: str,
        *,
        state: dict[str, bytes] | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        channel_id: str = "consortium",
        page_size: int = PAGE_SIZE,
        ready: Ready | None = None,
    ) -> None:
        self.target = target
        self.ready = ready or Ready()
        self.credentials = credentials
        self.channel_id = channel_id
        self.page_size = page_size
        self.ledger = FakeLedger(state=dict(state or {}), page_size=page_size)
        self.state: dict[str, bytes] = self.ledger.state
        self.requests: list[Any] = []  # every ledger request received, in order
        self.received: list[Any] = []  # every message received after READY, in order
        self.fail: dict[int, str] = {}  # requests of these types are answered with ERROR <text>
        # the answers to requests of these types go through the function first
        self.alter: dict[int, Callable[[Any], Any]] = {}
        self.refuse: set[str] = set()  # GET_STATE of these keys is answered with ERROR
        self.hold: set[str] = set()  # GET_STATE of these keys is never answered
        self.held = asyncio.Event()  # set once a held key was asked for
        self.unexpected: list[Any] = []
        self.keepalives = 0
        self.registered_id = ""
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._simulations: dict[str, TxSimulation] = {}
        self._lock = asyncio.Lock()
        self._count = 0

    async def __aenter__(self) -> FakePeer:
        if self.credentials is None:
            self._channel = grpc.aio.insecure_channel(self.target)
        else:
            self._channel = grpc.aio.secure_channel(
                self.target,
                self.credentials,
                options=[("grpc.ssl_target_name_override", "localhost")],
            )
        self._call = chaincode_shim_pb2_grpc.ChaincodeStub(self._channel).Connect()
        try:
            register = await self._call.read()
        except BaseException:
            await self._channel.close()
            raise
        assert register.type == Message.REGISTER, register
        self.registered_id = chaincode_pb2.ChaincodeID.FromString(register.payload).name
        await self.send(Message(type=Message.REGISTERED))
        await self.send(Message(type=Message.READY, payload=self.ready.payload()))
        self._reader = asyncio.create_task(self._read_loop())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._call.cancel()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self._channel.close()

    async def finish_writing(self) -> None:
        """Half-close the stream, as a peer that goes away does."""
        await self._call.done_writing()

    async def closed(self) -> grpc.StatusCode:
        """The call's final status, once the chaincode side has ended it."""
        return await self._call.code()

    async def send(self, message: Any) -> None:
        async with self._lock:  # a gRPC call takes one write at a time, on this side too
            await self._call.write(message)

    async def invoke(
        self,
        function: str,
        *args: str,
        creator: dict | None = None,
        tx_id: str | None = None,
        when: datetime.datetime | None = None,
        transient: dict[str, bytes] | None = None,
    ) -> Any:
        """Send one TRANSACTION; the COMPLETED (or ERROR) message that answers it."""
        self._count += 1
        tx_id = tx_id or f"tx-{self._count}"
        when = when or datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
        cc_args = [function.encode(), *(arg.encode() for arg in args)]
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[tx_id] = future
        self._simulations[tx_id] = TxSimulation(self.ledger, tx_id, page_size=self.page_size)
        await self.send(
            Message(
                type=Message.TRANSACTION,
                payload=chaincode_pb2.ChaincodeInput(args=cc_args).SerializeToString(),
                txid=tx_id,
                channel_id=self.channel_id,
                proposal=signed_proposal(self.channel_id, tx_id, creator, cc_args, when, transient),
            )
        )
        return await future

    async def _read_loop(self) -> None:
        while (message := await self._call.read()) is not grpc.aio.EOF:
            await self._on_message(message)

    async def _on_message(self, msg: Any) -> None:
        self.received.append(msg)
        if msg.type in (Message.COMPLETED, Message.ERROR) and msg.txid in self._pending:
            simulation = self._simulations.pop(msg.txid)
            if msg.type == Message.COMPLETED and response_of(msg).status == 200:
                self.ledger.commit(simulation)
            self._pending.pop(msg.txid).set_result(msg)
            return
        if msg.type == Message.KEEPALIVE:
            self.keepalives += 1
            return
        simulation = self._simulations.get(msg.txid)
        if simulation is None or msg.type not in TxSimulation.REQUESTS:
            self.unexpected.append(msg)
            return
        self.requests.append(msg)
        if msg.type == Message.GET_STATE:
            key = chaincode_shim_pb2.GetState.FromString(msg.payload).key
            if key in self.hold:
                self.held.set()
                return
            if key in self.refuse:
                await self._reply(msg, Message.ERROR, f"access to {key} denied".encode())
                return
        if msg.type in self.fail:
            await self._reply(msg, Message.ERROR, self.fail[msg.type].encode())
            return
        answer = simulation.answer(msg)
        if msg.type in self.alter:
            answer = self.alter[msg.type](answer)
        await self.send(answer)

    async def _reply(self, request: Any, kind: int, payload: bytes) -> None:
        await self.send(
            Message(type=kind, payload=payload, txid=request.txid, channel_id=request.channel_id)
        )


@contextlib.asynccontextmanager
async def serving(chaincode: Any, **options: Any) -> AsyncIterator[str]:
    """Our chaincode server on a free local port, stopped on exit; yields its address."""
    running = await start_server(
        chaincode, chaincode_id=PACKAGE_ID, address="127.0.0.1:0", **options
    )
    try:
        yield f"127.0.0.1:{running.port}"
    finally:
        await running.stop()
