"""One disclosed reading and the proof that it is the one on the ledger, checkable by anyone.

A household (or the utility, at its request) hands a third party one reading as a
**disclosure**::

    {"format": "gridledger-disclosure/1",
     "reading": {"meter_id": "m-001", "interval_start": "2026-03-01T09:00:00Z",
                 "interval_minutes": 15, "import_wh": 40, "export_wh": 310,
                 "salt": "..."},
     "proof": {"index": 36, "size": 96, "path": ["<hex>", ...]},
     "day_roots": ["<hex>"], "bundle": 0}

The reading's leaf and its audit path give a root; that root must be bundle
``bundle`` of the meter-day's ``day_roots``; and the SHA-256 of the concatenated
roots must equal what the channel keeps under the meter-day's commitment key (the
``GetReadingCommitment`` answer of any peer, or the value hash in the block that
wrote it). The other leaves stay hidden: each has its own salt, and the path holds
only hashes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .merkle import MerkleError, inclusion_path, root_from_path
from .reading_bundle import BundledReading, ReadingBundle, commitment_key, commitment_of
from .readings import ReadingError, check_interval_minutes, check_meter_id, parse_instant

__all__ = ["FORMAT", "Claim", "disclose", "implied_commitment", "verify"]

FORMAT = "gridledger-disclosure/1"
_SALT = re.compile(r"[A-Za-z0-9_-]{22}")
_HASH_HEX = 64


def disclose(bundles: Sequence[ReadingBundle], interval_start: str) -> dict[str, Any]:
    """The disclosure of the reading at *interval_start* from a meter-day's stored bundles."""
    roots = [bundle.root() for bundle in bundles]
    for position, bundle in enumerate(bundles):
        readings = bundle.readings()
        for index, reading in enumerate(readings):
            if reading.interval_start == interval_start:
                leaves = [r.leaf() for r in readings]
                return {
                    "format": FORMAT,
                    "reading": reading.record(),
                    "proof": {
                        "index": index,
                        "size": len(leaves),
                        "path": [h.hex() for h in inclusion_path(leaves, index)],
                    },
                    "day_roots": [root.hex() for root in roots],
                    "bundle": position,
                }
    raise ReadingError(f"no reading at {interval_start} in the bundles given")


@dataclass(frozen=True)
class Claim:
    """What a disclosure claims: the commitment key and hash it must match on the ledger.

    *mismatch* says why it cannot match any ledger (its reading's path does not lead
    to the root it names): a forged or altered reading, not a malformed disclosure.
    """

    key: str
    commitment: str
    mismatch: str | None = None


def implied_commitment(disclosure: Any) -> Claim:
    """The claim of *disclosure*; :class:`ReadingError` when it is malformed."""
    if not isinstance(disclosure, dict) or disclosure.get("format") != FORMAT:
        raise ReadingError(f"a disclosure must be an object with format '{FORMAT}'")
    reading = _reading(disclosure.get("reading"))
    index, size, path = _proof(disclosure.get("proof"))
    roots = _hashes(disclosure.get("day_roots"), "day_roots")
    position = disclosure.get("bundle")
    if not roots or type(position) is not int or not 0 <= position < len(roots):
        raise ReadingError("a disclosure's bundle must index its non-empty day_roots")
    key = commitment_key(reading.meter_id, reading.interval_start[:10])
    try:
        root = root_from_path(reading.leaf(), index, size, path)
    except MerkleError as exc:
        return Claim(key, commitment_of(roots), f"the proof does not fit its tree: {exc}")
    if root != roots[position]:
        return Claim(key, commitment_of(roots), "the reading does not lead to its bundle's root")
    return Claim(key, commitment_of(roots))


def verify(disclosure: Any, commitment: str) -> bool:
    """Whether *disclosure* is proven by *commitment*, the hash the ledger keeps."""
    try:
        claim = implied_commitment(disclosure)
    except ReadingError:
        return False
    return claim.mismatch is None and claim.commitment == commitment.lower()


def _reading(value: Any) -> BundledReading:
    fields = {"meter_id", "interval_start", "interval_minutes", "import_wh", "export_wh", "salt"}
    if not isinstance(value, dict) or not fields <= set(value) <= fields | {"quality"}:
        raise ReadingError(f"a disclosure's reading must hold {', '.join(sorted(fields))}")
    meter_id = check_meter_id(value["meter_id"])
    parse_instant(value["interval_start"], "a disclosure's interval_start")
    check_interval_minutes(value["interval_minutes"], "a disclosure's reading")
    for name in ("import_wh", "export_wh"):
        if type(value[name]) is not int:
            raise ReadingError(f"a disclosure's {name} must be an integer")
    if not isinstance(value["salt"], str) or not _SALT.fullmatch(value["salt"]):
        raise ReadingError("a disclosure's salt must be 16 bytes in unpadded base64url")
    quality = value.get("quality")
    if quality is not None and type(quality) is not int:
        raise ReadingError("a disclosure's quality must be an integer")
    return BundledReading(
        meter_id,
        value["interval_start"],
        value["interval_minutes"],
        value["import_wh"],
        value["export_wh"],
        value["salt"],
        quality,
    )


def _proof(value: Any) -> tuple[int, int, list[bytes]]:
    if not isinstance(value, dict) or set(value) != {"index", "size", "path"}:
        raise ReadingError("a disclosure's proof must hold index, size and path")
    index, size = value["index"], value["size"]
    if type(index) is not int or type(size) is not int or not 0 <= index < size <= 1440:
        raise ReadingError("a disclosure's proof index must lie within its size")
    return index, size, _hashes(value["path"], "proof path")


def _hashes(value: Any, what: str) -> list[bytes]:
    if not isinstance(value, list) or len(value) > 64:
        raise ReadingError(f"a disclosure's {what} must be a list of SHA-256 hashes")
    out = []
    for item in value:
        if not isinstance(item, str) or len(item) != _HASH_HEX:
            raise ReadingError(f"a disclosure's {what} must be a list of SHA-256 hashes")
        try:
            out.append(bytes.fromhex(item))
        except ValueError as exc:
            raise ReadingError(f"a disclosure's {what} must be hex") from exc
    return out
