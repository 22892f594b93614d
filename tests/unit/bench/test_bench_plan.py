"""bench/plan.py: picking the best runs and what the report concludes from a set of results.

`Plan.execute` and `Plan.node_client_ready` need the network and are not called here.
"""

from __future__ import annotations

import os

import pytest
from bench_builders import result, sweep

from bench.experiments import Settings
from bench.plan import Plan, best, find, ratio, summarise
from bench.report import Target

P99_990_MS = [n / 100 for n in range(1, 101)]


@pytest.fixture(autouse=True)
def two_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def plan(**kw) -> Plan:
    return Plan(batch_sizes=(1, 96), concurrency=(8, 32), sustain=60, with_node_client=True, **kw)


def sweep_runs():
    return [
        sweep(1, 8, 3000),  # 300 tx/s
        sweep(1, 32, 5500, cpu={"peer": 4.0, "chaincode": 2.0, "client": 1.0}),  # 550 tx/s
        sweep(96, 8, 1000, cpu={"peer": 3.0, "chaincode": 2.0}),  # 100 tx/s, 9,600 readings/s
        sweep(  # 120 tx/s, 11,520 readings/s
            96, 32, 1200, cpu={"peer": 6.0, "chaincode": 3.0, "client": 0.6, "orderer": 0.4}
        ),
    ]


def open_run(latencies=P99_990_MS):
    return result(
        "open loop: batch 1 at 385 tx/s (70 % of max)",
        mode="open",
        load=385,
        committed=len(latencies),
        latencies=latencies,
    )


def node_client_run():
    return result(
        "node client, community chaincode, batch 1, closed 32",
        client="node",
        load=32,
        committed=4500,  # 450 tx/s
    )


def sustained_run(seconds=60, readings_per_s=11_000):
    return result(
        f"sustained {seconds:g}s: batch 96, closed 32",
        load=32,
        batch_size=96,
        duration=seconds,
        committed=readings_per_s * seconds // 96,
        items=readings_per_s * seconds,
    )


def everything():
    return [*sweep_runs(), open_run(), node_client_run(), sustained_run()]


# --- best, find, ratio ---------------------------------------------------------------


def test_best_is_the_sweep_run_with_the_most_tx_per_s_for_the_batch_size():
    results = everything()
    assert best(results, 1).name == "sweep: batch 1, closed 32"
    assert best(results, 96).name == "sweep: batch 96, closed 32"


def test_best_ignores_runs_that_are_not_part_of_the_sweep():
    faster = [
        result("node client, community chaincode, batch 1, closed 8", client="node", committed=9e4),
        result("open loop: batch 1 at 900 tx/s", mode="open", load=900, committed=9000),
        result("sustained 60s: batch 96, closed 8", batch_size=96, committed=99999),
    ]
    results = [*faster, *sweep_runs()]
    assert best(results, 1).name == "sweep: batch 1, closed 32"
    assert best(results, 96).name == "sweep: batch 96, closed 32"


def test_best_without_a_sweep_run_of_that_size_fails():
    with pytest.raises(ValueError):
        best(everything(), 16)


def test_find_matches_every_given_field():
    results = everything()
    assert find(results, client="node") == [node_client_run()]
    assert find(results, client="node", batch_size=1, load=32) == [node_client_run()]
    assert find(results, client="node", batch_size=96) == []


@pytest.mark.parametrize(
    ("ours", "theirs", "text"),
    [
        (550, 450, "1.22x"),
        (100, 80, "1.25x"),
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


# --- summarise -----------------------------------------------------------------------


def test_summarise_every_target_of_a_full_run():
    targets, notes, details = summarise(plan(), everything())
    assert targets == [
        Target(
            "batched readings, committed/s, sustained 60s",
            ">= 10,000 for 600 s",
            "11,000 (batch 96)",
            "-",
            False,  # fast enough, but not for 600 s
        ),
        Target("single-reading tx/s", ">= 500", "550.0", "-", True),
        Target(
            "p99 submit-to-commit at 70 % of max, BatchTimeout 250ms",
            "<= 1,000 ms",
            "990 ms",
            "-",
            True,
        ),
        Target(
            "Python client tx/s vs Node client, batch 1, concurrency 32",
            ">= 1.3x",
            "550.0 tx/s",
            "450.0 tx/s (1.22x)",
            False,
        ),
    ]
    assert notes == [
        "best single-reading run (sweep: batch 1, closed 32): "
        "35 % of 2 cores busy (peer 20 %, chaincode 10 %, client 5 %); "
        "chaincode CPU 364 ms per 1,000 readings",  # 2.0 s for 5,500 readings
        "best batched run (sweep: batch 96, closed 32): "
        "50 % of 2 cores busy (peer 30 %, chaincode 15 %, client 3 %, orderer 2 %); "
        "chaincode CPU 26 ms per 1,000 readings",  # 3.0 s for 115,200 readings
    ]
    assert details == {}


def test_the_sustained_target_is_met_only_at_10000_readings_per_s_for_600_s():
    def met(run):
        return summarise(plan(), [*sweep_runs(), run])[0][0]

    ten_minutes = met(sustained_run(600, 10_000))
    assert ten_minutes.what == "batched readings, committed/s, sustained 600s"
    assert ten_minutes.measured == "10,000 (batch 96)"
    assert ten_minutes.met is True
    assert met(sustained_run(600, 9_984)).met is False
    assert met(sustained_run(599, 12_000)).met is False


def test_without_a_sustained_run_the_best_sweep_run_is_quoted_and_not_met():
    first = summarise(plan(), sweep_runs())[0][0]
    assert first == Target(
        "batched readings, committed/s", ">= 10,000 for 600 s", "11,520 (batch 96)", "-", False
    )


def test_the_single_reading_target_is_500_tx_per_s():
    at_500 = [sweep(1, 8, 5000), sweep(96, 8, 100)]
    assert summarise(plan(), at_500)[0][1].met is True
    below = [sweep(1, 8, 4999), sweep(96, 8, 100)]
    single = summarise(plan(), below)[0][1]
    assert (single.measured, single.met) == ("499.9", False)


@pytest.mark.parametrize(
    ("latencies", "measured", "met"),
    [
        ([0.25] * 99 + [1.0], "250 ms", True),  # p99 is the 99th of 100
        ([0.25] * 98 + [1.0, 1.0], "1,000 ms", True),
        ([0.25] * 98 + [1.001, 2.0], "1,001 ms", False),
    ],
)
def test_the_latency_target_is_p99_of_the_open_loop_run(latencies, measured, met):
    target = summarise(plan(), [*sweep_runs(), open_run(latencies)])[0][2]
    assert (target.measured, target.met) == (measured, met)


def test_without_an_open_loop_run_the_latency_is_not_measured():
    target = summarise(plan(), sweep_runs())[0][2]
    assert (target.measured, target.met) == ("not measured", False)


def test_no_node_runs_no_baseline_targets():
    targets, _, _ = summarise(plan(), [*sweep_runs(), open_run()])
    assert len(targets) == 3


def test_the_node_client_target_needs_1_3_times_its_rate():
    node_at_423 = result(
        "node client, community chaincode, batch 1, closed 32",
        client="node",
        load=32,
        committed=4230,  # 550 / 423 = 1.3002
    )
    target = summarise(plan(), [*sweep_runs(), node_at_423])[0][3]
    assert (target.baseline, target.met) == ("423.0 tx/s (1.30x)", True)


def test_the_node_client_is_the_only_baseline():
    targets, _, _ = summarise(plan(), everything())
    assert [t.what for t in targets if t.baseline != "-"] == [
        "Python client tx/s vs Node client, batch 1, concurrency 32"
    ]


def test_without_chaincode_cpu_the_cost_per_1000_readings_is_not_measured():
    results = [sweep(1, 8, 3000, cpu={"peer": 1.0}), sweep(96, 8, 0)]
    notes = summarise(plan(), results)[1]
    assert notes[0].endswith("; chaincode CPU per 1,000 readings not measured")
    assert notes[1].endswith("; chaincode CPU per 1,000 readings not measured")


def test_skipped_experiments_are_noted():
    skipped = [
        "Node client baseline: node or bench/node is missing",
        "HTTP API: it is not running",
    ]
    notes = summarise(plan(skipped=list(skipped)), sweep_runs())[1]
    assert notes[2:] == skipped


def test_the_sustained_target_names_the_batch_size_of_the_sustained_run():
    results = [
        sweep(1, 8, 3000),
        sweep(16, 8, 7500),  # 12,000 readings/s
        sweep(96, 8, 1100),  # 10,560 readings/s
        sustained_run(60, 10_080),  # batch 96, as Plan.execute runs it
    ]
    first = summarise(plan(), results)[0][0]
    assert first.measured == "10,080 (batch 96)"


def test_an_open_loop_run_without_commits_does_not_report_0_ms():
    target = summarise(plan(), [*sweep_runs(), open_run([])])[0][2]
    assert target.met is False
    assert target.measured != "0 ms"


def test_a_sweep_without_batch_size_1_can_be_summarised():
    results = [sweep(16, 8, 600), sweep(96, 8, 100)]
    targets, _, _ = summarise(Plan((16, 96), (8,), 0, False), results)
    assert targets[1].what == "single-reading tx/s"
    assert targets[1].met is not True


# --- settings ------------------------------------------------------------------------


def test_settings_lists_the_channel_batch_settings_and_the_run():
    settings = plan().settings(Settings(duration=15, warmup=5, meters=400))
    assert settings["BatchTimeout"] == "250ms"
    assert settings["MaxMessageCount"] == 500
    assert settings["batch sizes swept"] == "1, 96"
    assert settings["concurrency swept"] == "8, 32"
    assert settings["measured seconds per run"] == 15
    assert settings["warm-up seconds per run"] == 5
    assert settings["meters"] == 400
    assert "OR(UtilityMSP.peer)" in settings["endorsement"]


def test_the_baselines_are_compared_with_the_python_run_made_beside_them():
    """The paired run, made next to the Node run, counts rather than the earlier sweep's."""
    node_at_400 = result(
        "node client, community chaincode, batch 1, closed 32",
        client="node",
        load=32,
        committed=4000,
    )
    paired_at_520 = result(
        "paired: python client, community chaincode, batch 1, closed 32",
        load=32,
        committed=5200,
    )
    target = summarise(plan(), [*sweep_runs(), paired_at_520, node_at_400])[0][3]
    assert (target.measured, target.baseline, target.met) == (
        "520.0 tx/s",
        "400.0 tx/s (1.30x)",
        True,
    )
