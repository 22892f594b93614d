"""The Fabric CA client against the community's real CA, and its identities on the ledger.

The community's admin is a registrar of client identities with GridLedger's
attributes (role, household_id, meter_ids) and a revoker: it registers a household,
which enrolls over REST, lives in a wallet, is reenrolled, reads its own readings
through the peer's gateway with that key, and is revoked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from community_fixtures import CHANNEL, DAY_END, DAY_START
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from homes import ca_cert, msp_dir

from client import (
    CAClient,
    CAError,
    CAErrorDetail,
    Enrollment,
    FileWallet,
    Gateway,
    GatewayError,
    WalletEntry,
    connect,
    load_private_key,
)
from network.ca import private_key
from network.topology import COMMUNITY

pytestmark = pytest.mark.usefixtures("fabric_network")


@pytest.fixture(scope="module")
def ca() -> CAClient:
    return CAClient(COMMUNITY.ca_url, COMMUNITY.ca_name, ca_cert(COMMUNITY).read_bytes())


@pytest.fixture(scope="module")
def admin() -> Enrollment:
    msp = msp_dir(COMMUNITY, "admin")
    return Enrollment(
        certificate=(msp / "signcerts" / "cert.pem").read_bytes(),
        private_key=load_private_key(private_key(msp)),
        ca_chain=ca_cert(COMMUNITY).read_bytes(),
    )


@contextmanager
def gateway_as(entry: WalletEntry) -> Iterator[Gateway]:
    """The community peer's gateway, as `entry` (its certificate is its TLS client cert too)."""
    key = entry.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    channel = connect(
        COMMUNITY.peer_address,
        tls_root_cert=ca_cert(COMMUNITY).read_bytes(),
        client_cert=entry.certificate,
        client_key=key,
    )
    try:
        yield Gateway(entry.identity(), entry.signer(), channel)
    finally:
        channel.close()


def readings(gw: Gateway, household_id: str) -> list[dict]:
    meters = gw.get_network(CHANNEL).get_contract("community", "ReadingContract")
    return json.loads(meters.evaluate("GetReadings", args=(household_id, DAY_START, DAY_END)))


def certificate(enrollment: Enrollment) -> x509.Certificate:
    return x509.load_pem_x509_certificate(enrollment.certificate)


def test_a_household_from_registration_to_revocation(ca, admin, tmp_path):
    tag = uuid.uuid4().hex[:8]
    name, household_id = f"household-ca-{tag}", f"h-ca{tag}"

    secret = ca.register(
        admin, name, attributes={"role": "household", "household_id": household_id}
    )
    enrolled = ca.enroll(name, secret)

    issued = certificate(enrolled)
    issued.verify_directly_issued_by(
        x509.load_pem_x509_certificate(ca_cert(COMMUNITY).read_bytes())
    )
    assert issued.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name
    assert issued.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == (
        "client"
    )
    assert enrolled.attributes() == {
        "role": "household",
        "household_id": household_id,
        "hf.EnrollmentID": name,
        "hf.Type": "client",
        "hf.Affiliation": "",
    }
    assert enrolled.ca_chain == ca_cert(COMMUNITY).read_bytes()
    registered = ca.get_identity(admin, name)
    assert registered["type"] == "client"
    assert {"name": "household_id", "value": household_id, "ecert": True} in registered["attrs"]

    wallet = FileWallet(tmp_path / "wallet", b"a household's passphrase")
    wallet.put(name, COMMUNITY.msp_id, enrolled)
    assert wallet.get(name).certificate == enrolled.certificate

    renewed = ca.reenroll(wallet.get(name).enrollment())
    assert renewed.private_key.public_key() != enrolled.private_key.public_key()
    assert certificate(renewed).serial_number != issued.serial_number
    assert renewed.attributes()["household_id"] == household_id
    wallet.put(name, COMMUNITY.msp_id, renewed)

    with gateway_as(wallet.get(name)) as gw:
        assert readings(gw, household_id) == []
        with pytest.raises(GatewayError) as refused:
            readings(gw, "h-001")
    assert f"household {household_id} may not read household h-001" in str(refused.value)

    crl_pem = ca.revoke(admin, name, reason="cessationofoperation")

    assert crl_pem is not None
    crl = x509.load_pem_x509_crl(crl_pem)
    assert crl.is_signature_valid(
        x509.load_pem_x509_certificate(ca_cert(COMMUNITY).read_bytes()).public_key()
    )
    for revoked in (enrolled, renewed):
        assert crl.get_revoked_certificate_by_serial_number(certificate(revoked).serial_number)
    listed = {identity["id"]: identity for identity in ca.list_identities(admin)}
    assert listed[name]["type"] == "client"  # still registered; the list shows no state
    with pytest.raises(CAError) as refused_reenroll:
        ca.reenroll(renewed)
    assert refused_reenroll.value.status == 401
    assert refused_reenroll.value.errors == [CAErrorDetail(20, "Authentication failure")]
    with pytest.raises(CAError, match="code 20: Authentication failure"):
        ca.enroll(name, secret)


@pytest.mark.parametrize(
    ("id_type", "attributes"),
    [
        ("admin", {"role": "admin"}),
        ("client", {"role": "household", "tariff_admin": "true"}),
    ],
    ids=["admin-type", "attribute-outside-the-registrars"],
)
def test_the_admin_may_not_register_beyond_its_powers(ca, admin, id_type, attributes):
    name = f"overreach-{uuid.uuid4().hex[:8]}"

    with pytest.raises(CAError) as refused:
        ca.register(admin, name, id_type=id_type, attributes=attributes)

    error = refused.value
    assert (error.status, error.errors) == (403, [CAErrorDetail(71, "Authorization failure")])
    message = str(error)
    assert message.startswith(f"register {name} (type {id_type}, attributes ")
    assert f"as admin: CA {COMMUNITY.ca_name} at {COMMUNITY.ca_url} refused (HTTP 403)" in message
    assert "hf.Registrar.Roles must name the identity type" in message
    with pytest.raises(CAError, match="code 63: Failed to get User"):
        ca.get_identity(admin, name)
