"""A household's own energy: its meters, and a day's, week's or month's consumption and
solar export (a day and a week 15 minutes at a time, a month day by day), with what it
sold and bought on the market in that time.

The page reads as the household (the facade's `readings` and `trades`, the calls of
``GET /communities/<c>/households/<id>/readings`` and ``GET .../trades``), so a
household sees its own readings and trades only: the household id is the one in its
certificate, never one the page is given. Several meters of one household add up per
interval; a trade shows its side, not the other household.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from apiflask import abort
from flask import Blueprint, render_template, request

from api.dashboard.session import own_household, page
from api.ledger import ledger
from gridspec.readings import format_instant

PERIODS = ("day", "week", "month")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/energy", "energy", page(energy))


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


def span(period: str, day: date) -> tuple[date, date, date, date]:
    """The period holding `day` ([first, end) days; weeks start on Monday), and the first
    days of the periods before and after it."""
    if period == "day":
        first, end = day, day + timedelta(days=1)
        return first, end, first - timedelta(days=1), end
    if period == "week":
        first = day - timedelta(days=day.weekday())
        end = first + timedelta(days=7)
        return first, end, first - timedelta(days=7), end
    first = day.replace(day=1)
    end = (first + timedelta(days=32)).replace(day=1)
    return first, end, (first - timedelta(days=1)).replace(day=1), end


def chosen_period() -> str:
    period = request.args.get("period", "day")
    if period not in PERIODS:
        abort(400, f"period {period[:16]!r} is not one of: {', '.join(PERIODS)}")
    return period


def by_interval(readings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each interval's import and export, summed over the household's meters, in order."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"import_wh": 0, "export_wh": 0})
    for reading in readings:
        interval = totals[reading["interval_start"]]
        interval["import_wh"] += int(reading["import_wh"])
        interval["export_wh"] += int(reading["export_wh"])
    return [{"interval_start": start, **totals[start]} for start in sorted(totals)]


def by_day(intervals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each day's import and export, from its intervals, in order."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"import_wh": 0, "export_wh": 0})
    for interval in intervals:
        day = totals[interval["interval_start"][:10]]
        day["import_wh"] += interval["import_wh"]
        day["export_wh"] += interval["export_wh"]
    return [{"day": day, **totals[day]} for day in sorted(totals)]


def chart(rows: list[dict[str, Any]], label: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
    """What the page's chart draws: a label per row, two series in Wh."""
    return {
        "labels": [label(row) for row in rows],
        "series": [
            {"name": "consumed from the grid (Wh)", "values": [r["import_wh"] for r in rows]},
            {"name": "solar exported (Wh)", "values": [r["export_wh"] for r in rows]},
        ],
    }


def energy() -> Any:
    """A day's 96 intervals; a week's 672 (charted at 15 minutes too) with its days'
    totals; a month's days."""
    household = own_household()
    period = chosen_period()
    first, end, previous, following = span(period, chosen_day())
    start, stop = format_day(first), format_day(end)
    intervals = by_interval(ledger().readings(household, start, stop))
    days = by_day(intervals)
    if period == "month":
        drawn = chart(days, lambda d: d["day"][8:])
    elif period == "week":
        drawn = chart(
            intervals, lambda i: f"{i['interval_start'][5:10]} {i['interval_start'][11:16]}"
        )
    else:
        drawn = chart(intervals, lambda i: i["interval_start"][11:16])
    trades = [
        {**t, "side": "sold" if t["seller"] == household else "bought"}
        for t in sorted(ledger().trades(start, stop), key=lambda t: t["interval_start"])
    ]
    return render_template(
        "dashboard/energy.html",
        household=household,
        meters=ledger().meters(household),
        period=period,
        first=first,
        last=end - timedelta(days=1),
        previous=previous,
        following=following,
        intervals=intervals,
        days=days,
        totals={k: sum(d[k] for d in days) for k in ("import_wh", "export_wh")},
        chart=drawn,
        trades=trades,
    )


def format_day(day: date) -> str:
    return format_instant(datetime.combine(day, time(), UTC))
