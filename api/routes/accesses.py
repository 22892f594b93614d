"""Access records: a household lists who read its data; the regulator counts the reads.

Every read of a household's readings, disclosures or invoices by anyone but the
household leaves a record on the ledger (the API's readings and invoice routes record
it for their callers, through the facade). The household sees its own records, with
reader, kind, period and consent; the regulator sees counts by reader org, role and
kind, from public records that name no household.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.access_schemas import AccessCounts, AccessPage, AccessPeriod
from api.routes.common import PageQuery, page_of

bp = APIBlueprint("accesses", __name__, tag="Access records")


@bp.get("/households/<household_id>/accesses")
@bp.auth_required(auth)
@bp.input(AccessPeriod, location="query", arg_name="period")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(AccessPage)
@bp.doc(
    summary="Who read the household's data, recorded in [start, end), newest first (the household)"
)
def household_accesses(household_id: str, period: dict[str, str], paging: dict[str, Any]) -> Any:
    records = ledger().accesses(household_id, period["start"], period["end"])
    return page_of(records, paging)


@bp.get("/accesses/counts")
@bp.auth_required(auth)
@bp.input(AccessPeriod, location="query", arg_name="period")
@bp.output(AccessCounts)
@bp.doc(summary="Reads of households' data recorded in [start, end), counted (the regulator)")
def counts(period: dict[str, str]) -> Any:
    return ledger().access_counts(period["start"], period["end"])
