"""A head-end's side of a signed reading bundle: group readings per meter-day, sign, send.

The payload format and its rules are :mod:`gridspec.reading_bundle`'s; this module
only adds the device key: ECDSA P-256 over SHA-256 of the payload's exact bytes,
the signature the chaincode verifies against the key registered for the meter.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gridspec.reading_bundle import encode_payload
from gridspec.readings import ReadingError, check_meter_id, parse_instant
from gridspec.signed_bundle import SignedBundle

__all__ = ["MeterKeys", "day_rows", "load_device_key", "sign_bundle", "sign_readings"]


def sign_bundle(device_key: ec.EllipticCurvePrivateKey, payload: bytes) -> SignedBundle:
    """The payload and the device's signature over exactly those bytes."""
    return SignedBundle(payload, device_key.sign(payload, ec.ECDSA(hashes.SHA256())))


def day_rows(
    readings: Iterable[Mapping[str, Any]],
) -> Iterator[tuple[str, int, list[list[int]]]]:
    """Readings (``interval_start``, ``interval_minutes``, ``import_wh``, ``export_wh``,
    optional ``quality``) grouped per UTC day as ``(day, interval_minutes, rows)``."""
    ordered = sorted(readings, key=lambda r: str(r.get("interval_start")))
    for day, group in groupby(ordered, key=lambda r: str(r["interval_start"])[:10]):
        items = list(group)
        minutes = items[0].get("interval_minutes", 15)
        rows = []
        for item in items:
            start = parse_instant(item.get("interval_start"), "a reading's interval_start")
            if item.get("interval_minutes", 15) != minutes:
                raise ReadingError(f"readings of {day} mix interval lengths: send one per day")
            if not isinstance(minutes, int) or minutes <= 0:
                raise ReadingError(f"readings of {day}: interval_minutes must be an integer")
            slot, rest = divmod(start.hour * 60 + start.minute, minutes)
            if rest:
                raise ReadingError(
                    f"reading at {item['interval_start']} is not aligned to {minutes} minutes"
                )
            # values are checked by encode_payload, against gridspec.readings
            row: list[Any] = [slot, item.get("import_wh"), item.get("export_wh")]
            rows.append(row if item.get("quality") is None else [*row, item["quality"]])
        yield day, minutes, rows


def sign_readings(
    device_key: ec.EllipticCurvePrivateKey,
    meter_id: str,
    readings: Sequence[Mapping[str, Any]],
    local_time: Mapping[str, Any] | None = None,
) -> list[SignedBundle]:
    """One signed bundle per UTC day of *readings*, each with a fresh secret."""
    return [
        sign_bundle(device_key, encode_payload(meter_id, day, minutes, rows, local_time=local_time))
        for day, minutes, rows in day_rows(readings)
    ]


def load_device_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """A meter's private device key (unencrypted PEM, ECDSA P-256) from the head-end's home."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ReadingError(f"{path} must hold an ECDSA P-256 private key")
    return key


class MeterKeys:
    """A head-end's device keys: ``<meter_id>.pem`` per meter in its own folder (0700/0600).

    A real meter's key is made at manufacture and handed over with the meter; for
    meters that are simulated (the demo, tests, benchmarks) :meth:`provision` draws a
    fresh random key the first time and keeps it, so nothing secret derives from code.
    Without a folder the keys live in memory only.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}

    def path(self, meter_id: str) -> Path:
        if self.folder is None:
            raise ReadingError("in-memory meter keys have no files")
        return self.folder / f"{check_meter_id(meter_id)}.pem"

    def key(self, meter_id: str) -> ec.EllipticCurvePrivateKey:
        """The meter's key; a ReadingError says where it was looked for."""
        if meter_id not in self._keys:
            path = self.path(meter_id) if self.folder else None
            if path is None or not path.exists():
                where = f" in {self.folder}" if self.folder else ""
                raise ReadingError(f"no device key of meter {meter_id}{where}")
            self._keys[meter_id] = load_device_key(path)
        return self._keys[meter_id]

    def provision(self, meter_id: str) -> ec.EllipticCurvePrivateKey:
        """The meter's key, drawn at random (and saved) if it has none yet."""
        try:
            return self.key(meter_id)
        except ReadingError:
            key = ec.generate_private_key(ec.SECP256R1())
            if self.folder is not None:
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                fd = os.open(self.path(meter_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(pem)
            self._keys[meter_id] = key
            return key

    def public_pem(self, meter_id: str) -> str:
        """The PEM public key the operator registers for the meter."""
        public = self.provision(meter_id).public_key()
        return public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
