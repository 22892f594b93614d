"""Who a client is and how it signs.

An identity is only an MSP id and a PEM certificate; the private key never enters it.
A signer is a plain function from a SHA-256 digest to a DER signature, so a key held
in an HSM or on another device plugs in as easily as a key in memory.
"""

from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

from ._protos import identities_pb2

__all__ = [
    "Identity",
    "Sign",
    "load_identity",
    "load_private_key",
    "new_private_key_signer",
]

Sign = Callable[[bytes], bytes]
"""Signs a SHA-256 digest and returns the DER-encoded signature."""

# Group orders of the curves Fabric's MSP accepts; `cryptography` does not expose them.
_CURVE_ORDERS: dict[str, int] = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
        "581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
    "secp521r1": int(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
}


@dataclass(frozen=True)
class Identity:
    """An MSP member: its MSP id and its PEM-encoded X.509 certificate."""

    msp_id: str
    credentials: bytes

    def serialize(self) -> bytes:
        """Return the `msp.SerializedIdentity` bytes Fabric uses as a creator."""
        serialized = identities_pb2.SerializedIdentity(mspid=self.msp_id, id_bytes=self.credentials)
        data: bytes = serialized.SerializeToString()
        return data


def new_private_key_signer(key: ec.EllipticCurvePrivateKey) -> Sign:
    """Return a `Sign` that signs digests with `key`, always producing a low-S signature.

    ECDSA signatures (r, s) and (r, n - s) are both valid; Fabric accepts only the one
    with s <= n/2 to rule out signature malleability, so a high s is folded down.
    """
    order = _curve_order(key.curve)
    algorithm = ec.ECDSA(Prehashed(hashes.SHA256()))

    def sign(digest: bytes) -> bytes:
        return _low_s(key.sign(digest, algorithm), order)

    return sign


def load_identity(msp_id: str, cert_path: str | PathLike[str]) -> Identity:
    """Read a PEM certificate from `cert_path` and pair it with `msp_id`."""
    credentials = Path(cert_path).read_bytes()
    try:
        x509.load_pem_x509_certificate(credentials)
    except ValueError as exc:
        raise ValueError(f"{cert_path} is not a PEM X.509 certificate") from exc
    return Identity(msp_id=msp_id, credentials=credentials)


def load_private_key(path: str | PathLike[str]) -> ec.EllipticCurvePrivateKey:
    """Read an unencrypted PEM elliptic-curve private key (Fabric's `keystore/*_sk`)."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except ValueError as exc:
        raise ValueError(f"{path} is not an unencrypted PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} holds a {type(key).__name__}, not an elliptic-curve key")
    return key


def _curve_order(curve: ec.EllipticCurve) -> int:
    try:
        return _CURVE_ORDERS[curve.name]
    except KeyError:
        raise ValueError(f"curve {curve.name} is not supported by Fabric") from None


def _low_s(signature: bytes, order: int) -> bytes:
    r, s = decode_dss_signature(signature)
    if s > order // 2:
        s = order - s
    return encode_dss_signature(r, s)
