import hashlib

import pytest
from client_fakes import make_certificate
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from fabric_protos.msp import identities_pb2

from client import Identity, load_identity, load_private_key, new_private_key_signer
from client.signing import digest

# Group orders, written out independently of client/identity.py.
CURVES = {
    "P-256": (
        ec.SECP256R1(),
        int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16),
    ),
    "P-384": (
        ec.SECP384R1(),
        int(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
            16,
        ),
    ),
}


@pytest.mark.parametrize("curve_name", sorted(CURVES))
def test_signatures_are_low_s_and_verify(curve_name: str) -> None:
    curve, order = CURVES[curve_name]
    key = ec.generate_private_key(curve)
    sign = new_private_key_signer(key)
    for i in range(200):
        message = f"meter reading {i}".encode()
        signature = sign(digest(message))
        _, s = decode_dss_signature(signature)
        assert s <= order // 2, f"signature {i} is high-S"
        key.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("curve_name", sorted(CURVES))
def test_high_s_twin_is_also_valid_so_folding_matters(curve_name: str) -> None:
    # (r, n - s) verifies too: only the signer's folding keeps Fabric's peers happy.
    curve, order = CURVES[curve_name]
    key = ec.generate_private_key(curve)
    signature = new_private_key_signer(key)(digest(b"bid"))
    r, s = decode_dss_signature(signature)
    twin = encode_dss_signature(r, order - s)
    key.public_key().verify(twin, b"bid", ec.ECDSA(hashes.SHA256()))
    assert decode_dss_signature(twin)[1] > order // 2


def test_unsupported_curve_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256K1())
    with pytest.raises(ValueError, match="curve secp256k1 is not supported by Fabric"):
        new_private_key_signer(key)


def test_serialize_is_a_serialized_identity() -> None:
    identity = Identity("Org2MSP", b"-----BEGIN CERTIFICATE-----\n...")
    decoded = identities_pb2.SerializedIdentity.FromString(identity.serialize())
    assert (decoded.mspid, decoded.id_bytes) == ("Org2MSP", identity.credentials)


def test_digest_is_sha256() -> None:
    assert digest(b"kWh") == hashlib.sha256(b"kWh").digest()


def test_load_identity_and_key_from_pem_files(tmp_path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_certificate(key, "meter-operator")
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "priv_sk").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    identity = load_identity("Org1MSP", tmp_path / "cert.pem")
    loaded = load_private_key(tmp_path / "priv_sk")
    assert identity == Identity("Org1MSP", cert)
    assert loaded.private_numbers() == key.private_numbers()


def test_load_identity_rejects_a_non_certificate(tmp_path) -> None:
    path = tmp_path / "cert.pem"
    path.write_bytes(b"not a certificate")
    with pytest.raises(ValueError, match=r"cert\.pem is not a PEM X\.509 certificate"):
        load_identity("Org1MSP", path)


def test_load_private_key_rejects_a_non_ec_key(tmp_path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    path = tmp_path / "rsa_sk"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="holds a RSAPrivateKey, not an elliptic-curve key"):
        load_private_key(path)
