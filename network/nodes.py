"""An org's peer and orderer processes: their command lines, configuration and readiness."""

from __future__ import annotations

import os
from pathlib import Path

from network.health import Endpoint, healthz, orderer_endpoint, peer_endpoint
from network.home import OrgHome
from network.nodeconfig import write_orderer_config, write_peer_config
from network.paths import tool
from network.procs import Process, port_in_use, wait_until
from network.runtime import ensure_alive, start
from network.topology import (
    LOOPBACK,
    ORDERER_ADMIN_OFFSET,
    ORDERER_OFFSET,
    ORDERER_OPERATIONS_OFFSET,
    PEER_CHAINCODE_OFFSET,
    PEER_OFFSET,
    PEER_OPERATIONS_OFFSET,
)

LOGGING_SPEC = "grpc=error:info"
LOGGING_FORMAT = (
    "%{time:2006-01-02 15:04:05.000 MST} %{level:.4s} [%{module}] %{shortfunc} -> %{message}"
)


def base_env(cfg_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cfg_dir),
        "FABRIC_CFG_PATH": str(cfg_dir),
        "FABRIC_LOGGING_SPEC": os.environ.get("GRIDLEDGER_FABRIC_LOGGING", LOGGING_SPEC),
        "FABRIC_LOGGING_FORMAT": LOGGING_FORMAT,
    }


def orderer_process(home: OrgHome) -> Process:
    org = home.org
    return Process(f"orderer-{org.key}", (str(tool("orderer")),), base_env(home.orderer), home.path)


def peer_process(home: OrgHome) -> Process:
    org = home.org
    argv = (str(tool("peer")), "node", "start")
    return Process(f"peer-{org.key}", argv, base_env(home.peer), home.path)


def orderer_ports(home: OrgHome) -> tuple[tuple[str, int], ...]:
    org = home.org
    return (
        (org.host, org.port(ORDERER_OFFSET)),
        (LOOPBACK, org.port(ORDERER_ADMIN_OFFSET)),
        (LOOPBACK, org.port(ORDERER_OPERATIONS_OFFSET)),
    )


def peer_ports(home: OrgHome) -> tuple[tuple[str, int], ...]:
    org = home.org
    return (
        (org.host, org.port(PEER_OFFSET)),
        (LOOPBACK, org.port(PEER_CHAINCODE_OFFSET)),
        (LOOPBACK, org.port(PEER_OPERATIONS_OFFSET)),
    )


def start_orderer(home: OrgHome) -> None:
    write_orderer_config(home)
    start(home, orderer_process(home), orderer_ports(home))


def start_peer(home: OrgHome) -> None:
    write_peer_config(home)
    start(home, peer_process(home), peer_ports(home))


def wait_healthy(proc: Process, endpoint: Endpoint, timeout: float = 60) -> None:
    def healthy() -> bool:
        ensure_alive(endpoint.home, proc)
        return healthz(endpoint) == "OK"

    wait_until(healthy, f"{proc.name} to report healthy", timeout)


def wait_ready(
    proc: Process, endpoint: Endpoint, ports: tuple[tuple[str, int], ...], timeout: float
) -> None:
    """Healthy, and every one of its ports taking connections.

    /healthz (the operations listener) can answer before the node's other listeners are
    up, and `up` talks to them right after, e.g. after a crash and a restart.
    """
    wait_healthy(proc, endpoint, timeout)
    for host, port in ports:
        wait_until(
            lambda h=host, p=port: port_in_use(p, h), f"{proc.name} to listen on {port}", timeout
        )


def wait_orderer(home: OrgHome, timeout: float = 60) -> None:
    wait_ready(orderer_process(home), orderer_endpoint(home), orderer_ports(home)[:2], timeout)


def wait_peer(home: OrgHome, timeout: float = 60) -> None:
    wait_ready(peer_process(home), peer_endpoint(home), peer_ports(home)[:2], timeout)
