"""bench/experiments.py and bench/__main__.py: the parts that need no network."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from bench import cpu, experiments, footprint, submission, workload
from bench.__main__ import numbers, parser
from bench.experiments import (
    NODE_CLIENT,
    Bench,
    Settings,
    jobs_for,
    loop_for,
    node_ingest,
    python_ingest,
    result_of,
    run_node,
    series_of,
)
from bench.loadgen import Outcome, Refused, Window
from bench.submission import Committed
from bench.workload import first_day, households
from client import GatewayError
from gridspec.reading_bundle import ReadingBundle
from gridspec.signed_bundle import SignedBundle


def days_since_first() -> int:
    """Days from the first day a run may use to today: offsets 0 to this - 1 are past."""
    return (date.today() - first_day()).days


def bench_of(meters: int, tag: str = "btest", **settings: float) -> Bench:
    return Bench(
        Settings(settings.get("duration", 1), settings.get("warmup", 0), meters),
        tag,
        homes=households(meters, tag),
    )


@pytest.fixture
def registered(monkeypatch) -> list[list[str]]:
    """The meter ids of each register() call (none reaches a ledger)."""
    calls: list[list[str]] = []

    async def register(contract, homes):
        assert contract == "operator1's MeterContract"
        calls.append([h.meter_id for h in homes])

    monkeypatch.setattr(experiments, "register", register)
    monkeypatch.setattr(
        Bench, "contract", lambda self, user, name="MeterContract": f"{user}'s {name}"
    )
    return calls


@pytest.fixture
def unsigned(monkeypatch) -> None:
    """Bundles that are not signed (nor simulated): for workloads of many thousands."""
    monkeypatch.setattr(workload, "signed_day", lambda home, day: SignedBundle(b"{}", b"sig"))


# --- how many transactions a run may take ----------------------------------------------


def test_jobs_for_is_enough_for_the_whole_run():
    settings = Settings(duration=10, warmup=5, meters=4)  # 15 s, and 10 % more, and 4
    assert jobs_for("open", 100, settings) == 1650 + 4
    assert jobs_for("open", 100, settings, batch_size=200) == 1650 + 4  # the rate given
    assert jobs_for("closed", 8, settings) == 7920 + 4  # 8 x 60 tx/s
    assert jobs_for("closed", 128, settings) == 16_500 + 4  # at most 1,000 tx/s


@pytest.mark.parametrize(
    ("batch_size", "jobs"),
    [
        (25, 687 + 4),  # 100,000 readings/s are 41.7 transactions of 2,400 a second
        (100, 171 + 4),  # 10.4 of 9,600
        (200, 85 + 4),  # 5.2 of 19,200
    ],
)
def test_jobs_for_counts_96_readings_a_bundle_against_100000_readings_per_s(batch_size, jobs):
    settings = Settings(duration=10, warmup=5, meters=1000)
    assert jobs_for("closed", 128, settings, batch_size=batch_size) == jobs
    assert jobs_for("closed", 256, settings, batch_size=batch_size) == jobs


def test_a_known_rate_bounds_the_jobs_of_a_long_run():
    long_run = Settings(duration=1800, warmup=5, meters=1000)
    unbounded = jobs_for("closed", 4, long_run, batch_size=100)
    bounded = jobs_for("closed", 4, long_run, batch_size=100, most=7.5)
    assert bounded == 14_891 + 4  # 7.5 tx/s for 1,805 s, and 10 %
    assert unbounded == 20_682 + 4  # 10.4 tx/s
    assert jobs_for("closed", 4, long_run, batch_size=100, most=50) == unbounded


# --- the meter-days of a bench's workloads ---------------------------------------------


def test_each_workload_of_a_bench_is_on_later_days_than_the_last(registered):
    bench = bench_of(3)
    now = datetime.now(UTC)
    taken: list[list[tuple[str, date]]] = []
    for per_tx, count in ((4, 5), (1, 5), (3, 3)):
        made = list(asyncio.run(bench.workload(per_tx, count)))
        assert len(made) == count
        for batch in made:
            for bundle in SignedBundle.list_from_wire(json.loads(batch.payload)):
                ReadingBundle.parse(bundle.payload).check_time(now)  # past, and retained
        taken.append([day for batch in made for day in batch.days])
    assert registered == []
    assert bench.days_used == 7 + 2 + 3  # 20 meter-days take 7 days of 3 meters
    start = first_day()
    assert [(min(d for _, d in t), max(d for _, d in t)) for t in taken] == [
        (start, start + timedelta(days=6)),  # the 7th day only for the first two meters
        (start + timedelta(days=7), start + timedelta(days=8)),
        (start + timedelta(days=9), start + timedelta(days=11)),
    ]
    every = [day for t in taken for day in t]
    assert len(every) == len(set(every)) == 20 + 5 + 9


def test_a_workload_is_signed_as_it_is_taken(monkeypatch):
    signed: list[date] = []
    real = workload.signed_day

    def counting(home, day):
        signed.append(day)
        return real(home, day)

    monkeypatch.setattr(workload, "signed_day", counting)
    bench = bench_of(1000)
    made = asyncio.run(bench.workload(5, 1000))  # 5,000 bundles: 5 days of 1,000 meters
    assert bench.days_used == 5
    assert signed == []
    next(made)
    assert signed == [first_day()] * 5


def test_a_workload_that_would_reach_the_future_takes_a_new_cohort_of_meters(registered, unsigned):
    bench = bench_of(3)
    days = days_since_first() - 1  # the days a cohort has: the last one 2 days ago
    bench.days_used = days - 9  # nine days left
    made = asyncio.run(bench.workload(100, 300))  # 30,000 meter-days
    size = -(-30_000 // days)
    assert [len(meters) for meters in registered] == [size]
    assert registered[0][:2] == ["m-btestc1-0000", "m-btestc1-0001"]
    assert [h.meter_id for h in bench.homes] == registered[0]
    assert (bench.cohorts, bench.days_used) == (1, -(-30_000 // size))
    taken = [day for batch in made for day in batch.days]
    assert len(taken) == len(set(taken)) == 30_000
    assert {household for household, _ in taken} == {h.household_id for h in bench.homes}
    assert min(d for _, d in taken) == first_day()
    assert max(d for _, d in taken) <= date.today() - timedelta(days=2)


def test_a_new_cohort_is_never_smaller_than_the_last(registered, unsigned):
    bench = bench_of(1000)
    bench.days_used = days_since_first() - 1  # no day left
    [batch] = asyncio.run(bench.workload(1, 1))
    assert [len(meters) for meters in registered] == [1000]
    assert batch.days == (("h-btestc1-0000", first_day()),)
    bench.days_used = days_since_first() - 1
    asyncio.run(bench.workload(1, 1))
    assert [meters[0] for meters in registered] == ["m-btestc1-0000", "m-btestc2-0000"]
    assert (bench.cohorts, bench.days_used) == (2, 1)


def test_the_workload_after_a_new_cohort_goes_on_from_its_days(registered, unsigned):
    bench = bench_of(3)
    bench.days_used = days_since_first() - 2
    first = [day for batch in asyncio.run(bench.workload(10, 30)) for day in batch.days]
    then = [day for batch in asyncio.run(bench.workload(3, 2)) for day in batch.days]
    assert len(registered) == 1
    assert set(first).isdisjoint(then)
    assert max(d for _, d in then) < date.today() - timedelta(days=1)


# --- a run's figures -------------------------------------------------------------------


def test_result_of_counts_what_committed_inside_the_window():
    window = Window(start=100.0, duration=2.0)
    for outcome in (
        Outcome(98.0, 99.5, None, 9600),  # ended in the warm-up
        Outcome(99.0, 100.5, None, 9600),  # started in the warm-up, committed in the window
        Outcome(100.0, 100.25, None, 9600),
        Outcome(101.0, 101.5, None, 9600),
        Outcome(101.5, 102.5, None, 9600),  # committed after the end
        Outcome(101.0, 101.1, "timeout", 0),
        Outcome(101.2, 101.3, "MVCC_READ_CONFLICT", 0),
    ):
        window.record(outcome)
    r = result_of("run", "python", "community", "closed", 8, 100, window, {"peer": 1.5})
    assert (r.committed, r.items, r.duration) == (3, 28_800, 2.0)
    assert r.latencies == [1.5, 0.25, 0.5]
    assert r.failures == {"timeout": 1, "MVCC_READ_CONFLICT": 1}
    assert r.tx_per_s == 1.5
    assert r.readings_per_s == 14_400.0
    assert (r.name, r.client, r.chaincode, r.mode, r.load, r.batch_size) == (
        "run",
        "python",
        "community",
        "closed",
        8,
        100,
    )
    assert r.cpu == {"peer": 1.5}
    assert (r.series, r.extra) == ([], {})


def test_series_of_buckets_what_committed_by_the_minute_it_committed():
    window = Window(start=100.0, duration=150.0)
    for outcome in (
        Outcome(98.0, 99.5, None, 1),  # ended in the warm-up: not recorded
        Outcome(99.0, 100.5, None, 2),  # started in the warm-up, committed in the first
        Outcome(100.0, 100.5, None, 10),
        Outcome(150.0, 159.99, None, 20),  # started in the first minute, committed in it
        Outcome(150.0, 160.0, None, 40),  # committed in the second
        Outcome(200.0, 219.9, None, 80),
        Outcome(200.0, 220.1, None, 160),
        Outcome(240.0, 250.0, None, 320),  # at the very end: the last (half) minute
        Outcome(245.0, 251.0, None, 640),  # after the end: not committed in the window
        Outcome(120.0, 130.0, "timeout", 0),
    ):
        window.record(outcome)
    assert series_of(window) == [(0.0, 32), (60.0, 120), (120.0, 480)]


def test_series_of_a_whole_number_of_minutes_has_no_bucket_past_the_end():
    window = Window(start=0.0, duration=120.0)
    window.record(Outcome(100.0, 120.0, None, 5))
    assert series_of(window) == [(0.0, 0), (60.0, 5)]


def test_series_of_an_empty_or_short_window_and_another_step():
    assert series_of(Window(start=0.0, duration=30.0)) == [(0.0, 0)]
    window = Window(start=0.0, duration=25.0)
    window.record(Outcome(1.0, 12.0, None, 7))
    assert series_of(window, step=10) == [(0, 0), (10, 7), (20, 0)]


@pytest.mark.parametrize(("mode", "load"), [("closed", 4), ("open", 100)])
def test_loop_for_runs_the_settings_window(mode, load):
    async def submit(job):
        await asyncio.sleep(0.002)
        return job

    settings = Settings(duration=0.1, warmup=0.05, meters=1)
    window = asyncio.run(loop_for(mode, load, settings)(submit, itertools.repeat(1)))
    assert window.duration == 0.1
    assert len(window.outcomes) >= 5
    assert all(window.start <= o.finished <= window.end for o in window.outcomes)


# --- python_ingest and node_ingest, with the network stood in for ----------------------


@pytest.fixture
def no_network(monkeypatch, unsigned):
    """SubmitReadings that commits after 5 ms, no CPU figures; what each call was given."""
    calls: list[tuple[str, str, dict[str, bytes]]] = []

    async def submit_long_form(contract, name, args=(), transient=None):
        calls.append((contract, name, transient))
        await asyncio.sleep(0.005)
        return Committed("tx", 1, b"")

    async def during(warmup, duration):
        return {"peer": 0.5}

    monkeypatch.setattr(experiments, "submit_long_form", submit_long_form)
    monkeypatch.setattr(cpu, "during", during)
    monkeypatch.setattr(
        Bench, "contract", lambda self, user, name="MeterContract": f"{user}'s {name}"
    )
    return calls


def test_python_ingest_with_track_adds_the_minute_series_and_the_peers(monkeypatch, no_network):
    before = {"peer-utility": {"disk_bytes": 1_000_000, "rss_bytes": 0}}
    after = {"peer-utility": {"disk_bytes": 4_000_000, "rss_bytes": 300 * 2**20}}
    taken = iter([before, after])
    monkeypatch.setattr(footprint, "peers", lambda: next(taken))
    bench = bench_of(1000, duration=0.2, warmup=0.05)
    r = asyncio.run(python_ingest(bench, 2, "closed", 2, track=True))
    assert r.name == "python client, community chaincode, batch 2, closed 2"
    assert r.committed > 0
    assert r.items == r.committed * 2 * 96
    assert r.series == [(0.0, r.items)]  # a window shorter than a minute: one bucket
    assert r.extra == {
        "peers": {
            "peer-utility": {"disk_bytes_per_item": round(3_000_000 / r.items, 1), "rss_mb": 300.0}
        }
    }
    assert {(c, name) for c, name, _ in no_network} == {
        ("headend1's ReadingContract", "SubmitReadings")
    }
    assert all(set(transient) == {"bundles"} for _, _, transient in no_network)
    assert len(bench.full_days) == len(set(bench.full_days)) == 2 * len(no_network)


def test_python_ingest_without_track_leaves_the_peers_alone(monkeypatch, no_network):
    def peers():
        raise AssertionError("footprint.peers() was called")

    monkeypatch.setattr(footprint, "peers", peers)
    bench = bench_of(1000, duration=0.1, warmup=0.0)
    r = asyncio.run(python_ingest(bench, 3, "closed", 2, name="sweep: 3 bundles/tx, closed 2"))
    assert r.name == "sweep: 3 bundles/tx, closed 2"
    assert r.items == r.committed * 3 * 96 > 0
    assert (r.series, r.extra, r.cpu) == ([], {}, {"peer": 0.5})


def node_report(**kw) -> str:
    report = {
        "cpu_s": 1.234,
        "committed": 7,
        "duration_s": 1.5,
        "failures": {"timeout": 1},
        "latencies_ms": [100, 250],
    }
    return json.dumps({**report, **kw})


def test_node_ingest_counts_96_readings_a_bundle(monkeypatch, unsigned):
    seen = {}

    async def fake_run_node(argv, duration):
        workload_file = Path(argv[argv.index("--workload") + 1])
        seen["lines"] = [json.loads(line) for line in workload_file.read_text().splitlines()]
        seen["argv"], seen["file"] = argv, workload_file
        return 0, node_report(), "", {"peer": 2.0}

    monkeypatch.setattr(experiments, "run_node", fake_run_node)
    bench = bench_of(1000, duration=1, warmup=0)
    r = asyncio.run(node_ingest(bench, 2, 4))
    assert r.name == "node client, community chaincode, batch 2, closed 4"
    assert (r.client, r.mode, r.load, r.batch_size) == ("node", "closed", 4, 2)
    assert (r.committed, r.items, r.duration) == (7, 7 * 2 * 96, 1.5)
    assert r.failures == {"timeout": 1}
    assert r.latencies == [0.1, 0.25]
    assert r.cpu == {"peer": 2.0, "client": 1.23}
    assert len(seen["lines"]) == jobs_for("closed", 4, bench.settings, 2) == 264 + 4  # 240 tx/s
    assert {line["readings"] for line in seen["lines"]} == {192}
    assert seen["argv"][seen["argv"].index("--concurrency") + 1] == "4"
    assert not seen["file"].exists()  # removed after the run


def test_a_failing_node_client_is_an_error_with_its_stderr(monkeypatch, unsigned):
    async def fake_run_node(argv, duration):
        return 1, "", "Error: 14 UNAVAILABLE: no connection\n", {}

    monkeypatch.setattr(experiments, "run_node", fake_run_node)
    with pytest.raises(RuntimeError) as caught:
        asyncio.run(node_ingest(bench_of(1000), 2, 4))
    assert str(caught.value) == "the Node client failed: Error: 14 UNAVAILABLE: no connection"


def test_run_node_measures_from_the_window_marker_and_keeps_other_stderr():
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
    manifest = json.loads((NODE_CLIENT.parent / "package.json").read_text())
    lock = json.loads((NODE_CLIENT.parent / "package-lock.json").read_text())
    for name, version in manifest["dependencies"].items():
        assert version[0].isdigit(), f"{name} {version} is not an exact version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert NODE_CLIENT.is_file()


# --- the command line ------------------------------------------------------------------


def test_the_command_line_defaults():
    args = parser().parse_args([])
    assert (args.duration, args.warmup, args.meters, args.sustain) == (30, 10, 1000, 1800)
    assert args.batch_sizes == (25, 100, 200)
    assert args.concurrency == (4, 8, 16)
    assert args.skip_node_client is False
    assert args.households == 100
    assert args.out.name == "REPORT.md"


def test_the_command_line_reads_lists_of_numbers():
    assert numbers("25,100,200") == (25, 100, 200)
    args = parser().parse_args(
        ["--batch-sizes", "1,1000", "--concurrency", "4", "--skip-node-client"]
    )
    assert (args.batch_sizes, args.concurrency, args.skip_node_client) == ((1, 1000), (4,), True)


class RefusingContract:
    """A contract whose proposals fail to endorse with `error`."""

    def __init__(self, error: GatewayError) -> None:
        self.error = error

    def new_proposal(self, name, args=(), transient=None):
        error = self.error

        class Proposal:
            transaction_id = "tx-refused"

            async def endorse(self):
                raise error

        return Proposal()


def over_limit() -> GatewayError:
    error = GatewayError(
        "too many requests for /gateway.Gateway, exceeding concurrency limit (64)",
        grpc_code=grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    error.turned_away = True
    return error


def test_a_transaction_the_peer_turned_away_is_refused_to_be_offered_again():
    with pytest.raises(Refused) as caught:
        asyncio.run(submission.submit_long_form(RefusingContract(over_limit()), "SubmitReadings"))
    assert caught.value.retry_after == submission.PEER_RETRY_AFTER


def test_any_other_endorsement_failure_reaches_the_load_generator_as_it_is():
    failed = GatewayError("chaincode said no", grpc_code=grpc.StatusCode.ABORTED)
    with pytest.raises(GatewayError) as caught:
        asyncio.run(submission.submit_long_form(RefusingContract(failed), "SubmitReadings"))
    assert caught.value is failed


class TurnedAwayOnce:
    """An endorsed transaction whose submission, then commit status request, the peer
    turns away once each."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.refuse = {"submit", "status"}

    async def _call(self, what: str, answer):
        self.calls.append(what)
        if what in self.refuse:
            self.refuse.discard(what)
            raise over_limit()
        return answer

    def new_proposal(self, name, args=(), transient=None):
        outer = self

        class Status:
            successful, code, code_name, block_number = True, 0, "VALID", 7

        class Commit:
            async def status(self):
                return await outer._call("status", Status())

        class Transaction:
            result = b"ok"

            async def submit(self):
                return await outer._call("submit", Commit())

        class Proposal:
            transaction_id = "tx-1"

            async def endorse(self):
                return await outer._call("endorse", Transaction())

        return Proposal()


def test_an_endorsed_transaction_turned_away_is_sent_again_not_endorsed_again(monkeypatch):
    monkeypatch.setattr(submission, "RESEND_AFTER", 0)
    contract = TurnedAwayOnce()
    done = asyncio.run(submission.submit_long_form(contract, "SubmitReadings"))
    assert contract.calls == ["endorse", "submit", "submit", "status", "status"]
    assert (done.transaction_id, done.block_number, done.result) == ("tx-1", 7, b"ok")
