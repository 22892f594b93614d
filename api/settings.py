"""The API's configuration: its org's connection profile, its own folder and its secrets.

One API serves one organisation. It reads that org's connection profile (peers, CA,
channels) and keeps its wallet and API key digests in its own folder. Its secrets,
the wallet passphrase and the key that signs login tokens, come from where the org's
operator puts them: the environment (``GRIDLEDGER_WALLET_PASSPHRASE``,
``GRIDLEDGER_API_SECRET``) or a file given by path (``..._FILE``, which should be
0600), never from the folder they protect, and never generated behind the operator's
back. The API's mutual-TLS client certificate for its peer is a file pair of the org's
(``GRIDLEDGER_API_TLS_CERT``, ``GRIDLEDGER_API_TLS_KEY``).

``create_app({...})`` takes the same settings by name, for tests and embedding.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "TOKEN_TTL_SECONDS": 15 * 60,
    "API_KEY_TTL_DAYS": 90,
    "PAGE_SIZE": 50,
    "MAX_PAGE_SIZE": 500,
    "LEDGER_TIMEOUT_SECONDS": 15,
    # readings submissions, and meter-day bundles, in flight at once (api/backpressure.py);
    # more get a 429. 3,200 bundles: the best setting `make bench` found, 16 x 200
    "MAX_SUBMISSIONS": 16,
    "MAX_BUNDLES_IN_FLIGHT": 3200,
    # the largest request body, and the largest on the bulk routes (api/limits.py)
    "MAX_BODY_BYTES": 1024 * 1024,
    "MAX_BULK_BODY_BYTES": 16 * 1024 * 1024,
}
# integer setting -> environment variable
INTEGERS = {
    "API_KEY_TTL_DAYS": "GRIDLEDGER_API_KEY_TTL_DAYS",
    "MAX_SUBMISSIONS": "GRIDLEDGER_API_MAX_SUBMISSIONS",
    "MAX_BUNDLES_IN_FLIGHT": "GRIDLEDGER_API_MAX_BUNDLES_IN_FLIGHT",
}
# setting -> environment variable; a secret may also come from <variable>_FILE
PATHS = {
    "PROFILE": "GRIDLEDGER_CONNECTION_PROFILE",
    "API_DIR": "GRIDLEDGER_API_DIR",
    "TLS_CERT": "GRIDLEDGER_API_TLS_CERT",
    "TLS_KEY": "GRIDLEDGER_API_TLS_KEY",
}
SECRETS = {
    "WALLET_PASSPHRASE": "GRIDLEDGER_WALLET_PASSPHRASE",
    "SECRET_KEY": "GRIDLEDGER_API_SECRET",
}


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the message says which and how to give it."""


def secret(variable: str) -> str | None:
    """A secret from `variable`, or from the file `<variable>_FILE` names."""
    if os.environ.get(variable):
        return os.environ[variable]
    path = os.environ.get(f"{variable}_FILE")
    if not path:
        return None
    try:
        text = Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{variable}_FILE={path}: {exc.strerror}") from exc
    if not text:
        raise ConfigError(f"{variable}_FILE={path} is empty")
    return text


def positive(variable: str, text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise ConfigError(f"{variable}={text[:20]!r} must be a whole number from 1 to 10000")
    return int(text)


def load(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults, then the environment, then `overrides`; every required setting present."""
    config = dict(DEFAULTS)
    for name, variable in PATHS.items():
        if os.environ.get(variable):
            config[name] = Path(os.environ[variable])
    for name, variable in SECRETS.items():
        value = secret(variable)
        if value is not None:
            config[name] = value
    for name, variable in INTEGERS.items():
        if os.environ.get(variable):
            config[name] = positive(variable, os.environ[variable])
    config.update(overrides or {})
    missing = [
        f"{name} (${variable}{'[_FILE]' if name in SECRETS else ''})"
        for name, variable in {**PATHS, **SECRETS}.items()
        if not config.get(name)
    ]
    if missing:
        raise ConfigError(f"the API needs these settings: {', '.join(missing)}")
    for name in PATHS:
        config[name] = Path(config[name])
    return config
