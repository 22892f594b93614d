"""Signed batches of interval readings: the format a meter's head-end submits, and its checks.

A batch travels in the transaction's transient map (key ``readings``), never in
its arguments, so the values reach only the endorsing peers and the private
collection. The meter's device key signs the canonical JSON of
``{"meter_id", "readings"}`` (ECDSA P-256 over SHA-256, DER); the chaincode checks
that signature against the public key the operator registered for the meter.
The signed object is ``{"meter_id", "readings", "salt"}``.

A stored reading is the canonical JSON of ``{meter_id, interval_start,
interval_minutes, import_wh, export_wh, salt}`` and nothing else, so anyone holding
a disclosed reading can recompute the hash the channel keeps of it. The salt (at
least 16 random bytes per batch, chosen by the head-end and covered by the device
signature) is what makes that hash safe to share: without it, the few million
plausible values of a reading could be hashed and compared by brute force.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chaincode.runtime import AccessDenied, ValidationError, canonical_bytes
from chaincode.runtime.ids import IDENTIFIER
from chaincode.runtime.state import parse_json

__all__ = [
    "INTERVAL_MINUTES",
    "MAX_BATCH",
    "Reading",
    "ReadingBatch",
    "check_utc",
    "load_device_key",
    "parse_stored",
    "reading_hash",
    "reading_key",
]

INTERVAL_MINUTES = (5, 15, 30, 60)
DEFAULT_INTERVAL_MINUTES = 15
MAX_BATCH = 96 * 7
MAX_POWER_W = 200_000
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00Z")
METER_ID = IDENTIFIER
READING_FIELDS = {"interval_start", "interval_minutes", "import_wh", "export_wh"}
BATCH_FIELDS = {"meter_id", "readings", "salt", "signature"}
SALT = re.compile(r"[A-Za-z0-9_-]{22,86}")
LAST_INSTANT = datetime.max.replace(tzinfo=UTC)  # an interval ending later cannot be computed


def reading_key(meter_id: str, interval_start: str) -> str:
    return f"reading~{meter_id}~{interval_start}"


def parse_utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def check_utc(field: str, value: Any, example: str = "2026-03-01T00:00:00Z") -> datetime:
    """`value` as a UTC instant, or ValidationError naming `field` (a bad date included)."""
    message = f"{field} must be a UTC time like {example}"
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
        raise ValidationError(message)
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise ValidationError(message) from exc


def check_meter_id(meter_id: str) -> str:
    if not METER_ID.fullmatch(meter_id):
        raise ValidationError(
            f"meter id '{meter_id}' is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return meter_id


@dataclass(frozen=True)
class Reading:
    """One metered interval: energy imported from and exported to the grid, in Wh."""

    meter_id: str
    interval_start: str
    interval_minutes: int
    import_wh: int
    export_wh: int
    salt: str

    @classmethod
    def parse(cls, meter_id: str, raw: Any, now: datetime, salt: str) -> Reading:
        if not isinstance(raw, dict):
            raise ValidationError(f"readings of meter {meter_id}: each reading must be an object")
        unknown = sorted(set(raw) - READING_FIELDS)
        if unknown:
            raise ValidationError(
                f"readings of meter {meter_id}: unknown fields {', '.join(unknown)}"
            )
        start = raw.get("interval_start")
        where = f"reading of meter {meter_id} at {start}"
        field = f"reading of meter {meter_id}: interval_start"
        if not isinstance(start, str) or not TIME.fullmatch(start):
            raise ValidationError(f"{field} must be a UTC time like 2026-03-01T09:15:00Z")
        begins = check_utc(field, start, "2026-03-01T09:15:00Z")
        minutes = raw.get("interval_minutes", DEFAULT_INTERVAL_MINUTES)
        if minutes not in INTERVAL_MINUTES or type(minutes) is not int:
            allowed = ", ".join(map(str, INTERVAL_MINUTES))
            raise ValidationError(f"{where}: interval_minutes must be one of {allowed}")
        if (begins.hour * 60 + begins.minute) % minutes:
            raise ValidationError(f"{where}: interval is not aligned to {minutes} minutes")
        if begins > LAST_INSTANT - timedelta(minutes=minutes):
            raise ValidationError(f"{where}: interval ends after the year 9999")
        if begins + timedelta(minutes=minutes) > now:
            raise ValidationError(f"{where}: interval has not ended yet")
        limit = MAX_POWER_W * minutes // 60
        for field in ("import_wh", "export_wh"):
            value = raw.get(field)
            if type(value) is not int or not 0 <= value <= limit:
                raise ValidationError(f"{where}: {field} must be an integer from 0 to {limit}")
        return cls(meter_id, start, minutes, raw["import_wh"], raw["export_wh"], salt)

    def same_values(self, other: Reading) -> bool:
        """Equal but for the salt: a resubmitted reading, not a conflicting one."""
        return (self.interval_minutes, self.import_wh, self.export_wh) == (
            other.interval_minutes,
            other.import_wh,
            other.export_wh,
        )

    def stored(self) -> bytes:
        """The bytes kept in the private collection (and hashed on every peer)."""
        return canonical_bytes(asdict(self))


def reading_hash(reading: Reading) -> str:
    return hashlib.sha256(reading.stored()).hexdigest()


def parse_stored(raw: bytes) -> Reading:
    """A reading as kept in the collection (written by this chaincode, so trusted)."""
    return Reading(**json.loads(raw))


@dataclass(frozen=True)
class ReadingBatch:
    """A meter's signed batch, validated against the transaction time."""

    meter_id: str
    readings: tuple[Reading, ...]
    signature: bytes
    signed: bytes

    @classmethod
    def parse(cls, raw: bytes, now: datetime) -> ReadingBatch:
        data = parse_json("transient 'readings'", raw)
        if not isinstance(data, dict) or set(data) != BATCH_FIELDS:
            raise ValidationError(
                "transient 'readings' must be an object with meter_id, readings, salt and signature"
            )
        meter_id = check_meter_id(str(data["meter_id"]))
        salt = data["salt"]
        if not isinstance(salt, str) or not SALT.fullmatch(salt):
            raise ValidationError(
                f"readings of meter {meter_id}: salt must be 16 to 64 random bytes in base64url"
            )
        items = data["readings"]
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            raise ValidationError(
                f"readings of meter {meter_id}: a batch holds 1 to {MAX_BATCH} readings"
            )
        readings = tuple(Reading.parse(meter_id, item, now, salt) for item in items)
        starts = [r.interval_start for r in readings]
        if len(set(starts)) != len(starts):
            raise ValidationError(f"readings of meter {meter_id}: an interval appears twice")
        try:
            signature = base64.b64decode(str(data["signature"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(f"readings of meter {meter_id}: signature is not base64") from exc
        signed = canonical_bytes({"meter_id": meter_id, "readings": items, "salt": salt})
        return cls(meter_id, readings, signature, signed)

    def verify(self, device_key: ec.EllipticCurvePublicKey) -> None:
        try:
            device_key.verify(self.signature, self.signed, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise AccessDenied(
                f"readings of meter {self.meter_id}: signature does not verify "
                "with the meter's device key"
            ) from exc


def load_device_key(pem: str) -> ec.EllipticCurvePublicKey:
    """A meter's registered device public key (PEM, ECDSA P-256)."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise ValidationError("device public key must be a PEM public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValidationError("device public key must be an ECDSA P-256 key")
    return key
