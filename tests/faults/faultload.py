"""What the fault tests share: a reading load that keeps its own books, node control, checks.

`ReadingLoad` is a head-end that submits a fresh meter's readings on a thread, a few
at a time, each part of a day as one signed meter-day bundle, and records every
bundle the ledger acknowledged. A bundle that fails is retried, the same bytes, until
it is acknowledged or the load stops: Fabric refuses nothing as a duplicate (a bundle
whose readings are all stored already is a no-op), so a retry after an ambiguous
failure can only store a bundle once. After a fault, `on_ledger_once` checks that
every acknowledged reading is on the ledger, and that each meter-day holds its
acknowledged bundles exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from community_fixtures import CHANNEL, KEYS, contract, fresh_household, read_recorded, register
from fabric_protos.common import common_pb2
from gridnet_cli import gridnet

from client import CommitError, GatewayError
from client.accesses import Access
from client.audit import block_header_hash
from gridspec.reading_bundle import ReadingBundle, commitment_of
from gridspec.signed_bundle import SignedBundle
from network import admin
from network.connect import gateway
from network.health import metric, orderer_endpoint
from network.home import OrgHome, local_homes
from network.paths import run_dir
from network.procs import owned_pid, wait_until
from network.scenario import day_readings, signed_days
from network.topology import ORGS, UTILITY, Org

# days in the past and inside the 24-month retention for the load's 400 days, whenever run
FIRST_DAY = date.today() - timedelta(days=500)
PER_BATCH = 4


@dataclass(eq=False)
class ReadingLoad(threading.Thread):
    """Parts of a fresh meter's days, one bundle after another, until `stop()`.

    `send` submits one signed bundle and raises if it was not acknowledged; by default
    it goes through the utility's peer Gateway.
    `in_flight` is the bundle being sent, which the ledger may hold unacknowledged
    once the load has stopped.
    """

    send: Callable[[SignedBundle], None] | None = None
    acknowledged: list[ReadingBundle] = field(default_factory=list)
    in_flight: ReadingBundle | None = None
    failures: list[tuple[float, str]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)
        self.household = fresh_household()
        register(self.household)

    def batches(self) -> Any:
        day = FIRST_DAY
        while True:
            readings = day_readings(self.household, day)
            for start in range(0, len(readings), PER_BATCH):
                yield readings[start : start + PER_BATCH]
            day += timedelta(days=1)

    def run(self) -> None:
        if self.send is not None:
            self.feed(self.send)
            return
        with gateway(UTILITY, "headend1") as gw:
            readings = contract(gw, "ReadingContract")

            def send(bundle: SignedBundle) -> None:
                transient = {"bundles": SignedBundle.submission([bundle])}
                readings.submit("SubmitReadings", transient=transient, timeout=10)

            self.feed(send)

    def feed(self, send: Callable[[SignedBundle], None]) -> None:
        for readings in self.batches():
            if not self.submit_until_acknowledged(send, readings):
                return

    def sign(self, readings: list) -> SignedBundle:
        """Readings of one day as the meter's signed bundle."""
        (bundle,) = signed_days(KEYS, self.household, readings)
        return bundle

    def submit_until_acknowledged(
        self, send: Callable[[SignedBundle], None], readings: list
    ) -> bool:
        bundle = self.sign(readings)
        parsed = self.in_flight = ReadingBundle.parse(bundle.payload)
        while not self.stopping.is_set():
            try:
                send(bundle)
            except (GatewayError, CommitError, OSError) as exc:
                self.failures.append((time.monotonic(), str(exc).splitlines()[0]))
                time.sleep(0.2)
                continue
            self.acknowledged.append(parsed)
            self.in_flight = None
            return True
        return False

    def count(self) -> int:
        """How many readings the ledger has acknowledged."""
        return sum(len(bundle.rows) for bundle in self.acknowledged)

    def wait_for_more(self, than: int, timeout: float = 60) -> float:
        """Seconds until the load has acknowledged more than `than` readings."""
        started = time.monotonic()
        wait_until(lambda: self.count() > than, "the reading load to make progress", timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


def recovered(name: str, seconds: float) -> None:
    """Note how long a recovery took (measured, never asserted) in run/faults/recovery.json."""
    path = run_dir() / "faults" / "recovery.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    times = json.loads(path.read_text()) if path.exists() else {}
    times[name] = round(seconds, 1)
    path.write_text(json.dumps(times, indent=2) + "\n")
    print(f"{name}: recovered in {seconds:.1f}s")


def on_ledger_once(load: ReadingLoad, peer_org: Org = UTILITY, timeout: float = 60) -> None:
    """Every acknowledged reading is on `peer_org`'s peer, and each meter-day's commitment
    there is that of its acknowledged bundles, once each and in order (with the bundle in
    flight when the load stopped, if the ledger took it unacknowledged)."""
    end = (FIRST_DAY + timedelta(days=400)).isoformat() + "T00:00:00Z"
    start = FIRST_DAY.isoformat() + "T00:00:00Z"
    meter_id = load.household.meter_id
    wanted = {r.interval_start for bundle in load.acknowledged for r in bundle.readings()}
    days: dict[str, list[bytes]] = defaultdict(list)
    for bundle in load.acknowledged:
        days[bundle.day.isoformat()].append(bundle.root())

    def stored() -> bool:
        period = (load.household.household_id, start, end)
        with gateway(UTILITY, "billing1", peer_org=peer_org) as gw:
            access = Access("readings", *period)
            found = read_recorded(gw, "ReadingContract", "GetReadings", period, access)
        return wanted <= {r["interval_start"] for r in found}

    wait_until(stored, f"every acknowledged reading on peer-{peer_org.key}", timeout)
    with gateway(UTILITY, "billing1", peer_org=peer_org) as gw:
        readings = contract(gw, "ReadingContract")
        for day, roots in days.items():
            held = json.loads(readings.evaluate("GetReadingCommitment", args=(meter_id, day)))
            once = {commitment_of(roots)}
            if load.in_flight is not None and load.in_flight.day.isoformat() == day:
                once.add(commitment_of([*roots, load.in_flight.root()]))
            assert held["sha256"] in once, f"meter {meter_id} on {day}: not each bundle once"


# ---------------------------------------------------------------- nodes


def kill(process_name: str) -> int:
    """SIGKILL one of the network's processes (by its pid file); its pid."""
    files = [home.pids / f"{process_name}.pid" for home in local_homes()]
    pid = next((pid for f in files if f.exists() and (pid := owned_pid(f))), None)
    assert pid, f"{process_name} is not running"
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not alive(pid), f"{process_name} to die", timeout=10)
    return pid


def alive(pid: int) -> bool:
    """Whether `pid` still holds anything: a zombie whose other threads are still exiting
    keeps its sockets open until the last of them is gone."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except (FileNotFoundError, ProcessLookupError):
        return False
    return status != "Z" or threads > 1


def restart_network() -> float:
    """`python -m network up`: it restarts exactly what is not running; its seconds."""
    started = time.monotonic()
    gridnet("up")
    return time.monotonic() - started


def raft_leader(channel: str = CHANNEL) -> Org:
    """The org whose orderer leads the channel's Raft cluster now."""

    def leader() -> Org | None:
        for org in ORGS:
            labels = {"channel": channel}
            try:
                endpoint = orderer_endpoint(OrgHome.of(org.key))
                is_leader = metric(endpoint, "consensus_etcdraft_is_leader", labels)
            except OSError:  # a dead orderer leads nothing
                continue
            if is_leader == 1:
                return org
        return None

    found: Org = wait_until(leader, f"a Raft leader on {channel}", timeout=60)
    return found


def chain_info(org: Org, channel: str = CHANNEL) -> dict[str, Any]:
    """`peer channel getinfo` of `org`'s peer: height, current and previous block hash."""
    home = OrgHome.of(org.key)
    out = admin.peer(home, "channel", "getinfo", "-c", channel, what=f"getinfo of peer-{org.key}")
    return dict(json.loads(out[out.index("{") :]))


def same_chain_on_every_peer(channel: str = CHANNEL, timeout: float = 60) -> dict[str, Any]:
    """Wait until every peer has the same height and head hash; that head."""

    def agreed() -> dict[str, Any] | None:
        heads = {org.key: chain_info(org, channel) for org in ORGS}
        values = {(h["height"], h["currentBlockHash"]) for h in heads.values()}
        return next(iter(heads.values())) if len(values) == 1 else None

    head: dict[str, Any] = wait_until(agreed, f"every peer on one head of {channel}", timeout)
    return head


def orderer_head(org: Org, channel: str = CHANNEL) -> tuple[int, bytes]:
    """The newest block `org`'s orderer has: its number and header hash."""
    with tempfile.TemporaryDirectory(prefix="gridledger-fault-") as tmp:
        path = Path(tmp) / "newest.block"
        home = OrgHome.of(org.key)
        admin.peer(
            home,
            "channel",
            "fetch",
            "newest",
            str(path),
            "-c",
            channel,
            *admin.orderer_flags(home, channel),
            what=f"fetch the newest block of {channel} from orderer-{org.key}",
        )
        block = common_pb2.Block.FromString(path.read_bytes())
    return int(block.header.number), block_header_hash(block.header)


def same_chain_on_every_orderer(channel: str = CHANNEL, timeout: float = 60) -> tuple[int, bytes]:
    """Wait until every orderer's newest block is the same block; its number and hash."""

    def agreed() -> tuple[int, bytes] | None:
        heads = {orderer_head(org, channel) for org in ORGS}
        return next(iter(heads)) if len(heads) == 1 else None

    head: tuple[int, bytes] = wait_until(agreed, f"every orderer on one head of {channel}", timeout)
    return head
