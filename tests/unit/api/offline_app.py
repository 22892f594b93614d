"""An org's API app with no network behind it: a connection profile and TLS files of its own.

`create_app` needs what an operator gives an org's API: its connection profile, its own
folder, its TLS client certificate and its secrets. Here they are made up in a folder of
the test (a self-signed certificate stands in for the CA's), so the app can be built and
its document read, and requests refused before any network call can be sent.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from apiflask import APIFlask
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api import create_app
from client.profile import CAEntry, ConnectionProfile, NodeEntry


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def offline_app(folder: Path) -> APIFlask:
    """The utility's API, on the community channel sunnyside and consortium, offline."""
    cert, key = self_signed(folder)
    root = cert.read_bytes()
    profile = ConnectionProfile(
        "utility",
        "UtilityMSP",
        {"peer0.utility": NodeEntry("peer0.utility", "grpcs://127.0.0.1:1", root)},
        {"ca-utility": CAEntry("ca-utility", "https://127.0.0.1:2", root)},
        {"orderer": NodeEntry("orderer", "grpcs://127.0.0.1:3", root)},
        {"consortium": ("orderer",), "community-sunnyside": ("orderer",)},
    )
    (folder / "connection-utility.json").write_text(profile.dumps())
    return create_app(
        {
            "TESTING": True,
            "PROFILE": folder / "connection-utility.json",
            "API_DIR": folder / "api",
            "TLS_CERT": cert,
            "TLS_KEY": key,
            "WALLET_PASSPHRASE": "offline wallet",
            "SECRET_KEY": "offline token key",
        }
    )
