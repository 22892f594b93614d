"""Green Button (NAESB ESPI) XML: bundle payloads from a feed; readings and invoices out.

Import does not store anything. A head-end whose systems speak Green Button posts the
feed and gets back, per meter and UTC day, the unsigned bundle payload (with a fresh
secret) that :func:`client.bundles.sign_readings` would have built; it signs each
payload with the meter's device key and posts ``{"bundles": [{"payload",
"signature"}]}`` to ``/readings``. The ledger thus verifies the meter's own signature
over bytes the head-end has seen, never over a conversion the API made on its behalf.
"""

from __future__ import annotations

import base64
from typing import Any

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Integer, List, Nested, String
from apiflask.validators import Length, OneOf
from flask import Response, request

from api.auth import auth
from api.ledger import ledger
from api.limits import bulk
from api.routes.schemas import BillingPeriod, Period
from client.bundles import day_rows
from client.facade import Forbidden
from client.greenbutton import (
    GreenButtonError,
    export_invoice,
    export_readings,
    import_readings,
    meter_mapping,
)
from gridspec.reading_bundle import encode_payload
from gridspec.readings import ReadingError
from gridspec.roles import refusal

bp = APIBlueprint("greenbutton", __name__, tag="Green Button")
XML = "application/atom+xml"


class ExportQuery(Period):
    meter_id = String(load_default=None, validate=Length(1, 64))


class PayloadQuery(Schema):
    meter = List(
        String(validate=Length(1, 400)),
        required=True,
        validate=Length(1, 100),
        metadata={
            "description": "the meter id, or USAGE_POINT=METER_ID once per UsagePoint "
            "(its id, self link or title)"
        },
    )
    ignore = List(
        String(validate=OneOf(["cost"])),
        load_default=[],
        metadata={"description": "cost: import a feed whose readings carry a cost (not stored)"},
    )


class BundlePayload(Schema):
    meter_id = String()
    day = String()
    readings = Integer(metadata={"description": "how many readings the payload holds"})
    payload = String(metadata={"description": "the payload to sign, base64"})


class PayloadsOut(Schema):
    payloads = List(Nested(BundlePayload))


@bp.post("/readings/green-button/payloads")
@bulk
@bp.auth_required(auth)
@bp.input(PayloadQuery, location="query", arg_name="query")
@bp.output(PayloadsOut)
@bp.doc(
    summary="Unsigned meter-day bundle payloads from a Green Button feed (meter head-end)",
    description="The body is the feed's XML. Sign each payload with its meter's device "
    "key, then POST the bundles to /readings.",
)
def payloads(query: dict[str, Any]) -> Any:
    caller = ledger().caller
    reason = refusal("SubmitReadings", caller.msp_id, caller.role)
    if reason is not None:
        raise Forbidden("SubmitReadings", reason)
    try:
        meters = import_readings(
            request.get_data(),
            meter_mapping(query["meter"]),
            ignore_cost="cost" in query["ignore"],
        )
        found = [
            {
                "meter_id": meter.meter_id,
                "day": day,
                "readings": len(rows),
                "payload": base64.b64encode(
                    encode_payload(meter.meter_id, day, minutes, rows, local_time=meter.local_time)
                ).decode(),
            }
            for meter in meters
            for day, minutes, rows in day_rows(meter.readings)
        ]
    except (GreenButtonError, ReadingError) as exc:
        abort(400, f"green button xml: {exc}")
    return {"payloads": found}


@bp.get("/households/<household_id>/readings/green-button")
@bp.auth_required(auth)
@bp.input(ExportQuery, location="query", arg_name="period")
@bp.doc(
    summary="A household's readings as Green Button XML",
    description="LocalTimeParameters are left out: the ledger's records do not carry them.",
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
    try:
        xml = export_readings(
            [r for r in readings if r["meter_id"] == meter_id],
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
