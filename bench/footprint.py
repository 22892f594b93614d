"""What a run leaves on each peer: ledger bytes on disk and resident memory.

Read from the orgs' homes on this machine: a peer's ledger (block store, state and
private data stores) lives under `<home>/peer/data`, its pid in the home's pid file.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from network.home import local_homes
from network.procs import owned_pid


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under `folder` (0 if it is gone)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue
    return total


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def peers() -> dict[str, dict[str, int]]:
    """Per running peer (`peer-<org>`): its ledger's bytes on disk and its resident memory."""
    found = {}
    for home in local_homes():
        pid = owned_pid(home.pids / f"peer-{home.org.key}.pid")
        if pid:
            found[f"peer-{home.org.key}"] = {
                "disk_bytes": folder_bytes(home.peer / "data"),
                "rss_bytes": rss_bytes(pid),
            }
    return found


async def at_window(warmup: float, wanted: bool = True) -> dict[str, dict[str, int]]:
    """:func:`peers` when the measured window opens (after `warmup`); {} if not `wanted`."""
    if not wanted:
        return {}
    await asyncio.sleep(warmup)
    return peers()


def growth(
    before: dict[str, dict[str, int]], after: dict[str, dict[str, int]], items: int
) -> dict[str, dict[str, float]]:
    """Disk bytes each peer gained per item committed in the window, and its resident memory
    at the end (the transactions still in flight when the window closed add a little)."""
    return {
        peer: {
            "disk_bytes_per_item": round(
                (now["disk_bytes"] - before.get(peer, {}).get("disk_bytes", 0)) / max(items, 1), 1
            ),
            "rss_mb": round(now["rss_bytes"] / 2**20, 1),
        }
        for peer, now in after.items()
    }
