"""The API's configuration: where the network's run folder, wallet and secrets live.

Defaults fit the embedded network (`make run`): every path is under the run folder,
and the secrets (token signing key, wallet passphrase) are generated there on first
use, so nothing secret is ever in git. Each can be overridden by configuration
(``create_app({...})``) or environment (``GRIDLEDGER_*``).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from network.paths import run_dir

DEFAULTS: dict[str, Any] = {
    "COMMUNITY": "sunnyside",
    "TOKEN_TTL_SECONDS": 15 * 60,
    "PAGE_SIZE": 50,
    "MAX_PAGE_SIZE": 500,
    "LEDGER_TIMEOUT_SECONDS": 15,
}


def api_dir() -> Path:
    return run_dir() / "api"


def secret(name: str, env: str) -> str:
    """A secret from the environment, or generated once into the run folder (mode 0600)."""
    if os.environ.get(env):
        return os.environ[env]
    path = api_dir() / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Paths:
    """Where the API keeps its wallet and service-account keys."""

    wallet: Path
    api_keys: Path

    @classmethod
    def default(cls) -> Paths:
        return cls(wallet=api_dir() / "wallet", api_keys=api_dir() / "api-keys.json")


def load(overrides: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(DEFAULTS)
    config["SECRET_KEY"] = secret("secret.key", "GRIDLEDGER_API_SECRET")
    config["WALLET_PASSPHRASE"] = secret("wallet.passphrase", "GRIDLEDGER_WALLET_PASSPHRASE")
    config["PATHS"] = Paths.default()
    config.update(overrides or {})
    return config
