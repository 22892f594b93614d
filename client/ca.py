"""A Fabric CA client: register, enroll, reenroll, revoke and look up identities.

It speaks the REST API of `fabric-ca-server` v1.5 (`/api/v1/...`) over HTTPS, trusting
only the TLS root it is given. Key pairs (ECDSA P-256) are made here and never leave the
process: the CA receives a certificate signing request.

Two kinds of authentication, as Fabric CA defines them:

- enroll: HTTP Basic with the enrollment id and secret the registrar handed out;
- everything else: a token signed by an enrolled identity,
  ``Authorization: <base64(cert PEM)>.<base64(signature)>``, the signature (low-S DER
  ECDSA over SHA-256) covering ``<method>.<b64(request URI)>.<b64(body)>.<b64(cert PEM)>``,
  where the request URI is the path and query string exactly as sent.

A CA that refuses a request answers with Fabric CA's JSON envelope
``{"success": false, "result": ..., "errors": [{"code": ..., "message": ...}]}``;
that becomes a `CAError` carrying the HTTP status and every error code and message.
For authentication and authorization failures the CA itself sends only a generic
message ("Authentication failure", code 20; "Authorization failure", code 71) and
keeps the reason in its log, so `CAError` adds what was asked and the likely causes.
"""

import base64
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPException, HTTPMessage
from ipaddress import ip_address
from typing import IO, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .identity import Identity, Sign, new_private_key_signer
from .signing import digest

__all__ = [
    "ATTRIBUTES_OID",
    "REVOCATION_REASONS",
    "CAClient",
    "CAError",
    "CAErrorDetail",
    "Enrollment",
    "certificate_attributes",
]

ATTRIBUTES_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")
"""The certificate extension in which Fabric CA writes attributes: ``{"attrs": {...}}``."""

REVOCATION_REASONS = frozenset(
    {
        "unspecified",
        "keycompromise",
        "cacompromise",
        "affiliationchanged",
        "superseded",
        "cessationofoperation",
        "certificatehold",
        "removefromcrl",
        "privilegewithdrawn",
        "aacompromise",
    }
)
"""The reasons Fabric CA knows (RFC 5280); it silently treats any other as unspecified."""

_API = "/api/v1/"

# Why Fabric CA's generic codes happen; the CA logs the specific reason, not the client.
_HINTS = {
    20: "the secret or token is wrong, or the identity or its certificate is revoked, "
    "expired or unknown to this CA",
    71: "the caller lacks the authority: hf.Registrar.Roles must name the identity type, "
    "hf.Registrar.Attributes every attribute, hf.Revoker must be true to revoke, "
    "and the caller's affiliation must cover the identity's",
}


@dataclass(frozen=True)
class CAErrorDetail:
    """One entry of a Fabric CA response's ``errors`` list."""

    code: int
    message: str


class CAError(Exception):
    """A request to the Fabric CA failed: unreachable, refused, or answered nonsense.

    `status` is the HTTP status when the CA answered (None when it could not be
    reached), `errors` the CA's own error codes and messages.
    """

    def __init__(
        self, message: str, status: int | None = None, errors: Sequence[CAErrorDetail] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = list(errors)

    def __str__(self) -> str:
        text = self.message
        if self.status is not None:
            text += f" (HTTP {self.status})"
        lines = [f"\n  - code {e.code}: {e.message}" for e in self.errors]
        hints = {_HINTS[e.code] for e in self.errors if e.code in _HINTS}
        return text + "".join(lines) + "".join(f"\n  likely: {h}" for h in sorted(hints))


@dataclass(frozen=True)
class Enrollment:
    """What enrolling returns: a certificate, its private key and the CA's chain (PEM)."""

    certificate: bytes
    private_key: ec.EllipticCurvePrivateKey = field(repr=False, compare=False)
    ca_chain: bytes

    @property
    def enrollment_id(self) -> str:
        """The certificate's common name, which Fabric CA sets to the enrollment id."""
        return _common_name(self._x509())

    def identity(self, msp_id: str) -> Identity:
        """This certificate as a member of `msp_id`."""
        return Identity(msp_id=msp_id, credentials=self.certificate)

    def signer(self) -> Sign:
        """A `Sign` with this enrollment's key (low-S, as Fabric requires)."""
        return new_private_key_signer(self.private_key)

    def attributes(self) -> dict[str, str]:
        """The Fabric CA attributes in the certificate (empty when it carries none)."""
        return certificate_attributes(self._x509())

    def _x509(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate)


def certificate_attributes(certificate: x509.Certificate) -> dict[str, str]:
    """Decode the attribute extension (OID 1.2.3.4.5.6.7.8.1) of `certificate`."""
    try:
        extension = certificate.extensions.get_extension_for_oid(ATTRIBUTES_OID)
    except x509.ExtensionNotFound:
        return {}
    name = _common_name(certificate)
    value = extension.value
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
    try:
        attrs = json.loads(raw)["attrs"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"certificate of {name} has a malformed attribute extension") from exc
    if not isinstance(attrs, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()
    ):
        raise ValueError(f"certificate of {name} has attributes that are not all strings")
    return dict(attrs)


class CAClient:
    """One CA (`ca_name`) of a Fabric CA server at `url`, reached over verified TLS.

    `tls_root_cert` is the PEM certificate (or bundle) that signed the server's TLS
    certificate. Every call takes at most `timeout` seconds.
    """

    def __init__(
        self, url: str, ca_name: str, tls_root_cert: bytes, *, timeout: float = 10.0
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "https" or not parsed.hostname:
            raise ValueError(f"CA url {url!r} must be https://host[:port]")
        if parsed.query or parsed.fragment or parsed.username:
            raise ValueError(f"CA url {url!r} must not carry a query, fragment or credentials")
        try:
            context = ssl.create_default_context(cadata=tls_root_cert.decode("ascii"))
        except (ssl.SSLError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError("tls_root_cert is not a PEM certificate") from exc
        self.url = urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, "", "", ""))
        self._prefix = parsed.path.rstrip("/") + _API
        self.ca_name = ca_name
        self.timeout = timeout
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPSHandler(context=context),
            _NoRedirects(),
        )

    def enroll(
        self,
        enrollment_id: str,
        secret: str,
        *,
        profile: str | None = None,
        csr_hosts: Sequence[str] = (),
        attr_reqs: Mapping[str, bool] | None = None,
    ) -> Enrollment:
        """Get a certificate for a new key pair, authenticating with id and secret.

        `attr_reqs` maps attribute names to whether each is optional; when None, the
        CA includes every attribute registered with ``ecert``. `csr_hosts` are DNS
        names or IP addresses for the certificate's subject alternative names (needed
        with the ``tls`` profile).
        """
        if not enrollment_id or ":" in enrollment_id:
            raise ValueError(f"enrollment id {enrollment_id!r} must be non-empty without ':'")
        key = ec.generate_private_key(ec.SECP256R1())
        body = self._sign_request(key, enrollment_id, profile, csr_hosts, attr_reqs)
        basic = base64.b64encode(f"{enrollment_id}:{secret}".encode()).decode()
        result = self._call(
            f"enroll {enrollment_id}", "POST", "enroll", body, authorization=f"Basic {basic}"
        )
        return _enrollment(result, key, f"enroll {enrollment_id}")

    def reenroll(
        self,
        current: Enrollment,
        *,
        profile: str | None = None,
        csr_hosts: Sequence[str] = (),
        attr_reqs: Mapping[str, bool] | None = None,
    ) -> Enrollment:
        """Renew `current`'s certificate for a new key pair, authenticating with `current`."""
        enrollment_id = current.enrollment_id
        key = ec.generate_private_key(ec.SECP256R1())
        body = self._sign_request(key, enrollment_id, profile, csr_hosts, attr_reqs)
        what = f"reenroll {enrollment_id}"
        result = self._call(what, "POST", "reenroll", body, caller=current)
        return _enrollment(result, key, what)

    def register(
        self,
        registrar: Enrollment,
        enrollment_id: str,
        *,
        secret: str | None = None,
        id_type: str = "client",
        affiliation: str = "",
        attributes: Mapping[str, str] = {},
        ecert_attributes: bool = True,
        powers: Mapping[str, str] = {},
        max_enrollments: int | None = None,
    ) -> str:
        """Register `enrollment_id` and return its enrollment secret (the CA makes one
        when `secret` is None).

        `attributes` go into the certificates it enrolls for when `ecert_attributes`;
        otherwise only when an enrollment asks for them. `powers` are Fabric CA's own
        ``hf.*`` attributes (what a registrar may register, revoke): registered, never
        put in a certificate. An empty `affiliation` means the registrar's own.
        `max_enrollments` None means the CA's default, -1 unlimited.
        """
        if not enrollment_id:
            raise ValueError("enrollment id must not be empty")
        body: dict[str, Any] = {
            "id": enrollment_id,
            "type": id_type,
            "affiliation": affiliation,
            "attrs": [
                {"name": name, "value": value, "ecert": ecert_attributes}
                for name, value in attributes.items()
            ]
            + [{"name": name, "value": value, "ecert": False} for name, value in powers.items()],
            "caname": self.ca_name,
        }
        if secret is not None:
            body["secret"] = secret
        if max_enrollments is not None:
            body["max_enrollments"] = max_enrollments
        attrs = ", ".join(f"{k}={v}" for k, v in attributes.items()) or "none"
        what = (
            f"register {enrollment_id} (type {id_type}, attributes {attrs}) "
            f"as {registrar.enrollment_id}"
        )
        result = self._call(what, "POST", "register", body, caller=registrar)
        given = result.get("secret") if isinstance(result, dict) else None
        if not isinstance(given, str) or not given:
            raise CAError(f"{what}: {self._where()} answered without a secret")
        return given

    def revoke(
        self,
        registrar: Enrollment,
        enrollment_id: str,
        *,
        reason: str = "unspecified",
        gencrl: bool = True,
    ) -> bytes | None:
        """Revoke `enrollment_id` and every certificate issued to it.

        With `gencrl`, return the CA's new PEM certificate revocation list, which a
        channel's MSP needs before peers refuse the certificates; None when not asked
        for, or when the identity had no certificate to revoke (the CA makes no CRL).
        """
        if reason not in REVOCATION_REASONS:
            known = ", ".join(sorted(REVOCATION_REASONS))
            raise ValueError(f"revocation reason {reason!r} is not one of: {known}")
        body = {"id": enrollment_id, "reason": reason, "gencrl": gencrl, "caname": self.ca_name}
        what = f"revoke {enrollment_id} as {registrar.enrollment_id}"
        result = self._call(what, "POST", "revoke", body, caller=registrar)
        crl = result.get("CRL") if isinstance(result, dict) else None
        if not gencrl or not crl:
            return None
        return _b64decode(crl, f"{what}: the CRL")

    def set_secret(self, registrar: Enrollment, enrollment_id: str, secret: str) -> None:
        """Give `enrollment_id` a new enrolment secret, which also clears the CA's count
        of wrong secrets for it: how an admin unlocks an identity the CA locked."""
        if not enrollment_id or not secret:
            raise ValueError("enrollment id and secret must not be empty")
        what = f"set a new secret for {enrollment_id} as {registrar.enrollment_id}"
        endpoint = "identities/" + urllib.parse.quote(enrollment_id, safe="")
        body = {"secret": secret, "caname": self.ca_name}
        self._call(what, "PUT", endpoint, body, caller=registrar)

    def ca_chain(self) -> bytes:
        """The CA's certificate chain (PEM), which anyone may ask for: also a liveness check."""
        what = f"get the CA chain of {self.ca_name}"
        result = self._call(what, "GET", "cainfo", None)
        chain = result.get("CAChain") if isinstance(result, dict) else None
        if not isinstance(chain, str) or not chain:
            raise CAError(f"{what}: {self._where()} answered without a CA chain")
        return _b64decode(chain, f"{what}: the chain")

    def list_identities(self, registrar: Enrollment) -> list[dict[str, Any]]:
        """Every identity `registrar` may manage: id, type, affiliation, attrs,
        max_enrollments (the CA reports no revocation state here)."""
        what = f"list identities as {registrar.enrollment_id}"
        result = self._call(what, "GET", "identities", None, caller=registrar)
        identities = result.get("identities") if isinstance(result, dict) else None
        if not isinstance(identities, list) or not all(isinstance(i, dict) for i in identities):
            raise CAError(f"{what}: {self._where()} answered without a list of identities")
        return identities

    def get_identity(self, registrar: Enrollment, enrollment_id: str) -> dict[str, Any]:
        """One identity's registration: id, type, affiliation, attrs, max_enrollments."""
        if not enrollment_id:
            raise ValueError("enrollment id must not be empty")
        what = f"get identity {enrollment_id} as {registrar.enrollment_id}"
        endpoint = "identities/" + urllib.parse.quote(enrollment_id, safe="")
        result = self._call(what, "GET", endpoint, None, caller=registrar)
        if not isinstance(result, dict):
            raise CAError(f"{what}: {self._where()} answered without an identity")
        return result

    def _sign_request(
        self,
        key: ec.EllipticCurvePrivateKey,
        enrollment_id: str,
        profile: str | None,
        csr_hosts: Sequence[str],
        attr_reqs: Mapping[str, bool] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "certificate_request": _csr(key, enrollment_id, csr_hosts),
            "caname": self.ca_name,
        }
        if csr_hosts:
            body["hosts"] = list(csr_hosts)
        if profile:
            body["profile"] = profile
        if attr_reqs is not None:
            body["attr_reqs"] = [
                {"name": name, "optional": optional} for name, optional in attr_reqs.items()
            ]
        return body

    def _where(self) -> str:
        return f"CA {self.ca_name} at {self.url}"

    def _call(
        self,
        what: str,
        method: str,
        endpoint: str,
        body: Mapping[str, Any] | None,
        *,
        authorization: str | None = None,
        caller: Enrollment | None = None,
    ) -> Any:
        """Send one request and return the envelope's ``result``; raise `CAError`."""
        uri = self._prefix + endpoint
        if body is None:
            uri += "?" + urllib.parse.urlencode({"ca": self.ca_name})
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        if caller is not None:
            authorization = _token(caller.certificate, caller.signer(), method, uri, data)
        request = urllib.request.Request(
            self.url + uri, data=data if body is not None else None, method=method
        )
        request.add_header("Accept", "application/json")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if authorization is not None:
            request.add_header("Authorization", authorization)
        where = self._where()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                status, raw = exc.code, exc.read()
        except urllib.error.URLError as exc:
            raise CAError(f"{what}: cannot reach {where}: {exc.reason}") from exc
        except (OSError, HTTPException) as exc:
            raise CAError(f"{what}: no answer from {where}: {exc}") from exc
        return _result(what, where, status, raw)


def _token(certificate: bytes, sign: Sign, method: str, uri: str, body: bytes) -> str:
    """Fabric CA's token for one request by the holder of `certificate`.

    `uri` is the request's path and query string as sent; `body` its exact bytes.
    """
    b64cert = base64.b64encode(certificate).decode()
    payload = ".".join(
        (
            method,
            base64.b64encode(uri.encode()).decode(),
            base64.b64encode(body).decode(),
            b64cert,
        )
    )
    signature = sign(digest(payload.encode()))
    return f"{b64cert}.{base64.b64encode(signature).decode()}"


def _csr(key: ec.EllipticCurvePrivateKey, enrollment_id: str, hosts: Sequence[str]) -> str:
    """A PEM certificate signing request whose common name is the enrollment id."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, enrollment_id)])
    )
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    csr = builder.sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _result(what: str, where: str, status: int, raw: bytes) -> Any:
    """The ``result`` of Fabric CA's envelope, or `CAError` with its errors."""
    try:
        envelope = json.loads(raw)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        snippet = raw[:200].decode("utf-8", "replace")
        raise CAError(f"{what}: {where} did not answer in Fabric CA's JSON: {snippet!r}", status)
    errors = [
        CAErrorDetail(
            code=e["code"] if isinstance(e.get("code"), int) else 0,
            message=str(e.get("message", "")),
        )
        for e in envelope.get("errors") or ()
        if isinstance(e, dict)
    ]
    if errors or status >= 400 or envelope.get("success") is not True:
        raise CAError(f"{what}: {where} refused", status, errors)
    return envelope.get("result")


def _enrollment(result: Any, key: ec.EllipticCurvePrivateKey, what: str) -> Enrollment:
    """Check the CA's enrollment answer and pair its certificate with `key`."""
    if not isinstance(result, dict) or not isinstance(result.get("Cert"), str):
        raise CAError(f"{what}: the CA answered without a certificate")
    certificate = _b64decode(result["Cert"], f"{what}: the certificate")
    server_info = result.get("ServerInfo")
    chain = server_info.get("CAChain") if isinstance(server_info, dict) else None
    ca_chain = _b64decode(chain, f"{what}: the CA chain") if isinstance(chain, str) else b""
    try:
        issued = x509.load_pem_x509_certificate(certificate)
    except ValueError as exc:
        raise CAError(f"{what}: the CA's certificate is not PEM X.509") from exc
    if issued.public_key() != key.public_key():
        raise CAError(f"{what}: the CA's certificate is not for the key that was sent")
    return Enrollment(certificate=certificate, private_key=key, ca_chain=ca_chain)


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise CAError(f"{what} is not valid base64") from exc


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        raise ValueError("certificate has no common name")
    value = names[0].value
    return value if isinstance(value, str) else value.decode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A CA never redirects; following one could carry the Authorization header away."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None
