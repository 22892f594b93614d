"""Random generators derived from names, so every process draws the same numbers.

Python's ``hash()`` of a string changes from process to process, and one generator
shared by a whole community would make a household's values depend on who else is
simulated and in which order. Each draw therefore gets a generator of its own, seeded
by SHA-256 of the names of what it is for (``"load", 7, "m-001", "2026-05-04"``).
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["generator"]


def generator(*names: object) -> np.random.Generator:
    """A generator seeded by the SHA-256 of *names* (joined by a separator no name holds)."""
    text = "\x1f".join(str(name) for name in names)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return np.random.default_rng(np.random.SeedSequence(int.from_bytes(digest[:16], "big")))
