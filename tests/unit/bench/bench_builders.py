"""Hand-made benchmark results for the report and plan tests: no network, exact figures."""

from __future__ import annotations

from bench.results import Result


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
) -> Result:
    """A `Result`; unless given, it carried `committed * batch_size` readings."""
    return Result(
        name=name,
        client=client,
        chaincode=chaincode,
        mode=mode,
        load=load,
        batch_size=batch_size,
        duration=duration,
        committed=committed,
        items=committed * batch_size if items is None else items,
        failures=failures or {},
        latencies=latencies or [],
        cpu=cpu or {},
    )


def sweep(batch_size: int, load: int, committed: int, **kw) -> Result:
    """A sweep run named as `Plan.execute` names it."""
    return result(
        f"sweep: batch {batch_size}, closed {load}",
        batch_size=batch_size,
        load=load,
        committed=committed,
        **kw,
    )
