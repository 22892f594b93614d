"""What the API remembers about API keys (revocations: :mod:`gridspec.revoked`).

They live in the API's own folder (a file 0600, written whole and replaced).

**API keys** are stored only as SHA-256 digests, each with an id (``key-...``, safe to
show and log), the wallet entry it stands for, when it was made and when it expires
(``API_KEY_TTL_DAYS``, 90 by default). Rotating a key makes a new one for the same
entry and lets the old one expire after ``ROTATION_GRACE_SECONDS`` (an hour), so a
billing system can switch without a gap.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path
from typing import Any

from gridspec.revoked import JsonFile

__all__ = ["ApiKeys", "key_digest"]

ROTATION_GRACE_SECONDS = 3600


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """API keys by digest: who each stands for, and until when."""

    def __init__(self, path: Path, ttl_days: int) -> None:
        self.file = JsonFile(path)
        self.ttl = ttl_days * 86400

    def create(self, label: str) -> tuple[str, dict[str, Any]]:
        """A new key for wallet entry *label*: (the key, shown once; its record)."""
        with self.file.lock:
            keys = dict(self.file.read())
            return self._add(keys, label)

    def _add(self, keys: dict[str, Any], label: str) -> tuple[str, dict[str, Any]]:
        key = secrets.token_urlsafe(32)
        now = int(time.time())
        record = {
            "key_id": f"key-{secrets.token_hex(6)}",
            "label": label,
            "created_at": now,
            "expires_at": now + self.ttl,
        }
        keys[key_digest(key)] = record
        self.file.write(keys)
        return key, record

    def find(self, key: str) -> dict[str, Any] | None:
        """The record of *key* while it is valid; None when unknown or expired."""
        record = self.file.read().get(key_digest(key))
        if record is None or record.get("expires_at", 0) <= time.time():
            return None
        found: dict[str, Any] = record
        return found

    def listed(self) -> list[dict[str, Any]]:
        """Every key's record (no digests), soonest to expire first."""
        now = time.time()
        records = [r for r in self.file.read().values() if r.get("expires_at", 0) > now]
        return sorted(records, key=lambda r: (r["expires_at"], r["key_id"]))

    def rotate(self, key_id: str) -> tuple[str, dict[str, Any]] | None:
        """A new key for the entry of *key_id*; the old one expires after the grace."""
        with self.file.lock:
            keys = dict(self.file.read())
            digest = self._digest_of(keys, key_id)
            if digest is None:
                return None
            old = dict(keys[digest])
            old["expires_at"] = min(old["expires_at"], int(time.time()) + ROTATION_GRACE_SECONDS)
            keys[digest] = old
            return self._add(keys, old["label"])

    def delete(self, key_id: str | None = None, *, label: str | None = None) -> int:
        """Remove the key *key_id*, or every key of *label*; how many were removed."""
        with self.file.lock:
            keys = dict(self.file.read())
            gone = [
                digest
                for digest, record in keys.items()
                if record.get("key_id") == key_id
                or (label is not None and record["label"] == label)
            ]
            for digest in gone:
                del keys[digest]
            if gone:
                self.file.write(keys)
            return len(gone)

    @staticmethod
    def _digest_of(keys: dict[str, Any], key_id: str) -> str | None:
        now = time.time()
        for digest, record in keys.items():
            if record.get("key_id") == key_id and record.get("expires_at", 0) > now:
                return digest
        return None
