"""Grid events of the community's area, for the utility's staff: a timeline of incidents,
the operator's report and end of one, and the demand-response events the utility's
OpenADR 3 VTN published on the same register.

The register is append-only (`chaincode/community/events.py`): an incident is reported
once, and an ongoing one gets its end appended once. The form is checked by the same
schema as ``POST /communities/<c>/grid-events``; the buttons follow the role table.
Demand-response events are published through the VTN (`api/openadr`), not here.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from apiflask import abort
from flask import Blueprint, flash, redirect, render_template, request, url_for

from api.dashboard.session import STAFF, check_csrf, loaded, page, require_role, whole
from api.ledger import ledger
from api.routes.schemas import GridEventIn
from gridspec.grid_events import INCIDENT_TYPES
from gridspec.openadr import event_intervals
from gridspec.readings import format_instant

TIMELINE_DAYS = 30


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/events", "events", page(timeline))
    bp.add_url_rule("/events", "report", page(report), methods=["POST"])
    bp.add_url_rule("/events/<event_id>/end", "end", page(end), methods=["POST"])


def timeline() -> Any:
    require_role(*STAFF)
    now = datetime.now(UTC)
    since = now - timedelta(days=TIMELINE_DAYS)
    found = ledger().grid_events(format_instant(since), format_instant(now + timedelta(days=1)))
    events = sorted(found, key=lambda e: e["start"], reverse=True)
    return render_template(
        "dashboard/events.html",
        events=events,
        days=TIMELINE_DAYS,
        types=INCIDENT_TYPES,
        signals=[signal(r) for r in ledger().demand_response_events()],
        can_report=ledger().allowed("ReportGridEvent"),
        can_end=ledger().allowed("EndGridEvent"),
        now=now.strftime("%Y-%m-%dT%H:%M"),
    )


def signal(record: dict[str, Any]) -> dict[str, Any]:
    """A demand-response event as the timeline shows it: when, what, and its revisions."""
    event = record["event"]
    intervals = event_intervals(event)
    return {
        "id": event["id"],
        "name": event.get("eventName") or event["id"],
        "program": event["programID"],
        "start": format_instant(intervals[0].start),
        "payloads": sorted({kind for i in intervals for kind in i.payloads}),
        "revision": record["revision"],
        "issued_by": record["issued_by"]["name"],
    }


def utc(text: str, field: str) -> str:
    """A form's `YYYY-MM-DDTHH:MM` (UTC) as the ledger's timestamp."""
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    except ValueError:
        abort(400, f"{field} {text[:32]!r} is not a time: give it as YYYY-MM-DDTHH:MM (UTC)")
    return format_instant(moment)


def report() -> Any:
    check_csrf()
    require_role(*STAFF)
    form = request.form
    event = {
        "event_id": f"ev-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}",
        "event_type": form.get("event_type", ""),
        "feeder": form.get("feeder", "").strip(),
        "start": utc(form.get("start", ""), "start"),
        "cause": form.get("cause", "").strip(),
        "affected_meters": whole(form.get("affected_meters", ""), "affected meters") or 0,
    }
    checked = loaded(GridEventIn(), event)
    made = ledger().report_grid_event(checked)
    flash(f"{made['event_type']} {made['event_id']} on feeder {made['feeder']} reported.")
    return redirect(url_for("dashboard.events"))


def end(event_id: str) -> Any:
    check_csrf()
    require_role(*STAFF)
    made = ledger().end_grid_event(event_id, format_instant(datetime.now(UTC)))
    flash(f"{made['event_type']} {made['event_id']} ended at {made['end']}.")
    return redirect(url_for("dashboard.events"))
