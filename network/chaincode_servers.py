"""The chaincode server processes: one per org and chaincode, restarted by `up`.

Each deployment is recorded in the run folder (package id, address), so `up` after
`down` restarts exactly the servers that were deployed, with the same ids.

A deployment's `module` is a Python module (`chaincode.community`, run as
`python -m chaincode.community`) or, prefixed with `node:`, a Node chaincode folder of
the repository (`node:bench/node/chaincode`, run as `node bench/node/chaincode/server.js`,
the benchmark's baseline). Both get the same flags: package id, address, TLS files.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from network.ca import OrgCA
from network.console import NetworkError, info
from network.paths import REPO, chaincode_dir
from network.procs import (
    Process,
    ensure_alive,
    owned_pid,
    port_in_use,
    start,
    stop_pid_file,
    wait_until,
)
from network.topology import Org, org_by_key

NODE_PREFIX = "node:"
NODE_ENTRY = "server.js"
LOG_LEVEL_ENV = "GRIDLEDGER_CC_LOG_LEVEL"


@dataclass(frozen=True)
class Deployment:
    """What a chaincode server of one org needs to serve the package its peer installed."""

    chaincode: str
    module: str
    org: str
    package_id: str
    address: str

    @property
    def record(self) -> Path:
        return chaincode_dir() / self.chaincode / "servers" / f"{self.org}.json"

    def save(self) -> None:
        self.record.parent.mkdir(parents=True, exist_ok=True)
        self.record.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))


def is_node(dep: Deployment) -> bool:
    return dep.module.startswith(NODE_PREFIX)


def node_folder(module: str) -> Path:
    """The repository folder of a `node:<folder>` module."""
    return REPO / module.removeprefix(NODE_PREFIX)


def node_executable() -> str:
    return shutil.which("node") or "node"


def process(dep: Deployment) -> Process:
    org = org_by_key(dep.org)
    tls = OrgCA(org).tls("chaincode")
    flags = (
        "--chaincode-id",
        dep.package_id,
        "--address",
        dep.address,
        "--tls-cert",
        str(tls / "cert.pem"),
        "--tls-key",
        str(tls / "key.pem"),
        "--tls-client-root",
        str(OrgCA(org).ca_cert),
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    argv: tuple[str, ...]
    if is_node(dep):
        argv = (node_executable(), str(node_folder(dep.module) / NODE_ENTRY), *flags)
    else:
        argv = (sys.executable, "-m", dep.module, *flags)
        env |= {"PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    if LOG_LEVEL_ENV in os.environ:
        env[LOG_LEVEL_ENV] = os.environ[LOG_LEVEL_ENV]
    return Process(f"chaincode-{dep.chaincode}-{dep.org}", argv, env)


def check_runnable(dep: Deployment) -> None:
    """Fail with what to do when a Node chaincode cannot start: no node, no node_modules."""
    if not is_node(dep):
        return
    if shutil.which("node") is None:
        raise NetworkError(f"chaincode {dep.chaincode} needs Node.js: `node` is not on PATH")
    modules = node_folder(dep.module) / "node_modules"
    if not modules.is_dir():
        raise NetworkError(
            f"chaincode {dep.chaincode}: {modules} is missing; run bench/node/install.sh"
        )


def serve(dep: Deployment, timeout: float = 30) -> None:
    """Start the server (unless running) and return once it accepts connections."""
    check_runnable(dep)
    dep.save()
    port = int(dep.address.rsplit(":", 1)[1])
    proc = process(dep)
    start(proc, (port,))

    def listening() -> bool:
        ensure_alive(proc)
        return port_in_use(port)

    wait_until(listening, f"{proc.name} to listen on {dep.address}", timeout)


def deployed() -> list[Deployment]:
    records = sorted(chaincode_dir().glob("*/servers/*.json")) if chaincode_dir().exists() else []
    return [Deployment(**json.loads(r.read_text())) for r in records]


def restart_deployed() -> None:
    for dep in deployed():
        serve(dep)
        info(f"chaincode server {dep.chaincode} for {dep.org} on {dep.address}")


def reload() -> None:
    """Restart every chaincode server, e.g. after its Python code changed.

    Chaincode as a service needs no new package for new code: the peers keep the same
    package id and reconnect to the restarted server on their next transaction.
    """
    for dep in deployed():
        stop_pid_file(process(dep).pid_file)
    restart_deployed()


def status() -> dict[str, str]:
    return {
        process(d).name: "running" if owned_pid(process(d).pid_file) else "stopped"
        for d in deployed()
    }


def org_of(dep: Deployment) -> Org:
    return org_by_key(dep.org)
