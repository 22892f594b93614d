"""A household's agent limits: built, read and written back, each field checked by name."""

import pytest

from agents import AgentLimits

GOOD = {"max_buy_price_per_kwh": 30, "min_sell_price_per_kwh": 9, "max_wh_per_interval": 2500}


def test_limits_round_trip_through_their_record():
    limits = AgentLimits.from_record(GOOD)

    assert limits == AgentLimits(30, 9, 2500)
    assert limits.to_record() == GOOD


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_buy_price_per_kwh", -1, "max_buy_price_per_kwh must be between 0 and 100000"),
        ("max_buy_price_per_kwh", 100_001, "max_buy_price_per_kwh must be between 0 and 100000"),
        ("min_sell_price_per_kwh", 9.5, "min_sell_price_per_kwh must be an integer"),
        ("min_sell_price_per_kwh", True, "min_sell_price_per_kwh must be an integer"),
        ("max_wh_per_interval", 0, "max_wh_per_interval must be between 1 and 1000000"),
        ("max_wh_per_interval", 1_000_001, "max_wh_per_interval must be between 1 and 1000000"),
        ("max_wh_per_interval", "2500", "max_wh_per_interval must be an integer"),
    ],
)
def test_a_wrong_field_is_refused_by_name(field, value, message):
    with pytest.raises(ValueError) as built:
        AgentLimits(**{**GOOD, field: value})
    with pytest.raises(ValueError) as read:
        AgentLimits.from_record({**GOOD, field: value})

    assert str(built.value) == str(read.value) == f"agent limits: {message}"


@pytest.mark.parametrize("value", [0, 100_000])
def test_the_bounds_themselves_are_allowed(value):
    assert AgentLimits(value, value, max(value, 1)).max_buy_price_per_kwh == value


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([30, 9, 2500], "agent limits record must be a json object"),
        (
            {"max_buy_price_per_kwh": 30, "max_wh_per_interval": 2500},
            "agent limits: field min_sell_price_per_kwh is missing",
        ),
        ({**GOOD, "max_price": 40}, "agent limits: unknown field max_price"),
    ],
)
def test_a_record_must_hold_exactly_the_three_fields(record, message):
    with pytest.raises(ValueError) as caught:
        AgentLimits.from_record(record)
    assert str(caught.value) == message
