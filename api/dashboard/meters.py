"""The community's meters, for the utility's and the community's staff: each meter with
the last day it sent readings, and its last reading on request.

The listing (`ListMeters`) says which days a meter has, from the readings' public
commitments, never what it read. Showing a meter's last reading is a read of the
household's data like any other (`GetReadings`): the facade records the access first,
so the household finds it in its access record. That is why it is a button, not a column.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from apiflask import abort
from flask import Blueprint, flash, render_template

from api.dashboard.energy import format_day
from api.dashboard.session import STAFF, check_csrf, page, require_role
from api.ledger import ledger


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/meters", "meters", page(meters))
    bp.add_url_rule(
        "/meters/<meter_id>/last-reading", "last_reading", page(last_reading), methods=["POST"]
    )


def meters(shown: dict[str, Any] | None = None) -> Any:
    require_role(*STAFF)
    listed = ledger().meters()
    return render_template(
        "dashboard/meters.html",
        meters=listed,
        silent=sum(1 for m in listed if m["status"] == "active" and not m["last_reading_day"]),
        shown=shown,
    )


def last_reading(meter_id: str) -> Any:
    """The meter's latest interval, read (and recorded) as the signed-in staff member."""
    check_csrf()
    require_role(*STAFF)
    household = ledger().meter(meter_id)["household_id"]
    listed = {m["meter_id"]: m for m in ledger().meters(household)}
    day = listed[meter_id]["last_reading_day"]
    if day is None:
        abort(404, f"meter {meter_id} has sent no readings this week")
    first = date.fromisoformat(day)
    readings = [
        r
        for r in ledger().readings(household, format_day(first), format_day(first + timedelta(1)))
        if r["meter_id"] == meter_id
    ]
    latest = max(readings, key=lambda r: r["interval_start"])
    flash(f"Reading meter {meter_id} left a record in household {household}'s access log.")
    return meters({"meter_id": meter_id, "household_id": household, **latest})
