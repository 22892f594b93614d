"""Where things live: the repository, the pinned tools, and this machine's run folder.

Everything an organisation owns lives in its own home (`network/home.py`). On one
machine (the embedded default) the homes sit side by side under the run folder,
`run/orgs/<org>/` (or `$GRIDLEDGER_RUN_DIR/orgs/<org>/`), next to `run/exchange/`,
the stand-in for the mail: each org publishes its public files (bundles, genesis
blocks, config update proposals and signatures) in its own folder there and reads
the others'. `make clean` removes the whole run folder.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / ".tools"
TOOLS_BIN = TOOLS / "bin"
FABRIC_CONFIG = TOOLS / "fabric-config"
BUILDER_DIR = REPO / "network" / "builder"


def run_dir() -> Path:
    return Path(os.environ.get("GRIDLEDGER_RUN_DIR", REPO / "run")).resolve()


def homes_dir() -> Path:
    """Where the embedded default keeps every local org's home."""
    return run_dir() / "orgs"


def exchange_dir() -> Path:
    """Public files only: what the orgs of this machine publish for each other."""
    return run_dir() / "exchange"


def tool(name: str) -> Path:
    return TOOLS_BIN / name
