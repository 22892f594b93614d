"""bench/loadgen.py: closed and open loops against a fake submit, on a real event loop.

Durations are a few tenths of a second; the assertions leave room for a busy machine.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter

import grpc
import pytest

from bench.loadgen import REFUSED, Outcome, Refused, Window, closed_loop, failure_kind, open_loop
from client import CommitError, CommitStatusError, EndorseError, GatewayError, SubmitError


class FakeSubmit:
    """Sleeps `delay` (behind a gate of `capacity`, if given), returns the job as its items.

    A job that is an exception is raised instead. Counts what is in flight.
    """

    def __init__(self, delay: float = 0.005, capacity: int | None = None) -> None:
        self.delay = delay
        self.gate = asyncio.Semaphore(capacity) if capacity else None
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    async def __call__(self, job):
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.gate is None:
                await asyncio.sleep(self.delay)
            else:
                async with self.gate:
                    await asyncio.sleep(self.delay)
            if isinstance(job, BaseException):
                raise job
            return job
        finally:
            self.in_flight -= 1


def timed_run(coro):
    started = time.monotonic()
    window = asyncio.run(coro)
    return window, time.monotonic() - started


# --- Window --------------------------------------------------------------------------


def test_an_outcome_latency_is_finished_minus_started():
    assert Outcome(1.5, 1.75, None, 3).latency == 0.25


def test_the_window_records_only_outcomes_that_ended_inside_it_whenever_they_started():
    window = Window(start=10.0, duration=5.0)
    for finished in (9.999, 10.0, 12.0, 14.999, 15.0, 15.001, 20.0):
        window.record(Outcome(finished - 3.0, finished, None, 1))
    assert window.end == 15.0
    assert [o.finished for o in window.outcomes] == [10.0, 12.0, 14.999, 15.0]


def test_committed_excludes_failures_and_commits_finishing_outside_the_window():
    window = Window(start=10.0, duration=5.0)
    from_the_warmup = Outcome(2.0, 10.5, None, 1)
    on_time = Outcome(11.0, 14.0, None, 1)
    at_the_end = Outcome(12.0, 15.0, None, 1)
    too_late = Outcome(14.5, 15.001, None, 1)
    failed = Outcome(11.0, 12.0, "timeout", 0)
    failed_late = Outcome(14.0, 16.0, "timeout", 0)
    for outcome in (from_the_warmup, on_time, at_the_end, too_late, failed, failed_late):
        window.record(outcome)
    assert window.committed() == [from_the_warmup, on_time, at_the_end]
    assert window.failures() == Counter({"timeout": 1})


# --- failure kinds -------------------------------------------------------------------


def deadline(kind: type[GatewayError]) -> GatewayError:
    return kind("deadline", transaction_id="tx1", grpc_code=grpc.StatusCode.DEADLINE_EXCEEDED)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (CommitError("tx1", 11, "MVCC_READ_CONFLICT", 7), "MVCC_READ_CONFLICT"),
        (CommitError("tx1", 10, "ENDORSEMENT_POLICY_FAILURE", 7), "ENDORSEMENT_POLICY_FAILURE"),
        (EndorseError("no peer", transaction_id="tx1"), "endorsement"),
        (EndorseError("refused", grpc_code=grpc.StatusCode.ABORTED), "endorsement"),
        (SubmitError("orderer down", transaction_id="tx1"), "submit"),
        (CommitStatusError("status", grpc_code=grpc.StatusCode.UNAVAILABLE), "commit status"),
        (TimeoutError(), "timeout"),  # asyncio.TimeoutError, since Python 3.11
        (TimeoutError("commit status wait"), "timeout"),
        (RuntimeError("call failed: StatusCode.DEADLINE_EXCEEDED"), "timeout"),
        (deadline(CommitStatusError), "timeout"),
        (deadline(EndorseError), "timeout"),
        (GatewayError("evaluate failed"), "GatewayError"),
        (ValueError("bad"), "ValueError"),
        (KeyError("x"), "KeyError"),
    ],
)
def test_failure_kind(exc, kind):
    assert failure_kind(exc) == kind


# --- closed loop ---------------------------------------------------------------------


def test_closed_loop_keeps_exactly_concurrency_transactions_in_flight():
    submit = FakeSubmit(delay=0.005)
    window, elapsed = timed_run(closed_loop(submit, itertools.repeat(3), 4, 0.2, 0.05))
    assert submit.peak == 4
    assert submit.in_flight == 0
    assert 0.25 <= elapsed < 0.6
    assert window.duration == 0.2
    committed = window.committed()
    assert committed
    assert sum(o.items for o in committed) == 3 * len(committed)


def test_closed_loop_records_only_what_ends_in_the_window_and_leaves_out_the_warmup():
    submit = FakeSubmit(delay=0.01)
    jobs = itertools.count(1)  # the items returned identify the job
    window, _ = timed_run(closed_loop(submit, jobs, 3, 0.2, 0.1))
    finished = [o.finished for o in window.outcomes]
    assert all(window.start <= f <= window.end for f in finished)
    recorded = {o.items for o in window.outcomes}
    assert recorded.isdisjoint({1, 2, 3})  # the first transactions ran in the warm-up
    # About 10 rounds of 3 in the warm-up were submitted and not recorded.
    assert submit.calls - len(window.outcomes) >= 15
    assert len(window.outcomes) >= 15


def test_closed_loop_stops_when_the_window_ends():
    submit = FakeSubmit(delay=0.02)
    window, elapsed = timed_run(closed_loop(submit, itertools.repeat(1), 2, 0.2, 0.0))
    assert elapsed < 0.2 + 0.02 + 0.15
    assert max(o.started for o in window.outcomes) < window.end
    assert submit.calls <= 2 * (0.2 / 0.02 + 2)


def test_closed_loop_stops_when_the_jobs_run_out():
    submit = FakeSubmit(delay=0.005)
    window, elapsed = timed_run(closed_loop(submit, iter(range(1, 11)), 3, 5.0, 0.0))
    assert elapsed < 0.5
    assert submit.calls == 10
    assert len(window.committed()) == 10
    assert sum(o.items for o in window.committed()) == 55


def test_closed_loop_counts_every_failure_by_kind_and_keeps_going():
    jobs = [
        1,
        CommitError("tx1", 11, "MVCC_READ_CONFLICT", 3),
        EndorseError("refused", transaction_id="tx2"),
        SubmitError("orderer", transaction_id="tx3"),
        CommitStatusError("status", transaction_id="tx4"),
        TimeoutError(),
        RuntimeError("<AioRpcError DEADLINE_EXCEEDED>"),
        ValueError("bad"),
        EndorseError("refused again"),
        2,
    ]
    submit = FakeSubmit(delay=0.002)
    window, _ = timed_run(closed_loop(submit, iter(jobs), 2, 5.0, 0.0))
    assert window.failures() == Counter(
        {
            "MVCC_READ_CONFLICT": 1,
            "endorsement": 2,
            "submit": 1,
            "commit status": 1,
            "timeout": 2,
            "ValueError": 1,
        }
    )
    committed = window.committed()
    assert len(committed) == 2
    assert sum(o.items for o in committed) == 3
    assert all(o.items == 0 for o in window.outcomes if o.failure)


# --- open loop -----------------------------------------------------------------------


class PushingBack:
    """Admits `capacity` jobs at once and refuses the rest with a retry hint, like an API's
    429; records the jobs it stored."""

    def __init__(self, capacity: int, delay: float, retry_after: float) -> None:
        self.capacity, self.delay, self.retry_after = capacity, delay, retry_after
        self.in_flight, self.peak, self.refusals = 0, 0, 0
        self.stored: list[int] = []

    async def __call__(self, job: int) -> int:
        if self.in_flight >= self.capacity:
            self.refusals += 1
            raise Refused(self.retry_after)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        self.stored.append(job)
        return 1


def test_a_refused_job_is_offered_again_after_the_wait_and_stored_once():
    target = PushingBack(capacity=2, delay=0.02, retry_after=0.01)
    window, _ = timed_run(closed_loop(target, iter(range(20)), 6, 5.0, 0.0))
    assert target.peak == 2
    assert sorted(target.stored) == list(range(20))
    assert len(window.committed()) == 20
    assert window.failures() == Counter({REFUSED: target.refusals})
    assert target.refusals > 0
    # only what was admitted has a latency: each about one delay, not a queue's worth
    assert max(o.latency for o in window.committed()) < 0.02 + 0.05


def test_a_refused_worker_stops_waiting_when_the_window_ends():
    target = PushingBack(capacity=0, delay=0.0, retry_after=0.05)
    window, elapsed = timed_run(closed_loop(target, itertools.repeat(1), 2, 0.2, 0.0))
    assert elapsed < 0.2 + 0.05 + 0.1
    assert not window.committed()
    assert window.failures()[REFUSED] >= 2 * 3


def test_open_loop_starts_on_schedule_however_slow_the_submits_are():
    rate, warmup, duration = 100.0, 0.1, 0.2
    submit = FakeSubmit(delay=0.05)  # five times 1/rate
    window, elapsed = timed_run(open_loop(submit, itertools.repeat(1), rate, duration, warmup))
    assert 29 <= submit.calls <= 31  # rate x (warm-up + duration)
    assert submit.peak >= 4  # transactions overlap: none waits for the one before
    assert 19 <= len(window.outcomes) <= 21  # those that ended inside the window
    starts = sorted(o.started for o in window.outcomes)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == pytest.approx([1 / rate] * len(gaps), abs=1e-6)  # the schedule itself
    assert elapsed < warmup + duration + 0.05 + 0.15


def test_open_loop_latency_counts_from_the_scheduled_start_so_a_queue_shows():
    # The "network" serves one transaction at a time in 20 ms; arrivals come every 10 ms.
    submit = FakeSubmit(delay=0.02, capacity=1)
    window, _ = timed_run(open_loop(submit, iter([1] * 20), 100.0, 0.6, 0.0))
    assert submit.calls == 20
    assert len(window.outcomes) == 20  # the queue drains 0.4 s in, inside the window
    latencies = [o.latency for o in sorted(window.outcomes, key=lambda o: o.started)]
    assert latencies[0] < 0.06
    assert latencies[-1] > latencies[0] + 0.12  # about 20 ms + 19 x 10 ms of queue
    assert latencies[-1] > 0.15
    second_half = latencies[len(latencies) // 2 :]
    assert min(second_half) > max(latencies[:3])


def test_open_loop_latency_includes_the_delay_before_a_late_start():
    # The first submit blocks the event loop for 60 ms: the next few start late, and
    # their latency counts from when they were due, not from when they ran.
    async def submit(job):
        if job == 0:
            time.sleep(0.06)
        await asyncio.sleep(0.001)
        return 1

    window, _ = timed_run(open_loop(submit, iter(range(6)), 100.0, 1.0, 0.0))
    by_start = sorted(window.outcomes, key=lambda o: o.started)
    assert len(by_start) == 6
    assert by_start[1].started - by_start[0].started == pytest.approx(0.01, abs=1e-6)
    assert by_start[1].latency >= 0.04


def test_open_loop_stops_when_the_jobs_run_out():
    submit = FakeSubmit(delay=0.005)
    window, elapsed = timed_run(open_loop(submit, iter(range(1, 6)), 100.0, 5.0, 0.0))
    assert elapsed < 0.3
    assert submit.calls == 5
    assert sum(o.items for o in window.committed()) == 15


def test_open_loop_counts_failures_by_kind():
    jobs = iter([1, SubmitError("orderer"), CommitError("tx", 11, "MVCC_READ_CONFLICT", 1), 1])
    window, _ = timed_run(open_loop(FakeSubmit(delay=0.002), jobs, 200.0, 5.0, 0.0))
    assert window.failures() == Counter({"submit": 1, "MVCC_READ_CONFLICT": 1})
    assert len(window.committed()) == 2
