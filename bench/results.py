"""What one benchmark run measured, and the figures the report quotes from it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by the nearest-rank method; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(Fraction(str(q)) * len(ordered) / 100))  # exact: no float rounding
    return ordered[rank - 1]


@dataclass
class Result:
    """One experiment: its settings and what committed in its measured window."""

    name: str
    client: str
    chaincode: str
    mode: str
    load: float  # concurrency (closed loop) or transactions per second (open loop)
    batch_size: int
    duration: float
    committed: int
    items: int
    failures: dict[str, int]
    latencies: list[float] = field(repr=False)
    cpu: dict[str, float]
    # (seconds into the window, items committed in the minute from there): long runs
    series: list[tuple[float, int]] = field(default_factory=list, repr=False)
    # what else a run measured: the peers' disk bytes and RSS, a purge's timing...
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tx_per_s(self) -> float:
        return self.committed / self.duration

    @property
    def readings_per_s(self) -> float:
        return self.items / self.duration

    def latency_ms(self, q: float) -> float | None:
        value = percentile(self.latencies, q)
        return None if value is None else value * 1000

    def cpu_ms_per_tx(self, kind: str) -> float | None:
        if not self.committed or kind not in self.cpu:
            return None
        return self.cpu[kind] * 1000 / self.committed

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["latencies"] = [round(x, 5) for x in self.latencies]
        record.update(
            tx_per_s=round(self.tx_per_s, 1),
            readings_per_s=round(self.readings_per_s, 1),
            p50_ms=self.latency_ms(50),
            p95_ms=self.latency_ms(95),
            p99_ms=self.latency_ms(99),
        )
        return record
