"""Which experiments a run makes, in which order, and what the report concludes from them.

The order: a sweep of bundles per transaction x concurrency (each bundle a meter's day,
96 readings; Python client and chaincode); the best setting with four times the
transactions in flight (overload); the Node Gateway client and the HTTP API at the best
setting, each beside a Python client run at the same load, and the API again with four
times the posts in flight, its 429s honoured; invoices; the market; the
erasure of a household's year of readings; the sustained run at the best setting,
minute by minute, with what the peers kept. Last, the best setting once more under the
profilers, so that profiling never disturbs a run a target is judged on.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from bench.agents_report import agents_section
from bench.community_week import community_week
from bench.erasure import purge_year
from bench.experiments import (
    Bench,
    Settings,
    api_ingest,
    invoice_generation,
    node_ingest,
    python_ingest,
)
from bench.ledger_setup import approved_tariff
from bench.loadgen import REFUSED
from bench.market import market_run
from bench.market_scale import market_at_scale
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
CITY_CONCURRENCY = 64
PAIRED = "paired with the Node client: python client,"
API_PAIR = "paired with the API: python client,"
API_OVERLOAD = "overload through the API:"


@dataclass
class Plan:
    batch_sizes: tuple[int, ...]
    concurrency: tuple[int, ...]
    sustain: float
    with_node_client: bool
    traders: int = 100
    city: int = 10_000
    skipped: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
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
            "market at scale: households (one identity each), orders in flight": (
                f"{self.city:,}, {CITY_CONCURRENCY}"
            ),
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

        step("sweep: bundles per transaction x concurrency, Python client and chaincode")
        for size in self.batch_sizes:
            for load in self.concurrency:
                name = f"sweep: {size} bundles/tx, closed {load}"
                await measure(python_ingest(bench, size, "closed", load, name=name))
        top = best(results)
        size, load = top.batch_size, int(top.load)
        step(f"overload: 4x the best run's {load} transactions in flight")
        name = f"overload: {size} bundles/tx, closed {4 * load} (4x the best)"
        await measure(python_ingest(bench, size, "closed", 4 * load, name=name))
        if self.with_node_client and self.node_client_ready():
            step("baseline: the Node Gateway client, same load")
            await measure(python_ingest(bench, size, "closed", load, name=f"{PAIRED} {size}/tx"))
            await measure(node_ingest(bench, size, load))
        step("the HTTP API's ingest endpoint, and the client beside it")
        api = api_credentials()
        if api is None:
            self.skipped.append("HTTP API: it is not running (make api)")
        else:
            await measure(python_ingest(bench, size, "closed", load, name=f"{API_PAIR} {size}/tx"))
            await measure(api_ingest(bench, api[0], api[1], size, load))
            step(f"overload through the API: {4 * load} head-end posts in flight, 429s honoured")
            name = f"{API_OVERLOAD} {size} bundles/post, closed {4 * load} (4x the best)"
            await measure(api_ingest(bench, api[0], api[1], size, 4 * load, name=name))
        step("invoices for the households whose days the runs stored")
        approved_tariff()
        await measure(invoice_generation(bench, INVOICE_CONCURRENCY))
        step(f"market: orders of {self.traders} households, each interval cleared when full")
        for result in await market_run(bench, self.traders, MARKET_CONCURRENCY):
            record(result)
        step(f"market at scale: {self.city:,} households' orders of one interval, one clearing")
        for result in await market_at_scale(bench, self.city, CITY_CONCURRENCY):
            record(result)
        step("agents: forecasters and bidding agents on a simulated week (offline)")
        self.sections.extend(agents_section(await asyncio.to_thread(community_week)))
        step("erasure: PurgeHousehold of a year of 15-minute readings")
        record(await purge_year(bench))
        if self.sustain:
            step(f"sustained ingestion for {self.sustain:g}s at the best setting")
            sustained = Settings(self.sustain, bench.settings.warmup, bench.settings.meters)
            saved, bench.settings = bench.settings, sustained
            try:
                await measure(
                    python_ingest(
                        bench,
                        size,
                        "closed",
                        load,
                        name=f"sustained {self.sustain:g}s: {size} bundles/tx, closed {load}",
                        most=1.5 * top.tx_per_s,
                        track=True,
                    )
                )
            finally:
                bench.settings = saved
        step("profile: the best setting again, profiled")
        name = f"profiled: {size} bundles/tx, closed {load}"
        await measure(python_ingest(bench, size, "closed", load, name=name), f"bundles-{size}")
        return results


def best(results: list[Result]) -> Result:
    """The sweep run that committed the most readings."""
    return max((r for r in results if r.name.startswith("sweep")), key=lambda r: r.items)


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
    """The targets table (issue 12's), the notes on what limits each figure, extra settings."""
    top = best(results)
    sustained = next((r for r in results if r.name.startswith("sustained")), None)
    overload = next((r for r in results if r.name.startswith("overload:")), None)
    api = next((r for r in results if r.client == "api" and r.name.startswith("HTTP")), None)
    api_overload = next((r for r in results if r.name.startswith(API_OVERLOAD)), None)
    api_pair = next((r for r in results if r.name.startswith(API_PAIR)), None)
    purge = next((r for r in results if r.name.startswith("purge")), None)
    targets = [
        sustained_target(sustained),
        flatness_target(sustained),
        Target(
            "committed readings/s with 4x the best run's transactions in flight",
            ">= 90 % of the best",
            f"{overload.readings_per_s:,.0f}" if overload else "not measured",
            f"best {top.readings_per_s:,.0f} ({top.name})",
            None if overload is None else overload.readings_per_s >= 0.9 * top.readings_per_s,
        ),
        api_target(api, api_pair),
        api_overload_target(api_overload, api),
        *city_targets(results, plan.city),
        Target(
            "PurgeHousehold of a year of 15-minute readings (35,040)",
            "time, and what stays",
            f"{purge.duration:.1f} s" if purge else "not measured",
            ", ".join(f"{k} {v}" for k, v in purge.extra.items()) if purge else "-",
            None,
        ),
        *client_targets(results, find(results, client="node")),
    ]
    notes = [
        f"best run ({top.name}): {where_it_went(top)}",
        *(
            [f"sustained run: {where_it_went(sustained)}; {footprint_text(sustained)}"]
            if sustained
            else []
        ),
        *plan.skipped,
    ]
    return targets, notes, {}


def api_target(api: Result | None, client: Result | None) -> Target:
    what = "ingestion through the HTTP API vs the client directly"
    if api is None or client is None:
        return Target(what, "within 10 %", "not measured", "-", None)
    return Target(
        what,
        "within 10 %",
        f"{api.readings_per_s:,.0f} readings/s",
        f"{client.readings_per_s:,.0f} ({ratio(api.readings_per_s, client.readings_per_s)})",
        api.readings_per_s >= 0.9 * client.readings_per_s,
    )


def api_overload_target(run: Result | None, best_load: Result | None) -> Target:
    """A head-end offering 4x what the ledger takes, through the API: the 429s keep the
    accepted posts' latency near the best load's and the throughput with it."""
    what = "through the API with 4x the best posts in flight (429s honoured)"
    expected = ">= 90 % of the API at the best load; accepted posts' p50 <= 2x its p50"
    if run is None or best_load is None:
        return Target(what, expected, "not measured", "-", None)
    p50, best_p50 = run.latency_ms(50), best_load.latency_ms(50)
    refused = run.failures.get(REFUSED, 0)
    return Target(
        what,
        expected,
        f"{run.readings_per_s:,.0f} readings/s, p50 {p50 or 0:,.0f} ms, {refused:,} posts "
        "answered 429",
        f"{best_load.readings_per_s:,.0f} readings/s, p50 {best_p50 or 0:,.0f} ms",
        bool(
            p50
            and best_p50
            and run.readings_per_s >= 0.9 * best_load.readings_per_s
            and p50 <= 2 * best_p50
        ),
    )


def city_targets(results: list[Result], households: int) -> list[Target]:
    """The market at scale: orders/s of one interval's orders, and its clearing."""
    placed = next((r for r in results if r.name.startswith("market at scale: PlaceOrder")), None)
    cleared = next((r for r in results if r.name.startswith("market at scale: Clear")), None)
    peers = "peers' CPU {:.1f} s ({:.1f} ms an order)"
    return [
        Target(
            f"orders of one interval by {households:,} households, each its own identity",
            "every order placed; orders/s",
            f"{placed.tx_per_s:,.0f} orders/s, {placed.committed:,} placed"
            if placed
            else "not measured",
            peers.format(placed.cpu.get("peer", 0), placed.cpu_ms_per_tx("peer") or 0)
            if placed
            else "-",
            None if placed is None else not placed.failures,
        ),
        Target(
            "clearing those orders in one transaction",
            "completes; its time",
            f"{cleared.duration:.1f} s" if cleared and cleared.committed else "not cleared",
            f"peers' CPU {cleared.cpu.get('peer', 0):.1f} s, chaincode "
            f"{cleared.cpu.get('chaincode', 0):.1f} s"
            if cleared
            else "-",
            None if cleared is None else cleared.committed == 1,
        ),
    ]


def sustained_target(run: Result | None) -> Target:
    return Target(
        "committed readings/s, sustained 30 minutes",
        ">= 50,000 for 1,800 s",
        f"{run.readings_per_s:,.0f} over {run.duration:g} s" if run else "not measured",
        "-",
        None if run is None else run.readings_per_s >= 50_000 and run.duration >= 1800,
    )


def flatness_target(run: Result | None) -> Target:
    """The last five minutes against the first five (the minute series of the run), each
    as readings per second over the seconds the buckets really cover."""
    if run is None or len(run.series) < 10:
        return Target("last 5 minutes vs first 5", ">= 90 %", "not measured", "-", None)
    widths = [min(60.0, run.duration - start) for start, _ in run.series]
    items = [n for _, n in run.series]
    first = sum(items[:5]) / sum(widths[:5])
    last = sum(items[-5:]) / sum(widths[-5:])
    share = last / first if first else 0.0
    return Target(
        "last 5 minutes vs first 5, sustained run",
        ">= 90 %",
        f"{100 * share:.0f} % ({last:,.0f} vs {first:,.0f} readings/s)",
        "-",
        share >= 0.9,
    )


def footprint_text(run: Result) -> str:
    """Peer CPU per 1,000 readings, and each peer's disk bytes per reading and RSS."""
    peer_ms = run.cpu.get("peer", 0) * 1e6 / max(run.items, 1)
    peers = "; ".join(
        f"{name} {v['disk_bytes_per_item']:,.0f} disk bytes/reading, RSS {v['rss_mb']:,.0f} MB"
        for name, v in sorted(run.extra.get("peers", {}).items())
    )
    return f"peers' CPU {peer_ms:,.1f} ms per 1,000 readings; {peers}"


def same_load(results: list[Result], theirs: Result) -> Result:
    """Ours at the baseline's batch size and concurrency: the run made right beside it
    (so that both see the same ledger and machine), else the sweep's."""
    runs = [r for r in results if r.batch_size == theirs.batch_size and r.load == theirs.load]
    paired = next((r for r in runs if r.name.startswith(PAIRED)), None)
    return paired or next(r for r in runs if r.name.startswith("sweep"))


def client_targets(results: list[Result], node_runs: list[Result]) -> list[Target]:
    targets = []
    for theirs in sorted(node_runs, key=lambda r: r.batch_size):
        ours = same_load(results, theirs)
        targets.append(
            Target(
                f"Python client tx/s vs Node client, {theirs.batch_size} bundles/tx, "
                f"concurrency {theirs.load:g}",
                ">= 1.3x",
                f"{ours.tx_per_s:,.1f} tx/s",
                f"{theirs.tx_per_s:,.1f} tx/s ({ratio(ours.tx_per_s, theirs.tx_per_s)})",
                ours.tx_per_s >= 1.3 * theirs.tx_per_s,
            )
        )
    return targets
