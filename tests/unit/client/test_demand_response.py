"""The demand-response effect of an event: load against the baseline of the days before."""

import ast
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client.demand_response import baseline_period, effect, event_window

# 17:00-18:00 UTC on 2026-03-06, as two half-hour intervals
EVENT = {
    "id": "peak-shave-7",
    "programID": "winter-peak",
    "intervalPeriod": {"start": "2026-03-06T17:00:00Z", "duration": "PT30M"},
    "intervals": [
        {"id": 0, "payloads": [{"type": "SIMPLE", "values": [2]}]},
        {"id": 1, "payloads": [{"type": "SIMPLE", "values": [2]}]},
    ],
}
EVENT_DAY = datetime(2026, 3, 6, tzinfo=UTC)


def event_with(*periods):
    """An event whose intervals have their own (start, duration) periods."""
    intervals = [
        {"id": n, "intervalPeriod": {"start": start, "duration": duration}, "payloads": []}
        for n, (start, duration) in enumerate(periods)
    ]
    return {"id": "dr-2", "programID": "p", "intervals": intervals}


def readings(days_before, loads, meter="m-1", at="17:00", minutes=15):
    """One meter's readings from *at* UTC, *days_before* the event day, one per load."""
    hour, minute = map(int, at.split(":"))
    start = EVENT_DAY - timedelta(days=days_before) + timedelta(hours=hour, minutes=minute)
    return [
        {
            "meter_id": meter,
            "interval_start": (start + n * timedelta(minutes=minutes)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "interval_minutes": minutes,
            "import_wh": wh,
            "export_wh": 0,
        }
        for n, wh in enumerate(loads)
    ]


def hour_of(load_per_day, meter="m-1"):
    """Readings of the event day (index 0) and the days before, 4 equal quarters an hour."""
    found = []
    for days_before, total in enumerate(load_per_day):
        if total is not None:
            found += readings(days_before, [total // 4] * 4, meter)
    return found


def test_the_effect_of_an_event_for_each_household_and_in_total():
    result = effect(
        EVENT,
        {
            "h-2": hour_of([400, 600, 500, 700, 600, 600]),
            "h-1": hour_of([800, 800, 800, 800, 800, 1200]),
        },
    )

    assert result == {
        "event_id": "peak-shave-7",
        "program_id": "winter-peak",
        "window": [{"start": "2026-03-06T17:00:00Z", "end": "2026-03-06T18:00:00Z"}],
        "baseline_days": 5,
        "households": [
            {
                "household_id": "h-1",
                "load_wh": 800,
                "baseline_wh": 880,
                "reduction_wh": 80,
                "reduction_percent": 9.1,
                "baseline_days_used": 5,
            },
            {
                "household_id": "h-2",
                "load_wh": 400,
                "baseline_wh": 600,
                "reduction_wh": 200,
                "reduction_percent": 33.3,
                "baseline_days_used": 5,
            },
        ],
        "total": {
            "load_wh": 1200,
            "baseline_wh": 1480,
            "reduction_wh": 280,
            "reduction_percent": 18.9,
            "households": 2,
        },
        "without_baseline": [],
        "without_load": [],
    }


def test_only_the_requested_number_of_days_before_count():
    # the sixth day before (1000 Wh) is outside a 5-day baseline but inside a 6-day one
    day_loads = hour_of([400, 400, 400, 400, 400, 400, 1000])

    assert effect(EVENT, {"h": day_loads})["households"][0]["baseline_wh"] == 400
    six = effect(EVENT, {"h": day_loads}, baseline_days=6)["households"][0]
    assert (six["baseline_wh"], six["baseline_days_used"]) == (500, 6)


def test_the_baseline_is_the_mean_rounded_half_up():
    loads = readings(0, [0]) + readings(1, [1]) + readings(2, [2])
    event = event_with(("2026-03-06T17:00:00Z", "PT15M"))

    assert effect(event, {"h": loads}, baseline_days=1)["households"][0]["baseline_wh"] == 1
    # (1 + 2) / 2 = 1.5 -> 2
    assert effect(event, {"h": loads}, baseline_days=2)["households"][0]["baseline_wh"] == 2


def test_a_baseline_day_with_a_missing_reading_is_left_out():
    day_loads = hour_of([400, 600, None, 700, 600, 600])
    day_loads += readings(2, [9999, 9999, 9999])  # three quarters of four

    row = effect(EVENT, {"h": day_loads})["households"][0]

    assert (row["baseline_wh"], row["baseline_days_used"]) == (625, 4)


def test_a_household_with_no_complete_baseline_day_is_listed_apart_and_not_totalled():
    result = effect(EVENT, {"h-1": hour_of([400, 600]), "h-2": hour_of([100])})

    assert result["without_baseline"] == ["h-2"]
    assert [row["household_id"] for row in result["households"]] == ["h-1"]
    assert result["total"]["households"] == 1
    assert result["total"]["load_wh"] == 400


def test_a_missing_reading_on_the_event_day_leaves_the_household_without_a_load():
    partial = readings(0, [100, 100, 100]) + hour_of([None, 600, 600])

    result = effect(EVENT, {"h": partial, "g": []})

    assert result["without_load"] == ["g", "h"]
    assert result["households"] == []
    assert result["total"] == {
        "load_wh": 0,
        "baseline_wh": 0,
        "reduction_wh": 0,
        "reduction_percent": None,
        "households": 0,
    }


def test_readings_straddling_the_window_edges_are_not_counted():
    # window 17:10-17:50: only the 17:15 and 17:30 quarters lie inside it
    event = event_with(("2026-03-06T17:10:00Z", "PT40M"))
    loads = readings(0, [1000, 10, 20, 1000]) + readings(1, [1000, 30, 40, 1000])

    row = effect(event, {"h": loads}, baseline_days=1)["households"][0]

    assert (row["load_wh"], row["baseline_wh"]) == (30, 70)


@pytest.mark.parametrize("missing", [0, 1, 3])
def test_a_missing_first_middle_or_last_quarter_makes_a_day_incomplete(missing):
    day = readings(1, [150, 150, 150, 150])
    del day[missing]

    result = effect(EVENT, {"h": hour_of([400]) + day}, baseline_days=1)

    assert result["without_baseline"] == ["h"]


def test_a_gap_at_the_window_edge_makes_a_day_incomplete():
    event = event_with(("2026-03-06T17:10:00Z", "PT40M"))
    loads = readings(0, [10, 20], at="17:15") + readings(1, [30], at="17:30")

    assert effect(event, {"h": loads}, baseline_days=1)["without_baseline"] == ["h"]


def test_every_meter_of_a_household_counts_and_each_must_be_complete():
    loads = hour_of([400, 800, 800]) + hour_of([40, 80, None], meter="m-2")
    loads += readings(2, [20], meter="m-2", at="17:00", minutes=60)  # hourly on that day

    row = effect(EVENT, {"h": loads}, baseline_days=2)["households"][0]
    assert (row["load_wh"], row["baseline_wh"]) == (440, 850)

    del loads[-1]
    row = effect(EVENT, {"h": loads}, baseline_days=2)["households"][0]
    assert (row["baseline_wh"], row["baseline_days_used"]) == (880, 1)


def test_a_window_in_pieces_counts_each_piece_and_nothing_between():
    event = event_with(("2026-03-06T17:00:00Z", "PT1H"), ("2026-03-06T08:00:00Z", "PT30M"))
    loads = []
    for days_before, (morning, between, evening) in enumerate([(1, 50, 2), (3, 60, 4)]):
        loads += readings(days_before, [morning], at="08:00", minutes=30)
        loads += readings(days_before, [between], at="12:00", minutes=60)
        loads += readings(days_before, [evening], at="17:00", minutes=60)

    result = effect(event, {"h": loads}, baseline_days=1)

    assert result["window"] == [
        {"start": "2026-03-06T08:00:00Z", "end": "2026-03-06T08:30:00Z"},
        {"start": "2026-03-06T17:00:00Z", "end": "2026-03-06T18:00:00Z"},
    ]
    assert (result["households"][0]["load_wh"], result["households"][0]["baseline_wh"]) == (3, 7)


def test_a_household_that_drew_more_shows_a_negative_reduction():
    row = effect(EVENT, {"h": hour_of([1000, 800])}, baseline_days=1)["households"][0]

    assert (row["reduction_wh"], row["reduction_percent"]) == (-200, -25.0)


def test_a_zero_baseline_has_no_percentage():
    row = effect(EVENT, {"h": hour_of([400, 0])}, baseline_days=1)["households"][0]

    assert (row["reduction_wh"], row["reduction_percent"]) == (-400, None)


def test_overlapping_and_adjacent_intervals_merge_into_one_window():
    event = event_with(
        ("2026-03-06T17:00:00Z", "PT30M"),
        ("2026-03-06T17:15:00Z", "PT30M"),
        ("2026-03-06T17:45:00Z", "PT15M"),
        ("2026-03-06T19:00:00Z", "PT0S"),  # no end: no window
    )

    assert event_window(event) == [
        (datetime(2026, 3, 6, 17, tzinfo=UTC), datetime(2026, 3, 6, 18, tzinfo=UTC))
    ]


def test_the_readings_to_fetch_run_from_the_earliest_baseline_day_to_the_events_end():
    assert baseline_period(EVENT) == ("2026-03-01T17:00:00Z", "2026-03-06T18:00:00Z")
    assert baseline_period(EVENT, 1) == ("2026-03-05T17:00:00Z", "2026-03-06T18:00:00Z")
    whole_day = event_with(("2026-03-06T06:00:00+01:00", "P1D"))
    assert baseline_period(whole_day, 30) == ("2026-02-04T05:00:00Z", "2026-03-07T05:00:00Z")


@pytest.mark.parametrize(
    ("event", "days", "message"),
    [
        (
            event_with(("2026-03-06T17:00:00Z", "PT0S")),
            5,
            "event dr-2 has no interval with an end: it has no window to measure",
        ),
        (
            event_with(("2026-03-06T17:00:00Z", "PT1H"), ("2026-03-07T17:00:00Z", "PT1S")),
            5,
            "event dr-2 spans more than 24 hours (2026-03-06T17:00:00Z to "
            "2026-03-07T17:00:01Z): its effect cannot be measured against the days before",
        ),
        (EVENT, 0, "baseline_days must be an integer from 1 to 30"),
        (EVENT, 31, "baseline_days must be an integer from 1 to 30"),
        (EVENT, True, "baseline_days must be an integer from 1 to 30"),
        (EVENT, "5", "baseline_days must be an integer from 1 to 30"),
        ({**EVENT, "id": "a b"}, 5, "event id must be 1-128 letters, digits, '_' or '-'"),
    ],
)
def test_an_event_or_a_baseline_that_cannot_be_measured_is_refused(event, days, message):
    with pytest.raises(ValueError) as caught:
        baseline_period(event, days)
    assert str(caught.value) == message
    with pytest.raises(ValueError) as caught:
        effect(event, {"h": hour_of([400, 600])}, days)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"import_wh": -1},
            "household h reading 1: import_wh must be an integer from 0 to 50000 Wh",
        ),
        (
            {"interval_minutes": 10},
            "household h reading 1: interval_minutes must be one of 5, 15, 30, 60",
        ),
        (
            {"interval_start": "2026-03-06T17:15:00+00:00"},
            "household h reading 1: interval_start must be a UTC time like 2026-03-01T09:15:00Z",
        ),
        (
            {"meter_id": "m 1"},
            "meter id 'm 1' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        (
            {"interval_start": "2026-03-06T17:05:00Z"},
            "household h: meter m-1 has overlapping readings at 2026-03-06T17:05:00Z",
        ),
    ],
)
def test_a_reading_that_breaks_a_rule_is_refused(change, message):
    loads = hour_of([400, 600])
    loads[1] = {**loads[1], **change}

    with pytest.raises(ValueError) as caught:
        effect(EVENT, {"h": loads}, 1)
    assert str(caught.value) == message


@pytest.mark.parametrize("household_id", ["", 7])
def test_a_household_id_must_be_text(household_id):
    with pytest.raises(ValueError) as caught:
        effect(EVENT, {"h": hour_of([400, 600]), household_id: hour_of([400, 600])}, 1)
    assert str(caught.value) == "household ids must be non-empty text"


quarters = st.lists(st.integers(0, 50_000), min_size=4, max_size=4)


@given(
    st.dictionaries(
        st.text("abcdefgh-", min_size=1, max_size=6),
        st.tuples(quarters, st.lists(st.one_of(st.none(), quarters), min_size=3, max_size=3)),
        max_size=6,
    )
)
def test_each_reduction_is_baseline_minus_load_and_the_total_is_their_sum(households):
    given_readings = {}
    for household_id, (today, before) in households.items():
        found = readings(0, today)
        for days_before, day in enumerate(before, start=1):
            found += readings(days_before, day) if day is not None else []
        given_readings[household_id] = found

    result = effect(EVENT, given_readings, baseline_days=3)

    rows = result["households"]
    assert [row["household_id"] for row in rows] == sorted(
        h for h, (_, before) in households.items() if any(d is not None for d in before)
    )
    for row in rows:
        today, before = households[row["household_id"]]
        complete = [sum(day) for day in before if day is not None]
        assert row["load_wh"] == sum(today)
        assert row["baseline_days_used"] == len(complete)
        assert abs(row["baseline_wh"] - sum(complete) / len(complete)) <= 0.5
        assert row["reduction_wh"] == row["baseline_wh"] - row["load_wh"]
    total = result["total"]
    for field in ("load_wh", "baseline_wh", "reduction_wh"):
        assert total[field] == sum(row[field] for row in rows)
    assert total["households"] == len(rows)
    assert sorted(result["without_baseline"] + [row["household_id"] for row in rows]) == sorted(
        households
    )


def test_the_module_imports_only_gridspec_and_the_standard_library():
    source = Path(__file__).resolve().parents[3] / "client" / "demand_response.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." if node.level else (node.module or "").split(".")[0])

    assert imported - {"gridspec", "__future__"} <= set(sys.stdlib_module_names)
