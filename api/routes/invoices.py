"""Invoices: the billing system issues them; households read their own; anyone the hashes.

Billing's reads leave an access record on the ledger (the facade records the access
first), which the household lists; issuing an invoice records billing's read of the
household's readings.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from api.auth import auth
from api.ledger import ledger
from api.routes.common import Page, PageQuery, page_of
from api.routes.schemas import Days, Invoice, InvoiceEvidence, InvoiceIn

bp = APIBlueprint("invoices", __name__, tag="Invoices")


@bp.post("/invoices")
@bp.auth_required(auth)
@bp.input(InvoiceIn, arg_name="request")
@bp.output(Invoice, status_code=201)
@bp.doc(summary="Generate a household's invoice for a period (billing), once")
def generate(request: dict[str, str]) -> Any:
    return ledger().generate_invoice(
        request["household_id"], request["period_start"], request["period_end"]
    )


@bp.get("/invoices")
@bp.auth_required(auth)
@bp.input(Days, location="query", arg_name="days")
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(
    summary="The evidence of every invoice whose period starts in [start, end) (days, a "
    "year at most): what billing issued, for anyone to check"
)
def issued(days: dict[str, str], paging: dict[str, Any]) -> Any:
    return page_of(ledger().invoices_issued(days["start"], days["end"]), paging)


@bp.get("/households/<household_id>/invoices/<period_start>/<period_end>")
@bp.auth_required(auth)
@bp.output(Invoice)
@bp.doc(summary="An invoice (the household itself, or billing)")
def get(household_id: str, period_start: str, period_end: str) -> Any:
    return ledger().invoice(household_id, period_start, period_end)


@bp.get("/households/<household_id>/invoices/<period_start>/<period_end>/evidence")
@bp.auth_required(auth)
@bp.output(InvoiceEvidence)
@bp.doc(summary="The hashes of an invoice and its inputs (anyone, the regulator too)")
def evidence(household_id: str, period_start: str, period_end: str) -> Any:
    return ledger().invoice_evidence(household_id, period_start, period_end)
