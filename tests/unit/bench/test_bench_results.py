"""bench/results.py: nearest-rank percentiles and the figures a `Result` reports."""

from __future__ import annotations

import dataclasses
import json

import pytest
from bench_builders import result

from bench.results import Result, percentile

WIKI_5 = [15, 20, 35, 40, 50]
WIKI_10 = [3, 6, 7, 8, 8, 10, 13, 15, 16, 20]
WIKI_11 = [3, 6, 7, 8, 8, 9, 10, 13, 15, 16, 20]


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        (WIKI_5, 5, 15),
        (WIKI_5, 30, 20),
        (WIKI_5, 40, 20),
        (WIKI_5, 50, 35),
        (WIKI_5, 100, 50),
        (WIKI_10, 25, 7),
        (WIKI_10, 50, 8),
        (WIKI_10, 75, 15),
        (WIKI_10, 100, 20),
        (WIKI_11, 25, 7),
        (WIKI_11, 50, 9),
        (WIKI_11, 75, 15),
        (WIKI_11, 100, 20),
        (WIKI_5, 0, 15),  # rank never below 1
        ([7.5], 0, 7.5),
        ([7.5], 99, 7.5),
        (list(range(1, 101)), 50, 50),
        (list(range(1, 101)), 95, 95),
        (list(range(1, 101)), 99, 99),
        (list(range(1, 1001)), 99, 990),
    ],
)
def test_percentile_is_the_nearest_rank(values, q, expected):
    assert percentile(values, q) == expected


def test_percentile_sorts_its_input_without_changing_it():
    values = [50, 15, 40, 20, 35]
    assert percentile(values, 50) == 35
    assert values == [50, 15, 40, 20, 35]


def test_percentile_of_nothing_is_none():
    assert percentile([], 50) is None
    assert percentile([], 99) is None


def test_percentile_rank_is_exact_for_every_whole_percent():
    values = list(range(1, 101))
    assert [percentile(values, q) for q in range(1, 101)] == values
    assert percentile(list(range(1, 1001)), 99.9) == 999


def test_rates_are_per_second_of_the_measured_window():
    r = result("run", duration=4, committed=10, items=960)
    assert r.tx_per_s == 2.5
    assert r.readings_per_s == 240.0


def test_latency_ms_is_the_percentile_in_milliseconds():
    r = result("run", committed=4, latencies=[0.4, 0.1, 0.3, 0.2])
    assert r.latency_ms(50) == pytest.approx(200)
    assert r.latency_ms(75) == pytest.approx(300)
    assert r.latency_ms(99) == pytest.approx(400)
    assert result("nothing committed").latency_ms(50) is None


def test_cpu_ms_per_tx():
    r = result("run", committed=10, cpu={"peer": 0.5, "client": 0.0})
    assert r.cpu_ms_per_tx("peer") == pytest.approx(50)
    assert r.cpu_ms_per_tx("client") == 0.0
    assert r.cpu_ms_per_tx("chaincode") is None
    assert result("run", committed=0, cpu={"peer": 0.5}).cpu_ms_per_tx("peer") is None


def test_to_json_has_every_field_and_the_figures_rounded():
    r = result(
        "sweep: batch 16, closed 8",
        batch_size=16,
        load=8,
        duration=3,
        committed=10,
        items=160,
        failures={"timeout": 2},
        latencies=[0.1234567, 0.2, 0.3],
        cpu={"peer": 1.25},
    )
    record = r.to_json()
    fields = {f.name for f in dataclasses.fields(Result)}
    assert set(record) == fields | {"tx_per_s", "readings_per_s", "p50_ms", "p95_ms", "p99_ms"}
    assert record["latencies"] == [0.12346, 0.2, 0.3]
    assert record["tx_per_s"] == 3.3
    assert record["readings_per_s"] == 53.3
    assert record["p50_ms"] == pytest.approx(200)
    assert record["p95_ms"] == pytest.approx(300)
    assert record["p99_ms"] == pytest.approx(300)
    assert record["failures"] == {"timeout": 2}
    assert record["cpu"] == {"peer": 1.25}
    assert (record["name"], record["batch_size"], record["load"]) == (
        "sweep: batch 16, closed 8",
        16,
        8,
    )
    assert json.loads(json.dumps(record)) == record
    assert r.latencies == [0.1234567, 0.2, 0.3]  # the result itself keeps full precision


def test_to_json_of_a_run_that_committed_nothing():
    record = result("nothing", committed=0).to_json()
    assert (record["p50_ms"], record["p95_ms"], record["p99_ms"]) == (None, None, None)
    assert record["latencies"] == []
    assert record["tx_per_s"] == 0.0


def test_a_result_has_no_series_and_nothing_extra_unless_measured():
    r = Result("run", "python", "community", "closed", 4, 100, 10, 0, 0, {}, [], {})
    assert (r.series, r.extra) == ([], {})
    assert "series" not in repr(r)  # a 30-minute series would drown the repr


def test_to_json_carries_the_series_and_the_extras():
    r = result(
        "sustained 120s: 100 bundles/tx, closed 4",
        batch_size=100,
        duration=120,
        committed=625,
        series=[(0.0, 3_000_000), (60.0, 3_000_000)],
        extra={"peers": {"peer-utility": {"disk_bytes_per_item": 412.4, "rss_mb": 812.6}}},
    )
    record = json.loads(json.dumps(r.to_json()))
    assert record["items"] == 6_000_000
    assert record["readings_per_s"] == 50_000.0
    assert record["series"] == [[0.0, 3_000_000], [60.0, 3_000_000]]
    assert record["extra"] == {
        "peers": {"peer-utility": {"disk_bytes_per_item": 412.4, "rss_mb": 812.6}}
    }
