"""The access records' routes without a network: their document, their query checks, and
the role table's refusals, all answered before any call reaches a peer."""

import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from api.auth import issue_token
from api.ledger import User, access
from client.ca import Enrollment

LIST = "/communities/sunnyside/households/h-001/accesses"
COUNTS = "/communities/sunnyside/accesses/counts"
DAY = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}


def enrollment(name: str, role: str) -> Enrollment:
    """A certificate as the utility's CA issues it, with its role attribute."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    attrs = json.dumps({"attrs": {"role": role, "hf.EnrollmentID": name}}).encode()
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1"), attrs),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return Enrollment(cert.public_bytes(Encoding.PEM), key, b"")


@pytest.fixture(scope="module")
def operator(app):
    """The bearer header of the utility's operator1, in the API's wallet."""
    with app.app_context():
        access().wallet.put("operator1", "UtilityMSP", enrollment("operator1", "operator"))
        return {"Authorization": f"Bearer {issue_token(User('operator1'))}"}


def test_both_routes_are_in_the_document_with_their_period_query(app):
    with app.app_context():
        paths = app.spec["paths"]
    listing = paths["/communities/{community}/households/{household_id}/accesses"]["get"]
    counting = paths["/communities/{community}/accesses/counts"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"start", "end", "page", "per_page"}
    assert {p["name"] for p in counting["parameters"]} >= {"start", "end"}
    for operation in (listing, counting):
        assert set(operation["responses"]) == {
            "200", "400", "401", "403", "404", "409", "422", "429", "502", "503"
        }  # fmt: skip


@pytest.mark.parametrize("path", [LIST, COUNTS])
@pytest.mark.parametrize(
    "query",
    [
        {"start": DAY["start"]},
        {**DAY, "end": "2026-03-02"},
        {**DAY, "start": "2026-03-01T00:00:00Z" + "0" * 100},
        {**DAY, "start": "2026-03-01 00:00:00"},
    ],
    ids=["no-end", "date", "long", "space"],
)
def test_a_period_that_is_not_two_utc_times_is_a_422(app, operator, path, query):
    response = app.test_client().get(path, query_string=query, headers=operator)
    assert response.status_code == 422, response.get_json()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (LIST, "caller from UtilityMSP (utility) may not call ListAccesses; allowed: community"),
        (COUNTS, "caller from UtilityMSP (utility) may not call CountAccesses; allowed: regulator"),
    ],
    ids=["list", "counts"],
)
def test_the_role_table_refuses_before_the_network(app, operator, path, message):
    response = app.test_client().get(path, query_string=DAY, headers=operator)
    assert response.status_code == 403
    assert response.get_json()["message"] == message
