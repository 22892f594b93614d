"""Hourly granular certificates of local solar: issued from the readings (operator),
carried with settled trades, cancelled by the household against its consumption,
exported as a document, disclosed by their producer and audited by anyone."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import g

from api.auth import auth
from api.ledger import ledger
from api.routes.certificate_schemas import (
    CertificateAudit,
    CertificateAuditIn,
    CertificateCancellation,
    CertificateDisclosure,
    CertificateIssuance,
    CertificateIssuanceIn,
    Certificates,
    DayIn,
)
from api.routes.schemas import Days
from client.certificate_export import export_certificates

bp = APIBlueprint("certificates", __name__, url_prefix="/certificates", tag="Certificates")


@bp.post("/issuance")
@bp.auth_required(auth)
@bp.input(CertificateIssuanceIn, arg_name="request")
@bp.output(CertificateIssuance, status_code=201)
@bp.doc(summary="Issue a household's certificates of a past day from its readings (operator)")
def issue(request: dict[str, str]) -> Any:
    return ledger().issue_certificates(request["household_id"], request["day"])


@bp.post("/cancellation")
@bp.auth_required(auth)
@bp.input(DayIn, arg_name="request")
@bp.output(CertificateCancellation, status_code=201)
@bp.doc(summary="Cancel what the household holds of a past day against its consumption")
def cancel(request: dict[str, str]) -> Any:
    return ledger().cancel_certificates(request["day"])


@bp.get("")
@bp.auth_required(auth)
@bp.input(Days, location="query", arg_name="days")
@bp.output(Certificates)
@bp.doc(
    summary="The household's certificates of the days [start, end), a month at most, as "
    "the documented export (docs/certificates.md)"
)
def export(days: dict[str, str]) -> Any:
    listing = ledger().certificates(days["start"], days["end"])
    return export_certificates(listing, g.community, days["start"], days["end"])


@bp.get("/<certificate_id>/disclosure")
@bp.auth_required(auth)
@bp.output(CertificateDisclosure)
@bp.doc(summary="A certificate as issued, for its producer (or the operator) to hand on")
def disclose(certificate_id: str) -> Any:
    return ledger().disclose_certificate(certificate_id)


@bp.post("/audit")
@bp.auth_required(auth)
@bp.input(CertificateAuditIn, arg_name="audit")
@bp.output(CertificateAudit)
@bp.doc(summary="Whether a disclosed certificate is the one issued and its readings prove it")
def audit(audit: dict[str, Any]) -> Any:
    return ledger().audit_certificate(audit["certificate"], audit["readings"])
