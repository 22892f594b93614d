"""Progress and error output for the network commands: one style, to stderr, flushed."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class NetworkError(RuntimeError):
    """A step failed; the message says what failed and what to do about it."""


def step(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def info(message: str) -> None:
    print(f"    {message}", file=sys.stderr, flush=True)


def elapsed(start: float) -> str:
    return f"{time.monotonic() - start:.1f}s"


@contextmanager
def phase(message: str) -> Iterator[None]:
    """Announce a step, then say how long it took."""
    step(message)
    started = time.monotonic()
    yield
    info(f"done in {elapsed(started)}")
