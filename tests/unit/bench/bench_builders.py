"""Hand-made benchmark results for the report and plan tests: no network, exact figures."""

from __future__ import annotations

from typing import Any

from bench.results import Result
from bench.workload import READINGS_PER_DAY


def result(
    name: str,
    *,
    client: str = "python",
    chaincode: str = "community",
    mode: str = "closed",
    load: float = 8,
    batch_size: int = 1,
    duration: float = 10,
    committed: int = 0,
    items: int | None = None,
    failures: dict[str, int] | None = None,
    latencies: list[float] | None = None,
    cpu: dict[str, float] | None = None,
    series: list[tuple[float, int]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Result:
    """A `Result`; unless given, it carried `committed` transactions of `batch_size`
    meter-day bundles, 96 readings each."""
    return Result(
        name=name,
        client=client,
        chaincode=chaincode,
        mode=mode,
        load=load,
        batch_size=batch_size,
        duration=duration,
        committed=committed,
        items=committed * batch_size * READINGS_PER_DAY if items is None else items,
        failures=failures or {},
        latencies=latencies or [],
        cpu=cpu or {},
        series=series or [],
        extra=extra or {},
    )


def sweep(batch_size: int, load: int, committed: int, **kw) -> Result:
    """A sweep run named as `Plan.execute` names it."""
    return result(
        f"sweep: {batch_size} bundles/tx, closed {load}",
        batch_size=batch_size,
        load=load,
        committed=committed,
        **kw,
    )
