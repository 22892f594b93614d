"""Test doubles for chaincode: Fabric CA-style certificates and an in-memory ledger.

``FakeStub`` has the async API our contracts use (the shim's ``ChaincodeStub``
subset). ``FakeLedger.invoke`` runs a transaction through the real Contract API
dispatcher and, like endorsement + commit, applies its writes only on success.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.protobuf.timestamp_pb2 import Timestamp

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


class KV(NamedTuple):
    key: str
    value: bytes


class FakeStub:
    """The subset of ``ChaincodeStub`` our contracts use, over a dict."""

    def __init__(
        self,
        state: dict[str, bytes],
        function: str = "",
        args: tuple[str, ...] = (),
        creator: dict | None = None,
        tx_id: str = "tx-1",
        timestamp: datetime.datetime = T0,
    ) -> None:
        self._state = state
        self._function = function
        self._args = list(args)
        self._creator = creator if creator is not None else {}
        self._tx_id = tx_id
        self._timestamp = Timestamp()
        self._timestamp.FromDatetime(timestamp)
        self.writes: dict[str, bytes] = {}
        self.events: list[tuple[str, bytes]] = []

    def get_function_and_parameters(self) -> tuple[str, list[str]]:
        return self._function, self._args

    def get_txid(self) -> str:
        return self._tx_id

    def get_tx_timestamp(self) -> Timestamp:
        return self._timestamp

    def get_creator(self) -> dict:
        return self._creator

    async def get_state(self, key: str) -> bytes:
        return self._state.get(key, b"")  # like Fabric: committed state, not own writes

    async def put_state(self, key: str, value: bytes) -> None:
        self.writes[key] = bytes(value)

    async def get_state_by_range(self, start_key: str, end_key: str) -> AsyncIterator[KV]:
        keys = sorted(k for k in self._state if start_key <= k and (not end_key or k < end_key))

        async def results() -> AsyncIterator[KV]:
            for key in keys:
                yield KV(key, self._state[key])

        return results()

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
    """World state plus committed events; ``invoke`` commits a transaction's writes on success."""

    state: dict[str, bytes] = field(default_factory=dict)
    events: list[tuple[str, bytes]] = field(default_factory=list)
    _count: int = 0

    async def invoke(self, chaincode: Any, creator: dict, function: str, *args: str) -> Result:
        self._count += 1
        stub = FakeStub(
            self.state,
            function,
            args,
            creator,
            tx_id=f"tx-{self._count}",
            timestamp=T0 + datetime.timedelta(minutes=self._count),
        )
        response = await chaincode.invoke(stub)
        if response.status == 200:
            self.state.update(stub.writes)
            self.events.extend(stub.events[-1:])
        return Result(response.status, response.message, response.payload, stub)


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
