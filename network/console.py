"""Progress and error output for the network commands: one style, to stderr, flushed."""

from __future__ import annotations

import sys
import time


class NetworkError(RuntimeError):
    """A step failed; the message says what failed and what to do about it."""


def step(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def info(message: str) -> None:
    print(f"    {message}", file=sys.stderr, flush=True)


def elapsed(start: float) -> str:
    return f"{time.monotonic() - start:.1f}s"
