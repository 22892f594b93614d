"""Login throttling: no run of wrong secrets through this API locks a person out at the CA.

Fabric CA counts the wrong secrets an identity is enrolled with and, at its limit (10),
refuses the identity until an admin gives it a new secret; only a right secret resets
the count. Anyone who knows an enrolment id (``household1`` and ``admin`` are easy to
guess) could lock its owner out by sending wrong secrets. So the API asks the CA only
when a login may be right:

- A login goes to the CA while fewer than ``CA_FAILURE_BUDGET`` (5, half the CA's
  limit) of the identity's logins in a row have failed there. After that, only a
  secret that matches the one the CA last accepted goes on (the API keeps a verifier
  of it: scrypt with a salt, in its own folder, 0600), and its success resets both
  counts; any other is a 429 until an admin unlocks the identity. So the CA's count
  never passes 5 through this API, and whoever logged in here before is never locked
  out by someone else's guesses.
- Wrong logins are also limited in time: per identity (``IDENTITY_FAILURES`` in
  ``WINDOW_SECONDS``) and per client address (``ADDRESS_FAILURES``); beyond that, a
  429 with ``Retry-After``.

The counts of the CA failure budget are kept in the same file as the verifiers, so a
restart of the API forgets none of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

__all__ = ["CA_FAILURE_BUDGET", "LoginGuard", "Throttled"]

CA_FAILURE_BUDGET = 5
IDENTITY_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_SECONDS = 300
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Throttled(Exception):
    """A login refused before the CA is asked: why, and when to try again."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def verifier(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **SCRYPT).hex()


class Failures:
    """Times of recent failures per key, within the window (in memory)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._times: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, key: str, now: float) -> int | None:
        """Seconds until *key* may try again, or None when it may now."""
        times = self._times.get(key)
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if not times or len(times) < self.limit:
            return None
        return max(1, int(times[0] + WINDOW_SECONDS - now) + 1)

    def add(self, key: str, now: float) -> None:
        self._times[key].append(now)

    def forget(self, key: str) -> None:
        self._times.pop(key, None)


class LoginGuard:
    """The API's memory of logins: verifiers, CA failures in a row, recent failures."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._by_identity = Failures(IDENTITY_FAILURES)
        self._by_address = Failures(ADDRESS_FAILURES)

    def admit(self, enrollment_id: str, address: str, secret: str) -> None:
        """Let the login go to the CA, or raise Throttled. The secret the CA last
        accepted is held back only by its address's limit: no one else's guesses keep
        its owner out."""
        now = time.monotonic()
        with self._lock:
            entry = self._load().get(enrollment_id, {})
            owner = self._matches(entry, secret)
            if not owner and entry.get("ca_failures", 0) >= CA_FAILURE_BUDGET:
                raise Throttled(
                    f"{enrollment_id} has failed {CA_FAILURE_BUDGET} logins in a row at the "
                    "CA; log in with its last working secret, or ask your org admin to "
                    f"unlock it (POST /admin/identities/{enrollment_id}/unlock)",
                    WINDOW_SECONDS,
                )
            limits = [(self._by_address, address, f"from {address}")]
            if not owner:
                limits.append((self._by_identity, enrollment_id, f"for {enrollment_id}"))
            for failures, key, who in limits:
                wait = failures.retry_after(key, now)
                if wait is not None:
                    raise Throttled(f"too many failed logins {who}; retry in {wait} s", wait)

    def failed(self, enrollment_id: str, address: str) -> None:
        """The CA refused the login."""
        now = time.monotonic()
        with self._lock:
            self._by_identity.add(enrollment_id, now)
            self._by_address.add(address, now)
            entries = self._load()
            entry = entries.setdefault(enrollment_id, {})
            entry["ca_failures"] = entry.get("ca_failures", 0) + 1
            self._save(entries)

    @staticmethod
    def _matches(entry: dict[str, Any], secret: str) -> bool:
        if "verifier" not in entry:
            return False
        found = verifier(secret, bytes.fromhex(entry["salt"]))
        return hmac.compare_digest(found, entry["verifier"])

    def succeeded(self, enrollment_id: str, secret: str) -> None:
        """The CA accepted *secret*: keep its verifier, forget the failures."""
        salt = secrets.token_bytes(16)
        with self._lock:
            entries = self._load()
            entries[enrollment_id] = {"salt": salt.hex(), "verifier": verifier(secret, salt)}
            self._save(entries)
            self._by_identity.forget(enrollment_id)

    def unlock(self, enrollment_id: str) -> None:
        """Forget everything about *enrollment_id* (its secret has been replaced)."""
        with self._lock:
            entries = self._load()
            entries.pop(enrollment_id, None)
            self._save(entries)
            self._by_identity.forget(enrollment_id)

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        found: dict[str, Any] = json.loads(self.path.read_text())
        return found

    def _save(self, entries: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(entries, indent=1))
        tmp.chmod(0o600)
        tmp.replace(self.path)
