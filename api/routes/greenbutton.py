"""Green Button (NAESB ESPI) XML: import interval readings, export readings and invoices.

Import is for head-ends whose systems speak Green Button: the XML is converted into
GridLedger's readings, and the request carries the meter's device signature over the
canonical batch built from them (``{"meter_id", "readings", "salt"}``, the same bytes
``POST /readings`` signs), so the ledger still verifies the meter's own signature.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import String
from apiflask.validators import Length
from flask import Response, request

from api.auth import auth
from api.ledger import ledger
from api.routes.readings import signed_batch
from api.routes.schemas import BatchOut, BillingPeriod, Period
from client.greenbutton import GreenButtonError, export_invoice, export_readings, import_readings

bp = APIBlueprint("greenbutton", __name__, tag="Green Button")
XML = "application/atom+xml"


READING_FIELDS = ("interval_start", "interval_minutes", "import_wh", "export_wh")


class ExportQuery(Period):
    meter_id = String(load_default=None, validate=Length(1, 64))


class ImportQuery(Schema):
    meter_id = String(required=True, validate=Length(1, 64))
    salt = String(required=True, validate=Length(22, 86))
    signature = String(required=True)


@bp.post("/readings/green-button")
@bp.auth_required(auth)
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.output(BatchOut, status_code=201)
@bp.doc(summary="Ingest a meter's readings from Green Button XML (meter head-end)")
def ingest(query: dict[str, str]) -> Any:
    try:
        imported = import_readings(request.get_data(), query["meter_id"])
    except GreenButtonError as exc:
        abort(400, f"green button xml: {exc}")
    readings = [{k: r[k] for k in READING_FIELDS} for r in imported]
    batch = {
        "meter_id": query["meter_id"],
        "readings": readings,
        "salt": query["salt"],
        "signature": query["signature"],
    }
    return ledger().submit_readings(signed_batch(batch))


@bp.get("/households/<household_id>/readings/green-button")
@bp.auth_required(auth)
@bp.input(ExportQuery, location="query", arg_name="period")
@bp.doc(
    summary="A household's readings as Green Button XML",
    responses={200: {"description": "Green Button feed", "content": {XML: {}}}},
)
def export(household_id: str, period: dict[str, str]) -> Response:
    readings = ledger().readings(household_id, period["start"], period["end"])
    meters = sorted({r["meter_id"] for r in readings})
    if not meters:
        abort(
            404,
            f"household {household_id} has no readings from {period['start']} to {period['end']}",
        )
    meter_id = period.get("meter_id") or meters[0]
    if len(meters) > 1 and not period.get("meter_id"):
        abort(
            400,
            f"household {household_id} has several meters ({', '.join(meters)}): "
            "choose one with meter_id",
        )
    chosen = [{k: r[k] for k in READING_FIELDS} for r in readings if r["meter_id"] == meter_id]
    try:
        xml = export_readings(
            chosen,
            household_id=household_id,
            meter_id=meter_id,
            title=f"GridLedger readings of household {household_id}",
        )
    except GreenButtonError as exc:
        abort(400, f"green button export: {exc}")
    return Response(xml, mimetype=XML)


@bp.get("/households/<household_id>/invoices/green-button")
@bp.auth_required(auth)
@bp.input(BillingPeriod, location="query", arg_name="period")
@bp.doc(
    summary="A household's invoice as a Green Button UsageSummary",
    responses={200: {"description": "Green Button feed", "content": {XML: {}}}},
)
def export_bill(household_id: str, period: dict[str, str]) -> Response:
    invoice = ledger().invoice(household_id, period["period_start"], period["period_end"])
    return Response(export_invoice(invoice, household_id=household_id), mimetype=XML)
