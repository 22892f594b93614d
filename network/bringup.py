"""`up`, `down`, `clean` and `status`: the network's whole life cycle on one machine.

`up` is idempotent and resumable: on a fresh run folder it creates every identity,
node and channel; after `down` it restarts the same processes on the same ledgers
and skips every step already done.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor

from network import api_server, chaincode_servers, channels
from network.ca import OrgCA
from network.console import NetworkError, elapsed, info, phase, step
from network.health import report
from network.install import TOOL_SETS, fabric_sampleconfig, missing_commands
from network.nodes import start_orderer, start_peer, wait_orderer, wait_peer
from network.paths import logs_dir, pids_dir, run_dir
from network.procs import owned_pid, stop_all
from network.topology import channels as current_channels
from network.topology import orgs


def require_tools() -> None:
    missing = [c for t in TOOL_SETS for c in missing_commands(t)]
    if missing:
        raise NetworkError(f"missing pinned tools {missing}: run `make install` first")


def parallel(fn, items) -> None:
    """Run `fn` over `items` on threads; re-raise the first failure."""
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        for future in [pool.submit(fn, item) for item in items]:
            future.result()


def start_ca(ca: OrgCA) -> None:
    ca.start()
    ca.wait_ready()
    ca.bootstrap()


def up() -> float:
    """Bring the whole consortium up; return the seconds it took."""
    started = time.monotonic()
    require_tools()
    sampleconfig = fabric_sampleconfig()
    with phase("certificate authorities: start, register and enroll identities"):
        parallel(start_ca, [OrgCA(org) for org in orgs()])
    with phase("orderers (Raft) and peers"):
        for org in orgs():
            start_orderer(org, sampleconfig)
            start_peer(org, sampleconfig)
        parallel(wait_orderer, orgs())
        parallel(wait_peer, orgs())
    for channel in current_channels():
        with phase(f"channel {channel.name}"):
            channels.create(channel)
    with phase("gossip: every peer sees the others on every channel"):
        for channel in current_channels():
            channels.wait_gossip(channel)
    if chaincode_servers.deployed():
        with phase("chaincode servers"):
            chaincode_servers.restart_deployed()
    info(f"network up in {elapsed(started)}; logs in {logs_dir()}")
    return time.monotonic() - started


def down() -> list[str]:
    step("stopping GridLedger's processes (ledgers are kept)")
    stopped = stop_all()
    info(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    return stopped


def clean() -> None:
    down()
    step(f"removing all run-time state in {run_dir()}")
    shutil.rmtree(run_dir(), ignore_errors=True)


def anything_running() -> bool:
    """Whether any process of this run folder is alive (the network is partly up at least)."""
    pids = list(pids_dir().glob("*.pid")) if pids_dir().exists() else []
    return any(owned_pid(p) for p in pids)


def status() -> bool:
    """Print each node's /healthz; return whether all are OK."""
    healthy = True
    for name, state in report().items():
        print(f"{name:22} {state}")
        healthy &= state == "OK"
    servers = chaincode_servers.status()
    for name, state in servers.items():
        print(f"{name:22} {state}")
        healthy &= state == "running"
    if owned_pid(api_server.process().pid_file):
        api_ok = api_server.healthy()
        print(f"{'api':22} {'OK' if api_ok else 'unhealthy'} ({api_server.url()})")
        healthy &= api_ok
    return healthy
