"""Where things live: the repository, the pinned tools and the git-ignored run-time folder.

All generated keys, certificates, ledgers, logs and pid files live under one run-time
folder (`run/` at the repository root, or `$GRIDLEDGER_RUN_DIR`), so `make clean`
can remove every secret and every ledger at once.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / ".tools"
TOOLS_BIN = TOOLS / "bin"
BUILDER_DIR = REPO / "network" / "builder"


def run_dir() -> Path:
    return Path(os.environ.get("GRIDLEDGER_RUN_DIR", REPO / "run")).resolve()


def org_dir(org_key: str) -> Path:
    return run_dir() / org_key


def logs_dir() -> Path:
    return run_dir() / "logs"


def pids_dir() -> Path:
    return run_dir() / "pids"


def channels_dir() -> Path:
    return run_dir() / "channels"


def chaincode_dir() -> Path:
    return run_dir() / "chaincode"


def tool(name: str) -> Path:
    return TOOLS_BIN / name
