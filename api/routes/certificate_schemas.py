"""Request and response schemas of the granular certificates (docs/certificates.md).

A household's own certificates reach only that household; the disclosure of one is
what its producer hands to an auditor, and the audit's answer is for anyone.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, Raw, String
from apiflask.validators import Length

from api.routes.fields import DAY

# the most readings one hour can have: four meters of 5-minute readings, and more
MAX_AUDITED_READINGS = 240


class CertificateIssuanceIn(Schema):
    household_id = String(required=True, validate=Length(3, 64))
    day = String(required=True, validate=DAY, metadata={"description": "a day that is over"})


class DayIn(Schema):
    day = String(required=True, validate=DAY, metadata={"description": "a day that is over"})


class CertificateIssuance(Schema):
    household_id = String()
    day = String()
    issued = Integer()
    volume_wh = Integer()
    tx_id = String()


class CancelledHour(Schema):
    hour = String()
    consumed_wh = Integer()
    cancelled_wh = Integer()
    parts = List(List(Raw()), metadata={"description": "[certificate id, Wh] pairs"})
    cancelled_at = String()
    tx_id = String()


class CertificateCancellation(Schema):
    household_id = String()
    day = String()
    hours = List(Nested(CancelledHour))


class Certificates(Schema):
    """The export document, gridledger-certificates/1."""

    format = String()
    community = String()
    household_id = String()
    period = Dict()
    exported_at = String()
    produced = List(Dict())
    held = List(Dict())


class CertificateDisclosure(Schema):
    format = String()
    key = String()
    certificate = Dict()


class CertificateAuditIn(Schema):
    certificate = Dict(required=True, metadata={"description": "a certificate's disclosure"})
    readings = List(
        Dict(),
        required=True,
        validate=Length(0, MAX_AUDITED_READINGS),
        metadata={"description": "the disclosures (DiscloseReading) of the hour's readings"},
    )


class CertificateAudit(Schema):
    certificate_id = String(allow_none=True)
    verified = Boolean()
    reason = String()
    exported_wh = Integer()
    readings = Integer()
