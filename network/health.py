"""Node health and metrics from the operations endpoint every Fabric process serves.

Peer and orderer operations endpoints are served over TLS with client certificates
(the node's own TLS certificate; clients present the org admin's), like every other
link, on loopback: only the org's own operator looks at them. `/healthz` answers any
TLS client; `/metrics` needs the client certificate. The CA's operations endpoint is
plain HTTP on loopback: a CA's TLS certificate is created by the CA itself at first
start, so there is none to give it beforehand.
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from network.home import OrgHome
from network.topology import (
    CA_OPERATIONS_OFFSET,
    LOOPBACK,
    ORDERER_OPERATIONS_OFFSET,
    PEER_OPERATIONS_OFFSET,
)


@dataclass(frozen=True)
class Endpoint:
    """A node's operations endpoint, and the home whose admin may read its metrics."""

    name: str
    home: OrgHome
    port: int
    tls: bool

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self.port}"


def peer_endpoint(home: OrgHome) -> Endpoint:
    org = home.org
    return Endpoint(f"peer-{org.key}", home, org.port(PEER_OPERATIONS_OFFSET), tls=True)


def orderer_endpoint(home: OrgHome) -> Endpoint:
    org = home.org
    return Endpoint(f"orderer-{org.key}", home, org.port(ORDERER_OPERATIONS_OFFSET), tls=True)


def ca_endpoint(home: OrgHome) -> Endpoint:
    org = home.org
    return Endpoint(f"ca-{org.key}", home, org.port(CA_OPERATIONS_OFFSET), tls=False)


@cache
def tls_context(home_path: Path) -> ssl.SSLContext:
    """Trusts the org's CA and presents the org admin's TLS certificate."""
    home = OrgHome(home_path)
    context = ssl.create_default_context(cafile=str(home.ca_cert))
    admin = home.identity_tls("admin")
    context.load_cert_chain(str(admin / "cert.pem"), str(admin / "key.pem"))
    return context


def fetch(endpoint: Endpoint, path: str, timeout: float = 2.0) -> bytes:
    context = tls_context(endpoint.home.path) if endpoint.tls else None
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


def report(home: OrgHome) -> dict[str, str]:
    """Each of the org's nodes' /healthz."""
    endpoints = (ca_endpoint(home), orderer_endpoint(home), peer_endpoint(home))
    return {e.name: healthz(e) for e in endpoints}
