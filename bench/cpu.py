"""CPU seconds per process of the network, read from /proc, around a measured window.

Every GridLedger process has a pid file in the run folder; its user+system CPU time
comes from /proc/<pid>/stat. Processes are grouped by kind (peer, orderer, chaincode,
ca, api), and the benchmark's own process counts as the client. A Node client runs in
a child process and reports its own CPU time.
"""

from __future__ import annotations

import asyncio
import os
import resource
from collections import Counter
from pathlib import Path

from network.home import local_homes
from network.procs import owned_pid

TICKS = os.sysconf("SC_CLK_TCK")
KINDS = ("peer", "orderer", "chaincode", "ca", "api")


def process_seconds(pid: int) -> float:
    """User plus system CPU seconds of `pid` so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def snapshot() -> Counter[str]:
    """CPU seconds so far of every running process, by name (e.g. `peer-utility`)."""
    seconds: Counter[str] = Counter()
    files = sorted(p for home in local_homes() for p in home.pids.glob("*.pid"))
    for pid_file in files:
        pid = owned_pid(pid_file)
        if pid:
            seconds[pid_file.stem] = process_seconds(pid)
    seconds["client"] = own_seconds()
    return seconds


def by_kind(before: Counter[str], after: Counter[str]) -> dict[str, float]:
    """CPU seconds spent between two snapshots, summed per kind of process."""
    spent: Counter[str] = Counter()
    for name, value in after.items():
        kind = next((k for k in KINDS if name.startswith(k)), name)
        spent[kind] += max(0.0, value - before.get(name, 0.0))
    return {kind: round(spent[kind], 2) for kind in (*KINDS, "client") if kind in spent}


async def during(warmup: float, duration: float) -> dict[str, float]:
    """CPU seconds per kind inside a measured window: from the end of `warmup`, `duration` s.

    Started next to a load loop, whose window opens after the same warm-up, so the
    figures cover exactly the window the throughput is counted in, not the warm-up
    or the tail of transactions still in flight when it closed.
    """
    await asyncio.sleep(warmup)
    before = snapshot()
    await asyncio.sleep(duration)
    return by_kind(before, snapshot())
