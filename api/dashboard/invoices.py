"""The invoices billing issued, a month at a time, and issuing one.

The list is the invoices' public evidence (`ListInvoiceEvidence`, as ``GET
/communities/<c>/invoices``): household, period and the hashes of the invoice and its
inputs, not the amounts, which only the household and a recorded read by billing see.
Issuing is `GenerateInvoice` through the form, checked by the API's own schema;
issuing the same invoice again changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from apiflask import abort
from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.dashboard.session import check_csrf, loaded, page, require_role
from api.ledger import ledger
from api.routes.schemas import InvoiceIn


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/invoices", "invoices", page(invoices))
    bp.add_url_rule("/invoices", "issue", page(issue), methods=["POST"])


def chosen_month() -> date:
    """`?month=YYYY-MM` (its first day), else this month (UTC)."""
    text = request.args.get("month")
    if text is None:
        return datetime.now(UTC).date().replace(day=1)
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        abort(400, f"month {text[:16]!r} is not a month: give it as YYYY-MM")


def invoices() -> Any:
    require_role("billing")
    first = chosen_month()
    following = (first + timedelta(days=32)).replace(day=1)
    issued = ledger().invoices_issued(first.isoformat(), following.isoformat())
    return render_template(
        "dashboard/invoices.html",
        month=first,
        previous=(first - timedelta(days=1)).replace(day=1),
        following=following,
        issued=issued,
        today=datetime.now(UTC).date(),
        yesterday=datetime.now(UTC).date() - timedelta(days=1),
    )


def issue() -> Any:
    check_csrf()
    require_role("billing")
    fields = ("household_id", "period_start", "period_end")
    form = loaded(InvoiceIn(), {k: request.form.get(k, "") for k in fields})
    household, start, end = form["household_id"], form["period_start"], form["period_end"]
    made = ledger().generate_invoice(household, start, end)
    flash(
        f"Invoice of {household} for {start} to {end} issued: total {made['total']} "
        f"{made['currency']} cents.",
    )
    return redirect(url_for("dashboard.invoices", month=start[:7]))
