"""An org's chaincode server processes: one per chaincode, restarted by `up`.

Each deployment is recorded in the org's home (package id, address), so `up` after
`down` restarts exactly the servers that were deployed, with the same ids. Every org
serves the chaincode its own peer runs: no org runs another's chaincode server.

A deployment's `module` is the Python module a server runs (`chaincode.community`, run as
`python -m chaincode.community` with the package id, address and TLS files as flags).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from network.console import info
from network.home import OrgHome, write_private
from network.paths import REPO
from network.procs import Process, port_in_use, stop_pid_file, wait_until
from network.runtime import contained, ensure_alive, not_here, running, start

LOG_LEVEL_ENV = "GRIDLEDGER_CC_LOG_LEVEL"


@dataclass(frozen=True)
class Deployment:
    """What a chaincode server of one org needs to serve the package its peer installed."""

    chaincode: str
    module: str
    package_id: str
    address: str

    def record(self, home: OrgHome) -> Path:
        return home.chaincode / self.chaincode / "server.json"

    def save(self, home: OrgHome) -> None:
        write_private(self.record(home), json.dumps(asdict(self), indent=2, sort_keys=True))


def process(home: OrgHome, dep: Deployment) -> Process:
    tls = home.identity_tls("chaincode")
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
        str(home.ca_cert),
    )
    argv = (sys.executable, "-m", dep.module, *flags)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
    }
    if LOG_LEVEL_ENV in os.environ:
        env[LOG_LEVEL_ENV] = os.environ[LOG_LEVEL_ENV]
    return Process(f"chaincode-{dep.chaincode}-{home.org.key}", argv, env, home.path)


def serve(home: OrgHome, dep: Deployment, timeout: float = 30) -> None:
    """Start the server (unless running) and return once it accepts connections."""
    dep.save(home)
    host, port_text = dep.address.rsplit(":", 1)
    port = int(port_text)
    proc = process(home, dep)
    start(home, proc, ((host, port),))

    def listening() -> bool:
        ensure_alive(home, proc)
        return port_in_use(port, host)

    wait_until(listening, f"{proc.name} to listen on {dep.address}", timeout)


def deployed(home: OrgHome) -> list[Deployment]:
    folder = home.chaincode
    records = sorted(folder.glob("*/server.json")) if folder.is_dir() else []
    return [Deployment(**json.loads(r.read_text())) for r in records]


def restart_deployed(home: OrgHome) -> None:
    for dep in deployed(home):
        serve(home, dep)
        info(f"chaincode server {dep.chaincode} of {home.org.key} on {dep.address}")


def reload(home: OrgHome) -> None:
    """Restart every chaincode server of the org, e.g. after its Python code changed.

    Chaincode as a service needs no new package for new code: the peer keeps the same
    package id and reconnects to the restarted server on its next transaction.
    """
    if contained(home):
        raise not_here(home, "restarting its chaincode servers")
    for dep in deployed(home):
        stop_pid_file(process(home, dep).pid_file)
    restart_deployed(home)


def status(home: OrgHome) -> dict[str, str]:
    found = {}
    for dep in deployed(home):
        proc = process(home, dep)
        if contained(home):  # the engine runs it: is it serving?
            host, port = dep.address.rsplit(":", 1)
            found[proc.name] = "running" if port_in_use(int(port), host) else "not serving"
        else:
            found[proc.name] = "running" if running(home, proc) else "stopped"
    return found
