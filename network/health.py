"""Node health and metrics from the operations endpoints every Fabric process serves."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from network.topology import (
    CA_OPERATIONS_OFFSET,
    HOST,
    ORDERER_OPERATIONS_OFFSET,
    ORGS,
    PEER_OPERATIONS_OFFSET,
)


def healthz(port: int, timeout: float = 2.0) -> str:
    """'OK', or what the endpoint said is wrong, or 'unreachable'."""
    url = f"http://{HOST}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
        checks = body.get("failed_checks") or []
        return "; ".join(f"{c.get('component')}: {c.get('reason')}" for c in checks) or str(exc)
    except (OSError, ValueError):
        return "unreachable"
    return str(body.get("status", "unknown"))


def metric(port: int, name: str, labels: dict[str, str]) -> float | None:
    """The value of one Prometheus sample on a node's /metrics, or None if absent."""
    url = f"http://{HOST}:{port}/metrics"
    with urllib.request.urlopen(url, timeout=2.0) as resp:
        text = resp.read().decode()
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}\{{(.*)\}}\s+(\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return None


def node_endpoints() -> list[tuple[str, int]]:
    """(node name, operations port) for every CA, orderer and peer."""
    nodes = []
    for org in ORGS:
        nodes.append((f"ca-{org.key}", org.port(CA_OPERATIONS_OFFSET)))
        nodes.append((f"orderer-{org.key}", org.port(ORDERER_OPERATIONS_OFFSET)))
        nodes.append((f"peer-{org.key}", org.port(PEER_OPERATIONS_OFFSET)))
    return nodes


def report() -> dict[str, str]:
    return {name: healthz(port) for name, port in node_endpoints()}
