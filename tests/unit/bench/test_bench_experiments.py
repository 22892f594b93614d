"""bench/experiments.py and bench/__main__.py: the parts that need no network."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import date

import pytest

from bench.__main__ import numbers, parser
from bench.experiments import Bench, Settings, jobs_for, loop_for, result_of
from bench.loadgen import Outcome, Window
from bench.workload import FIRST_DAY, households
from gridspec.reading_bundle import ReadingBundle
from gridspec.signed_bundle import SignedBundle


def test_jobs_for_is_enough_for_the_whole_run():
    settings = Settings(duration=10, warmup=5, meters=4)
    assert jobs_for("open", 100, settings) == 100 * 15 + 100
    assert jobs_for("closed", 8, settings) == 8 * 60 * 15 + 100
    assert jobs_for("closed", 128, settings) == 1_000 * 15 + 100  # at most 1,000 tx/s
    assert jobs_for("closed", 128, settings, batch_size=96) == int(20_000 / 96 * 15) + 100


def test_a_workload_that_would_reach_the_future_spreads_over_more_meters(monkeypatch):
    bench = Bench(Settings(1, 0, 3), "btest", homes=households(3, "btest"))
    registered: list[int] = []

    async def register(contract, homes):
        registered.append(len(homes))

    monkeypatch.setattr("bench.experiments.register", register)
    monkeypatch.setattr(Bench, "contract", lambda self, user: None)
    bench.days_used = (date.today() - FIRST_DAY).days - 12  # ten usable days left
    made = asyncio.run(bench.workload(96, 300))
    assert registered and len(bench.homes) == 3 + registered[0]
    last = max(b.day for b in made)
    assert last < date.today()


def test_result_of_counts_what_committed_inside_the_window():
    window = Window(start=100.0, duration=2.0)
    for outcome in (
        Outcome(99.0, 100.5, None, 96),  # warm-up
        Outcome(100.0, 100.25, None, 96),
        Outcome(101.0, 101.5, None, 96),
        Outcome(101.5, 102.5, None, 96),  # committed after the end
        Outcome(101.0, 101.1, "timeout", 0),
        Outcome(101.2, 101.3, "MVCC_READ_CONFLICT", 0),
    ):
        window.record(outcome)
    r = result_of("run", "python", "community", "closed", 8, 96, window, {"peer": 1.5})
    assert (r.committed, r.items, r.duration) == (2, 192, 2.0)
    assert r.latencies == [0.25, 0.5]
    assert r.failures == {"timeout": 1, "MVCC_READ_CONFLICT": 1}
    assert r.tx_per_s == 1.0
    assert r.readings_per_s == 96.0
    assert (r.name, r.client, r.chaincode, r.mode, r.load, r.batch_size) == (
        "run",
        "python",
        "community",
        "closed",
        8,
        96,
    )
    assert r.cpu == {"peer": 1.5}


@pytest.mark.parametrize(("mode", "load"), [("closed", 4), ("open", 100)])
def test_loop_for_runs_the_settings_window(mode, load):
    async def submit(job):
        await asyncio.sleep(0.002)
        return job

    settings = Settings(duration=0.1, warmup=0.05, meters=1)
    window = asyncio.run(loop_for(mode, load, settings)(submit, itertools.repeat(1)))
    assert window.duration == 0.1
    assert len(window.outcomes) >= 5
    assert all(window.start <= o.started < window.end for o in window.outcomes)


def test_each_workload_of_a_bench_is_on_later_days_than_the_last():
    bench = Bench(Settings(1, 0, 3), "btest", homes=households(3, "btest"))
    seen: set[tuple[str, str]] = set()
    for size, count in ((32, 10), (1, 7), (96, 4), (48, 3)):
        made = asyncio.run(bench.workload(size, count))
        assert len(made) == count
        keys = {
            (b.meter_id, reading.interval_start)
            for b in made
            for bundle in SignedBundle.list_from_wire(json.loads(b.payload))
            for reading in ReadingBundle.parse(bundle.payload).readings()
        }
        assert keys.isdisjoint(seen)
        seen |= keys
    assert bench.days_used == (2 + 1) + (1 + 1) + (2 + 1) + (1 + 1)


def test_the_command_line_defaults():
    args = parser().parse_args([])
    assert (args.duration, args.warmup, args.meters, args.sustain) == (15, 5, 400, 600)
    assert args.batch_sizes == (1, 16, 96)
    assert args.concurrency == (8, 32, 64, 128, 256)
    assert args.skip_node_client is False
    assert args.households == 100
    assert args.out.name == "REPORT.md"


def test_the_command_line_reads_lists_of_numbers():
    assert numbers("1,16,96") == (1, 16, 96)
    args = parser().parse_args(
        ["--batch-sizes", "1,96", "--concurrency", "4", "--skip-node-client"]
    )
    assert (args.batch_sizes, args.concurrency, args.skip_node_client) == ((1, 96), (4,), True)


def test_a_known_rate_bounds_the_jobs_of_a_long_run():
    long_run = Settings(duration=600, warmup=5, meters=400)
    unbounded = jobs_for("closed", 32, long_run, batch_size=96)
    bounded = jobs_for("closed", 32, long_run, batch_size=96, most=75)
    assert bounded == 75 * 605 + 100
    assert bounded < unbounded


def test_run_node_measures_from_the_window_marker_and_keeps_other_stderr():
    import asyncio
    import sys

    from bench.experiments import run_node

    script = (
        "import sys, time\n"
        "sys.stderr.write('starting\\n'); sys.stderr.flush()\n"
        "sys.stderr.write('window open\\n'); sys.stderr.flush()\n"
        "time.sleep(0.2)\n"
        "print('{\"committed\": 3}')\n"
    )
    code, out, err, spent = asyncio.run(run_node([sys.executable, "-c", script], 0.1))
    assert code == 0
    assert out.strip() == '{"committed": 3}'
    assert err == "starting\n"
    assert "client" in spent


def test_the_node_client_is_pinned_by_its_committed_lock_file():
    from bench.experiments import NODE_CLIENT

    manifest = json.loads((NODE_CLIENT.parent / "package.json").read_text())
    lock = json.loads((NODE_CLIENT.parent / "package-lock.json").read_text())
    for name, version in manifest["dependencies"].items():
        assert version[0].isdigit(), f"{name} {version} is not an exact version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert NODE_CLIENT.is_file()
