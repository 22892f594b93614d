"""Readings: signed bundles from head-ends; readings, disclosures and commitments out.

A head-end posts the bundles its meters signed; the API checks each payload against
the reading rules (a 400 names the bundle and the rule) and forwards the bytes as
they came, so the device signature the chaincode verifies is over what the meter
signed. A household (or the utility, or a third party under consent) reads its
readings or one reading's disclosure; anyone but the household leaves an access record
on the ledger first (the facade submits it: ``client.accesses``), which the household
lists (``accesses.py``). Anyone verifies a disclosure against the commitment every peer
keeps, the regulator included.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.backpressure import admitted, gated
from api.ledger import ledger
from api.limits import bulk
from api.routes.common import Page, PageQuery, page_of
from api.routes.reading_schemas import (
    Commitment,
    Disclosure,
    RetentionIn,
    RetentionOut,
    SubmissionIn,
    SubmissionOut,
    Verdict,
    signed_bundles,
)
from api.routes.schemas import Period

bp = APIBlueprint("readings", __name__, tag="Readings")


@bp.post("/readings")
@bulk
@bp.auth_required(auth)
@gated
@bp.input(SubmissionIn, arg_name="submission")
@bp.output(SubmissionOut, status_code=201)
@bp.doc(summary="Store meters' signed day bundles, forwarded byte for byte (meter head-end)")
def ingest(submission: dict[str, Any]) -> Any:
    bundles = signed_bundles(submission)
    with admitted(len(bundles)):
        return ledger().submit_bundles(bundles)


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


@bp.get("/meters/<meter_id>/readings/<interval_start>/disclosure")
@bp.auth_required(auth)
@bp.output(Disclosure)
@bp.doc(
    summary="One reading with its Merkle proof, to hand to anyone (who may read the "
    "household's readings)"
)
def disclosure(meter_id: str, interval_start: str) -> Any:
    return ledger().disclosure(meter_id, interval_start)


@bp.get("/meters/<meter_id>/days/<day>/commitment")
@bp.auth_required(auth)
@bp.output(Commitment)
@bp.doc(summary="The hash every peer keeps of a meter-day's readings (anyone, the regulator too)")
def commitment(meter_id: str, day: str) -> Any:
    return ledger().reading_commitment(meter_id, day)


@bp.post("/readings/verify")
@bp.auth_required(auth)
@bp.input(Disclosure, arg_name="disclosed")
@bp.output(Verdict)
@bp.doc(summary="Verify a disclosed reading against the commitment on the ledger")
def verify(disclosed: dict[str, Any]) -> Any:
    return ledger().verify_disclosure(disclosed)


@bp.post("/readings/retention")
@bp.auth_required(auth)
@bp.input(RetentionIn, arg_name="retention")
@bp.output(RetentionOut)
@bp.doc(summary="Purge the meters' readings older than the 24-month retention (operator)")
def retention(retention: dict[str, Any]) -> Any:
    return ledger().purge_expired_readings(retention["meter_ids"])
