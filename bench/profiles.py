"""Where the CPU goes under load: Go's pprof from every peer, py-spy from Python processes.

The report's "what limits it" needs more than CPU per process: it needs what each
process spends that CPU on. While a steady run is under way, every peer's CPU
profile is read from its pprof endpoint (on loopback, `peer.profile` in core.yaml)
and py-spy samples the utility's chaincode server and this process, which is the
client. Each profile is reduced to a few named areas (shares of the process's busy
samples) and its hottest functions, so a reader sees what saturates without opening
a profile viewer. The raw profiles stay in run/bench/profiles for anyone who wants to.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from network import chaincode_servers
from network.home import OrgHome
from network.paths import run_dir
from network.procs import owned_pid
from network.topology import FOUNDING, LOOPBACK, PEER_PROFILE_OFFSET, UTILITY, Org

SAMPLE_RATE = 100  # py-spy samples per second

# (area, the function all of that area's work runs under), as cumulative shares
PEER_AREAS = (
    ("LevelDB compaction", r"leveldb\.\(\*DB\)\.tCompaction$"),
    ("block validation", r"txvalidator/v20\.\(\*TxValidator\)\.validateTx$"),
    (
        "  of which key-level endorsement lookups, one per key written",
        r"\(\*KeyLevelValidationParameterManagerImpl\)\.GetValidationParameterForKey$",
    ),
    ("block commit (state, private data, block store)", r"kvledger\.\(\*kvLedger\)\.CommitLegacy$"),
    ("endorsement (running the chaincode)", r"endorser\.\(\*Endorser\)\.ProcessProposal$"),
    ("private data dissemination", r"DistributePrivateData$"),
    ("ECDSA signature checks", r"crypto/ecdsa\.VerifyASN1$"),
    ("garbage collection", r"runtime\.gcBgMarkWorker$"),
)

# (area, a pattern of the innermost Python frame), self time, first match wins; C code
# counts under the Python line that called it
PYTHON_AREAS = (
    ("gRPC core's poller thread (network I/O, TLS, HTTP/2)", r"^run \(threading\.py"),
    ("gRPC and protobuf", r"\((grpc/|google/protobuf/|[^)]*_pb2)"),
    ("signing and verifying", r"^(sign|verify) \(|\(cryptography/"),
    ("GridLedger chaincode runtime (the shim)", r"\((chaincode/runtime|fabric_chaincode_python)/"),
    ("contract code", r"\(chaincode/(community|consortium)/"),
    ("GridLedger client", r"\(client/"),
    ("load generator", r"\(bench/"),
    ("JSON", r"\(json/"),
    ("asyncio event loop", r"\(asyncio/"),
    ("logging", r"\(logging/"),
)


@dataclass
class Profile:
    """One process's profile over a window: its areas and hottest functions, in shares."""

    process: str
    busy_s: float
    seconds: float
    areas: list[tuple[str, float]] = field(default_factory=list)
    hottest: list[tuple[str, float]] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = (
            f"**{self.process}**: {self.busy_s:.1f} s of CPU sampled in {self.seconds:g} s "
            f"({100 * self.busy_s / self.seconds:.0f} % of one core)"
        )
        areas = ", ".join(f"{name.strip()} {100 * share:.0f} %" for name, share in self.areas)
        hot = ", ".join(f"`{name}` {100 * share:.0f} %" for name, share in self.hottest)
        return [f"- {head}", f"  - areas: {areas or '-'}", f"  - hottest functions: {hot or '-'}"]


def folder(label: str) -> Path:
    path = run_dir() / "bench" / "profiles" / re.sub(r"[^a-z0-9]+", "-", label.lower())
    path.mkdir(parents=True, exist_ok=True)
    return path


def pprof_url(org: Org, seconds: int) -> str:
    return (
        f"http://{LOOPBACK}:{org.port(PEER_PROFILE_OFFSET)}/debug/pprof/profile?seconds={seconds}"
    )


def fetch_peer_profile(org: Org, seconds: int, out: Path) -> Path:
    with urllib.request.urlopen(pprof_url(org, seconds), timeout=seconds + 30) as response:
        out.write_bytes(response.read())
    return out


def seconds_of(value: str, unit: str | None) -> float:
    return float(value) / (1000 if unit == "ms" else 1)


def parse_pprof_top(text: str) -> tuple[float, dict[str, float], list[tuple[str, float]]]:
    """`go tool pprof -top -cum` output as (sampled CPU seconds, cumulative seconds by
    function, the six functions with the most self time)."""
    total = re.search(r"Total samples = ([\d.]+)(m?s)", text)
    if total is None:
        raise ValueError("not a pprof -top listing: no 'Total samples' line")
    row = re.compile(r"^\s*([\d.]+)(m?s)?\s+[\d.]+%\s+[\d.]+%\s+([\d.]+)(m?s)?\s+[\d.]+%\s+(.+)$")
    cumulative: dict[str, float] = {}
    flat: list[tuple[str, float]] = []
    for line in text.splitlines():
        match = row.match(line)
        if match:
            cumulative[match.group(5)] = seconds_of(match.group(3), match.group(4))
            flat.append((match.group(5), seconds_of(match.group(1), match.group(2))))
    flat.sort(key=lambda kv: -kv[1])
    return seconds_of(total.group(1), total.group(2)), cumulative, flat[:6]


def pprof_top(path: Path) -> str:
    argv = ["go", "tool", "pprof", "-top", "-cum", "-nodecount=100000", str(path)]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def peer_profile(org: Org, path: Path, seconds: float) -> Profile:
    total, cumulative, flat = parse_pprof_top(pprof_top(path))
    areas = []
    for name, pattern in PEER_AREAS:
        spent = max((s for f, s in cumulative.items() if re.search(pattern, f)), default=0.0)
        areas.append((name, spent / total if total else 0.0))
    hottest = [(short_go(f), s / total if total else 0.0) for f, s in flat]
    return Profile(f"peer of {org.msp_id}", total, seconds, areas, hottest)


def short_go(function: str) -> str:
    """`github.com/x/y/pkg.(*T).M` as `pkg.(*T).M`: enough to find it in the source."""
    return function.rsplit("/", 1)[-1]


def python_profile(process: str, path: Path, seconds: float) -> Profile:
    """Areas by the file of each sample's innermost frame (self time), from py-spy's raw output."""
    by_area: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        n = int(count)
        samples += n
        by_function[leaf] += n
        area = next((a for a, p in PYTHON_AREAS if re.search(p, leaf)), "other")
        by_area[area] += n
    if not samples:
        return Profile(process, 0.0, seconds)
    areas = [(a, by_area[a] / samples) for a, _ in PYTHON_AREAS if by_area[a]]
    areas.append(("other", by_area["other"] / samples))
    hottest = [(f, n / samples) for f, n in by_function.most_common(6)]
    return Profile(process, samples / SAMPLE_RATE, seconds, areas, hottest)


def chaincode_server_pid(org: Org, chaincode: str = "community") -> int | None:
    """The pid of `org`'s server of `chaincode`, if it is running."""
    home = OrgHome.of(org.key)
    for dep in chaincode_servers.deployed(home):
        if dep.chaincode == chaincode:
            return owned_pid(chaincode_servers.process(home, dep).pid_file)
    return None


async def py_spy(pid: int, seconds: float, out: Path) -> Path:
    """Sample `pid` with py-spy for `seconds` without stopping it."""
    spy = str(Path(sys.executable).parent / "py-spy")
    argv = [
        spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
        "--rate", str(SAMPLE_RATE), "--format", "raw", "--nonblocking", "--output", str(out),
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(err.decode(errors="replace").strip()[-300:])
    return out


def window(warmup: float, duration: float) -> tuple[float, int]:
    """When to start profiling a run and for how long: inside its measured window."""
    into = min(60.0, duration / 4)
    return warmup + into, max(1, int(min(30.0, duration - into - 1)))


async def capture(label: str, delay: float, seconds: int) -> tuple[list[Profile], list[str]]:
    """After `delay` s, profile every peer, the utility's chaincode server and this process.

    Returns the profiles and a note for each one that could not be taken.
    """
    await asyncio.sleep(delay)
    where, missing = folder(label), []
    peers = list(FOUNDING)
    jobs: list[asyncio.Future[object]] = [
        asyncio.ensure_future(
            asyncio.to_thread(fetch_peer_profile, o, seconds, where / f"peer-{o.key}.pb.gz")
        )
        for o in peers
    ]
    pids = {"chaincode server of UtilityMSP": chaincode_server_pid(UTILITY), "client": os.getpid()}
    python = {name: pid for name, pid in pids.items() if pid}
    jobs += [
        asyncio.ensure_future(py_spy(pid, seconds, where / f"{name.split()[0]}.txt"))
        for name, pid in python.items()
    ]
    done = await asyncio.gather(*jobs, return_exceptions=True)
    profiles = []
    missing += [f"no profile of the {name}: it is not running" for name in pids if not pids[name]]
    for org, got in zip(peers, done[: len(peers)], strict=True):
        if not isinstance(got, Path):
            missing.append(f"no profile of {org.msp_id}'s peer: {got}")
        elif shutil.which("go") is None:
            missing.append(f"{got} is not summarised: `go tool pprof` needs Go on the PATH")
        else:
            profiles.append(peer_profile(org, got, seconds))
    for name, got in zip(python, done[len(peers) :], strict=True):
        if isinstance(got, Path):
            profiles.append(python_profile(name, got, seconds))
        else:
            missing.append(f"no profile of the {name}: py-spy: {got}")
    return profiles, missing
