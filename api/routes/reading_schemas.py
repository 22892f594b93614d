"""Request and response schemas of the readings routes: signed bundles, readings, proofs.

A bundle's payload is checked here against :mod:`gridspec`'s rules (the ones the
chaincode applies), so a head-end learns at once which bundle breaks which rule, with
a 400; the bytes are then forwarded exactly as received.
"""

from __future__ import annotations

import base64
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import ValidationError, validates_schema

from api.routes.fields import UTC, Whole
from gridspec.reading_bundle import MAX_PAYLOAD_BYTES, ReadingBundle
from gridspec.readings import INTERVAL_MINUTES, ReadingError
from gridspec.signed_bundle import MAX_BUNDLES, SignedBundle

HASH = (Length(64, 64), Regexp(r"^[0-9a-fA-F]{64}$", error="must be a SHA-256 hash in hex"))
BASE64_LIMIT = (MAX_PAYLOAD_BYTES + 2) // 3 * 4


class BundleIn(Schema):
    """One meter-day: the payload's exact bytes and the device's signature over them."""

    payload = String(
        required=True,
        validate=Length(1, BASE64_LIMIT),
        metadata={"description": "the payload JSON's bytes, base64 (gridspec.reading_bundle)"},
    )
    signature = String(
        required=True,
        validate=Length(1, 200),
        metadata={"description": "ECDSA P-256 / SHA-256 over the payload's bytes, DER, base64"},
    )


class SubmissionIn(Schema):
    bundles = List(Nested(BundleIn), required=True, validate=Length(1, MAX_BUNDLES))

    @validates_schema
    def check_payloads(self, data: dict[str, Any], **_: Any) -> None:
        """Every bundle decodes and passes the reading rules (not the time: the ledger's)."""
        for number, bundle in enumerate(data.get("bundles", [])):
            try:
                signed = SignedBundle.from_wire(bundle, f"bundle {number}")
                ReadingBundle.parse(signed.payload)
            except ReadingError as exc:
                raise ValidationError(f"bundle {number}: {exc}", "bundles") from exc


def signed_bundles(data: dict[str, Any]) -> list[SignedBundle]:
    """The validated bundles, their bytes exactly as the head-end signed them."""
    return [
        SignedBundle(base64.b64decode(b["payload"]), base64.b64decode(b["signature"]))
        for b in data["bundles"]
    ]


class MeterDay(Schema):
    meter_id = String()
    day = String()


class SubmissionOut(Schema):
    bundles = Integer()
    stored = Integer(metadata={"description": "readings new to the ledger"})
    duplicates = Integer(metadata={"description": "readings it already held, same values"})
    meter_days = List(Nested(MeterDay), metadata={"description": "the meter-days written"})


class Reading(Schema):
    meter_id = String()
    interval_start = String()
    interval_minutes = Integer()
    import_wh = Integer()
    export_wh = Integer()
    salt = String(metadata={"description": "this reading's own salt (its leaf's)"})
    quality = Integer(metadata={"description": "ESPI QualityOfReading, when the source had one"})


class DisclosedReading(Schema):
    meter_id = String(required=True, validate=Length(1, 64))
    interval_start = String(required=True, validate=UTC)
    interval_minutes = Whole(required=True, validate=OneOf(sorted(INTERVAL_MINUTES)))
    import_wh = Whole(required=True, validate=Range(0, 2**31))
    export_wh = Whole(required=True, validate=Range(0, 2**31))
    salt = String(required=True, validate=Length(1, 64))
    quality = Whole(validate=Range(0, 255))


class Proof(Schema):
    index = Whole(required=True, validate=Range(0, 1439))
    size = Whole(required=True, validate=Range(1, 1440))
    path = List(String(validate=HASH), required=True, validate=Length(0, 64))


class Disclosure(Schema):
    """One reading, its Merkle path and the day's roots (gridspec.disclosure)."""

    format = String(required=True, validate=OneOf(["gridledger-disclosure/1"]))
    reading = Nested(DisclosedReading, required=True)
    proof = Nested(Proof, required=True)
    day_roots = List(String(validate=HASH), required=True, validate=Length(1, 64))
    bundle = Whole(required=True, validate=Range(0, 63))


class Commitment(Schema):
    meter_id = String()
    day = String()
    key = String(metadata={"description": "the readings-collection key the hash is kept under"})
    sha256 = String(metadata={"description": "SHA-256 of the day's concatenated bundle roots"})


class Verdict(Schema):
    key = String()
    sha256 = String()
    verified = Boolean()
    reason = String(metadata={"description": "why not, when not verified"})


class RetentionIn(Schema):
    meter_ids = List(String(validate=Length(1, 64)), required=True, validate=Length(1, 100))


class MeterPurge(Schema):
    meter_id = String()
    meter_days_purged = Integer()


class RetentionOut(Schema):
    keep_from = String(metadata={"description": "the oldest day retention keeps"})
    meters = List(Nested(MeterPurge))
    purged_by = String()
