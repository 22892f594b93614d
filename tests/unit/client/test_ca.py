"""The Fabric CA client against an in-process fake of the CA's REST API.

The fake speaks HTTPS with a CA made here, answers in Fabric CA's JSON envelope and
checks what the real server checks: Basic auth on enroll, the token on everything
else (its signing payload rebuilt here, independently of client/ca.py, and the
signature verified against the token's certificate, which must be one this CA
issued and did not revoke), the CSR's common name, the registrar's powers
(hf.Registrar.Roles, hf.Registrar.Attributes, hf.Revoker). It issues real
certificates from the CSRs, with Fabric CA's attribute extension.
"""

import base64
import datetime
import ipaddress
import json
import re
import secrets
import ssl
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from client import CAClient, CAError, CAErrorDetail, Enrollment, certificate_attributes
from client.signing import digest

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ATTRS_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")
CA_NAME = "ca-org1"
ADMIN_SECRET = "adminpw"
REGISTRAR_ATTRS = {
    "hf.Registrar.Roles": "client",
    "hf.Registrar.Attributes": "role,household_id,meter_ids",
    "hf.Revoker": "true",
}
NOW = datetime.datetime.now(datetime.UTC)


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1))
        .not_valid_after(NOW + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


@dataclass
class Registered:
    secret: str
    type: str
    attrs: list[dict[str, Any]]
    max_enrollments: int = -1
    revoked: bool = False
    serials: list[int] = field(default_factory=list)

    def attr(self, name: str) -> str:
        return next((a["value"] for a in self.attrs if a["name"] == name), "")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def raw(self) -> bytes:
        lines = [f"{self.method} {self.path}"] + [f"{k}: {v}" for k, v in self.headers.items()]
        return "\n".join(lines).encode() + b"\n\n" + self.body


class Refused(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeCA:
    """The state and rules of one Fabric CA; `Handler` puts it on HTTPS."""

    def __init__(self) -> None:
        self.key, self.certificate = make_ca(CA_NAME)
        self.users: dict[str, Registered] = {}
        self.requests: list[Request] = []
        self.revoked: list[int] = []
        self.override: tuple[int, bytes] | None = None
        self.lock = threading.Lock()
        self.add("admin", ADMIN_SECRET, "admin", {"role": "admin", **REGISTRAR_ATTRS})

    def add(self, name: str, secret: str, id_type: str, attrs: dict[str, str]) -> None:
        powers = {"hf.Registrar.Roles", "hf.Registrar.Attributes", "hf.Revoker"}
        stored = [{"name": k, "value": v, "ecert": k not in powers} for k, v in attrs.items()]
        self.store(name, secret, id_type, stored)

    def store(self, name: str, secret: str, id_type: str, attrs: list[dict[str, Any]]) -> None:
        """Register as Fabric CA does: it adds the hf.* attributes every identity has."""
        fixed = {"hf.EnrollmentID": name, "hf.Type": id_type, "hf.Affiliation": ""}
        attrs = attrs + [{"name": k, "value": v, "ecert": True} for k, v in fixed.items()]
        self.users[name] = Registered(secret=secret, type=id_type, attrs=attrs)

    def handle(self, request: Request) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(request)
            target = urllib.parse.urlsplit(request.path)
            route = (request.method, target.path)
            if request.method == "GET":
                self.check_ca_name(urllib.parse.parse_qs(target.query).get("ca", [""])[0])
            else:
                self.check_ca_name(request.json().get("caname", ""))
            if route == ("POST", "/api/v1/enroll"):
                return 201, self.enroll(self.basic_auth(request), request.json())
            if route == ("POST", "/api/v1/reenroll"):
                return 201, self.enroll(self.token_auth(request), request.json())
            if route == ("POST", "/api/v1/register"):
                return 201, self.register(self.token_auth(request), request.json())
            if route == ("POST", "/api/v1/revoke"):
                return 200, self.revoke(self.token_auth(request), request.json())
            if route == ("GET", "/api/v1/identities"):
                return 200, self.identities(self.token_auth(request))
            if request.method == "GET" and target.path.startswith("/api/v1/identities/"):
                name = urllib.parse.unquote(target.path.rpartition("/")[2])
                return 200, self.identity(self.token_auth(request), name)
            raise Refused(404, 0, f"no endpoint {request.method} {target.path}")

    def check_ca_name(self, name: str) -> None:
        if name != CA_NAME:
            raise Refused(404, 19, f"CA '{name}' does not exist")

    def basic_auth(self, request: Request) -> str:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        name, _, secret = base64.b64decode(encoded).decode().partition(":")
        user = self.users.get(name)
        if scheme != "Basic" or user is None or user.secret != secret or user.revoked:
            raise Refused(401, 20, "Authentication failure")
        return name

    def token_auth(self, request: Request) -> str:
        """Fabric CA's token check, written from its documentation, not from the client."""
        parts = request.headers.get("Authorization", "").split(".")
        if len(parts) != 2:
            raise Refused(401, 20, "Authentication failure")
        b64cert, b64sig = parts
        certificate = x509.load_pem_x509_certificate(base64.b64decode(b64cert))
        payload = f"{request.method}.{b64(request.path.encode())}.{b64(request.body)}.{b64cert}"
        signature = base64.b64decode(b64sig)
        public_key = certificate.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        try:
            certificate.verify_directly_issued_by(self.certificate)
            public_key.verify(signature, payload.encode(), ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError, TypeError):
            raise Refused(401, 20, "Authentication failure") from None
        assert decode_dss_signature(signature)[1] <= P256_ORDER // 2, "token signature is high-S"
        name = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert isinstance(name, str)
        user = self.users.get(name)
        if user is None or user.revoked or certificate.serial_number in self.revoked:
            raise Refused(401, 20, "Authentication failure")
        return name

    def enroll(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        csr = x509.load_pem_x509_csr(body["certificate_request"].encode())
        assert csr.is_signature_valid
        cn = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        if cn != name:
            raise Refused(403, 77, "The CSR subject common name must equal the enrollment ID")
        user = self.users[name]
        wanted = body.get("attr_reqs")
        if wanted is None:
            attrs = {a["name"]: a["value"] for a in user.attrs if a.get("ecert")}
        else:
            owned = {a["name"]: a["value"] for a in user.attrs}
            missing = [r["name"] for r in wanted if r["name"] not in owned and not r["optional"]]
            if missing:
                raise Refused(400, 0, f"Failed to find requested attributes: {missing}")
            attrs = {r["name"]: owned[r["name"]] for r in wanted if r["name"] in owned}
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, user.type),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(minutes=5))
            .not_valid_after(NOW + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if body.get("hosts"):
            names: list[x509.GeneralName] = []
            for host in body["hosts"]:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(host)))
                except ValueError:
                    names.append(x509.DNSName(host))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        if attrs:
            value = json.dumps({"attrs": attrs}).encode()
            builder = builder.add_extension(
                x509.UnrecognizedExtension(ATTRS_OID, value), critical=False
            )
        issued = builder.sign(self.key, hashes.SHA256())
        user.serials.append(issued.serial_number)
        return {
            "Cert": b64(pem(issued)),
            "ServerInfo": {"CAName": CA_NAME, "CAChain": b64(pem(self.certificate))},
        }

    def register(self, registrar: str, body: dict[str, Any]) -> dict[str, Any]:
        caller = self.users[registrar]
        roles = caller.attr("hf.Registrar.Roles").split(",")
        allowed = caller.attr("hf.Registrar.Attributes").split(",")
        attrs = body.get("attrs", [])
        if body["type"] not in roles or any(a["name"] not in allowed for a in attrs):
            raise Refused(403, 71, "Authorization failure")
        if body["id"] in self.users:
            raise Refused(409, 74, f"Identity '{body['id']}' is already registered")
        secret = body.get("secret") or secrets.token_hex(6)
        self.store(body["id"], secret, body["type"], attrs)
        return {"secret": secret}

    def revoke(self, revoker: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.users[revoker].attr("hf.Revoker") != "true":
            raise Refused(403, 71, "Authorization failure")
        user = self.users.get(body["id"])
        if user is None:
            raise Refused(404, 10, f"Identity {body['id']} was not found")
        user.revoked = True
        self.revoked += user.serials
        result: dict[str, Any] = {
            "RevokedCerts": [{"Serial": f"{s:x}", "AKI": ""} for s in user.serials],
            "CRL": "",
        }
        if body.get("gencrl") and user.serials:
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(self.certificate.subject)
                .last_update(NOW)
                .next_update(NOW + datetime.timedelta(days=1))
            )
            for serial in self.revoked:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(serial)
                    .revocation_date(NOW)
                    .build()
                )
            crl = builder.sign(self.key, hashes.SHA256())
            result["CRL"] = b64(crl.public_bytes(serialization.Encoding.PEM))
        return result

    def identities(self, caller: str) -> dict[str, Any]:
        if not self.users[caller].attr("hf.Registrar.Roles"):
            raise Refused(403, 71, "Authorization failure")
        return {
            "identities": [self.info(name) for name in self.users if name != caller],
            "caname": CA_NAME,
        }

    def identity(self, caller: str, name: str) -> dict[str, Any]:
        if name not in self.users:
            raise Refused(404, 63, "Failed to get User: sql: no rows in result set")
        return {**self.info(name), "caname": CA_NAME}

    def info(self, name: str) -> dict[str, Any]:
        user = self.users[name]
        return {
            "id": name,
            "type": user.type,
            "affiliation": "",
            "attrs": user.attrs,
            "max_enrollments": user.max_enrollments,
        }


class Handler(BaseHTTPRequestHandler):
    fake: FakeCA

    def do_GET(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    def serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        if self.fake.override is not None:
            status, raw = self.fake.override
            self.fake.override = None
            self.reply(status, raw)
            return
        try:
            status, result = self.fake.handle(request)
            envelope = {"result": result, "errors": [], "messages": [], "success": True}
        except Refused as exc:
            status = exc.status
            error = {"code": exc.code, "message": exc.message}
            envelope = {"result": "", "errors": [error], "messages": [], "success": False}
        self.reply(status, json.dumps(envelope).encode())

    def reply(self, status: int, raw: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Server:
    fake: FakeCA
    url: str
    tls_root: bytes


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    fake = FakeCA()
    tls_key = ec.generate_private_key(ec.SECP256R1())
    tls_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(fake.certificate.subject)
        .public_key(tls_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1))
        .not_valid_after(NOW + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(fake.key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("fake-ca")
    (folder / "tls.pem").write_bytes(pem(tls_cert))
    (folder / "tls.key").write_bytes(
        tls_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "tls.pem", folder / "tls.key")
    handler = type("BoundHandler", (Handler,), {"fake": fake})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    yield Server(fake, f"https://127.0.0.1:{port}", pem(fake.certificate))
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def fake(server: Server) -> FakeCA:
    server.fake.requests.clear()
    return server.fake


@pytest.fixture
def ca(server: Server) -> CAClient:
    return CAClient(server.url, CA_NAME, server.tls_root, timeout=5)


@pytest.fixture
def admin(ca: CAClient) -> Enrollment:
    return ca.enroll("admin", ADMIN_SECRET)


def new_id() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def x509_of(enrollment: Enrollment) -> x509.Certificate:
    return x509.load_pem_x509_certificate(enrollment.certificate)


def test_enroll_gets_a_certificate_for_a_key_made_here(
    ca: CAClient, fake: FakeCA, server: Server
) -> None:
    enrollment = ca.enroll("admin", ADMIN_SECRET)

    certificate = x509_of(enrollment)
    assert certificate.public_key() == enrollment.private_key.public_key()
    assert isinstance(enrollment.private_key.curve, ec.SECP256R1)
    assert enrollment.enrollment_id == "admin"
    assert enrollment.ca_chain == server.tls_root
    certificate.verify_directly_issued_by(fake.certificate)
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/api/v1/enroll")
    assert request.headers["Authorization"] == "Basic " + b64(f"admin:{ADMIN_SECRET}".encode())
    body = request.json()
    assert body["caname"] == CA_NAME
    csr = x509.load_pem_x509_csr(body["certificate_request"].encode())
    assert csr.public_key() == enrollment.private_key.public_key()
    assert csr.subject.rfc4514_string() == "CN=admin"
    assert "profile" not in body and "hosts" not in body and "attr_reqs" not in body


def test_each_enrollment_has_its_own_key(ca: CAClient) -> None:
    first, second = ca.enroll("admin", ADMIN_SECRET), ca.enroll("admin", ADMIN_SECRET)
    assert first.private_key.public_key() != second.private_key.public_key()


def test_enroll_sends_hosts_profile_and_attribute_requests(ca: CAClient, fake: FakeCA) -> None:
    enrollment = ca.enroll(
        "admin",
        ADMIN_SECRET,
        profile="tls",
        csr_hosts=("localhost", "127.0.0.1"),
        attr_reqs={"role": False, "meter_ids": True},
    )

    body = fake.requests[-1].json()
    assert body["profile"] == "tls"
    assert body["hosts"] == ["localhost", "127.0.0.1"]
    assert body["attr_reqs"] == [
        {"name": "role", "optional": False},
        {"name": "meter_ids", "optional": True},
    ]
    csr = x509.load_pem_x509_csr(body["certificate_request"].encode())
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert enrollment.attributes() == {"role": "admin"}


def test_registered_attributes_are_in_the_enrolled_certificate(
    ca: CAClient, fake: FakeCA, admin: Enrollment
) -> None:
    name = new_id()
    secret = ca.register(admin, name, attributes={"role": "household", "household_id": "h-042"})
    enrollment = ca.enroll(name, secret)

    assert enrollment.attributes() == {
        "role": "household",
        "household_id": "h-042",
        "hf.EnrollmentID": name,
        "hf.Type": "client",
        "hf.Affiliation": "",
    }
    register_request = next(r for r in fake.requests if r.path == "/api/v1/register")
    assert register_request.json() == {
        "id": name,
        "type": "client",
        "affiliation": "",
        "attrs": [
            {"name": "role", "value": "household", "ecert": True},
            {"name": "household_id", "value": "h-042", "ecert": True},
        ],
        "caname": CA_NAME,
    }


def test_register_without_ecert_keeps_attributes_out_unless_requested(
    ca: CAClient, fake: FakeCA, admin: Enrollment
) -> None:
    name = new_id()
    secret = ca.register(
        admin,
        name,
        secret="chosen-secret",
        attributes={"role": "household"},
        ecert_attributes=False,
        max_enrollments=3,
    )

    assert secret == "chosen-secret"
    body = fake.requests[-1].json()
    assert body["secret"] == "chosen-secret" and body["max_enrollments"] == 3
    assert body["attrs"] == [{"name": "role", "value": "household", "ecert": False}]
    assert "role" not in ca.enroll(name, secret).attributes()
    requested = ca.enroll(name, secret, attr_reqs={"role": False})
    assert requested.attributes() == {"role": "household"}


@pytest.mark.parametrize(
    ("id_type", "attributes"),
    [("admin", {"role": "admin"}), ("client", {"tariff_admin": "true"})],
    ids=["admin type", "unlisted attribute"],
)
def test_the_ca_refusing_a_registration_is_a_clear_error(
    ca: CAClient, admin: Enrollment, id_type: str, attributes: dict[str, str]
) -> None:
    name = new_id()
    with pytest.raises(CAError) as caught:
        ca.register(admin, name, id_type=id_type, attributes=attributes)

    error = caught.value
    assert error.status == 403
    assert error.errors == [CAErrorDetail(71, "Authorization failure")]
    text = str(error)
    assert text.startswith(f"register {name} (type {id_type}, attributes ")
    assert f"as admin: CA {CA_NAME} at https://127.0.0.1:" in text
    assert "(HTTP 403)\n  - code 71: Authorization failure" in text
    assert "hf.Registrar.Roles must name the identity type" in text


def test_registering_twice_reports_the_cas_message(ca: CAClient, admin: Enrollment) -> None:
    name = new_id()
    ca.register(admin, name)
    with pytest.raises(CAError, match=f"code 74: Identity '{name}' is already registered"):
        ca.register(admin, name)


def test_reenroll_authenticates_with_a_token_and_gets_a_new_key(
    ca: CAClient, fake: FakeCA, admin: Enrollment
) -> None:
    name = new_id()
    first = ca.enroll(name, ca.register(admin, name, attributes={"role": "household"}))
    fake.requests.clear()

    second = ca.reenroll(first)

    assert second.enrollment_id == name
    assert second.private_key.public_key() != first.private_key.public_key()
    assert x509_of(second).public_key() == second.private_key.public_key()
    assert second.attributes()["role"] == "household"
    (request,) = fake.requests
    assert request.path == "/api/v1/reenroll"
    assert request.headers["Authorization"].split(".")[0] == b64(first.certificate)
    csr = x509.load_pem_x509_csr(request.json()["certificate_request"].encode())
    assert csr.public_key() == second.private_key.public_key()


def test_a_token_signed_with_another_key_is_refused(
    ca: CAClient, fake: FakeCA, admin: Enrollment
) -> None:
    impostor = Enrollment(
        certificate=admin.certificate,
        private_key=ec.generate_private_key(ec.SECP256R1()),
        ca_chain=admin.ca_chain,
    )
    with pytest.raises(CAError) as caught:
        ca.register(impostor, new_id())
    assert caught.value.status == 401
    assert caught.value.errors == [CAErrorDetail(20, "Authentication failure")]
    assert "the secret or token is wrong" in str(caught.value)


def test_the_token_signs_the_query_string_and_an_escaped_id(
    ca: CAClient, fake: FakeCA, admin: Enrollment
) -> None:
    name = f"{new_id()}@sunnyside"
    ca.register(admin, name)

    identity = ca.get_identity(admin, name)

    assert identity["id"] == name and identity["type"] == "client"
    request = fake.requests[-1]
    assert request.method == "GET" and request.body == b""
    assert request.path == f"/api/v1/identities/{name.replace('@', '%40')}?ca={CA_NAME}"


def test_list_identities(ca: CAClient, fake: FakeCA, admin: Enrollment) -> None:
    name = new_id()
    ca.register(admin, name, attributes={"role": "household"})

    identities = ca.list_identities(admin)

    listed = {i["id"]: i for i in identities}
    assert listed[name]["type"] == "client"
    assert {"name": "role", "value": "household", "ecert": True} in listed[name]["attrs"]
    assert fake.requests[-1].path == f"/api/v1/identities?ca={CA_NAME}"


def test_revoke_returns_the_crl_and_the_identity_can_no_longer_authenticate(
    ca: CAClient, fake: FakeCA, admin: Enrollment
) -> None:
    name = new_id()
    secret = ca.register(admin, name, max_enrollments=-1)
    enrollment = ca.enroll(name, secret)

    crl_pem = ca.revoke(admin, name, reason="keycompromise")

    assert crl_pem is not None
    crl = x509.load_pem_x509_crl(crl_pem)
    assert crl.is_signature_valid(fake.certificate.public_key())
    assert crl.get_revoked_certificate_by_serial_number(x509_of(enrollment).serial_number)
    assert fake.requests[-1].json() == {
        "id": name,
        "reason": "keycompromise",
        "gencrl": True,
        "caname": CA_NAME,
    }
    with pytest.raises(CAError, match="code 20: Authentication failure"):
        ca.reenroll(enrollment)
    with pytest.raises(CAError, match="code 20: Authentication failure"):
        ca.enroll(name, secret)


def test_revoke_without_a_crl(ca: CAClient, admin: Enrollment) -> None:
    name = new_id()
    ca.enroll(name, ca.register(admin, name))
    assert ca.revoke(admin, name, gencrl=False) is None


def test_revoke_checks_the_reason_before_asking(
    ca: CAClient, fake: FakeCA, admin: Enrollment
) -> None:
    fake.requests.clear()
    with pytest.raises(ValueError, match="revocation reason 'KeyCompromised' is not one of"):
        ca.revoke(admin, "someone", reason="KeyCompromised")
    assert fake.requests == []


def test_revoking_an_unknown_identity(ca: CAClient, admin: Enrollment) -> None:
    with pytest.raises(CAError) as caught:
        ca.revoke(admin, "nobody")
    assert caught.value.status == 404
    assert str(caught.value).startswith(f"revoke nobody as admin: CA {CA_NAME} at ")
    assert caught.value.errors == [CAErrorDetail(10, "Identity nobody was not found")]


def test_a_wrong_secret(ca: CAClient) -> None:
    with pytest.raises(CAError) as caught:
        ca.enroll("admin", "not-the-secret")
    assert caught.value.status == 401
    assert str(caught.value).startswith(f"enroll admin: CA {CA_NAME} at https://127.0.0.1:")
    assert "code 20: Authentication failure" in str(caught.value)


def test_an_unknown_ca_name(server: Server) -> None:
    other = CAClient(server.url, "ca-elsewhere", server.tls_root)
    with pytest.raises(CAError, match="code 19: CA 'ca-elsewhere' does not exist"):
        other.enroll("admin", ADMIN_SECRET)


def test_an_answer_that_is_not_fabric_ca_json(ca: CAClient, fake: FakeCA) -> None:
    fake.override = (502, b"<html>Bad Gateway</html>")
    with pytest.raises(CAError) as caught:
        ca.enroll("admin", ADMIN_SECRET)
    assert caught.value.status == 502
    assert "did not answer in Fabric CA's JSON: '<html>Bad Gateway</html>'" in str(caught.value)


def test_a_success_without_a_certificate(ca: CAClient, fake: FakeCA) -> None:
    fake.override = (201, json.dumps({"result": {}, "errors": [], "success": True}).encode())
    with pytest.raises(CAError, match="enroll admin: the CA answered without a certificate"):
        ca.enroll("admin", ADMIN_SECRET)


def test_a_certificate_for_another_key_is_rejected(ca: CAClient, fake: FakeCA) -> None:
    other = ca.enroll("admin", ADMIN_SECRET)
    result = {"Cert": b64(other.certificate), "ServerInfo": {"CAChain": ""}}
    fake.override = (201, json.dumps({"result": result, "errors": [], "success": True}).encode())
    with pytest.raises(CAError, match="certificate is not for the key that was sent"):
        ca.enroll("admin", ADMIN_SECRET)


def test_a_server_certificate_from_another_root_is_refused(server: Server) -> None:
    _, stranger = make_ca("somebody else")
    client = CAClient(server.url, CA_NAME, pem(stranger))
    with pytest.raises(
        CAError, match=r"enroll admin: cannot reach CA ca-org1 at .*certificate verify failed"
    ):
        client.enroll("admin", ADMIN_SECRET)


def test_an_unreachable_ca(server: Server) -> None:
    client = CAClient("https://127.0.0.1:9", CA_NAME, server.tls_root, timeout=2)
    with pytest.raises(
        CAError, match=re.escape("enroll admin: cannot reach CA ca-org1 at https://127.0.0.1:9")
    ) as caught:
        client.enroll("admin", ADMIN_SECRET)
    assert caught.value.status is None


@pytest.mark.parametrize(
    ("url", "root", "message"),
    [
        ("http://ca:7054", None, "must be https"),
        ("https://ca:7054/?x=1", None, "must not carry a query"),
        ("https://ca:7054", b"not a certificate", "tls_root_cert is not a PEM certificate"),
    ],
)
def test_constructor_arguments(server: Server, url: str, root: bytes | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CAClient(url, CA_NAME, root or server.tls_root)


def test_the_private_key_never_leaves_the_client(
    ca: CAClient, fake: FakeCA, admin: Enrollment
) -> None:
    fake.requests.clear()
    name = new_id()
    enrollment = ca.enroll(name, ca.register(admin, name))
    renewed = ca.reenroll(enrollment)
    ca.list_identities(admin)
    ca.revoke(admin, name)

    sent = b"\n".join(r.raw() for r in fake.requests)
    assert len(fake.requests) == 5
    for key in (admin.private_key, enrollment.private_key, renewed.private_key):
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        scalar = key.private_numbers().private_value.to_bytes(32, "big")
        for secret_form in (
            der,
            scalar,
            scalar.hex().encode(),
            b64(der).encode(),
            b64(scalar).encode(),
        ):
            assert secret_form not in sent


def test_enrollment_identity_signer_and_attributes(admin: Enrollment) -> None:
    identity = admin.identity("Org1MSP")
    assert identity.msp_id == "Org1MSP" and identity.credentials == admin.certificate
    signature = admin.signer()(digest(b"a proposal"))
    public_key = x509_of(admin).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, b"a proposal", ec.ECDSA(hashes.SHA256()))
    assert admin.attributes()["role"] == "admin"
    assert "hf.Revoker" not in admin.attributes()
    assert "private_key" not in repr(admin)


def test_a_malformed_attribute_extension_is_an_error() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mallory")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + datetime.timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(ATTRS_OID, b'{"attrs": [1]}'), critical=False)
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(ValueError, match="certificate of mallory has attributes that are not"):
        certificate_attributes(certificate)
