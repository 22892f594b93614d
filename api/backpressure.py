"""Back-pressure: an API offered more readings than its ledger takes says so at once.

A submission of readings is admitted while the API has fewer than ``MAX_SUBMISSIONS``
submissions and, with it, at most ``MAX_BUNDLES_IN_FLIGHT`` meter-day bundles in flight
(being endorsed, ordered and committed). Counting bundles as well as submissions is
what makes the gate fit both kinds of head-end: one that sends a day of 1,000 meters
per request and one that sends a meter at a time. A submission over either limit gets
a 429 with ``Retry-After`` immediately, instead of a queue that grows until every
request takes ten seconds: the ledger commits as much either way (`make bench`), so a
queue adds only latency. A submission larger than the whole budget is admitted alone.
When the gate is already full, :func:`gated` refuses before the body is even parsed:
reading and checking a thousand bundles only to refuse them would spend the CPU the
ledger needs.
The peers push back the same way (their concurrency limit, which the client reports
as RESOURCE_EXHAUSTED), and :mod:`api.errors` answers that with a 429 too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, NoReturn

from apiflask import abort
from flask import Flask, current_app

__all__ = ["RETRY_AFTER_SECONDS", "Gate", "admitted", "gated", "init_app"]

EXTENSION = "gridledger-submissions"
RETRY_AFTER_SECONDS = 1


class Gate:
    """Submissions and bundles in flight, against their limits; safe across threads."""

    def __init__(self, max_submissions: int, max_bundles: int) -> None:
        self.max_submissions = max_submissions
        self.max_bundles = max_bundles
        self._lock = threading.Lock()
        self._submissions = 0
        self._bundles = 0

    def full(self) -> str | None:
        """Why no submission at all fits now (not even of one bundle), or None."""
        with self._lock:
            return self._refusal(1)

    def enter(self, bundles: int) -> str | None:
        """Take places for a submission of `bundles`; or, when it does not fit, why not."""
        with self._lock:
            why = self._refusal(bundles)
            if why is None:
                self._submissions += 1
                self._bundles += bundles
            return why

    def _refusal(self, bundles: int) -> str | None:
        """Why a submission of `bundles` does not fit now (the lock held), or None."""
        if self._submissions >= self.max_submissions:
            return f"{self._submissions} submissions"
        if self._submissions and self._bundles + bundles > self.max_bundles:
            return f"{self._bundles} meter-day bundles"
        return None

    def leave(self, bundles: int) -> None:
        with self._lock:
            self._submissions -= 1
            self._bundles -= bundles


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Gate(
        app.config["MAX_SUBMISSIONS"], app.config["MAX_BUNDLES_IN_FLIGHT"]
    )


def busy(why: str) -> NoReturn:
    abort(
        429,
        f"the ledger is busy with {why} from this API; retry after {RETRY_AFTER_SECONDS} s",
        detail={"retry_after": RETRY_AFTER_SECONDS},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def gated(view: Callable[..., Any]) -> Callable[..., Any]:
    """`view`, refused with a 429 before its body is parsed while the gate is full; goes
    between the route's authentication and its input."""

    @wraps(view)
    def refusing_when_full(*args: Any, **kwargs: Any) -> Any:
        why = current_app.extensions[EXTENSION].full()
        if why is not None:
            busy(why)
        return view(*args, **kwargs)

    return refusing_when_full


@contextmanager
def admitted(bundles: int = 1) -> Iterator[None]:
    """Hold places for a submission of `bundles`, or answer 429 when it does not fit."""
    gate: Gate = current_app.extensions[EXTENSION]
    why = gate.enter(bundles)
    if why is not None:
        busy(why)
    try:
        yield
    finally:
        gate.leave(bundles)
