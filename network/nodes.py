"""Peer and orderer processes: their command lines, configuration and readiness."""

from __future__ import annotations

import os
from pathlib import Path

from network.health import Endpoint, healthz, orderer_endpoint, peer_endpoint
from network.nodeconfig import orderer_dir, peer_dir, write_orderer_config, write_peer_config
from network.paths import tool
from network.procs import Process, ensure_alive, port_in_use, start, wait_until
from network.topology import (
    ORDERER_ADMIN_OFFSET,
    ORDERER_OFFSET,
    ORDERER_OPERATIONS_OFFSET,
    PEER_CHAINCODE_OFFSET,
    PEER_OFFSET,
    PEER_OPERATIONS_OFFSET,
    Org,
)

LOGGING_SPEC = "grpc=error:info"
LOGGING_FORMAT = (
    "%{time:2006-01-02 15:04:05.000 MST} %{level:.4s} [%{module}] %{shortfunc} -> %{message}"
)


def base_env(cfg_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "FABRIC_CFG_PATH": str(cfg_dir),
        "FABRIC_LOGGING_SPEC": os.environ.get("GRIDLEDGER_FABRIC_LOGGING", LOGGING_SPEC),
        "FABRIC_LOGGING_FORMAT": LOGGING_FORMAT,
    }


def orderer_process(org: Org) -> Process:
    folder = orderer_dir(org)
    return Process(f"orderer-{org.key}", (str(tool("orderer")),), base_env(folder))


def peer_process(org: Org) -> Process:
    folder = peer_dir(org)
    return Process(f"peer-{org.key}", (str(tool("peer")), "node", "start"), base_env(folder))


def start_orderer(org: Org, sampleconfig: Path) -> None:
    write_orderer_config(org, sampleconfig)
    ports = (ORDERER_OFFSET, ORDERER_ADMIN_OFFSET, ORDERER_OPERATIONS_OFFSET)
    start(orderer_process(org), tuple(org.port(p) for p in ports))


def start_peer(org: Org, sampleconfig: Path) -> None:
    write_peer_config(org, sampleconfig)
    ports = (PEER_OFFSET, PEER_CHAINCODE_OFFSET, PEER_OPERATIONS_OFFSET)
    start(peer_process(org), tuple(org.port(p) for p in ports))


def wait_healthy(proc: Process, endpoint: Endpoint, timeout: float = 60) -> None:
    def healthy() -> bool:
        ensure_alive(proc)
        return healthz(endpoint) == "OK"

    wait_until(healthy, f"{proc.name} to report healthy", timeout)


def wait_ready(proc: Process, endpoint: Endpoint, ports: tuple[int, ...], timeout: float) -> None:
    """Healthy, and every one of its ports taking connections.

    /healthz (the operations listener) can answer before the node's other listeners are
    up, and `up` talks to them right after, e.g. after a crash and a restart.
    """
    wait_healthy(proc, endpoint, timeout)
    for port in ports:
        wait_until(lambda p=port: port_in_use(p), f"{proc.name} to listen on {port}", timeout)


def wait_orderer(org: Org, timeout: float = 60) -> None:
    ports = tuple(org.port(p) for p in (ORDERER_OFFSET, ORDERER_ADMIN_OFFSET))
    wait_ready(orderer_process(org), orderer_endpoint(org), ports, timeout)


def wait_peer(org: Org, timeout: float = 60) -> None:
    ports = tuple(org.port(p) for p in (PEER_OFFSET, PEER_CHAINCODE_OFFSET))
    wait_ready(peer_process(org), peer_endpoint(org), ports, timeout)
