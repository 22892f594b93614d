"""`connect` makes a mutual-TLS channel that a `Gateway` can use (and never closes)."""

import datetime
from concurrent import futures

import grpc
import pytest
from client_fakes import FakeGateway
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fabric_protos.gateway import gateway_pb2_grpc

from client import Gateway, GatewayError, connect

PEER_NAME = "peer0.org1.gridledger.test"


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _issue(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None, ca_key
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(ca_key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("tlsca.org1.gridledger.test", ca_key, None, ca_key)
    pems = {"ca": ca.public_bytes(serialization.Encoding.PEM)}
    for role, subject in [("server", PEER_NAME), ("client", "household-17.org1")]:
        key = ec.generate_private_key(ec.SECP256R1())
        pems[role] = _issue(subject, key, ca, ca_key).public_bytes(serialization.Encoding.PEM)
        pems[f"{role}_key"] = _pem_key(key)
    return pems


@pytest.fixture(scope="module")
def tls_endpoint(tls):
    servicer = FakeGateway(result=b"over mTLS")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    gateway_pb2_grpc.add_GatewayServicer_to_server(servicer, server)
    credentials = grpc.ssl_server_credentials(
        [(tls["server_key"], tls["server"])],
        root_certificates=tls["ca"],
        require_client_auth=True,
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None).wait()


def test_mutual_tls_channel_reaches_the_gateway(tls, tls_endpoint, user) -> None:
    channel = connect(
        tls_endpoint,
        tls_root_cert=tls["ca"],
        client_cert=tls["client"],
        client_key=tls["client_key"],
        server_name=PEER_NAME,
    )
    with channel:
        contract = (
            Gateway(user.identity, user.sign, channel).get_network("energy").get_contract("cc")
        )
        assert contract.evaluate("ReadMeter", ["m-17"]) == b"over mTLS"


def test_a_peer_requiring_client_certificates_refuses_a_channel_without_one(
    tls, tls_endpoint, user
) -> None:
    channel = connect(
        tls_endpoint,
        tls_root_cert=tls["ca"],
        client_cert=None,
        client_key=None,
        server_name=PEER_NAME,
    )
    with channel:
        gateway = Gateway(user.identity, user.sign, channel, evaluate_timeout=2)
        contract = gateway.get_network("energy").get_contract("cc")
        with pytest.raises(GatewayError) as caught:
            contract.evaluate("ReadMeter")
    assert caught.value.grpc_code == grpc.StatusCode.UNAVAILABLE


def test_client_certificate_and_key_come_together(tls) -> None:
    with pytest.raises(ValueError, match="client_cert and client_key must be given together"):
        connect("127.0.0.1:1", tls_root_cert=tls["ca"], client_cert=tls["client"], client_key=None)
