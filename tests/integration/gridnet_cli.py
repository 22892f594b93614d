"""Run `python -m network MODE` from tests the way an operator runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest


def gridnet(*args: str, timeout: float = 600) -> None:
    """Run a network mode; fail the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "network", *args], capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        pytest.fail(f"`gridnet {' '.join(args)}` failed:\n{result.stdout}\n{result.stderr}")
