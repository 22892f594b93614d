"""Test material for the network tests: certificates made with `cryptography`, org bundles
and org homes populated as `up` would leave them (no Fabric CA, no node).

A uniquely named module rather than `conftest`, like the client tests' `client_fakes`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client import Identity, Sign, new_private_key_signer
from gridspec.bundle import Endpoint, OrdererNode, OrgBundle
from network.home import OrgHome, write_private
from network.topology import CA_OFFSET, ORDERER_OFFSET, PEER_OFFSET, Org


@dataclass(frozen=True)
class Authority:
    """A CA: its key and its self-signed PEM certificate."""

    key: ec.EllipticCurvePrivateKey
    pem: str

    def issue(self, common_name: str, unit: str) -> str:
        """A leaf certificate with Node OU `unit` (client, peer, admin, orderer)."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        issuer = x509.load_pem_x509_certificate(self.pem.encode()).subject
        builder = _builder(name, issuer, key).add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        )
        return _pem(builder.sign(self.key, hashes.SHA256()))


def authority(common_name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        _builder(name, name, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return Authority(key, _pem(builder.sign(key, hashes.SHA256())))


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def bundle(org: Org, *, extra_roots: int = 0) -> OrgBundle:
    """The bundle of `org`, with a CA and TLS CA of its own (and `extra_roots` more roots)."""
    ca, tls_ca = authority(f"ca.{org.key}"), authority(f"tlsca.{org.key}")
    roots = [ca.pem, *(authority(f"ca{i}.{org.key}").pem for i in range(1, extra_roots + 1))]
    return OrgBundle(
        key=org.key,
        msp_id=org.msp_id,
        display_name=org.display_name,
        kind=org.kind,
        root_certs=tuple(roots),
        tls_root_certs=(tls_ca.pem,),
        admin_certs=(ca.issue(f"admin.{org.key}", "admin"),),
        peers=(Endpoint(org.host, org.port(PEER_OFFSET)),),
        orderers=(
            OrdererNode(
                org.host, org.port(ORDERER_OFFSET), tls_ca.issue(f"orderer0.{org.key}", "orderer")
            ),
        ),
        ca_url=f"https://{org.host}:{org.port(CA_OFFSET)}",
        ca_name=f"ca-{org.key}",
    )


@dataclass(frozen=True)
class Populated:
    """What `populate` wrote: the CA's certificate, the admin's and the orderer's TLS one."""

    ca: str
    admin: str
    orderer_tls: str


def home_of(folder: Path, org: Org) -> OrgHome:
    """A new home for `org` in `folder/<key>`."""
    home = OrgHome(folder / org.key)
    home.create(org)
    return home


def populate(home: OrgHome) -> Populated:
    """The certificates `up` leaves in a home: its CA's, its admin's, its orderer's TLS one."""
    org = home.org
    ca = authority(org.ca_name)
    made = Populated(
        ca.pem, ca.issue(f"admin.{org.key}", "admin"), ca.issue(f"orderer0.{org.key}", "orderer")
    )
    write_private(home.ca_cert, made.ca)
    write_private(home.identity_msp("admin") / "signcerts" / "cert.pem", made.admin)
    write_private(home.identity_tls("orderer0") / "cert.pem", made.orderer_tls)
    return made


def signer_of(msp_id: str) -> tuple[Identity, Sign]:
    """An identity of `msp_id` (a certificate its own CA issued) and its signer."""
    ca = authority(f"ca.{msp_id}")
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = x509.load_pem_x509_certificate(ca.pem.encode()).subject
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"admin.{msp_id}")])
    certificate = _pem(_builder(name, issuer, key).sign(ca.key, hashes.SHA256()))
    return Identity(msp_id, certificate.encode()), new_private_key_signer(key)
