"""The experiments: readings ingestion by the Python client, the Node client, the API.

`Bench` holds what every experiment shares: one `grpc.aio` channel to the utility's
peer, the meter head-end's and the operator's gateways, and this run's meters. Each
experiment takes transactions of signed meter-day bundles (on days no earlier
experiment used), measures, and returns a `Result`; a result's `batch_size` is the
bundles per transaction (96 readings each).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench import cpu, footprint
from bench.loadgen import Refused, Window, closed_loop, open_loop
from bench.results import Result
from bench.submission import submit_long_form
from bench.workload import (
    READINGS_PER_DAY,
    Batch,
    batches,
    days_needed,
    first_day,
    households,
    register,
    write_jsonl,
)
from client import (
    AsyncContract,
    AsyncGateway,
    connect_async,
    load_identity,
    load_private_key,
    new_private_key_signer,
)
from network.ca import private_key
from network.home import OrgHome
from network.paths import REPO, run_dir
from network.topology import UTILITY

CHANNEL = "community-sunnyside"
NODE_CLIENT = REPO / "bench" / "node" / "client" / "submit.mjs"


def identity_files(user: str) -> tuple[Path, Path]:
    msp = OrgHome.of(UTILITY.key).identity_msp(user)
    return msp / "signcerts" / "cert.pem", private_key(msp)


@dataclass
class Settings:
    duration: float
    warmup: float
    meters: int


@dataclass
class Bench:
    """What the experiments share; `open()` first, `close()` at the end."""

    settings: Settings
    tag: str
    channel: Any = None
    gateways: dict[str, AsyncGateway] = field(default_factory=dict)
    homes: list[Any] = field(default_factory=list)
    days_used: int = 0
    cohorts: int = 0
    full_days: list[tuple[str, date]] = field(default_factory=list)

    async def open(self) -> None:
        cert, key = identity_files("headend1")
        self.channel = connect_async(
            UTILITY.peer_address,
            tls_root_cert=OrgHome.of(UTILITY.key).ca_cert.read_bytes(),
            client_cert=cert.read_bytes(),
            client_key=key.read_bytes(),
        )
        for user in ("headend1", "operator1", "billing1"):
            cert, key = identity_files(user)
            self.gateways[user] = AsyncGateway(
                load_identity(UTILITY.msp_id, cert),
                new_private_key_signer(load_private_key(key)),
                self.channel,
                commit_status_timeout=60,
            )
        self.homes = households(self.settings.meters, self.tag)
        await register(self.contract("operator1"), self.homes)

    async def close(self) -> None:
        await self.channel.close()

    def contract(self, user: str, name: str = "MeterContract") -> AsyncContract:
        network = self.gateways[user].get_network(CHANNEL)
        return network.get_contract("community", name)

    async def workload(self, per_tx: int, count: int) -> Iterator[Batch]:
        """Up to `count` fresh transactions of `per_tx` bundles, on meter-days no earlier
        experiment used, signed as they are taken (0.13 ms a bundle: signing a long run
        ahead would hold gigabytes).

        Readings must lie in the past and within retention, so a cohort of meters has a
        limited number of days; when they would run out, a new cohort, large enough for
        the whole workload, is registered first (before anything is measured).
        """
        days = (date.today() - first_day()).days - 1
        if self.days_used + days_needed(len(self.homes), per_tx, count) > days:
            size = max(len(self.homes), -(-count * per_tx // days))
            self.cohorts += 1
            cohort = households(size, f"{self.tag}c{self.cohorts}")
            await register(self.contract("operator1"), cohort)
            self.homes, self.days_used = cohort, 0
        made = batches(self.homes, per_tx, count, first=self.days_used)
        self.days_used += days_needed(len(self.homes), per_tx, count)
        return made


Loop = Callable[[Callable[[Batch], Awaitable[int]], Iterator[Batch]], Awaitable[Window]]


def loop_for(mode: str, load: float, settings: Settings) -> Loop:
    if mode == "closed":
        return lambda submit, jobs: closed_loop(
            submit, jobs, int(load), settings.duration, settings.warmup
        )
    return lambda submit, jobs: open_loop(submit, jobs, load, settings.duration, settings.warmup)


# far above anything measured on this machine, so a run never runs dry
MAX_TX_PER_S = 1_000
MAX_READINGS_PER_S = 100_000


def jobs_for(
    mode: str, load: float, settings: Settings, batch_size: int = 1, most: float | None = None
) -> int:
    """An upper bound of the transactions a run can start: enough never to run dry.

    `most` (tx/s), when known from an earlier run at the same settings, bounds it closer,
    so that a long run does not sign hours' worth of batches before it starts.
    """
    seconds = settings.duration + settings.warmup
    per_tx = batch_size * READINGS_PER_DAY
    ceiling = min(MAX_TX_PER_S, MAX_READINGS_PER_S / per_tx, most or MAX_TX_PER_S)
    rate = load if mode == "open" else min(load * 60, ceiling)
    return int(rate * seconds * 1.1) + 4


def result_of(
    name: str,
    client: str,
    chaincode: str,
    mode: str,
    load: float,
    batch_size: int,
    window: Window,
    spent: dict[str, float],
) -> Result:
    committed = window.committed()
    return Result(
        name=name,
        client=client,
        chaincode=chaincode,
        mode=mode,
        load=load,
        batch_size=batch_size,
        duration=window.duration,
        committed=len(committed),
        items=sum(o.items for o in committed),
        failures=dict(window.failures()),
        latencies=[o.latency for o in committed],
        cpu=spent,
    )


async def python_ingest(
    bench: Bench,
    batch_size: int,
    mode: str,
    load: float,
    name: str = "",
    most: float | None = None,
    track: bool = False,
) -> Result:
    """SubmitReadings through GridLedger's Python client, long form, no retries; with
    `track`, also the readings committed minute by minute and what the peers kept."""
    contract = bench.contract("headend1", "ReadingContract")

    async def submit(batch: Batch) -> int:
        await submit_long_form(contract, "SubmitReadings", transient=batch.transient())
        bench.full_days.extend(batch.days)
        return batch.readings

    made = await bench.workload(batch_size, jobs_for(mode, load, bench.settings, batch_size, most))
    spending = asyncio.create_task(cpu.during(bench.settings.warmup, bench.settings.duration))
    before = asyncio.create_task(footprint.at_window(bench.settings.warmup, track))
    window = await loop_for(mode, load, bench.settings)(submit, made)
    spent = await spending
    label = name or f"python client, community chaincode, batch {batch_size}, {mode} {load:g}"
    result = result_of(label, "python", "community", mode, load, batch_size, window, spent)
    if track:
        result.series = series_of(window)
        result.extra["peers"] = footprint.growth(await before, footprint.peers(), result.items)
    return result


def series_of(window: Window, step: float = 60.0) -> list[tuple[float, int]]:
    """Items committed in each `step` seconds of the window, by when they committed."""
    buckets = [0] * max(1, int(-(-window.duration // step)))
    for outcome in window.committed():
        at = min(int((outcome.finished - window.start) // step), len(buckets) - 1)
        buckets[max(at, 0)] += outcome.items
    return [(n * step, items) for n, items in enumerate(buckets)]


NODE_WINDOW_OPEN = b"window open\n"


async def run_node(argv: list[str], duration: float) -> tuple[int, str, str, dict[str, float]]:
    """Run the Node client; measure the network's CPU from when it says its window opened.

    Returns its exit status, stdout, stderr and the CPU seconds per kind in its window.
    """
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    stdout = asyncio.create_task(proc.stdout.read())
    errors = []
    spending = None
    async for line in proc.stderr:
        if line == NODE_WINDOW_OPEN and spending is None:
            spending = asyncio.create_task(cpu.during(0, duration))
        else:
            errors.append(line)
    await proc.wait()
    spent = await spending if spending is not None else {}
    return proc.returncode or 0, (await stdout).decode(), b"".join(errors).decode(), spent


async def node_ingest(bench: Bench, batch_size: int, concurrency: int) -> Result:
    """The same transactions through the official Node Gateway client (closed loop)."""
    count = jobs_for("closed", concurrency, bench.settings, batch_size)
    made = await bench.workload(batch_size, count)
    workload = write_jsonl(made, run_dir() / "bench" / f"workload-{bench.tag}-{batch_size}.jsonl")
    cert, key = identity_files("headend1")
    argv = [
        "node",
        str(NODE_CLIENT),
        "--peer",
        UTILITY.peer_address,
        "--tls-root",
        str(OrgHome.of(UTILITY.key).ca_cert),
        "--cert",
        str(cert),
        "--key",
        str(key),
        "--msp-id",
        UTILITY.msp_id,
        "--channel",
        CHANNEL,
        "--chaincode",
        "community",
        "--workload",
        str(workload),
        "--concurrency",
        str(concurrency),
        "--duration",
        str(bench.settings.duration),
        "--warmup",
        str(bench.settings.warmup),
    ]
    returncode, stdout, stderr, spent = await run_node(argv, bench.settings.duration)
    workload.unlink()
    if returncode != 0:
        raise RuntimeError(f"the Node client failed: {stderr.strip()[-2000:]}")
    report = json.loads(stdout)
    spent["client"] = round(float(report["cpu_s"]), 2)
    committed = int(report["committed"])
    return Result(
        name=f"node client, community chaincode, batch {batch_size}, closed {concurrency}",
        client="node",
        chaincode="community",
        mode="closed",
        load=concurrency,
        batch_size=batch_size,
        duration=float(report["duration_s"]),
        committed=committed,
        items=committed * batch_size * READINGS_PER_DAY,
        failures=dict(report["failures"]),
        latencies=[x / 1000 for x in report["latencies_ms"]],
        cpu=spent,
    )


async def api_ingest(
    bench: Bench, api_url: str, api_key: str, batch_size: int, concurrency: int, name: str = ""
) -> Result:
    """POST /readings to the running API with the head-end's API key (closed loop); a
    429 is waited out and the same bundles posted again, as a head-end does."""

    def post(batch: Batch) -> int:
        request = urllib.request.Request(
            f"{api_url}/communities/sunnyside/readings",
            data=b'{"bundles":' + batch.payload + b"}",
            headers={"Content-Type": "application/json", "X-API-Key": api_key},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                raise Refused(float(exc.headers.get("Retry-After", "1"))) from exc
            raise RuntimeError(f"HTTP {exc.code}") from exc
        return batch.readings

    # one thread per request in flight: asyncio's default pool has only cores + 4 threads
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="api-client")

    async def submit(batch: Batch) -> int:
        return await asyncio.get_running_loop().run_in_executor(pool, post, batch)

    made = await bench.workload(
        batch_size, jobs_for("closed", concurrency, bench.settings, batch_size)
    )
    spending = asyncio.create_task(cpu.during(bench.settings.warmup, bench.settings.duration))
    with pool:
        window = await closed_loop(
            submit, made, concurrency, bench.settings.duration, bench.settings.warmup
        )
    spent = await spending
    name = name or f"HTTP API POST /readings, batch {batch_size}, closed {concurrency}"
    return result_of(name, "api", "community", "closed", concurrency, batch_size, window, spent)


def elapsed_since(start: float) -> str:
    return f"{time.monotonic() - start:.0f}s"


async def invoice_generation(bench: Bench, concurrency: int) -> Result:
    """GenerateInvoice (billing) for households with a whole day of readings on the ledger.

    The days come from the batch-96 runs before it; each (household, day) is invoiced
    once, so the run ends early when they run out.
    """
    billing = (
        bench.gateways["billing1"].get_network(CHANNEL).get_contract("community", "BillingContract")
    )

    async def submit(job: tuple[str, date]) -> int:
        household_id, day = job
        period = (day.isoformat(), (day + timedelta(days=1)).isoformat())
        await submit_long_form(billing, "GenerateInvoice", args=(household_id, *period))
        return 1

    jobs, bench.full_days = list(bench.full_days), []
    spending = asyncio.create_task(cpu.during(bench.settings.warmup, bench.settings.duration))
    window = await closed_loop(
        submit, iter(jobs), concurrency, bench.settings.duration, bench.settings.warmup
    )
    spent = await spending
    name = f"invoices: GenerateInvoice of one day, closed {concurrency}"
    return result_of(name, "python", "community", "closed", concurrency, 1, window, spent)
