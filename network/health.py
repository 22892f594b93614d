"""Node health and metrics from the operations endpoint every Fabric process serves.

Peer and orderer operations endpoints are served over TLS with client certificates
(the node's own TLS certificate; clients present the org admin's), like every other
link. `/healthz` answers any TLS client; `/metrics` needs the client certificate.
The CAs' operations endpoints are plain HTTP on loopback: a CA's TLS certificate is
created by the CA itself at first start, so there is none to give it beforehand.
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache

from network.ca import OrgCA
from network.topology import (
    CA_OPERATIONS_OFFSET,
    HOST,
    ORDERER_OPERATIONS_OFFSET,
    PEER_OPERATIONS_OFFSET,
    Org,
    org_by_key,
    orgs,
)


@dataclass(frozen=True)
class Endpoint:
    """A node's operations endpoint."""

    name: str
    org: Org
    port: int
    tls: bool

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"


def peer_endpoint(org: Org) -> Endpoint:
    return Endpoint(f"peer-{org.key}", org, org.port(PEER_OPERATIONS_OFFSET), tls=True)


def orderer_endpoint(org: Org) -> Endpoint:
    return Endpoint(f"orderer-{org.key}", org, org.port(ORDERER_OPERATIONS_OFFSET), tls=True)


def ca_endpoint(org: Org) -> Endpoint:
    return Endpoint(f"ca-{org.key}", org, org.port(CA_OPERATIONS_OFFSET), tls=False)


@cache
def tls_context(org_key: str) -> ssl.SSLContext:
    """Trusts the org's CA and presents the org admin's TLS certificate."""
    ca = OrgCA(org_by_key(org_key))
    context = ssl.create_default_context(cafile=str(ca.ca_cert))
    admin = ca.tls("admin")
    context.load_cert_chain(str(admin / "cert.pem"), str(admin / "key.pem"))
    return context


def fetch(endpoint: Endpoint, path: str, timeout: float = 2.0) -> bytes:
    context = tls_context(endpoint.org.key) if endpoint.tls else None
    with urllib.request.urlopen(endpoint.url + path, timeout=timeout, context=context) as resp:
        return bytes(resp.read())


def healthz(endpoint: Endpoint) -> str:
    """'OK', or what the endpoint said is wrong, or 'unreachable'."""
    try:
        body = json.loads(fetch(endpoint, "/healthz") or b"{}")
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
        checks = body.get("failed_checks") or []
        return "; ".join(f"{c.get('component')}: {c.get('reason')}" for c in checks) or str(exc)
    except (OSError, ValueError):
        return "unreachable"
    return str(body.get("status", "unknown"))


def metric(endpoint: Endpoint, name: str, labels: dict[str, str]) -> float | None:
    """The value of one Prometheus sample on a node's /metrics, or None if absent."""
    text = fetch(endpoint, "/metrics").decode()
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}\{{(.*)\}}\s+(\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return None


def endpoints() -> list[Endpoint]:
    """Every CA, orderer and peer operations endpoint."""
    return [
        e for org in orgs() for e in (ca_endpoint(org), orderer_endpoint(org), peer_endpoint(org))
    ]


def report() -> dict[str, str]:
    return {e.name: healthz(e) for e in endpoints()}
