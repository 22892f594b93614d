"""Test doubles for the client tests: a throwaway identity and a fake Fabric gateway.

The fake gateway speaks the real Gateway gRPC service with real protobuf messages. It
checks every signature it receives against the certificate in the signed message, as a
peer would (including Fabric's low-S rule), and answers with canned responses that a
test can set. (A uniquely named module rather than `conftest`, so that tests can import
it without clashing with other test folders' conftest modules.)
"""

import datetime
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import (
    chaincode_event_pb2,
    proposal_pb2,
    proposal_response_pb2,
    transaction_pb2,
)
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message_factory

from client import Identity, new_private_key_signer

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
STATUS_DETAILS_KEY = "grpc-status-details-bin"


def make_certificate(key: ec.EllipticCurvePrivateKey, common_name: str) -> bytes:
    """A self-signed PEM certificate for `key`, standing in for an enrolment certificate."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class User:
    identity: Identity
    key: ec.EllipticCurvePrivateKey

    def sign(self, digest: bytes) -> bytes:
        return new_private_key_signer(self.key)(digest)


def rpc_status(code: grpc.StatusCode, text: str, details: list[Any]) -> bytes:
    """Serialize a google.rpc.Status with protobuf itself (from a hand-built descriptor),
    so the client's wire-level decoder is checked against an independent encoder."""
    pool = descriptor_pool.DescriptorPool()
    any_file = descriptor_pb2.FileDescriptorProto()
    any_pb2.DESCRIPTOR.CopyToProto(any_file)
    pool.Add(any_file)
    status_file = descriptor_pb2.FileDescriptorProto(
        name="google/rpc/status.proto",
        package="google.rpc",
        dependency=["google/protobuf/any.proto"],
        syntax="proto3",
    )
    message = status_file.message_type.add(name="Status")
    fields = descriptor_pb2.FieldDescriptorProto
    message.field.add(name="code", number=1, type=fields.TYPE_INT32, label=fields.LABEL_OPTIONAL)
    message.field.add(
        name="message", number=2, type=fields.TYPE_STRING, label=fields.LABEL_OPTIONAL
    )
    message.field.add(
        name="details",
        number=3,
        type=fields.TYPE_MESSAGE,
        label=fields.LABEL_REPEATED,
        type_name=".google.protobuf.Any",
    )
    pool.Add(status_file)
    status_class = message_factory.GetMessageClass(pool.FindMessageTypeByName("google.rpc.Status"))
    status = status_class(code=code.value[0], message=text)
    for detail in details:
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.add(type_url=packed.type_url, value=packed.value)
    return bytes(status.SerializeToString())


def verify(signature: bytes, message: bytes, creator: bytes) -> None:
    """Check a signature as a peer would: by the creator's certificate, and low-S only."""
    identity = identities_pb2.SerializedIdentity.FromString(creator)
    public_key = x509.load_pem_x509_certificate(identity.id_bytes).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    _, s = decode_dss_signature(signature)
    if s > P256_ORDER // 2:
        raise InvalidSignature("high-S signature")


def endorsed_envelope(proposal_bytes: bytes, result: bytes) -> Any:
    """The prepared transaction a gateway returns: the client's header, the chaincode result."""
    proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
    action = proposal_pb2.ChaincodeAction(
        response=proposal_response_pb2.Response(status=200, payload=result)
    )
    response_payload = proposal_response_pb2.ProposalResponsePayload(
        proposal_hash=b"hash", extension=action.SerializeToString()
    )
    action_payload = transaction_pb2.ChaincodeActionPayload(
        chaincode_proposal_payload=proposal.payload,
        action=transaction_pb2.ChaincodeEndorsedAction(
            proposal_response_payload=response_payload.SerializeToString()
        ),
    )
    header = common_pb2.Header.FromString(proposal.header)
    transaction = transaction_pb2.Transaction(
        actions=[
            transaction_pb2.TransactionAction(
                header=header.signature_header, payload=action_payload.SerializeToString()
            )
        ]
    )
    payload = common_pb2.Payload(header=header, data=transaction.SerializeToString())
    return common_pb2.Envelope(payload=payload.SerializeToString())


def chaincode_event(tx_id: str, name: str, payload: bytes = b"", chaincode: str = "grid") -> Any:
    return chaincode_event_pb2.ChaincodeEvent(
        chaincode_id=chaincode, tx_id=tx_id, event_name=name, payload=payload
    )


@dataclass
class FakeGateway(gateway_pb2_grpc.GatewayServicer):
    """Canned answers (`result`, `validation_code`, `failures`) and a log of what it got.

    `failures` maps a method to (code, message, details), details being ErrorDetail
    messages to pack into a google.rpc.Status, or raw bytes to send as the status as
    they are. `failures_once` holds (code, message) failures for a method's next calls,
    one per call, before `failures` applies; `validation_codes` likewise the codes of the
    next commit statuses, before `validation_code`. `delays` holds a method's answer back
    for some seconds; `prepared_transaction` replaces the endorsed envelope. `history`
    logs every request in order (`received` keeps each method's last); `max_in_flight`
    is the most calls answered at once.

    `ledger` holds, per block number, the chaincode events of its valid transactions;
    `ChaincodeEvents` streams from it as a peer does (start position, chaincode filter,
    `after_transaction_id` skipping) and waits for `commit_block` to add more, until
    the client hangs up. `listening` is set once a stream has found its start block and
    `stream_ended` once one has ended.
    """

    result: bytes = b""
    validation_code: int = transaction_pb2.VALID
    failures: dict[str, tuple[grpc.StatusCode, str, list[Any] | bytes]] = field(
        default_factory=dict
    )
    delays: dict[str, float] = field(default_factory=dict)
    failures_once: dict[str, list[tuple[grpc.StatusCode, str]]] = field(default_factory=dict)
    validation_codes: list[int] = field(default_factory=list)
    prepared_transaction: Any = None
    received: dict[str, Any] = field(default_factory=dict)
    history: list[tuple[str, Any]] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    ledger: list[list[Any]] = field(default_factory=list)
    listening: threading.Event = field(default_factory=threading.Event)
    stream_ended: threading.Event = field(default_factory=threading.Event)
    max_in_flight: int = 0
    _in_flight: int = 0
    _streams: int = 0
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def reset(self) -> None:
        """Forget everything, once the calls a test left sleeping in `delays` are answered
        and the event streams it opened have ended."""
        with self._lock:
            self._lock.wait_for(lambda: self._in_flight == self._streams == 0, timeout=5)
        self.result = b""
        self.validation_code = transaction_pb2.VALID
        self.failures.clear()
        self.failures_once.clear()
        self.validation_codes.clear()
        self.delays.clear()
        self.prepared_transaction = None
        self.received.clear()
        self.history.clear()
        self.verified.clear()
        self.ledger.clear()
        self.listening.clear()
        self.stream_ended.clear()
        self.max_in_flight = 0

    def requests(self, method: str) -> list[Any]:
        """Every request `method` received, in order."""
        return [request for name, request in self.history if name == method]

    def commit_block(self, *events: Any) -> int:
        """Append a block holding `events`; returns its number."""
        with self._lock:
            self.ledger.append(list(events))
            self._lock.notify_all()
            return len(self.ledger) - 1

    def Evaluate(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._accept("Evaluate", request, context, *self._proposal_signature(request))
        return gateway_pb2.EvaluateResponse(
            result=proposal_response_pb2.Response(payload=self.result)
        )

    def Endorse(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._accept("Endorse", request, context, *self._proposal_signature(request))
        envelope = self.prepared_transaction
        if envelope is None:
            envelope = endorsed_envelope(request.proposed_transaction.proposal_bytes, self.result)
        return gateway_pb2.EndorseResponse(prepared_transaction=envelope)

    def Submit(self, request: Any, context: grpc.ServicerContext) -> Any:
        envelope = request.prepared_transaction
        header = common_pb2.Payload.FromString(envelope.payload).header
        creator = common_pb2.SignatureHeader.FromString(header.signature_header).creator
        self._accept("Submit", request, context, envelope.signature, envelope.payload, creator)
        return gateway_pb2.SubmitResponse()

    def CommitStatus(self, request: Any, context: grpc.ServicerContext) -> Any:
        identity = gateway_pb2.CommitStatusRequest.FromString(request.request).identity
        self._accept("CommitStatus", request, context, request.signature, request.request, identity)
        code = self.validation_codes.pop(0) if self.validation_codes else self.validation_code
        return gateway_pb2.CommitStatusResponse(result=code, block_number=42)

    def ChaincodeEvents(self, signed: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        request = gateway_pb2.ChaincodeEventsRequest.FromString(signed.request)
        with self._lock:
            self._streams += 1
        context.add_callback(self._stream_ended)
        self._accept(
            "ChaincodeEvents", signed, context, signed.signature, signed.request, request.identity
        )
        number = self._start_block(request)
        skipping = bool(request.after_transaction_id)
        self.listening.set()
        while context.is_active():
            with self._lock:
                if number >= len(self.ledger):
                    self._lock.wait(0.05)
                    continue
                block = self.ledger[number]
            matching = []
            for event in block:  # Fabric's chaincodeEventMatcher
                if skipping:
                    skipping = event.tx_id != request.after_transaction_id
                elif event.chaincode_id == request.chaincode_id:
                    matching.append(event)
            if matching:
                yield gateway_pb2.ChaincodeEventsResponse(block_number=number, events=matching)
            number += 1

    def _stream_ended(self) -> None:
        with self._lock:
            self._streams -= 1
            self.stream_ended.set()
            self._lock.notify_all()

    def _start_block(self, request: Any) -> int:
        """Fabric's chaincodeEventsStartBlock: the after-transaction's block if on the
        ledger, else the start position (the next block to commit by default)."""
        with self._lock:
            for number, block in enumerate(self.ledger):
                if request.after_transaction_id in {event.tx_id for event in block}:
                    return number
            if request.start_position.WhichOneof("Type") == "specified":
                return int(request.start_position.specified.number)
            return len(self.ledger)

    @staticmethod
    def _proposal_signature(request: Any) -> tuple[bytes, bytes, bytes]:
        signed = request.proposed_transaction
        header = common_pb2.Header.FromString(
            proposal_pb2.Proposal.FromString(signed.proposal_bytes).header
        )
        creator = common_pb2.SignatureHeader.FromString(header.signature_header).creator
        return signed.signature, signed.proposal_bytes, creator

    def _accept(
        self,
        method: str,
        request: Any,
        context: grpc.ServicerContext,
        signature: bytes,
        message: bytes,
        creator: bytes,
    ) -> None:
        self.received[method] = request
        self.history.append((method, request))
        try:
            verify(signature, message, creator)
        except InvalidSignature:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, f"{method}: bad signature")
        self.verified.append(method)
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            time.sleep(self.delays.get(method, 0))
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()
        if self.failures_once.get(method):
            context.abort(*self.failures_once[method].pop(0))
        if method in self.failures:
            code, message_text, details = self.failures[method]
            if details:
                raw = (
                    details
                    if isinstance(details, bytes)
                    else rpc_status(code, message_text, details)
                )
                context.set_trailing_metadata([(STATUS_DETAILS_KEY, raw)])
            context.abort(code, message_text)


@contextmanager
def in_process_server(
    register: Callable[[Any, grpc.Server], None], servicer: Any, max_workers: int = 2
) -> Iterator[str]:
    """An insecure in-process gRPC server for a fake servicer; yields its address."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers))
    register(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None).wait()


@contextmanager
def in_process_channel(
    register: Callable[[Any, grpc.Server], None], servicer: Any, max_workers: int = 2
) -> Iterator[grpc.Channel]:
    """A channel to an in-process server for a fake servicer (both closed on exit)."""
    with in_process_server(register, servicer, max_workers) as address:
        channel = grpc.insecure_channel(address)
        try:
            yield channel
        finally:
            channel.close()
