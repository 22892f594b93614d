"""A household's bill of a day: the invoice billing issued, its lines, and its Green Button.

The invoice is read as the household (`GetInvoice`, as ``GET /communities/<c>/
households/<id>/invoices/<start>/<end>``); the download is the same Green Button
UsageSummary as ``GET .../invoices/green-button``, made by `client.greenbutton`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from apiflask import abort
from flask import Blueprint, Response, render_template

from api.dashboard.energy import chosen_day, days_around
from api.dashboard.session import own_household, page
from api.errors import chaincode_refusal
from api.ledger import ledger
from client import GatewayError
from client.greenbutton import export_invoice

NOT_ISSUED = 404


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/bill", "bill", page(bill))
    bp.add_url_rule("/bill.xml", "bill_xml", page(bill_xml))


def invoice_of_day(household: str) -> tuple[Any, dict[str, Any] | None]:
    """The chosen day and its invoice, or None when billing has issued none."""
    day = chosen_day()
    try:
        invoice = ledger().invoice(household, day.isoformat(), (day + timedelta(1)).isoformat())
    except GatewayError as exc:
        refusal = chaincode_refusal(exc)
        if refusal is None or refusal[0] != NOT_ISSUED:
            raise
        return day, None
    return day, dict(invoice)


def bill() -> Any:
    household = own_household()
    day, invoice = invoice_of_day(household)
    return render_template(
        "dashboard/bill.html",
        household=household,
        invoice=invoice,
        **days_around(day),
    )


def bill_xml() -> Any:
    household = own_household()
    day, invoice = invoice_of_day(household)
    if invoice is None:
        abort(404, f"no invoice of household {household} for {day}")
    xml = export_invoice(invoice, household_id=household)
    name = f"gridledger-bill-{household}-{day}.xml"
    return Response(
        xml,
        mimetype="application/atom+xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
