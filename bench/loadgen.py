"""Open- and closed-loop load from one asyncio event loop, with warm-up and a fixed duration.

Closed loop: `concurrency` workers each submit, wait for the commit, and submit again.
Open loop: transactions start at a fixed rate whatever happens to earlier ones, and a
latency counts from the scheduled start, so a queue building up shows as latency.
Either way, a transaction counts where it ends: throughput is what committed VALID
inside the measured window, whenever it started (counting only those that also started
inside it would miss a latency's worth of commits at each end: at 13 s of latency in a
15-s window, nearly all of them).

A transaction is submitted in Fabric's long form (endorse, submit, commit status)
without the client's retries, so every failure is seen and counted by kind. A system
that pushes back (`Refused`: an HTTP 429) is counted as refusing, and a closed-loop
worker offers the same job again after the wait it asked for, as a head-end does.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from client import CommitError, CommitStatusError, EndorseError, SubmitError

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """One transaction: when it started and ended (monotonic s), how it ended, what it carried."""

    started: float
    finished: float
    failure: str | None
    items: int

    @property
    def latency(self) -> float:
        return self.finished - self.started


@dataclass
class Window:
    """The measured part of a run: from the end of the warm-up, for `duration` seconds.

    It holds the transactions that ended inside it, committed or failed.
    """

    start: float
    duration: float
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def end(self) -> float:
        return self.start + self.duration

    def record(self, outcome: Outcome) -> None:
        if self.start <= outcome.finished <= self.end:
            self.outcomes.append(outcome)

    def committed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failure is None]

    def failures(self) -> Counter[str]:
        return Counter(o.failure for o in self.outcomes if o.failure is not None)


def failure_kind(exc: BaseException) -> str:
    """The kind a failed transaction is counted under in the report."""
    if isinstance(exc, CommitError):
        return exc.code_name
    if isinstance(exc, asyncio.TimeoutError) or "DEADLINE_EXCEEDED" in str(exc):
        return "timeout"
    if isinstance(exc, EndorseError):
        return "endorsement"
    if isinstance(exc, SubmitError):
        return "submit"
    if isinstance(exc, CommitStatusError):
        return "commit status"
    return type(exc).__name__


Submit = Callable[[T], Awaitable[int]]
REFUSED = "refused: come back later"


class Refused(Exception):
    """The system under test said "not now" (back-pressure) and stored nothing."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"refused; retry after {retry_after:g} s")
        self.retry_after = retry_after


async def timed(submit: Submit[T], job: T, started: float, window: Window) -> float | None:
    """Submit `job` and record how it ended; the wait asked for when it was refused."""
    retry_after, failure, items = None, None, 0
    try:
        items = await submit(job)
    except Refused as exc:
        retry_after, failure = exc.retry_after, REFUSED
    except Exception as exc:  # every failure is counted by kind, none stops the run
        failure = failure_kind(exc)
    window.record(Outcome(started, time.monotonic(), failure, items))
    return retry_after


async def closed_loop(
    submit: Submit[T], jobs: Iterator[T], concurrency: int, duration: float, warmup: float
) -> Window:
    """`concurrency` workers, each with one transaction in flight, until the window ends."""
    window = Window(time.monotonic() + warmup, duration)

    async def worker() -> None:
        for job in jobs:
            while (now := time.monotonic()) < window.end:
                retry_after = await timed(submit, job, now, window)
                if retry_after is None:
                    break
                await asyncio.sleep(retry_after)
            else:
                return

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return window


async def open_loop(
    submit: Submit[T], jobs: Iterator[T], rate: float, duration: float, warmup: float
) -> Window:
    """Start one transaction every 1/`rate` seconds, whatever the earlier ones are doing."""
    begin = time.monotonic()
    window = Window(begin + warmup, duration)
    tasks = []
    for n, job in enumerate(jobs):
        due = begin + n / rate
        if due >= window.end:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(timed(submit, job, due, window)))
    await asyncio.gather(*tasks)
    return window
