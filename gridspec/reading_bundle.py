"""A signed bundle of one meter's readings for one UTC day: the unit that travels and is stored.

A head-end sends, for each meter and day, a **payload**: UTF-8 JSON bytes that the
meter's device key signs exactly as sent (ECDSA P-256 over SHA-256). Nothing
between the head-end and the chaincode re-encodes them; the API and the CLI
forward ``{"payload": base64, "signature": base64}``
(:class:`gridspec.signed_bundle.SignedBundle`)::

    {"format": "gridledger-readings/1", "meter_id": "m-001", "day": "2026-03-01",
     "interval_minutes": 15, "secret": "<32 random bytes, base64url>",
     "readings": [[0, 212, 0], [1, 198, 0], [36, 40, 310, 17], ...]}

Each row is ``[slot, import_wh, export_wh]`` or ``[slot, import_wh, export_wh,
quality]``: *slot* numbers the interval from 0 at midnight UTC (slot 36 of a
15-minute day starts at 09:00Z), in increasing order; *quality* is a Green Button
(ESPI) QualityOfReading code, kept when the source had one. An optional
``local_time`` keeps the meter's Green Button LocalTimeParameters, so that an
export gives back what the import was given.

**Every reading is a leaf with its own salt.** The salt of the reading starting
at *t* is the first 16 bytes of HMAC-SHA256(secret, "<meter_id>|<t>"): pseudo-random
and independent per reading, so disclosing one reading (its values, its salt and
its Merkle path) tells nothing about any other, while the bundle stores one secret
instead of a salt per reading. A leaf is the canonical JSON of the reading with its
salt (:meth:`BundledReading.leaf`); the bundle's commitment is the RFC 6962 Merkle
root over its leaves (:mod:`gridspec.merkle`).

**The public evidence.** Per meter and day the channel keeps, in the readings
collection, the key :func:`commitment_key` whose value is the concatenated 32-byte
roots of the day's bundles in the order they were stored. Every peer of the channel
(the regulator's too) holds the SHA-256 of that value, and every block that wrote it
carries the same hash: :func:`commitment_of` gives it from the roots, and
:func:`implied_commitment` from a disclosed reading (:mod:`gridspec.disclosure`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from base64 import urlsafe_b64encode
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

from .merkle import leaf_hash, tree_root
from .readings import (
    INTERVAL_MINUTES,
    ReadingError,
    accepted_from,
    check_day,
    check_energy,
    check_interval_minutes,
    check_meter_id,
    format_instant,
    max_wh,
    oldest_day,
    slot_start,
    slots_per_day,
)

__all__ = [
    "FORMAT",
    "MAX_PAYLOAD_BYTES",
    "QUALITY_CODES",
    "BundledReading",
    "ReadingBundle",
    "check_local_time",
    "commitment_key",
    "commitment_of",
    "encode_payload",
    "new_secret",
]

FORMAT = "gridledger-readings/1"
MAX_PAYLOAD_BYTES = 64 * 1024
SECRET_BYTES = 32
SALT_BYTES = 16
#: ESPI QualityOfReading: valid, manually edited, estimated (reference day, linear
#: interpolation), questionable, derived, projected, mixed, raw, weather-normalised,
#: other, validated, verified, revenue-quality
QUALITY_CODES = frozenset({0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19})
LOCAL_TIME_FIELDS = {"tz_offset", "dst_offset", "dst_start_rule", "dst_end_rule"}
_REQUIRED = {"format", "meter_id", "day", "interval_minutes", "secret", "readings"}
_FIELDS = _REQUIRED | {"local_time"}


def commitment_key(meter_id: str, day: str) -> str:
    """The readings-collection key whose value is the day's concatenated bundle roots."""
    return f"roots~{meter_id}~{day}"


def commitment_of(roots: Iterable[bytes]) -> str:
    """The SHA-256 (hex) every peer keeps of a meter-day's roots."""
    return hashlib.sha256(b"".join(roots)).hexdigest()


def new_secret() -> str:
    """A fresh bundle secret: only head-ends draw one; the chaincode never does."""
    return base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).rstrip(b"=").decode()


def _leaf_json(
    meter_id: str,
    start: str,
    minutes: int,
    import_wh: int,
    export_wh: int,
    salt: str,
    quality: int | None,
) -> bytes:
    """A reading's canonical JSON (sorted keys, no spaces), written out directly: every
    string in it is plain ASCII that JSON does not escape (an id, a UTC time, base64url),
    so these are exactly the bytes ``json.dumps(record, sort_keys=True,
    separators=(",", ":"))`` gives, at a fraction of the cost, which matters at tens of
    thousands of readings a second."""
    mark = "" if quality is None else f'"quality":{quality},'
    return (
        f'{{"export_wh":{export_wh},"import_wh":{import_wh},"interval_minutes":{minutes},'
        f'"interval_start":"{start}","meter_id":"{meter_id}",{mark}"salt":"{salt}"}}'
    ).encode()


@lru_cache(maxsize=len(INTERVAL_MINUTES))
def _slot_times(minutes: int) -> tuple[str, ...]:
    """``HH:MM:00Z`` of every slot of a day of *minutes* intervals."""
    return tuple(
        f"{slot * minutes // 60:02d}:{slot * minutes % 60:02d}:00Z"
        for slot in range(slots_per_day(minutes))
    )


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class BundledReading:
    """One reading of a bundle with its own salt: what a leaf commits to."""

    meter_id: str
    interval_start: str
    interval_minutes: int
    import_wh: int
    export_wh: int
    salt: str
    quality: int | None = None

    def record(self) -> dict[str, Any]:
        """The reading as GetReadings returns it and a disclosure carries it."""
        fields = {
            "meter_id": self.meter_id,
            "interval_start": self.interval_start,
            "interval_minutes": self.interval_minutes,
            "import_wh": self.import_wh,
            "export_wh": self.export_wh,
            "salt": self.salt,
        }
        return fields if self.quality is None else {**fields, "quality": self.quality}

    def leaf(self) -> bytes:
        """The leaf hash: RFC 6962 leaf of the record's canonical JSON."""
        return leaf_hash(
            _leaf_json(
                self.meter_id,
                self.interval_start,
                self.interval_minutes,
                self.import_wh,
                self.export_wh,
                self.salt,
                self.quality,
            )
        )

    def same_values(self, other: BundledReading) -> bool:
        """Equal but for the salt: a resubmitted reading, not a conflicting one."""
        return (self.interval_minutes, self.import_wh, self.export_wh, self.quality) == (
            other.interval_minutes,
            other.import_wh,
            other.export_wh,
            other.quality,
        )


@dataclass(frozen=True)
class ReadingBundle:
    """A parsed, checked payload; :attr:`payload` keeps the exact bytes that were signed."""

    meter_id: str
    day: date
    interval_minutes: int
    secret: bytes
    rows: tuple[tuple[int, ...], ...]
    local_time: Mapping[str, Any] | None
    payload: bytes

    @property
    def where(self) -> str:
        return f"readings of meter {self.meter_id} on {self.day.isoformat()}"

    @classmethod
    def parse(cls, payload: bytes) -> ReadingBundle:
        """Check every rule of the format and of :mod:`gridspec.readings` but time."""
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ReadingError(f"a bundle payload holds at most {MAX_PAYLOAD_BYTES} bytes")
        try:
            data = json.loads(payload)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ReadingError("a bundle payload must be UTF-8 JSON") from exc
        if not isinstance(data, dict) or not _REQUIRED <= set(data) <= _FIELDS:
            raise ReadingError(
                "a bundle payload must be an object with format, meter_id, day, "
                "interval_minutes, secret and readings (and optionally local_time)"
            )
        if data["format"] != FORMAT:
            raise ReadingError(f"a bundle payload's format must be '{FORMAT}'")
        meter_id = check_meter_id(data["meter_id"])
        where = f"readings of meter {meter_id}"
        day = check_day(data["day"], where)
        where = f"{where} on {day.isoformat()}"
        minutes = check_interval_minutes(data["interval_minutes"], where)
        secret = _check_secret(data["secret"], where)
        rows = _check_rows(data["readings"], minutes, where)
        local_time = check_local_time(data.get("local_time"), where)
        return cls(meter_id, day, minutes, secret, rows, local_time, payload)

    def readings(self) -> tuple[BundledReading, ...]:
        """The bundle's readings, each with its own salt (computed once per bundle)."""
        return self._readings

    def root(self) -> bytes:
        """The Merkle root over the readings' leaves (computed once per bundle)."""
        return self._root

    @cached_property
    def _readings(self) -> tuple[BundledReading, ...]:
        minutes, meter_id = self.interval_minutes, self.meter_id
        return tuple(
            BundledReading(
                meter_id, start, minutes, row[1], row[2], salt, row[3] if len(row) == 4 else None
            )
            for row, start, salt in zip(self.rows, self._starts, self._salts, strict=True)
        )

    @cached_property
    def _starts(self) -> tuple[str, ...]:
        day, times = self.day.isoformat(), _slot_times(self.interval_minutes)
        return tuple(f"{day}T{times[row[0]]}" for row in self.rows)

    @cached_property
    def _salts(self) -> tuple[str, ...]:
        keyed = hmac.new(self.secret, digestmod=hashlib.sha256)  # keyed once, copied per reading
        salts = []
        for start in self._starts:
            mac = keyed.copy()
            mac.update(f"{self.meter_id}|{start}".encode())
            salts.append(urlsafe_b64encode(mac.digest()[:SALT_BYTES]).rstrip(b"=").decode())
        return tuple(salts)

    @cached_property
    def _root(self) -> bytes:
        """The root over the leaves, straight from the rows: the chaincode computes one
        per bundle it stores, so no reading objects are made for it."""
        minutes, meter_id = self.interval_minutes, self.meter_id
        return tree_root(
            [
                leaf_hash(
                    _leaf_json(
                        meter_id,
                        start,
                        minutes,
                        row[1],
                        row[2],
                        salt,
                        row[3] if len(row) == 4 else None,
                    )
                )
                for row, start, salt in zip(self.rows, self._starts, self._salts, strict=True)
            ]
        )

    def check_time(self, now: datetime) -> None:
        """Refuse a day past retention, or an interval not yet over by the clock skew."""
        if self.day < oldest_day(now):
            raise ReadingError(f"{self.where}: the day is older than the 24-month retention period")
        last = self.rows[-1][0]
        ends = slot_start(self.day, self.interval_minutes, last) + timedelta(
            minutes=self.interval_minutes
        )
        if now < accepted_from(ends):
            raise ReadingError(
                f"{self.where}: the interval ending {format_instant(ends)} is accepted "
                f"from {format_instant(accepted_from(ends))} (15 minutes of clock tolerance)"
            )


def _check_secret(value: Any, where: str) -> bytes:
    message = f"{where}: secret must be {SECRET_BYTES} random bytes in unpadded base64url"
    if not isinstance(value, str) or len(value) != 43:
        raise ReadingError(message)
    try:
        raw = _b64url(value)
    except (binascii.Error, ValueError) as exc:
        raise ReadingError(message) from exc
    if len(raw) != SECRET_BYTES or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != value:
        raise ReadingError(message)
    return raw


def _check_rows(value: Any, minutes: int, where: str) -> tuple[tuple[int, ...], ...]:
    slots = slots_per_day(minutes)
    if not isinstance(value, list) or not 1 <= len(value) <= slots:
        raise ReadingError(f"{where}: readings must be a list of 1 to {slots} rows")
    rows, previous, limit = [], -1, max_wh(minutes)
    for row in value:
        if type(row) is not list or len(row) not in (3, 4):
            raise ReadingError(
                f"{where}: each reading must be [slot, import_wh, export_wh] "
                "or [slot, import_wh, export_wh, quality]"
            )
        slot, imported, exported = row[0], row[1], row[2]
        if type(slot) is not int or not previous < slot < slots:
            raise ReadingError(
                f"{where}: slots must be integers from 0 to {slots - 1} in increasing order"
            )
        # the common case in one test; check_energy names what is wrong otherwise
        if not (type(imported) is int and type(exported) is int) or not (
            0 <= imported <= limit and 0 <= exported <= limit
        ):
            check_energy("import_wh", imported, minutes, f"{where}, slot {slot}")
            check_energy("export_wh", exported, minutes, f"{where}, slot {slot}")
        if len(row) == 4 and (type(row[3]) is not int or row[3] not in QUALITY_CODES):
            raise ReadingError(
                f"{where}, slot {slot}: quality must be an ESPI QualityOfReading code"
            )
        rows.append(tuple(row))
        previous = slot
    return tuple(rows)


def check_local_time(value: Any, where: str) -> Mapping[str, Any] | None:
    """Green Button LocalTimeParameters as a bundle keeps them (``None``: not known)."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != LOCAL_TIME_FIELDS:
        raise ReadingError(
            f"{where}: local_time must hold tz_offset, dst_offset, dst_start_rule, dst_end_rule"
        )
    for name, limit in (("tz_offset", 14 * 3600), ("dst_offset", 2 * 3600)):
        if type(value[name]) is not int or not -limit <= value[name] <= limit:
            raise ReadingError(f"{where}: local_time.{name} must be seconds within {limit}")
    for name in ("dst_start_rule", "dst_end_rule"):
        rule = value[name]
        if not isinstance(rule, str) or len(rule) != 8 or not _is_hex(rule):
            raise ReadingError(f"{where}: local_time.{name} must be 8 hex digits")
    return dict(value)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def encode_payload(
    meter_id: str,
    day: str,
    interval_minutes: int,
    rows: Sequence[Sequence[int]],
    *,
    secret: str | None = None,
    local_time: Mapping[str, Any] | None = None,
) -> bytes:
    """The payload a head-end signs: compact JSON, checked before it leaves."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "meter_id": meter_id,
        "day": day,
        "interval_minutes": interval_minutes,
        "secret": secret or new_secret(),
        "readings": [list(row) for row in rows],
    }
    if local_time is not None:
        body["local_time"] = dict(local_time)
    payload = json.dumps(body, separators=(",", ":")).encode()
    ReadingBundle.parse(payload)
    return payload
