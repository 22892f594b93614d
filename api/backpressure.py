"""Back-pressure: an API offered more readings than its ledger takes says so at once.

Every submission of readings holds one of ``MAX_SUBMISSIONS`` places while its
transaction is endorsed, ordered and committed. A head-end that sends more at once
gets a 429 with ``Retry-After`` immediately, instead of a queue that grows until
every request takes ten seconds and the peers spend their time switching between
them. The peers push back the same way (gRPC RESOURCE_EXHAUSTED over their
concurrency limit), which :mod:`api.errors` answers with a 429 too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from apiflask import abort
from flask import Flask, current_app

__all__ = ["RETRY_AFTER_SECONDS", "admitted", "init_app"]

EXTENSION = "gridledger-submissions"
RETRY_AFTER_SECONDS = 1


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = threading.BoundedSemaphore(app.config["MAX_SUBMISSIONS"])


@contextmanager
def admitted() -> Iterator[None]:
    """Hold a place for one submission, or answer 429 when every place is taken."""
    places: threading.BoundedSemaphore = current_app.extensions[EXTENSION]
    if not places.acquire(blocking=False):
        limit = current_app.config["MAX_SUBMISSIONS"]
        abort(
            429,
            f"the ledger is busy with {limit} submissions from this API; "
            f"retry after {RETRY_AFTER_SECONDS} s",
            detail={"retry_after": RETRY_AFTER_SECONDS},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        yield
    finally:
        places.release()
