"""bench/REPORT.md and its charts, written from one run's results.

Everything in the report comes from the run that wrote it: the figures, the machine,
the versions and the channel's live batch settings. Nothing is typed in by hand.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.results import Result

KINDS = ("peer", "orderer", "chaincode", "client", "api")


@dataclass(frozen=True)
class Target:
    """One of the issue's targets and what this run measured for it."""

    what: str
    wanted: str
    measured: str
    baseline: str
    met: bool | None


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": f"{cpu} x {os.cpu_count()} cores",
        "memory": memory,
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "node": command_version(["node", "--version"]),
    }


def command_version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "not installed"


def results_table(results: Sequence[Result]) -> list[str]:
    head = (
        "| run | tx/s | items/s | p50 ms | p95 ms | p99 ms | failures | CPU s "
        + " | ".join(KINDS)
        + " | CPU ms/tx peer · chaincode · client |"
    )
    lines = [head, "|" + " --- |" * (9 + len(KINDS) - 1)]
    for r in results:
        cpu = " | ".join(fmt(r.cpu.get(k), 1) for k in KINDS)
        per_tx = " · ".join(fmt(r.cpu_ms_per_tx(k), 1) for k in ("peer", "chaincode", "client"))
        failures = ", ".join(f"{k} {v}" for k, v in sorted(r.failures.items())) or "0"
        lines.append(
            f"| {r.name} | {fmt(r.tx_per_s, 1)} | {fmt(r.readings_per_s)} | "
            f"{fmt(r.latency_ms(50))} | {fmt(r.latency_ms(95))} | {fmt(r.latency_ms(99))} | "
            f"{failures} | {cpu} | {per_tx} |"
        )
    return lines


def saturation(r: Result) -> str:
    """Where the CPU went during a run, as a share of the machine's cores."""
    cores = os.cpu_count() or 1
    total = sum(r.cpu.values())
    shares = ", ".join(
        f"{k} {100 * v / (r.duration * cores):.0f} %"
        for k, v in sorted(r.cpu.items(), key=lambda kv: -kv[1])
        if round(100 * v / (r.duration * cores))
    )
    return f"{100 * total / (r.duration * cores):.0f} % of {cores} cores busy ({shares})"


def chart_sweep(results: Sequence[Result], folder: Path) -> list[str]:
    """Throughput and p99 latency against concurrency, one line per batch size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = [r for r in results if r.name.startswith("sweep")]
    if not sweep:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for metric, label, file in (
        (lambda r: r.readings_per_s, "committed readings/s", "sweep-readings.png"),
        (lambda r: r.tx_per_s, "committed tx/s", "sweep-tx.png"),
        (lambda r: r.latency_ms(99) or 0, "p99 submit-to-commit (ms)", "sweep-p99.png"),
    ):
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for size in sorted({r.batch_size for r in sweep}):
            points = sorted((r.load, metric(r)) for r in sweep if r.batch_size == size)
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=f"{size}/tx")
        ax.set_xlabel("concurrency (transactions in flight)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / file, dpi=110)
        plt.close(fig)
        made.append(file)
    return made


def chart_sustained(results: Sequence[Result], folder: Path) -> list[str]:
    """Readings/s minute by minute against the readings the run had committed by then."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = next((r for r in results if r.series), None)
    if run is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    stored, xs, ys = 0, [], []
    for start, items in run.series:
        width = min(60.0, run.duration - start) or 60.0
        stored += items
        xs.append(stored / 1e6)
        ys.append(items / width)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(xs, ys, marker=".")
    ax.set_xlabel("readings committed by this run (millions)")
    ax.set_ylabel("committed readings/s (per minute)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.set_title(run.name, fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "sustained.png", dpi=110)
    plt.close(fig)
    return ["sustained.png"]


def profile_section(profiles: dict[str, list[Any]]) -> list[str]:
    """Each profiled run's processes: their named areas and hottest functions."""
    if not profiles:
        return []
    lines = [
        "## Profiles: what each process spends its CPU on",
        "",
        "Sampled inside the measured window of the runs named below: Go's pprof from every "
        "peer (areas are cumulative, so they overlap: an area includes what runs under it), "
        "py-spy from the utility's chaincode server and the client (areas by the source "
        "file of the innermost Python frame). Raw profiles: run/bench/profiles.",
        "",
    ]
    for run, taken in profiles.items():
        lines += [f"### {run}", ""]
        for profile in taken:
            lines += profile.lines()
        lines.append("")
    return lines


def tuning_log() -> list[str]:
    """The changes made for performance and their before/after figures (bench/TUNING.md)."""
    path = Path(__file__).resolve().parent / "TUNING.md"
    return path.read_text().splitlines() if path.exists() else ["(none recorded)"]


def write(
    path: Path,
    results: Sequence[Result],
    targets: Sequence[Target],
    settings: dict[str, Any],
    notes: Sequence[str],
    profiles: dict[str, list[Any]] | None = None,
    sections: Sequence[str] = (),
) -> Path:
    charts = [
        *chart_sweep(results, path.parent / "charts"),
        *chart_sustained(results, path.parent / "charts"),
    ]
    lines = [
        "# GridLedger benchmark",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from one run; "
        "every figure below was measured in that run, on the real network of the checkout.",
        "",
        "## Targets",
        "",
        "| target | wanted | measured | baseline in the same run | met |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {t.what} | {t.wanted} | {t.measured} | {t.baseline} | "
            f"{'-' if t.met is None else 'yes' if t.met else 'no'} |"
            for t in targets
        ),
        "",
        "## What limits it",
        "",
        *(f"- {note}" for note in notes),
        "",
        *profile_section(profiles or {}),
        *sections,
        "## Tuning: what each change bought",
        "",
        *tuning_log(),
        "",
        "## Every run",
        "",
        "Closed loop: a fixed number of transactions in flight; open loop: a fixed arrival "
        "rate, latency counted from the scheduled start. Warm-up excluded. Throughput is "
        "what committed VALID inside the measured window; items are readings for ingestion, "
        "invoices for invoicing, orders placed or cleared for the market. CPU seconds per "
        "process kind over the window, from /proc (the Node client reports its own); the "
        "market's orders and clearings share one window, so its CPU is booked on the orders.",
        "",
        *results_table(results),
        "",
        *(f"![{c}](charts/{c})" for c in charts),
        "",
        "## Machine, versions and settings",
        "",
        *(f"- {k}: {v}" for k, v in {**machine(), **settings}.items()),
        "",
    ]
    path.write_text("\n".join(lines))
    (path.parent / "results.json").write_text(
        json.dumps([r.to_json() for r in results], indent=1) + "\n"
    )
    return path
