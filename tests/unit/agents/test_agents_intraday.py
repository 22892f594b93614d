"""Correcting a day-ahead forecast from the readings complete at gate closure."""

import numpy as np
import pytest

from agents.intraday import LEAD, corrected_wh, sky_error_wh

SLOTS = np.arange(96)
CLEAR = np.clip(np.sin(np.pi * (SLOTS - 20) / 52), 0, None) * 1000  # sun from 05:00 to 18:00
FORECAST = 100 - 0.8 * CLEAR  # a household with solar, forecast on a sunny day


def test_readings_not_complete_at_gate_closure_are_refused():
    assert LEAD == 2
    corrected_wh(FORECAST, CLEAR, FORECAST[:49], 50)  # intervals 0-48: complete

    with pytest.raises(ValueError) as caught:
        corrected_wh(FORECAST, CLEAR, FORECAST[:50], 50)
    assert str(caught.value) == (
        "interval 50: readings up to interval 49 are not complete at gate closure "
        "(the last complete one is 48)"
    )


def test_a_forecast_that_was_right_so_far_stays_as_it_is():
    assert corrected_wh(FORECAST, CLEAR, FORECAST[:47], 48) == pytest.approx(FORECAST[48])
    assert sky_error_wh(FORECAST, CLEAR, FORECAST[:47], 48) == pytest.approx(0.0)


def test_a_cloudier_morning_than_forecast_lowers_the_coming_export():
    half_sun = 100 - 0.4 * CLEAR

    corrected = corrected_wh(FORECAST, CLEAR, half_sun[:47], 48)
    assert corrected == pytest.approx(half_sun[48])
    assert corrected > FORECAST[48]


def test_without_sun_the_load_noise_is_not_carried_forward():
    noisy = FORECAST + 300

    assert corrected_wh(FORECAST, CLEAR, noisy[:4], 5) == FORECAST[5]
    assert sky_error_wh(FORECAST, CLEAR, noisy[:4], 5) == 0.0
    assert corrected_wh(FORECAST, CLEAR, noisy[:0], 1) == FORECAST[1]


def test_passing_clouds_raise_the_error_to_expect():
    flicker = FORECAST + np.where(SLOTS % 2, 0.3, -0.3) * CLEAR

    assert sky_error_wh(FORECAST, CLEAR, flicker[:47], 48) == pytest.approx(
        0.6 * CLEAR[48], rel=0.01
    )
