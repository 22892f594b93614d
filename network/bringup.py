"""`up`, `down`, `clean` and `status` of one org, from its own home.

`up` is idempotent and resumable: on a fresh home it creates the org's CA, enrols its
identities and starts its orderer and peer; after `down` it restarts the same
processes on the same ledgers, with the chaincode servers it had deployed.
"""

from __future__ import annotations

import os
import shutil
import time

from network import api_server, chaincode_servers, profiles
from network.ca import OrgCA
from network.channels import joined
from network.console import NetworkError, elapsed, info, phase, step
from network.health import report
from network.home import OrgHome
from network.install import ADMIN_COMMANDS, TOOL_SETS, missing_config
from network.nodes import start_orderer, start_peer, wait_orderer, wait_peer
from network.paths import tool
from network.procs import stop_all
from network.runtime import contained, running


def require_tools(home: OrgHome) -> None:
    """The pinned commands and node configs are there (`install` checks their versions:
    a host that only runs nodes needs no Go toolchain). In containers the nodes' images
    hold the node commands, and the admin image the admin commands."""
    wanted = ADMIN_COMMANDS if contained(home) else [c for t in TOOL_SETS for c in t.commands]
    commands = [c for c in wanted if not os.access(tool(c), os.X_OK)]
    missing = commands + missing_config()
    if missing:
        raise NetworkError(f"missing pinned tools {missing}: run `make install` first")


def up(home: OrgHome) -> float:
    """Bring the org's CA, orderer and peer up; return the seconds it took."""
    started = time.monotonic()
    require_tools(home)
    org = home.org
    ca = OrgCA(home)
    with phase(f"{org.msp_id}: certificate authority {org.ca_name} on {org.ca_url}"):
        ca.start()
        ca.wait_ready()
        ca.bootstrap()
    with phase(f"{org.msp_id}: orderer on {org.orderer_address}, peer on {org.peer_address}"):
        start_orderer(home)
        start_peer(home)
        wait_orderer(home)
        wait_peer(home)
    if chaincode_servers.deployed(home):
        with phase(f"{org.msp_id}: chaincode servers"):
            chaincode_servers.restart_deployed(home)
    if joined(home):
        profiles.write(home)
    info(f"{org.key} up in {elapsed(started)}; logs in {home.logs}")
    return time.monotonic() - started


def down(home: OrgHome) -> list[str]:
    if contained(home):
        info(f"{home.org.key} runs in containers: `compose down` stops them (docker/README.md)")
        return []
    step(f"{home.org.key}: stopping its processes (ledgers are kept)")
    stopped = stop_all(home.path)
    info(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    return stopped


def clean(home: OrgHome) -> None:
    down(home)
    step(f"{home.org.key}: removing its home {home.path} (keys, ledgers, logs)")
    shutil.rmtree(home.path, ignore_errors=True)


def status(home: OrgHome) -> bool:
    """Print the org's nodes' /healthz and processes; return whether all are OK."""
    healthy = True
    for name, state in report(home).items():
        print(f"{name:32} {state}")
        healthy &= state == "OK"
    for name, state in chaincode_servers.status(home).items():
        print(f"{name:32} {state}")
        healthy &= state == "running"
    if running(home, api_server.process(home)):
        ok = api_server.healthy(home)
        print(f"{'api-' + home.org.key:32} {'OK' if ok else 'unhealthy'} ({home.org.api_url})")
        healthy &= ok
    return healthy
