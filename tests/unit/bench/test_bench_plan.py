"""bench/plan.py: picking the best run and what the report concludes from a set of results.

`Plan.execute` and `Plan.node_client_ready` need the network and are not called here.
Every run below lasts 10 s unless it says otherwise; a bundle is 96 readings.
"""

from __future__ import annotations

import os

import pytest
from bench_builders import result, sweep

from bench.experiments import Settings
from bench.loadgen import REFUSED
from bench.plan import (
    API_OVERLOAD,
    API_PAIR,
    PAIRED,
    Plan,
    best,
    find,
    flatness_target,
    footprint_text,
    p99_text,
    ratio,
    summarise,
    sustained_target,
)
from bench.report import Target

PER_MINUTE_AT_50000 = 3_000_000
PEERS = {
    "peer-utility": {"disk_bytes_per_item": 412.4, "rss_mb": 812.6},
    "peer-community": {"disk_bytes_per_item": 389.5, "rss_mb": 700.0},
}


@pytest.fixture(autouse=True)
def two_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def plan(**kw) -> Plan:
    return Plan(
        batch_sizes=(25, 100), concurrency=(2, 4), sustain=1800, with_node_client=True, **kw
    )


def sweep_runs():
    return [
        sweep(25, 2, 100),  # 10 tx/s, 24,000 readings/s
        sweep(25, 4, 150),  # 15 tx/s, 36,000 readings/s: the most transactions
        sweep(100, 2, 40),  # 4 tx/s, 38,400 readings/s
        sweep(  # 5.5 tx/s, 52,800 readings/s: the most readings
            100, 4, 55, cpu={"peer": 6.0, "chaincode": 3.0, "client": 1.0}
        ),
    ]


def overload_run(readings_per_s=47_520):
    return result(
        "overload: 100 bundles/tx, closed 16 (4x the best)",
        load=16,
        batch_size=100,
        items=readings_per_s * 10,
    )


def api_runs(api_committed=45, pair_committed=50):
    return [
        result(f"{API_PAIR} 100/tx", load=4, batch_size=100, committed=pair_committed),
        result(
            "HTTP API POST /readings, batch 100, closed 4",
            client="api",
            load=4,
            batch_size=100,
            committed=api_committed,
            latencies=[1.0] * api_committed,
        ),
    ]


def api_overload_run(committed=44, latency=1.5, refused=120):
    return result(
        f"{API_OVERLOAD} 100 bundles/post, closed 16 (4x the best)",
        client="api",
        load=16,
        batch_size=100,
        committed=committed,
        latencies=[latency] * committed,
        failures={REFUSED: refused},
    )


def purge_run():
    return result(
        "purge: PurgeHousehold of 35,040 readings (365 days)",
        mode="single",
        load=1,
        batch_size=73,
        duration=12.34,
        committed=1,
        items=35_040,
        extra={"meter_days_purged": 365, "commitments_kept": 365, "readings_left": 0},
    )


def node_runs(paired_committed=52, node_committed=40, load=4):
    return [
        result(f"{PAIRED} 100/tx", load=load, batch_size=100, committed=paired_committed),
        result(
            f"node client, community chaincode, batch 100, closed {load}",
            client="node",
            load=load,
            batch_size=100,
            committed=node_committed,
        ),
    ]


def sustained_run(per_minute=None, seconds=1800, **kw):
    """At 50,000 readings/s throughout unless `per_minute` says otherwise."""
    minutes = per_minute or [PER_MINUTE_AT_50000] * 30
    kw.setdefault("cpu", {"peer": 900.0, "chaincode": 432.0, "client": 180.0})
    kw.setdefault("extra", {"peers": PEERS})
    return result(
        f"sustained {seconds:g}s: 100 bundles/tx, closed 4",
        load=4,
        batch_size=100,
        duration=seconds,
        committed=sum(minutes) // 9600,
        items=sum(minutes),
        series=[(60.0 * n, items) for n, items in enumerate(minutes)],
        **kw,
    )


def everything():
    return [
        *sweep_runs(),
        overload_run(),
        *node_runs(),
        *api_runs(),
        api_overload_run(),
        purge_run(),
        sustained_run(),
    ]


def targets_of(results, **plan_kw) -> dict[str, Target]:
    """The targets by the first word that tells them apart."""
    targets = summarise(plan(**plan_kw), results)[0]
    keys = ["sustained", "flatness", "overload", "api", "api overload", "city orders",
            "city clearing", "purge"]  # fmt: skip
    clients = [f"client {n}" for n in range(len(targets) - len(keys))]
    return dict(zip(keys + clients, targets, strict=True))


# --- best, find, ratio -----------------------------------------------------------------


def test_best_is_the_sweep_run_with_the_most_readings_not_the_most_transactions():
    assert best(sweep_runs()).name == "sweep: 100 bundles/tx, closed 4"
    assert max(sweep_runs(), key=lambda r: r.tx_per_s).name == "sweep: 25 bundles/tx, closed 4"


def test_best_ignores_runs_that_are_not_part_of_the_sweep():
    more = [overload_run(60_000), sustained_run(), *node_runs(99, 99), *api_runs(99, 99)]
    assert all(r.items > best(sweep_runs()).items for r in more)
    assert best([*more, *sweep_runs()]).name == "sweep: 100 bundles/tx, closed 4"


def test_best_without_a_sweep_run_fails():
    with pytest.raises(ValueError):
        best([overload_run(), sustained_run()])


def test_find_matches_every_given_field():
    results = everything()
    [node] = find(results, client="node")
    assert node.name == "node client, community chaincode, batch 100, closed 4"
    assert find(results, client="node", batch_size=100, load=4) == [node]
    assert find(results, client="node", batch_size=25) == []


@pytest.mark.parametrize(
    ("ours", "theirs", "text"),
    [
        (550, 450, "1.22x"),
        (5.2, 4.0, "1.30x"),
        (2.0, 3.0, "0.67x"),
        (1, 1, "1.00x"),
        (1300, 100, "13.00x"),
        (None, 2.0, "-"),
        (2.0, None, "-"),
        (None, None, "-"),
        (0, 2.0, "-"),
        (2.0, 0, "-"),
        (0.0, 0.0, "-"),
    ],
)
def test_ratio(ours, theirs, text):
    assert ratio(ours, theirs) == text


@pytest.mark.parametrize(
    ("run", "text"),
    [
        (None, "not measured"),
        (result("nothing"), "nothing committed"),
        (result("run", committed=3, latencies=[0.2, 1.2345, 0.5]), "1,234 ms"),
    ],
)
def test_p99_text(run, text):
    assert p99_text(run) == text


# --- summarise: a whole run --------------------------------------------------------------


def test_summarise_every_target_of_a_full_run():
    targets, notes, details = summarise(plan(), everything())
    assert targets == [
        Target(
            "committed readings/s, sustained 30 minutes",
            ">= 50,000 for 1,800 s",
            "50,000 over 1800 s",
            "-",
            True,
        ),
        Target(
            "last 5 minutes vs first 5, sustained run",
            ">= 90 %",
            "100 % (50,000 vs 50,000 readings/s)",
            "-",
            True,
        ),
        Target(
            "committed readings/s with 4x the best run's transactions in flight",
            ">= 90 % of the best",
            "47,520",
            "best 52,800 (sweep: 100 bundles/tx, closed 4)",
            True,
        ),
        Target(
            "ingestion through the HTTP API vs the client directly",
            "within 10 %",
            "43,200 readings/s",
            "48,000 (0.90x)",
            True,
        ),
        Target(
            "through the API with 4x the best posts in flight (429s honoured)",
            ">= 90 % of the API at the best load; accepted posts' p50 <= 2x its p50",
            "42,240 readings/s, p50 1,500 ms, 120 posts answered 429",
            "43,200 readings/s, p50 1,000 ms",
            True,
        ),
        Target(
            "orders of one interval by 10,000 households, each its own identity",
            "every order placed; orders/s",
            "not measured",
            "-",
            None,
        ),
        Target(
            "clearing those orders in one transaction",
            "completes; its time",
            "not cleared",
            "-",
            None,
        ),
        Target(
            "PurgeHousehold of a year of 15-minute readings (35,040)",
            "time, and what stays",
            "12.3 s",
            "meter_days_purged 365, commitments_kept 365, readings_left 0",
            None,
        ),
        Target(
            "Python client tx/s vs Node client, 100 bundles/tx, concurrency 4",
            ">= 1.3x",
            "5.2 tx/s",
            "4.0 tx/s (1.30x)",
            True,
        ),
    ]
    assert notes == [
        "best run (sweep: 100 bundles/tx, closed 4): "
        "50 % of 2 cores busy (peer 30 %, chaincode 15 %, client 5 %); "
        "chaincode CPU 6 ms per 1,000 readings",  # 3.0 s for 528,000 readings
        "sustained run: 42 % of 2 cores busy (peer 25 %, chaincode 12 %, client 5 %); "
        "chaincode CPU 5 ms per 1,000 readings; "  # 432 s for 90 million readings
        "peers' CPU 10.0 ms per 1,000 readings; "
        "peer-community 390 disk bytes/reading, RSS 700 MB; "
        "peer-utility 412 disk bytes/reading, RSS 813 MB",
    ]
    assert details == {}


def test_only_the_sweep_measured_nothing_else_is_judged():
    """What was not measured is neither met nor missed: `met` is None throughout."""
    targets = targets_of(sweep_runs())
    assert targets == {
        "sustained": Target(
            "committed readings/s, sustained 30 minutes",
            ">= 50,000 for 1,800 s",
            "not measured",
            "-",
            None,
        ),
        "flatness": Target("last 5 minutes vs first 5", ">= 90 %", "not measured", "-", None),
        "overload": Target(
            "committed readings/s with 4x the best run's transactions in flight",
            ">= 90 % of the best",
            "not measured",
            "best 52,800 (sweep: 100 bundles/tx, closed 4)",
            None,
        ),
        "api": Target(
            "ingestion through the HTTP API vs the client directly",
            "within 10 %",
            "not measured",
            "-",
            None,
        ),
        "api overload": Target(
            "through the API with 4x the best posts in flight (429s honoured)",
            ">= 90 % of the API at the best load; accepted posts' p50 <= 2x its p50",
            "not measured",
            "-",
            None,
        ),
        "city orders": Target(
            "orders of one interval by 10,000 households, each its own identity",
            "every order placed; orders/s",
            "not measured",
            "-",
            None,
        ),
        "city clearing": Target(
            "clearing those orders in one transaction",
            "completes; its time",
            "not cleared",
            "-",
            None,
        ),
        "purge": Target(
            "PurgeHousehold of a year of 15-minute readings (35,040)",
            "time, and what stays",
            "not measured",
            "-",
            None,
        ),
    }
    assert len(summarise(plan(), sweep_runs())[1]) == 1  # the best run's note alone


# --- the sustained run -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("readings_per_s", "seconds", "measured", "met"),
    [
        (50_000, 1800, "50,000 over 1800 s", True),
        (49_999, 1800, "49,999 over 1800 s", False),
        (60_000, 1799, "60,000 over 1799 s", False),  # fast, but not for 30 minutes
        (60_000, 3600, "60,000 over 3600 s", True),
    ],
)
def test_the_sustained_target_is_50000_readings_per_s_for_1800_s(
    readings_per_s, seconds, measured, met
):
    minutes = [readings_per_s * 60] * -(-seconds // 60)
    run = result("sustained", duration=seconds, items=readings_per_s * seconds)
    assert sustained_target(run) == Target(
        "committed readings/s, sustained 30 minutes", ">= 50,000 for 1,800 s", measured, "-", met
    )
    assert targets_of([*sweep_runs(), sustained_run(minutes, seconds)])["sustained"].met is met


@pytest.mark.parametrize(
    ("last_minutes", "measured", "met"),
    [
        (2_700_000, "90 % (45,000 vs 50,000 readings/s)", True),
        (2_699_999, "90 % (45,000 vs 50,000 readings/s)", False),  # 89.99997 %
        (3_300_000, "110 % (55,000 vs 50,000 readings/s)", True),
        (0, "0 % (0 vs 50,000 readings/s)", False),
    ],
)
def test_flatness_is_the_last_five_minutes_against_the_first_five(last_minutes, measured, met):
    minutes = [PER_MINUTE_AT_50000] * 5 + [0] * 20 + [last_minutes] * 5  # the middle is not judged
    assert flatness_target(sustained_run(minutes)) == Target(
        "last 5 minutes vs first 5, sustained run", ">= 90 %", measured, "-", met
    )


def test_flatness_of_a_run_that_committed_nothing_at_first_is_not_met():
    minutes = [0] * 5 + [PER_MINUTE_AT_50000] * 25
    target = flatness_target(sustained_run(minutes))
    assert (target.measured, target.met) == ("0 % (50,000 vs 0 readings/s)", False)


def test_flatness_needs_ten_minutes():
    nine = flatness_target(sustained_run([PER_MINUTE_AT_50000] * 9, seconds=540))
    assert nine == Target("last 5 minutes vs first 5", ">= 90 %", "not measured", "-", None)
    ten = flatness_target(sustained_run([PER_MINUTE_AT_50000] * 10, seconds=600))
    assert (ten.measured, ten.met) == ("100 % (50,000 vs 50,000 readings/s)", True)
    assert flatness_target(None) == nine


def test_a_steady_run_that_ends_inside_a_minute_is_flat():
    """BUG (bench/plan.py, flatness_target): series_of's last bucket covers only what is
    left of the window (15 s of a 1,815 s run), yet it is summed as a whole minute of the
    last five and the readings/s divide by 300 s, so a run at a constant 50,000 readings/s
    reads as 85 % and fails the target."""
    minutes = [PER_MINUTE_AT_50000] * 30 + [750_000]  # 15 s at 50,000 readings/s
    target = flatness_target(sustained_run(minutes, seconds=1815))
    assert target.met is True
    assert target.measured == "100 % (50,000 vs 50,000 readings/s)"


def test_the_sustained_note_gives_the_peers_cpu_disk_and_memory():
    text = footprint_text(sustained_run())
    assert text == (
        "peers' CPU 10.0 ms per 1,000 readings; "
        "peer-community 390 disk bytes/reading, RSS 700 MB; "
        "peer-utility 412 disk bytes/reading, RSS 813 MB"
    )
    bare = sustained_run(cpu={}, extra={})
    assert footprint_text(bare) == "peers' CPU 0.0 ms per 1,000 readings; "


# --- overload, API, purge --------------------------------------------------------------


@pytest.mark.parametrize(
    ("readings_per_s", "measured", "met"),
    [(47_520, "47,520", True), (47_519, "47,519", False), (60_000, "60,000", True)],
)
def test_overload_must_keep_90_percent_of_the_best(readings_per_s, measured, met):
    target = targets_of([*sweep_runs(), overload_run(readings_per_s)])["overload"]
    assert (target.measured, target.baseline, target.met) == (
        measured,
        "best 52,800 (sweep: 100 bundles/tx, closed 4)",
        met,
    )


@pytest.mark.parametrize(
    ("api_committed", "measured", "baseline", "met"),
    [
        (45, "43,200 readings/s", "48,000 (0.90x)", True),
        (44, "42,240 readings/s", "48,000 (0.88x)", False),
        (60, "57,600 readings/s", "48,000 (1.20x)", True),  # faster is within too
    ],
)
def test_the_api_must_be_within_10_percent_of_the_client_beside_it(
    api_committed, measured, baseline, met
):
    target = targets_of([*sweep_runs(), *api_runs(api_committed)])["api"]
    assert target == Target(
        "ingestion through the HTTP API vs the client directly",
        "within 10 %",
        measured,
        baseline,
        met,
    )


@pytest.mark.parametrize("keep", [0, 1])
def test_the_api_without_its_pair_or_the_pair_without_the_api_is_not_measured(keep):
    target = targets_of([*sweep_runs(), api_runs()[keep]])["api"]
    assert (target.measured, target.met) == ("not measured", None)


@pytest.mark.parametrize(
    ("committed", "latency", "met"),
    [
        (41, 2.0, True),  # 39,360 readings/s is 91 % of 43,200; p50 twice the best's
        (40, 1.0, False),  # 38,400 readings/s: 89 %
        (45, 2.1, False),  # as fast, but the accepted posts waited too long
    ],
)
def test_the_api_under_overload_keeps_its_throughput_and_its_latency(committed, latency, met):
    runs = [*sweep_runs(), *api_runs(), api_overload_run(committed, latency)]
    assert targets_of(runs)["api overload"].met is met


def test_the_api_under_overload_without_its_best_load_run_is_not_measured():
    target = targets_of([*sweep_runs(), api_overload_run()])["api overload"]
    assert (target.measured, target.met) == ("not measured", None)


def test_the_purge_is_timed_not_judged():
    target = targets_of([*sweep_runs(), purge_run()])["purge"]
    assert (target.measured, target.met) == ("12.3 s", None)
    assert target.baseline == "meter_days_purged 365, commitments_kept 365, readings_left 0"


# --- the Node client -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paired", "measured", "baseline", "met"),
    [
        (52, "5.2 tx/s", "4.0 tx/s (1.30x)", True),
        (51, "5.1 tx/s", "4.0 tx/s (1.27x)", False),
    ],
)
def test_the_node_client_target_needs_1_3_times_its_rate(paired, measured, baseline, met):
    target = targets_of([*sweep_runs(), *node_runs(paired)])["client 0"]
    assert target == Target(
        "Python client tx/s vs Node client, 100 bundles/tx, concurrency 4",
        ">= 1.3x",
        measured,
        baseline,
        met,
    )


def test_without_a_paired_run_the_node_client_is_compared_with_the_sweeps():
    [_, node] = node_runs()
    target = targets_of([*sweep_runs(), node])["client 0"]
    assert (target.measured, target.baseline, target.met) == (
        "5.5 tx/s",
        "4.0 tx/s (1.38x)",
        True,
    )


def test_the_paired_run_is_enough_without_a_sweep_run_at_that_load():
    """BUG (bench/plan.py, same_load): the fallback, next(sweep runs), is an argument and
    so evaluated before the paired run is looked for; without a sweep run at the Node
    run's size and concurrency it raises StopIteration even though the paired run is
    there. Fix: `next((... PAIRED ...), None) or next(... sweep ...)`."""
    target = targets_of([*sweep_runs(), *node_runs(load=8)])["client 0"]
    assert (target.measured, target.baseline) == ("5.2 tx/s", "4.0 tx/s (1.30x)")


def test_no_node_runs_no_client_targets():
    targets = summarise(plan(), [*sweep_runs(), *api_runs(), purge_run()])[0]
    assert len(targets) == 8
    assert not [t for t in targets if "Node client" in t.what]


def test_the_market_at_scale_reports_orders_per_second_and_the_clearings_time():
    placed = result("market at scale: PlaceOrder by 10,000 households, closed 64", load=64,
                    duration=50.0, committed=10_000, items=10_000, cpu={"peer": 80.0})  # fmt: skip
    cleared = result("market at scale: ClearInterval of 10,000 orders in one transaction",
                     mode="triggered", load=1, batch_size=10_000, duration=12.5, committed=1,
                     items=10_000, cpu={"peer": 9.0, "chaincode": 6.0})  # fmt: skip
    targets = targets_of([*sweep_runs(), placed, cleared])
    orders, clearing = targets["city orders"], targets["city clearing"]
    assert orders.what == "orders of one interval by 10,000 households, each its own identity"
    assert (orders.measured, orders.met) == ("200 orders/s, 10,000 placed", True)
    assert orders.baseline == "peers' CPU 80.0 s (8.0 ms an order)"
    assert (clearing.measured, clearing.met) == ("12.5 s", True)
    assert clearing.baseline == "peers' CPU 9.0 s, chaincode 6.0 s"


def test_a_market_at_scale_not_run_is_not_measured():
    targets = targets_of(sweep_runs())
    assert (targets["city orders"].measured, targets["city orders"].met) == ("not measured", None)
    assert (targets["city clearing"].measured, targets["city clearing"].met) == (
        "not cleared",
        None,
    )


# --- notes and settings ----------------------------------------------------------------


def test_without_chaincode_cpu_the_cost_per_1000_readings_is_not_measured():
    results = [sweep(25, 2, 100, cpu={"peer": 1.0}), sweep(100, 2, 0, items=0)]
    [note] = summarise(plan(), results)[1]
    assert note == (
        "best run (sweep: 25 bundles/tx, closed 2): 5 % of 2 cores busy (peer 5 %); "
        "chaincode CPU per 1,000 readings not measured"
    )


def test_skipped_experiments_are_noted_last():
    skipped = [
        "Node client baseline: node or bench/node is missing",
        "HTTP API: it is not running (make api)",
    ]
    notes = summarise(plan(skipped=list(skipped)), [*sweep_runs(), sustained_run()])[1]
    assert len(notes) == 4
    assert notes[0].startswith("best run (sweep: 100 bundles/tx, closed 4): ")
    assert notes[1].startswith("sustained run: ")
    assert notes[2:] == skipped


def test_settings_lists_the_channel_batch_settings_and_the_run():
    settings = plan().settings(Settings(duration=15, warmup=5, meters=1000))
    assert settings["BatchTimeout"] == "250ms"
    assert settings["MaxMessageCount"] == 500
    assert settings["batch sizes swept"] == "25, 100"
    assert settings["concurrency swept"] == "2, 4"
    assert settings["measured seconds per run"] == 15
    assert settings["warm-up seconds per run"] == 5
    assert settings["meters"] == 1000
    assert settings["market households (one identity each)"] == 100
    assert "OR(UtilityMSP.peer)" in settings["endorsement"]
