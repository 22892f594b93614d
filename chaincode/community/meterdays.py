"""How the community chaincode stores signed reading bundles: one private record per meter-day.

The format of a bundle and the rules of a valid reading are :mod:`gridspec`'s; this
module adds what only the ledger does with them:

- ``meterday~<meter>~<day>`` (readings collection, utility and community peers only)
  holds the day's signed bundles exactly as the head-end sent them, payload and
  device signature (framed by :meth:`~gridspec.reading_bundle.SignedBundle.frames`),
  so that anyone holding the value can check the meter's signature again. Almost
  always one bundle: a head-end sends a meter's day once it is over.
- ``roots~<meter>~<day>`` (same collection) holds the bundles' Merkle roots,
  concatenated. Every peer of the channel, the regulator's included, keeps the
  SHA-256 of that value: the public commitment a disclosed reading is checked
  against. Erasure purges the bundles and keeps the roots.

Two private writes per meter-day and no public write: the readings collection's own
endorsement policy (the utility's peer) is all a submission needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chaincode.runtime import AccessDenied, Conflict, ValidationError
from chaincode.runtime.private import get_private_many, put_private
from chaincode.runtime.state import parse_json
from gridspec.collections import READINGS
from gridspec.reading_bundle import BundledReading, ReadingBundle, commitment_key
from gridspec.readings import ReadingError
from gridspec.signed_bundle import SignedBundle

__all__ = [
    "MeterDay",
    "day_key",
    "days_between",
    "load_device_key",
    "parse_submission",
    "read_days",
    "verify_signature",
    "write_day",
]


def day_key(meter_id: str, day: str) -> str:
    return f"meterday~{meter_id}~{day}"


def days_between(first: date, last: date) -> list[str]:
    """Every UTC day from *first* to *last*, both included, as ``YYYY-MM-DD``."""
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


@lru_cache(maxsize=4096)
def load_device_key(pem: str) -> ec.EllipticCurvePublicKey:
    """A meter's registered device public key (PEM, ECDSA P-256); cached, keys are immutable."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise ValidationError("device public key must be a PEM public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValidationError("device public key must be an ECDSA P-256 key")
    return key


def verify_signature(pem: str, bundle: ReadingBundle, signature: bytes) -> None:
    try:
        load_device_key(pem).verify(signature, bundle.payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise AccessDenied(
            f"{bundle.where}: signature does not verify with the meter's device key"
        ) from exc


@dataclass
class MeterDay:
    """A meter's stored bundles of one day, in the order they were stored."""

    meter_id: str
    day: str
    signed: list[SignedBundle] = field(default_factory=list)
    bundles: list[ReadingBundle] = field(default_factory=list)

    @classmethod
    def stored(cls, meter_id: str, day: str, raw: bytes) -> MeterDay:
        """A record this chaincode wrote (so its bundles passed every check already)."""
        signed = SignedBundle.unframe(raw)
        return cls(meter_id, day, signed, [ReadingBundle.parse(s.payload) for s in signed])

    def readings(self) -> dict[str, BundledReading]:
        """The day's readings by interval start; a repeat in a later bundle is the same."""
        out: dict[str, BundledReading] = {}
        for bundle in self.bundles:
            for reading in bundle.readings():
                out.setdefault(reading.interval_start, reading)
        return out

    def add(self, signed: SignedBundle, bundle: ReadingBundle) -> tuple[int, int]:
        """Keep *bundle* if it brings a new reading: (new, repeated); a changed value conflicts."""
        if not self.bundles:  # a new day: every reading is new
            self.signed.append(signed)
            self.bundles.append(bundle)
            return len(bundle.rows), 0
        known = self.readings()
        if self.bundles[0].interval_minutes != bundle.interval_minutes:
            raise ValidationError(
                f"{bundle.where}: the day already has {self.bundles[0].interval_minutes}-minute "
                "readings; a meter's day has one interval length"
            )
        new = 0
        for reading in bundle.readings():
            before = known.get(reading.interval_start)
            if before is None:
                new += 1
            elif not before.same_values(reading):
                raise Conflict(
                    f"reading of meter {reading.meter_id} at {reading.interval_start} "
                    "conflicts with the recorded value"
                )
        if new:
            self.signed.append(signed)
            self.bundles.append(bundle)
        return new, len(bundle.rows) - new

    def value(self) -> bytes:
        return SignedBundle.frames(self.signed)

    def roots(self) -> bytes:
        return b"".join(bundle.root() for bundle in self.bundles)


async def read_days(ctx: Any, meter_id: str, days: Sequence[str]) -> dict[str, MeterDay]:
    """The stored meter-days among *days* (absent ones left out), in one batched read."""
    raws = await get_private_many(ctx, READINGS, [day_key(meter_id, day) for day in days])
    return {
        day: MeterDay.stored(meter_id, day, raw)
        for day, raw in zip(days, raws, strict=True)
        if raw is not None
    }


async def write_day(ctx: Any, day: MeterDay) -> None:
    await put_private(ctx, READINGS, day_key(day.meter_id, day.day), day.value())
    await put_private(ctx, READINGS, commitment_key(day.meter_id, day.day), day.roots())


def parse_submission(raw: bytes, now: datetime) -> list[tuple[SignedBundle, ReadingBundle]]:
    """The transient ``bundles``: signed bundles whose payloads pass every rule at *now*."""
    wire = parse_json("transient 'bundles'", raw, "list")
    try:
        signed = SignedBundle.list_from_wire(wire)
        pairs = [(s, ReadingBundle.parse(s.payload)) for s in signed]
        for _, bundle in pairs:
            bundle.check_time(now)
    except ReadingError as exc:
        raise ValidationError(str(exc)) from exc
    return pairs
