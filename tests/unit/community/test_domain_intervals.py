"""15-minute UTC intervals, timestamps, dates and periods."""

from datetime import UTC, datetime

import pytest

from chaincode.community.domain import (
    IntervalError,
    check_interval_start,
    compact_interval,
    date_start,
    format_instant,
    interval_containing,
    iter_intervals,
    minute_of_day,
    next_interval,
    parse_date,
    parse_instant,
    parse_interval_start,
    timestamp_ns,
)


def test_parse_and_format_round_trip():
    moment = parse_interval_start("2026-03-01T09:15:00Z")
    assert moment == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
    assert format_instant(moment) == "2026-03-01T09:15:00Z"
    assert check_interval_start("2026-03-01T23:45:00Z") == "2026-03-01T23:45:00Z"


@pytest.mark.parametrize(
    "text", ["2026-03-01T09:07:00Z", "2026-03-01T09:15:30Z", "2026-03-01T09:59:00Z"]
)
def test_a_misaligned_interval_is_refused(text):
    with pytest.raises(IntervalError) as caught:
        parse_interval_start(text)
    assert str(caught.value) == f"interval {text} is not aligned to 15 minutes"


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-01 09:15:00",
        "2026-03-01T09:15:00+00:00",
        "2026-03-01T09:15:00.000Z",
        "2026-03-01T09:15Z",
        "2026-02-30T09:15:00Z",
        "2026-03-01T24:00:00Z",
        "",
    ],
)
def test_a_malformed_interval_is_refused(text):
    with pytest.raises(IntervalError) as caught:
        check_interval_start(text)
    expected = f"interval '{text}' is not an iso-8601 utc time like 2026-03-01T09:15:00Z"
    assert str(caught.value) == expected


def test_a_non_string_interval_is_refused():
    with pytest.raises(IntervalError, match=r"^interval '1' is not an iso-8601 utc time"):
        parse_instant(1, "interval")


def test_format_refuses_local_or_sub_second_times():
    with pytest.raises(IntervalError, match="is not a whole-second utc time"):
        format_instant(datetime(2026, 3, 1, 9, 15, 0, 5, tzinfo=UTC))
    with pytest.raises(IntervalError, match="is not a whole-second utc time"):
        format_instant(datetime(2026, 3, 1, 9, 15))


def test_iterate_a_period():
    assert list(iter_intervals("2026-03-01T23:30:00Z", "2026-03-02T00:30:00Z")) == [
        "2026-03-01T23:30:00Z",
        "2026-03-01T23:45:00Z",
        "2026-03-02T00:00:00Z",
        "2026-03-02T00:15:00Z",
    ]
    assert len(list(iter_intervals("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"))) == 96
    assert list(iter_intervals("2026-03-01T09:15:00Z", "2026-03-01T09:15:00Z")) == []


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(IntervalError) as caught:
        list(iter_intervals("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z"))
    assert (
        str(caught.value)
        == "period 2026-03-02T00:00:00Z/2026-03-01T00:00:00Z ends before it starts"
    )


def test_period_bounds_must_be_aligned():
    with pytest.raises(IntervalError, match=r"^interval 2026-03-01T00:05:00Z is not aligned"):
        list(iter_intervals("2026-03-01T00:00:00Z", "2026-03-01T00:05:00Z"))


def test_neighbours_and_compact_form():
    assert next_interval("2026-12-31T23:45:00Z") == "2027-01-01T00:00:00Z"
    assert compact_interval("2026-03-01T09:15:00Z") == "20260301T0915Z"
    assert minute_of_day("2026-03-01T09:15:00Z") == 555
    moment = datetime(2026, 3, 1, 9, 29, 59, 999999, tzinfo=UTC)
    assert interval_containing(moment) == "2026-03-01T09:15:00Z"


def test_timestamps_order_exactly_to_the_nanosecond():
    whole = timestamp_ns("2026-03-01T09:00:00Z")
    assert timestamp_ns("2026-03-01T09:00:00.5Z") == whole + 500_000_000
    assert timestamp_ns("2026-03-01T09:00:00.000000001Z") == whole + 1
    assert timestamp_ns("1970-01-01T00:00:01Z") == 1_000_000_000
    # string order would put the fraction first ('.' < 'Z'); time order does not
    assert "2026-03-01T09:00:00.5Z" < "2026-03-01T09:00:00Z"
    assert timestamp_ns("2026-03-01T09:00:00.5Z") > whole


@pytest.mark.parametrize("text", ["2026-03-01T09:00:00.Z", "2026-03-01T09:00:00.1234567890Z"])
def test_malformed_timestamps_are_refused(text):
    with pytest.raises(IntervalError) as caught:
        timestamp_ns(text, "offer o-1: placed_at")
    expected = (
        f"offer o-1: placed_at '{text}' is not an iso-8601 utc time like 2026-03-01T09:15:00Z"
    )
    assert str(caught.value) == expected


def test_dates():
    assert parse_date("2026-03-01").isoformat() == "2026-03-01"
    assert date_start("2026-03-01") == "2026-03-01T00:00:00Z"
    with pytest.raises(IntervalError) as caught:
        parse_date("2026-3-1", "tariff t-1: valid_from")
    assert str(caught.value) == (
        "tariff t-1: valid_from '2026-3-1' is not an iso-8601 date like 2026-03-01"
    )
    with pytest.raises(IntervalError, match=r"^date '2026-02-29' is not an iso-8601 date"):
        parse_date("2026-02-29")
