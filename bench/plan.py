"""Which experiments a run makes, in which order, and what the report concludes from them.

The order: a sweep of batch size x concurrency (Python client, Python chaincode); an
open-loop run at 70 % of the best single-reading rate; the Node Gateway client at the
settings where Python did best, beside a Python run at the same load in the same run;
invoices; the market; the HTTP API's ingest endpoint; a sustained batched run. Last, the
best single-reading and batched settings run once more under the profilers, so that
profiling never disturbs a run a target is judged on.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from bench.experiments import (
    Bench,
    Settings,
    api_ingest,
    invoice_generation,
    node_ingest,
    python_ingest,
)
from bench.ledger_setup import approved_tariff
from bench.market import market_run
from bench.profiles import Profile, capture, window
from bench.report import Target, saturation
from bench.results import Result
from network.configtx import BATCH_TIMEOUT, MAX_MESSAGE_COUNT
from network.console import info, step
from network.home import OrgHome
from network.paths import REPO
from network.topology import UTILITY

NODE_DIR = REPO / "bench" / "node"
INVOICE_CONCURRENCY = 16
MARKET_CONCURRENCY = 32
PAIRED = "paired: python client, community chaincode,"


@dataclass
class Plan:
    batch_sizes: tuple[int, ...]
    concurrency: tuple[int, ...]
    sustain: float
    with_node_client: bool
    traders: int = 100
    skipped: list[str] = field(default_factory=list)
    profiles: dict[str, list[Profile]] = field(default_factory=dict)

    def node_client_ready(self) -> bool:
        """Install the Node client's packages; False (and why, in `skipped`) if not."""
        if shutil.which("node") is None or not (NODE_DIR / "install.sh").exists():
            self.skipped.append("Node client baseline: node or bench/node is missing")
            return False
        done = subprocess.run(
            ["bash", str(NODE_DIR / "install.sh")], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            self.skipped.append(f"Node client baseline: npm ci failed: {done.stderr[-500:]}")
            return False
        return True

    def settings(self, settings: Settings) -> dict[str, Any]:
        return {
            "BatchTimeout": BATCH_TIMEOUT,
            "MaxMessageCount": MAX_MESSAGE_COUNT,
            "batch sizes swept": ", ".join(map(str, self.batch_sizes)),
            "concurrency swept": ", ".join(map(str, self.concurrency)),
            "measured seconds per run": settings.duration,
            "warm-up seconds per run": settings.warmup,
            "meters": settings.meters,
            "market households (one identity each)": self.traders,
            "market orders in flight": MARKET_CONCURRENCY,
            "endorsement": "readings collection policy OR(UtilityMSP.peer); chaincode "
            "AND(UtilityMSP.peer, CommunityMSP.peer)",
        }

    async def execute(self, bench: Bench) -> list[Result]:
        results: list[Result] = []

        def record(result: Result) -> Result:
            info(
                f"{result.name}: {result.tx_per_s:.1f} tx/s, {result.readings_per_s:.0f} "
                f"items/s, p99 {result.latency_ms(99) or 0:.0f} ms, failures {result.failures}"
            )
            results.append(result)
            return result

        async def measure(coro, profile: str = "") -> Result:
            """Run one experiment; with `profile`, profile it into run/bench/profiles/<profile>."""
            if not profile:
                return record(await coro)
            delay, seconds = window(bench.settings.warmup, bench.settings.duration)
            profiling = asyncio.create_task(capture(profile, delay, seconds))
            result = record(await coro)
            self.profiles[result.name], missing = await profiling
            self.skipped.extend(missing)
            return result

        step("sweep: batch size x concurrency, Python client and chaincode")
        for size in self.batch_sizes:
            for load in self.concurrency:
                await measure(
                    python_ingest(
                        bench, size, "closed", load, name=f"sweep: batch {size}, closed {load}"
                    )
                )
        smallest, largest = min(self.batch_sizes), max(self.batch_sizes)
        best_single, best_batched = best(results, smallest), best(results, largest)
        step(f"open loop at 70 % of the best rate of batch {smallest}")
        rate = max(1.0, round(0.7 * best_single.tx_per_s))
        name = f"open loop: batch {smallest} at {rate:g} tx/s (70 % of max)"
        await measure(python_ingest(bench, smallest, "open", rate, name=name))
        if self.with_node_client and self.node_client_ready():
            step("baseline: the Node Gateway client, same load")
            for ref in (best_single, best_batched):
                size, load = ref.batch_size, int(ref.load)
                name = f"{PAIRED} batch {size}, closed {load}"
                await measure(python_ingest(bench, size, "closed", load, name=name))
                await measure(node_ingest(bench, size, load))
        step("invoices for the households whose days the batched runs stored")
        approved_tariff()
        await measure(invoice_generation(bench, INVOICE_CONCURRENCY))
        step(f"market: orders of {self.traders} households, each interval cleared when full")
        for result in await market_run(bench, self.traders, MARKET_CONCURRENCY):
            record(result)
        step("the HTTP API's ingest endpoint")
        api = api_credentials()
        if api is None:
            self.skipped.append("HTTP API: it is not running (make api)")
        else:
            await measure(
                api_ingest(bench, api[0], api[1], max(self.batch_sizes), int(best_batched.load))
            )
        if self.sustain:
            step(f"sustained batched ingestion for {self.sustain:g}s")
            sustained = Settings(self.sustain, bench.settings.warmup, bench.settings.meters)
            saved, bench.settings = bench.settings, sustained
            try:
                await measure(
                    python_ingest(
                        bench,
                        best_batched.batch_size,
                        "closed",
                        best_batched.load,
                        name=f"sustained {self.sustain:g}s: batch {best_batched.batch_size}, "
                        f"closed {best_batched.load:g}",
                        most=3 * best_batched.tx_per_s,
                    )
                )
            finally:
                bench.settings = saved
        step("profiles: the best single-reading and batched settings again, profiled")
        for ref in (best_single, best_batched):
            size, load = ref.batch_size, ref.load
            name = f"profiled: batch {size}, closed {load:g}"
            await measure(python_ingest(bench, size, "closed", load, name=name), f"batch-{size}")
        return results


def best(results: list[Result], batch_size: int) -> Result:
    """The sweep run of `batch_size` that committed the most."""
    runs = [r for r in results if r.batch_size == batch_size and r.name.startswith("sweep")]
    return max(runs, key=lambda r: r.tx_per_s)


def api_credentials() -> tuple[str, str] | None:
    """The utility's API and the head-end's key, if that API is running."""
    from network import api_server
    from network.procs import owned_pid

    home = OrgHome.of(UTILITY.key)
    if not owned_pid(api_server.process(home).pid_file) or not api_server.healthy(home):
        return None
    return home.org.api_url, api_server.service_keys(home)["headend1"]


def find(results: list[Result], **match: Any) -> list[Result]:
    return [r for r in results if all(getattr(r, k) == v for k, v in match.items())]


def ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "-"
    return f"{ours / theirs:.2f}x"


def p99_text(run: Result | None) -> str:
    if run is None:
        return "not measured"
    p99 = run.latency_ms(99)
    return "nothing committed" if p99 is None else f"{p99:,.0f} ms"


def where_it_went(run: Result) -> str:
    """The run's CPU by process kind, and the chaincode's share of the cost measured
    directly: its servers' CPU per 1,000 readings committed."""
    if not run.items or "chaincode" not in run.cpu:
        return f"{saturation(run)}; chaincode CPU per 1,000 readings not measured"
    per_1000 = run.cpu["chaincode"] * 1e6 / run.items
    return f"{saturation(run)}; chaincode CPU {per_1000:,.0f} ms per 1,000 readings"


def summarise(plan: Plan, results: list[Result]) -> tuple[list[Target], list[str], dict[str, Any]]:
    """The targets table, the notes on what limits each figure, and extra settings."""
    sweep = [r for r in results if r.name.startswith("sweep")]
    single = best(results, 1) if 1 in plan.batch_sizes else None
    batched = max(sweep, key=lambda r: r.readings_per_s)
    sustained = next((r for r in results if r.name.startswith("sustained")), None)
    headline = sustained or batched
    open_loop = next((r for r in results if r.mode == "open"), None)
    targets = [
        Target(
            "batched readings, committed/s"
            + (f", sustained {sustained.duration:g}s" if sustained else ""),
            ">= 10,000 for 600 s",
            f"{headline.readings_per_s:,.0f} (batch {headline.batch_size})",
            "-",
            headline.readings_per_s >= 10_000 and bool(sustained and sustained.duration >= 600),
        ),
        Target(
            "single-reading tx/s",
            ">= 500",
            f"{single.tx_per_s:,.1f}" if single else "not measured: no batch size 1 swept",
            "-",
            single.tx_per_s >= 500 if single else None,
        ),
        Target(
            "p99 submit-to-commit at 70 % of max, BatchTimeout 250ms",
            "<= 1,000 ms",
            p99_text(open_loop),
            "-",
            bool(open_loop and (open_loop.latency_ms(99) or 1e9) <= 1000),
        ),
        *client_targets(results, find(results, client="node")),
    ]
    notes = [
        *([f"best single-reading run ({single.name}): {where_it_went(single)}"] if single else []),
        f"best batched run ({batched.name}): {where_it_went(batched)}",
        *plan.skipped,
    ]
    return targets, notes, {}


def same_load(results: list[Result], theirs: Result) -> Result:
    """Ours at the baseline's batch size and concurrency: the run made right beside it
    (so that both see the same ledger and machine), else the sweep's."""
    runs = [r for r in results if r.batch_size == theirs.batch_size and r.load == theirs.load]
    return next(
        (r for r in runs if r.name.startswith(PAIRED)),
        next(r for r in runs if r.name.startswith("sweep")),
    )


def client_targets(results: list[Result], node_runs: list[Result]) -> list[Target]:
    targets = []
    for theirs in sorted(node_runs, key=lambda r: r.batch_size):
        ours = same_load(results, theirs)
        targets.append(
            Target(
                f"Python client tx/s vs Node client, batch {theirs.batch_size}, "
                f"concurrency {theirs.load:g}",
                ">= 1.3x",
                f"{ours.tx_per_s:,.1f} tx/s",
                f"{theirs.tx_per_s:,.1f} tx/s ({ratio(ours.tx_per_s, theirs.tx_per_s)})",
                ours.tx_per_s >= 1.3 * theirs.tx_per_s,
            )
        )
    return targets
