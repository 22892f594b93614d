"""The org definition bundle: everything public another org needs to admit an org.

An organisation exports its bundle from its own home and mails or publishes it; the
others import it, after comparing its fingerprint with the one the exporter read out
to them over another line (a phone call, a signed letter). A bundle holds no secret:

- who the org is: its key, MSP id, display name and kind (utility, community,
  regulator);
- its MSP: the root certificates of its CA, the TLS root certificates its nodes'
  TLS certificates chain to, its admins' certificates, and the Node OU identifiers
  (``client``, ``peer``, ``admin``, ``orderer``) its certificates carry;
- where its nodes are: its peers (anchor peers), its orderers with their TLS
  certificates (a Raft consenter is named by its certificate), and its CA.

The file is JSON (``format`` ``gridledger/org-bundle/1``); its fingerprint is the
SHA-256 of its canonical form (sorted keys, no spaces), so two people looking at the
same bundle read the same fingerprint whatever the file's layout.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from gridspec.channels import NAME

__all__ = ["FORMAT", "KINDS", "NODE_OUS", "BundleError", "Endpoint", "OrdererNode", "OrgBundle"]

FORMAT = "gridledger/org-bundle/1"
KINDS = ("utility", "community", "regulator")
NODE_OUS = ("client", "peer", "admin", "orderer")
MSP_ID = re.compile(r"^[A-Za-z][A-Za-z0-9.-]{0,63}$")
HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
PEM_CERT = re.compile(
    r"^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$"
)
CA_URL = re.compile(r"^https://[A-Za-z0-9.-]+:[0-9]{1,5}$")
TEXT_MAX = 200


class BundleError(ValueError):
    """A bundle that cannot be used; the message names the field and what is wrong."""


@dataclass(frozen=True)
class Endpoint:
    """A node's address as the other orgs reach it."""

    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class OrdererNode(Endpoint):
    """An orderer: its address and the TLS certificate that names it as a Raft consenter."""

    tls_cert: str = ""


@dataclass(frozen=True)
class OrgBundle:
    """One organisation's public definition."""

    key: str
    msp_id: str
    display_name: str
    kind: str
    root_certs: tuple[str, ...]
    tls_root_certs: tuple[str, ...]
    admin_certs: tuple[str, ...]
    peers: tuple[Endpoint, ...]
    orderers: tuple[OrdererNode, ...]
    ca_url: str
    ca_name: str

    def __post_init__(self) -> None:
        check(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "key": self.key,
            "msp_id": self.msp_id,
            "display_name": self.display_name,
            "kind": self.kind,
            "msp": {
                "root_certs": list(self.root_certs),
                "tls_root_certs": list(self.tls_root_certs),
                "admin_certs": list(self.admin_certs),
                "node_ous": {ou: ou for ou in NODE_OUS},
            },
            "peers": [{"host": p.host, "port": p.port} for p in self.peers],
            "orderers": [
                {"host": o.host, "port": o.port, "tls_cert": o.tls_cert} for o in self.orderers
            ],
            "ca": {"url": self.ca_url, "name": self.ca_name},
        }

    def canonical(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    def fingerprint(self) -> str:
        """``sha256:`` and the hex digest of the canonical form: what humans compare."""
        return "sha256:" + hashlib.sha256(self.canonical()).hexdigest()

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def loads(cls, text: str | bytes) -> OrgBundle:
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BundleError(f"the bundle is not JSON: {exc}") from exc
        return cls.from_json(document)

    @classmethod
    def from_json(cls, document: Any) -> OrgBundle:
        if not isinstance(document, dict):
            raise BundleError("the bundle must be a JSON object")
        if document.get("format") != FORMAT:
            raise BundleError(f"format must be {FORMAT!r}, not {document.get('format')!r}")
        msp = field(document, "msp", dict)
        node_ous = field(msp, "node_ous", dict, "msp.")
        if node_ous != {ou: ou for ou in NODE_OUS}:
            raise BundleError(f"msp.node_ous must map each of {', '.join(NODE_OUS)} to itself")
        ca = field(document, "ca", dict)
        return cls(
            key=field(document, "key", str),
            msp_id=field(document, "msp_id", str),
            display_name=field(document, "display_name", str),
            kind=field(document, "kind", str),
            root_certs=strings(msp, "root_certs", "msp."),
            tls_root_certs=strings(msp, "tls_root_certs", "msp."),
            admin_certs=strings(msp, "admin_certs", "msp."),
            peers=tuple(endpoint(p, f"peers[{i}]") for i, p in enumerate(items(document, "peers"))),
            orderers=tuple(
                orderer(o, f"orderers[{i}]") for i, o in enumerate(items(document, "orderers"))
            ),
            ca_url=field(ca, "url", str, "ca."),
            ca_name=field(ca, "name", str, "ca."),
        )


def field(document: dict[str, Any], name: str, kind: type, prefix: str = "") -> Any:
    value = document.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        article = "an" if kind.__name__[0] in "aeiou" else "a"
        raise BundleError(f"{prefix}{name} must be {article} {kind.__name__}")
    return value


def items(document: dict[str, Any], name: str) -> list[Any]:
    value = document.get(name)
    if not isinstance(value, list):
        raise BundleError(f"{name} must be a list")
    return value


def strings(document: dict[str, Any], name: str, prefix: str) -> tuple[str, ...]:
    value = document.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BundleError(f"{prefix}{name} must be a list of PEM certificates")
    return tuple(value)


def endpoint(value: Any, where: str) -> Endpoint:
    if not isinstance(value, dict):
        raise BundleError(f"{where} must be an object with host and port")
    return Endpoint(field(value, "host", str, f"{where}."), field(value, "port", int, f"{where}."))


def orderer(value: Any, where: str) -> OrdererNode:
    node = endpoint(value, where)
    cert = field(value, "tls_cert", str, f"{where}.")
    return OrdererNode(node.host, node.port, cert)


def check(bundle: OrgBundle) -> None:
    """Every field of `bundle` as the consortium needs it, or BundleError naming the first."""
    if not NAME.match(bundle.key):
        raise BundleError(f"key {bundle.key[:40]!r} must be 2-31 lowercase letters or digits")
    if not MSP_ID.match(bundle.msp_id):
        raise BundleError(f"msp_id {bundle.msp_id[:70]!r} must be a letter then letters or digits")
    if not 0 < len(bundle.display_name) <= TEXT_MAX or not bundle.display_name.isprintable():
        raise BundleError(f"display_name must be 1-{TEXT_MAX} printable characters")
    if bundle.kind not in KINDS:
        raise BundleError(f"kind {bundle.kind[:40]!r} must be one of {', '.join(KINDS)}")
    for name in ("root_certs", "tls_root_certs", "admin_certs"):
        certs = getattr(bundle, name)
        if not certs:
            raise BundleError(f"msp.{name} must hold at least one certificate")
        for index, pem in enumerate(certs):
            if not PEM_CERT.match(pem):
                raise BundleError(f"msp.{name}[{index}] is not a PEM certificate")
    if not bundle.peers:
        raise BundleError("peers must name at least one peer")
    for index, node in enumerate((*bundle.peers, *bundle.orderers)):
        kind = "peers" if index < len(bundle.peers) else "orderers"
        where = f"{kind}[{index if kind == 'peers' else index - len(bundle.peers)}]"
        if not HOST.match(node.host):
            raise BundleError(f"{where}.host {node.host[:40]!r} is not a host name or address")
        if not 0 < node.port < 65536:
            raise BundleError(f"{where}.port {node.port} is not a port")
        if isinstance(node, OrdererNode) and not PEM_CERT.match(node.tls_cert):
            raise BundleError(f"{where}.tls_cert is not a PEM certificate")
    if not CA_URL.match(bundle.ca_url):
        raise BundleError(f"ca.url {bundle.ca_url[:60]!r} must be https://host:port")
    if not bundle.ca_name.startswith("ca-") or not NAME.match(bundle.ca_name.removeprefix("ca-")):
        raise BundleError(f"ca.name {bundle.ca_name[:40]!r} must be ca-<org key>")
