"""`python -m bench`: run every experiment on this checkout's network and write the report.

The network must be up with the chaincode deployed (`make bench` sees to it). Each
experiment's progress goes to stderr; the report goes to bench/REPORT.md, its charts
to bench/charts/ and the raw figures to bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

from bench.experiments import Bench, Settings
from bench.plan import Plan, summarise
from bench.report import write
from bench.workload import run_tag
from network import chaincodes  # noqa: F401 (imports the shim before logging is set)
from network.console import info, step

HERE = Path(__file__).resolve().parent


def numbers(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(","))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=30, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=10, help="unmeasured seconds before each")
    p.add_argument(
        "--meters",
        type=int,
        default=1000,
        help="meters registered for the run (more are added when its days run out)",
    )
    p.add_argument(
        "--batch-sizes",
        type=numbers,
        default=(25, 100, 200),
        help="meter-day bundles (96 readings each) per transaction to sweep",
    )
    p.add_argument(
        "--concurrency",
        type=numbers,
        default=(4, 8, 16),
        help="transactions in flight to sweep",
    )
    p.add_argument(
        "--sustain",
        type=float,
        default=1800,
        help="seconds of the sustained ingestion run (the target's 1,800; 0 skips it)",
    )
    p.add_argument(
        "--households",
        type=int,
        default=100,
        help="households trading in the market workload, each with its own identity",
    )
    p.add_argument(
        "--city-households",
        type=int,
        default=10_000,
        help="households placing one order each in the market-at-scale interval",
    )
    p.add_argument(
        "--skip-node-client",
        action="store_true",
        help="leave the Node Gateway client baseline out (no Node.js needed)",
    )
    p.add_argument("--out", type=Path, default=HERE / "REPORT.md")
    return p


async def run(args: argparse.Namespace) -> int:
    settings = Settings(args.duration, args.warmup, args.meters)
    if not 2 <= args.households <= args.meters:
        raise SystemExit("--households must be at least 2 and at most --meters")
    plan = Plan(
        args.batch_sizes,
        args.concurrency,
        args.sustain,
        not args.skip_node_client,
        args.households,
        args.city_households,
    )
    bench = Bench(settings, run_tag())
    started = time.monotonic()
    step(f"benchmark {bench.tag}: registering {args.meters} meters")
    await bench.open()
    try:
        results = await plan.execute(bench)
    finally:
        await bench.close()
    targets, notes, details = summarise(plan, results)
    details = {**details, **plan.settings(settings)}
    path = write(args.out, results, targets, details, notes, plan.profiles, plan.sections)
    info(f"benchmark done in {time.monotonic() - started:.0f}s: {path}")
    return 0


def main() -> int:
    args = parser().parse_args()
    # importing the Python shim (for the chaincode specs) turns the root logger to DEBUG
    logging.basicConfig(level=logging.WARNING, force=True)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
