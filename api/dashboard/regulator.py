"""The regulator's oversight of a community: tariffs and their approval, and the
k-anonymous aggregates the utility publishes, charted.

Tariffs are public on the community's channel (`ListTariffs`); approving one is
`ApproveTariff`, which the role table gives the regulator alone. Aggregates cover at
least k households each (the threshold the regulator sets), so they are the view of a
community's consumption that names no one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for

from api.dashboard.energy import chart, chosen_day, days_around, format_day
from api.dashboard.session import check_csrf, page, require_role
from api.ledger import ledger


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/tariffs", "tariffs", page(tariffs))
    bp.add_url_rule("/tariffs/<tariff_id>/approval", "approve", page(approve), methods=["POST"])
    bp.add_url_rule("/aggregates", "aggregates", page(aggregates))


def tariffs() -> Any:
    require_role("regulator")
    return render_template(
        "dashboard/tariffs.html",
        tariffs=ledger().tariffs(),
        can_approve=ledger().allowed("ApproveTariff"),
    )


def approve(tariff_id: str) -> Any:
    check_csrf()
    require_role("regulator")
    made = ledger().approve_tariff(tariff_id)
    flash(f"Tariff {tariff_id} approved by {made['approved_by']} at {made['approved_at']}.")
    return redirect(url_for("dashboard.tariffs", community=g.community))


def aggregates() -> Any:
    """A day of one community's aggregates, interval by interval."""
    require_role("regulator")
    day = chosen_day()
    start, end = format_day(day), format_day(day + timedelta(days=1))
    found = sorted(ledger().aggregates(g.community, start, end), key=lambda a: a["interval_start"])
    return render_template(
        "dashboard/aggregates.html",
        aggregates=found,
        threshold=ledger().threshold(),
        chart=chart(found, lambda a: a["interval_start"][11:16]),
        **days_around(day),
    )
