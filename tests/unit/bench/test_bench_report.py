"""bench/report.py: REPORT.md, its charts and results.json, from hand-made results."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest
from bench_builders import result, sweep

from bench import report
from bench.report import Target, chart_sustained, chart_sweep, fmt, saturation, write

PNG = b"\x89PNG\r\n\x1a\n"
CHARTS = ("sweep-readings.png", "sweep-tx.png", "sweep-p99.png", "sustained.png")
MS_1_TO_100 = [n / 1000 for n in range(1, 101)]  # p50 50 ms, p95 95 ms, p99 99 ms


COMMAND_VERSION = report.command_version


def two_cores_and_node_20(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(report, "command_version", lambda argv: "v20.11.1")


@pytest.fixture(autouse=True)
def machine(monkeypatch):
    two_cores_and_node_20(monkeypatch)


def sustained(series=((0.0, 600_000), (60.0, 1_200_000), (120.0, 300_000)), duration=150):
    """A tracked run: 10,000 readings/s, then 20,000, then 10,000 over its last 30 s."""
    return result(
        "sustained 150s: 100 bundles/tx, closed 4",
        load=4,
        batch_size=100,
        duration=duration,
        items=sum(items for _, items in series),
        series=list(series),
    )


def runs():
    return [
        sweep(
            25,
            2,
            12345,
            items=12346,
            failures={"timeout": 2, "MVCC_READ_CONFLICT": 3},
            latencies=MS_1_TO_100,
            cpu={"peer": 12.34, "chaincode": 5.0, "client": 2.5},
        ),
        sweep(25, 8, 200, latencies=[0.02] * 10),
        sweep(100, 2, 50, latencies=[0.3] * 10),
        sweep(100, 8, 90, latencies=[0.5] * 10),
        result("purge: PurgeHousehold of 35,040 readings (365 days)", mode="single", load=1),
        sustained(),
    ]


TARGETS = [
    Target("committed readings/s, sustained 30 minutes", ">= 50,000", "52,000", "-", True),
    Target("last 5 minutes vs first 5", ">= 90 %", "not measured", "-", False),
    Target("Python client tx/s vs Node client", ">= 1.3x", "1.0 tx/s", "2.0 tx/s (0.50x)", None),
]
NOTES = ["best run (sweep: 100 bundles/tx, closed 8): 5 % busy", "HTTP API: not running"]
SETTINGS = {"BatchTimeout": "250ms", "MaxMessageCount": 500}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("bench")


@pytest.fixture(scope="module")
def written(folder):
    """The report, written once for the module (drawing the charts takes a while)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        two_cores_and_node_20(monkeypatch)
        path = write(folder / "REPORT.md", runs(), TARGETS, SETTINGS, NOTES)
    return path, path.read_text()


def test_fmt():
    assert fmt(None) == "-"
    assert fmt(None, 1) == "-"
    assert fmt(1234.5, 1) == "1,234.5"
    assert fmt(1234567.89) == "1,234,568"
    assert fmt(0.04, 1) == "0.0"


def test_write_returns_the_path_and_starts_with_the_title(written, folder):
    path, text = written
    assert path == folder / "REPORT.md"
    assert text.startswith("# GridLedger benchmark\n")
    assert re.search(r"Written by `make bench` on \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)


def test_the_targets_table_says_yes_no_or_dash(written):
    _, text = written
    assert (
        "| target | wanted | measured | baseline in the same run | met |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| committed readings/s, sustained 30 minutes | >= 50,000 | 52,000 | - | yes |\n"
        "| last 5 minutes vs first 5 | >= 90 % | not measured | - | no |\n"
        "| Python client tx/s vs Node client | >= 1.3x | 1.0 tx/s | 2.0 tx/s (0.50x) | - |\n"
    ) in text


def test_the_notes_are_listed(written):
    _, text = written
    assert (
        "## What limits it\n\n"
        "- best run (sweep: 100 bundles/tx, closed 8): 5 % busy\n"
        "- HTTP API: not running\n"
    ) in text


def test_each_run_has_a_row_with_its_figures(written):
    _, text = written
    rows = text.splitlines()
    assert (
        "| sweep: 25 bundles/tx, closed 2 | 1,234.5 | 1,235 | 50 | 95 | 99 | "
        "MVCC_READ_CONFLICT 3, timeout 2 | 12.3 | - | 5.0 | 2.5 | - | 1.0 · 0.4 · 0.2 |"
    ) in rows
    # 20 tx/s of 25 bundles: 48,000 readings/s
    assert "| sweep: 25 bundles/tx, closed 8 | 20.0 | 48,000 | 20 | 20 | 20 | 0 |" in text
    assert "| sweep: 100 bundles/tx, closed 2 | 5.0 | 48,000 | 300 | 300 | 300 | 0 |" in text
    assert (
        "| purge: PurgeHousehold of 35,040 readings (365 days) | 0.0 | 0 | - | - | - | 0 | "
        "- | - | - | - | - | - · - · - |"
    ) in rows
    assert "| sustained 150s: 100 bundles/tx, closed 4 | 0.0 | 14,000 | - | - | - | 0 |" in text


def test_the_runs_table_has_as_many_cells_in_every_line(written):
    _, text = written
    table = [line for line in text.splitlines() if line.startswith("| run |")]
    assert len(table) == 1
    lines = text.splitlines()
    start = lines.index(table[0])
    body = lines[start : start + 2 + len(runs())]
    assert body[1].startswith("| --- |")
    cells = [line.count("|") for line in body]
    assert cells == [cells[0]] * len(body)
    assert cells[0] == 14  # run, 6 figures, 5 CPU kinds, per-tx: 13 columns
    assert "| CPU s peer | orderer | chaincode | client | api |" in table[0]


def test_the_sweep_charts_are_png_files_linked_from_the_report(written, folder):
    _, text = written
    assert sorted(p.name for p in (folder / "charts").iterdir()) == sorted(CHARTS)
    for chart in CHARTS:
        assert f"![{chart}](charts/{chart})" in text.splitlines()
        data = (folder / "charts" / chart).read_bytes()
        assert data.startswith(PNG)
        assert len(data) > 5000


def test_no_sweep_no_charts(tmp_path):
    only_purge = [result("purge: PurgeHousehold of 35,040 readings (365 days)", load=1)]
    text = write(tmp_path / "REPORT.md", only_purge, [], {}, []).read_text()
    assert "![" not in text
    assert not (tmp_path / "charts").exists()


def test_machine_versions_and_settings_are_listed(written):
    _, text = written
    section = text.split("## Machine, versions and settings\n", 1)[1]
    assert "- BatchTimeout: 250ms\n" in section
    assert "- MaxMessageCount: 500\n" in section
    assert f"- python: {sys.version.split()[0]}\n" in section
    assert "- node: v20.11.1\n" in section
    assert re.search(r"^- cpu: .+ x 2 cores$", section, re.M)
    assert re.search(r"^- memory: \d+ kB$", section, re.M)


def test_results_json_is_written_next_to_the_report(written, folder):
    records = json.loads((folder / "results.json").read_text())
    assert [r["name"] for r in records] == [r.name for r in runs()]
    first = records[0]
    assert first["tx_per_s"] == 1234.5
    assert first["readings_per_s"] == 1234.6
    assert first["p50_ms"] == pytest.approx(50)
    assert first["p95_ms"] == pytest.approx(95)
    assert first["p99_ms"] == pytest.approx(99)
    assert first["failures"] == {"timeout": 2, "MVCC_READ_CONFLICT": 3}
    assert (first["series"], first["extra"]) == ([], {})
    assert records[-2]["p50_ms"] is None
    assert records[-1]["series"] == [[0.0, 600_000], [60.0, 1_200_000], [120.0, 300_000]]


def test_saturation_is_a_share_of_the_machine_cores():
    r = result(
        "run", duration=10, cpu={"peer": 4.0, "chaincode": 2.0, "client": 1.0, "orderer": 0.0}
    )
    assert saturation(r) == "35 % of 2 cores busy (peer 20 %, chaincode 10 %, client 5 %)"


def test_saturation_without_cpu_figures(monkeypatch):
    assert saturation(result("run", duration=10)) == "0 % of 2 cores busy ()"
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert saturation(result("run", duration=4, cpu={"peer": 3.0})) == (
        "75 % of 1 cores busy (peer 75 %)"
    )


def test_command_version():
    assert COMMAND_VERSION([sys.executable, "--version"]).startswith("Python 3.")
    assert COMMAND_VERSION(["/nonexistent/gridledger-node"]) == "not installed"


@pytest.fixture
def drawn(monkeypatch):
    """What each figure saved showed: its file name, its lines' labels and points."""
    from matplotlib.figure import Figure

    seen: dict[str, dict] = {}
    save = Figure.savefig

    def savefig(fig, path, **kw):
        [ax] = fig.axes
        seen[path.name] = {
            "labels": [line.get_label() for line in ax.get_lines()],
            "points": [[tuple(p) for p in line.get_xydata()] for line in ax.get_lines()],
            "axes": (ax.get_xlabel(), ax.get_ylabel()),
        }
        save(fig, path, **kw)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return seen


def test_the_sweep_charts_have_a_line_per_bundles_per_transaction(tmp_path, drawn):
    made = chart_sweep(runs(), tmp_path)
    assert made == ["sweep-readings.png", "sweep-tx.png", "sweep-p99.png"]
    assert {name: d["labels"] for name, d in drawn.items()} == {
        name: ["25/tx", "100/tx"] for name in made
    }
    assert drawn["sweep-readings.png"]["points"] == [
        [(2.0, 1234.6), (8.0, 48_000.0)],
        [(2.0, 48_000.0), (8.0, 86_400.0)],
    ]
    assert drawn["sweep-tx.png"]["axes"] == (
        "concurrency (transactions in flight)",
        "committed tx/s",
    )


def test_the_sustained_chart_is_readings_per_s_against_readings_committed(tmp_path, drawn):
    assert chart_sustained(runs(), tmp_path) == ["sustained.png"]
    data = (tmp_path / "sustained.png").read_bytes()
    assert data.startswith(PNG)
    assert len(data) > 5000
    chart = drawn["sustained.png"]
    # the last minute is the 30 s left of the 150 s window
    assert chart["points"] == [[(0.6, 10_000.0), (1.8, 20_000.0), (2.1, 10_000.0)]]
    assert chart["axes"] == (
        "readings committed by this run (millions)",
        "committed readings/s (per minute)",
    )


def test_without_a_tracked_run_no_sustained_chart(tmp_path):
    assert chart_sustained(runs()[:-1], tmp_path) == []
    assert not (tmp_path / "sustained.png").exists()
