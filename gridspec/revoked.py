"""What an org's API refuses at once: revoked identities, and tokens logged out.

An org's API keeps this in its own folder (``revocations.json``, 0600). The API writes
it when an admin revokes an identity or someone logs out; the org's operator tool
(``python -m network revoke``) writes it too, on the same host, so a revocation at the
CA bites at the API at once, long before the CA's revocation list reaches the channels.
Every reader sees a change at once: the file is read again whenever it changes.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["REVOCATIONS_FILE", "JsonFile", "Revocations"]

REVOCATIONS_FILE = "revocations.json"


class JsonFile:
    """A JSON object in a file of the API's folder, cached until the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self._stamp: float | None = None
        self._data: dict[str, Any] = {}

    def read(self) -> dict[str, Any]:
        """The object as the file holds it now (the lock held by the caller or not)."""
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if stamp != self._stamp:
            self._data = json.loads(self.path.read_text())
            self._stamp = stamp
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.chmod(0o600)
        tmp.replace(self.path)


class Revocations:
    """Identities revoked at this API, and tokens revoked by logout."""

    def __init__(self, path: Path) -> None:
        self.file = JsonFile(path)

    def identity(self, enrollment_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.file.read().get("identities", {}).get(enrollment_id)
        return found

    def token(self, token_id: str) -> bool:
        return token_id in self.file.read().get("tokens", {})

    def revoke_identity(self, enrollment_id: str, reason: str, by: str) -> None:
        record = {"revoked_at": int(time.time()), "reason": reason, "by": by}
        self._update("identities", enrollment_id, record)

    def revoke_token(self, token_id: str, expires_at: int) -> None:
        self._update("tokens", token_id, expires_at)

    def _update(self, kind: str, key: str, value: Any) -> None:
        with self.file.lock:
            data = {k: dict(v) for k, v in self.file.read().items()}
            now = time.time()
            tokens = {t: e for t, e in data.get("tokens", {}).items() if e > now}
            data["tokens"] = tokens  # a logged-out token is kept only while it could work
            data.setdefault(kind, {})[key] = value
            self.file.write(data)
