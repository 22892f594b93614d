"""A signed bundle as it travels and as the ledger keeps it: payload bytes and signature.

The payload is :mod:`gridspec.reading_bundle`'s; the signature is the meter's device
key's over exactly those bytes. On the wire (the API's body, the chaincode's transient
``bundles``) a bundle is ``{"payload": base64, "signature": base64}``; on the ledger a
meter-day's bundles are framed one after the other and compressed
(:meth:`SignedBundle.frames`).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .reading_bundle import MAX_PAYLOAD_BYTES
from .readings import ReadingError

__all__ = ["MAX_BUNDLES", "SignedBundle"]

#: bundles in one submission (one transaction)
MAX_BUNDLES = 1000
#: zlib's level for a stored meter-day: 6 and 9 give the same size on readings
LEDGER_COMPRESSION = 6
#: the most a stored meter-day may expand to (far above any real day's record)
MAX_RECORD_BYTES = 64 * MAX_PAYLOAD_BYTES


@dataclass(frozen=True)
class SignedBundle:
    """A payload and the device signature over exactly those bytes, as they travel."""

    payload: bytes
    signature: bytes

    def wire(self) -> dict[str, str]:
        return {
            "payload": base64.b64encode(self.payload).decode(),
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_wire(cls, value: Any, where: str = "bundle") -> SignedBundle:
        if not isinstance(value, dict) or set(value) != {"payload", "signature"}:
            raise ReadingError(f"{where} must be an object with payload and signature")
        decoded = []
        for name in ("payload", "signature"):
            text = value[name]
            if not isinstance(text, str) or len(text) > MAX_PAYLOAD_BYTES * 2:
                raise ReadingError(f"{where}: {name} must be base64 text")
            try:
                decoded.append(base64.b64decode(text, validate=True))
            except (binascii.Error, ValueError) as exc:
                raise ReadingError(f"{where}: {name} is not base64") from exc
        return cls(decoded[0], decoded[1])

    @staticmethod
    def frames(bundles: Iterable[SignedBundle]) -> bytes:
        """How the ledger stores a meter-day's bundles, compactly: per bundle the
        payload's length (4 bytes, big-endian), the payload, the signature's length
        (2 bytes) and the signature, one after the other, the whole zlib-compressed.

        Compression halves a day of readings (1,262 to 682 bytes for 96 of them), and
        every byte stored is written to the transient store, gossiped, and rewritten
        by LevelDB's compactions on each member's peer; the payload decompresses to
        exactly the bytes the device signed."""
        framed = b"".join(
            len(b.payload).to_bytes(4, "big")
            + b.payload
            + len(b.signature).to_bytes(2, "big")
            + b.signature
            for b in bundles
        )
        return zlib.compress(framed, LEDGER_COMPRESSION)

    @classmethod
    def unframe(cls, stored: bytes) -> list[SignedBundle]:
        """The bundles of :meth:`frames`; a ReadingError when *stored* is not such a record."""
        inflate = zlib.decompressobj()
        try:
            raw = inflate.decompress(stored, MAX_RECORD_BYTES)
        except zlib.error as exc:
            raise ReadingError("a stored meter-day record is not compressed framing") from exc
        if not inflate.eof or inflate.unconsumed_tail or inflate.unused_data:
            raise ReadingError("a stored meter-day record is cut short or too long")
        found, at = [], 0
        while at < len(raw):
            size = int.from_bytes(raw[at : at + 4], "big")
            payload = raw[at + 4 : at + 4 + size]
            at += 4 + size
            length = int.from_bytes(raw[at : at + 2], "big")
            signature = raw[at + 2 : at + 2 + length]
            at += 2 + length
            if len(payload) != size or len(signature) != length or not length:
                raise ReadingError("a stored meter-day record is cut short")
            found.append(cls(payload, signature))
        return found

    @staticmethod
    def submission(bundles: Iterable[SignedBundle]) -> bytes:
        """The transient ``bundles`` value of SubmitReadings: a JSON list of wire forms."""
        return json.dumps([bundle.wire() for bundle in bundles]).encode()

    @classmethod
    def list_from_wire(cls, value: Any) -> list[SignedBundle]:
        """A submission: a JSON list of 1 to :data:`MAX_BUNDLES` signed bundles."""
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_BUNDLES:
            raise ReadingError(f"bundles must be a list of 1 to {MAX_BUNDLES} signed bundles")
        return [cls.from_wire(item, f"bundle {n}") for n, item in enumerate(value)]
