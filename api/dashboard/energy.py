"""A household's own energy: a day's consumption and solar export, 15 minutes at a time,
and what it sold and bought on the market that day.

The page reads as the household (the facade's `readings` and `trades`, the calls of
``GET /communities/<c>/households/<id>/readings`` and ``GET .../trades``), so a
household sees its own readings and trades only: the household id is the one in its
certificate, never one the page is given. Several meters of one household add up per
interval; a trade shows its side, not the other household.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apiflask import abort
from flask import Blueprint, render_template, request

from api.dashboard.session import own_household, page
from api.ledger import ledger

FMT = "%Y-%m-%dT%H:%M:%SZ"


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/energy", "energy", page(energy_day))


def chosen_day() -> date:
    """`?day=YYYY-MM-DD`, else yesterday (UTC): the last whole day a meter has sent."""
    text = request.args.get("day")
    if text is None:
        return datetime.now(UTC).date() - timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, f"day {text[:32]!r} is not a date: give it as YYYY-MM-DD")


def days_around(day: date) -> dict[str, date]:
    """A day page's day and the days its arrows lead to."""
    return {"day": day, "previous": day - timedelta(days=1), "following": day + timedelta(days=1)}


def by_interval(readings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each interval's import and export, summed over the household's meters, in order."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"import_wh": 0, "export_wh": 0})
    for reading in readings:
        interval = totals[reading["interval_start"]]
        interval["import_wh"] += int(reading["import_wh"])
        interval["export_wh"] += int(reading["export_wh"])
    return [{"interval_start": start, **totals[start]} for start in sorted(totals)]


def chart(intervals: list[dict[str, Any]]) -> dict[str, Any]:
    """What the page's chart draws: a label per interval (HH:MM UTC), two series in Wh."""
    return {
        "labels": [i["interval_start"][11:16] for i in intervals],
        "series": [
            {"name": "consumed from the grid (Wh)", "values": [i["import_wh"] for i in intervals]},
            {"name": "solar exported (Wh)", "values": [i["export_wh"] for i in intervals]},
        ],
    }


def energy_day() -> Any:
    household = own_household()
    day = chosen_day()
    start, end = day.strftime(FMT), (day + timedelta(days=1)).strftime(FMT)
    intervals = by_interval(ledger().readings(household, start, end))
    totals = {
        "import_wh": sum(i["import_wh"] for i in intervals),
        "export_wh": sum(i["export_wh"] for i in intervals),
    }
    trades = [
        {**t, "side": "sold" if t["seller"] == household else "bought"}
        for t in sorted(ledger().trades(start, end), key=lambda t: t["interval_start"])
    ]
    return render_template(
        "dashboard/energy.html",
        household=household,
        intervals=intervals,
        totals=totals,
        chart=chart(intervals),
        trades=trades,
        **days_around(day),
    )
