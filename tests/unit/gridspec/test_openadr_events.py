"""When an OpenADR 3 event's intervals start and end, as every layer reads them."""

from datetime import UTC, datetime, timedelta

import pytest

from gridspec.openadr import check_event, event_intervals, parse_duration

EVENT = {
    "id": "ev-1",
    "programID": "prog-1",
    "intervalPeriod": {"start": "2026-03-01T18:00:00+01:00", "duration": "PT15M"},
    "intervals": [
        {"id": 7, "payloads": [{"type": "PRICE", "values": [0.3]}]},
        {"id": 3, "payloads": [{"type": "PRICE", "values": [0.4]}]},
        {
            "id": 9,
            "intervalPeriod": {"start": "2026-03-01T20:00:00Z"},
            "payloads": [{"type": "SIMPLE", "values": [2]}],
        },
        {
            "id": 4,
            "intervalPeriod": {"start": "2026-03-01T21:00:00Z", "duration": "PT0S"},
            "payloads": [],
        },
    ],
}


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 1, hour, minute, tzinfo=UTC)


def test_intervals_follow_the_events_period_in_list_order_unless_they_have_their_own():
    found = event_intervals(EVENT)
    assert [(i.interval_id, i.start, i.end) for i in found] == [
        (7, at(17), at(17, 15)),
        (3, at(17, 15), at(17, 30)),
        (9, at(20), at(20, 15)),  # its own start, the event's duration
        (4, at(21), None),  # PT0S: an instant or an open end, no window
    ]
    assert found[0].payloads == {"PRICE": [0.3]}
    assert found[1].covers(at(17, 29)) and not found[1].covers(at(17, 30))
    assert not found[3].covers(at(21))


@pytest.mark.parametrize(
    ("text", "length"),
    [("PT1H", timedelta(hours=1)), ("P1DT30M", timedelta(days=1, minutes=30)),
     ("P2W", timedelta(weeks=2)), ("PT0.5S", timedelta(seconds=0.5))],
)  # fmt: skip
def test_durations_in_weeks_days_hours_minutes_and_seconds(text, length):
    assert parse_duration("d", text) == length


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "two words"}, "event id must be"),
        ({"programID": None}, "event programID must be"),
        ({"intervals": []}, "intervals must be a list of 1 to 1000"),
        ({"intervalPeriod": {"start": "2026-03-01T18:00:00", "duration": "PT1H"}}, "no UTC offset"),
        ({"intervalPeriod": {"start": "2026-03-01T18:00:00Z", "duration": "P1M"}},
         "no fixed length"),
        ({"intervalPeriod": {"start": "2026-03-01T18:00:00Z", "duration": "P99999999999D"}},
         "longer than any calendar"),
        ({"intervalPeriod": {"start": "9999-12-31T23:00:00Z", "duration": "PT1H"}},
         "beyond any calendar"),
        ({"intervalPeriod": None}, "intervals[0] has no intervalPeriod, and neither has the event"),
    ],
)  # fmt: skip
def test_an_event_the_register_cannot_read_is_refused_with_the_reason(change, message):
    with pytest.raises(ValueError) as refused:
        check_event({**EVENT, **change})
    assert message in str(refused.value)
