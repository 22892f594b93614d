"""Readings: batch ingest by head-ends; queries per household; hashes for anyone."""

from __future__ import annotations

import json
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import String

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.schemas import BatchIn, BatchOut, Period, ReadingHash, ReadingIn, Verdict

bp = APIBlueprint("readings", __name__, tag="Readings")


def signed_batch(batch: dict[str, Any]) -> bytes:
    """The transient value the chaincode verifies (readings as sent, defaults included)."""
    return json.dumps(batch, sort_keys=True, separators=(",", ":")).encode()


@bp.post("/readings")
@bp.auth_required(auth)
@bp.input(BatchIn, arg_name="batch")
@bp.output(BatchOut, status_code=201)
@bp.doc(summary="Ingest a meter's signed batch of interval readings (meter head-end)")
def ingest(batch: dict[str, Any]) -> Any:
    return ledger().submit_readings(signed_batch(batch))


@bp.get("/households/<household_id>/readings")
@bp.auth_required(auth)
@bp.input(Period, location="query", arg_name="period")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(
    summary="A household's readings in [start, end): the household, the utility, or "
    "a third party with a live consent"
)
def household_readings(household_id: str, period: dict[str, str], paging: dict[str, Any]) -> Any:
    readings = ledger().readings(household_id, period["start"], period["end"])
    return page_of(readings, paging)


@bp.get("/meters/<meter_id>/readings/<interval_start>/hash")
@bp.auth_required(auth)
@bp.output(ReadingHash)
@bp.doc(summary="The hash the channel keeps of one reading (anyone, the regulator too)")
def reading_hash(meter_id: str, interval_start: str) -> Any:
    return ledger().reading_hash(meter_id, interval_start)


class Disclosed(ReadingIn):
    """A reading exactly as GetReadings returned it."""

    meter_id = String(required=True)
    salt = String(required=True)


@bp.post("/readings/verify")
@bp.auth_required(auth)
@bp.input(Disclosed, arg_name="reading")
@bp.output(Verdict)
@bp.doc(summary="Verify a disclosed reading against the hash on the ledger")
def verify(reading: dict[str, Any]) -> Any:
    return ledger().verify_reading(reading)
