"""Consumption, sun and weather: the yearly energy, the sun's timing, the sky's range."""

from datetime import date, timedelta

import numpy as np
import pytest

from simulation import Household, clear_sky_pv_wh, community, h0_profile, load_wh, pv_wh
from simulation.site import day_slice, solar_year
from simulation.weather import MIXED, OVERCAST, SUNNY, clear_sky_index, day_kinds

YEAR = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]


def south(kwp=1.0, seed=7, azimuth=180.0):
    return Household(
        "h-1", "m-1", "F-1", solar_kwp=kwp, base_load_w=100, seed=seed, pv_azimuth_deg=azimuth
    )


def test_the_h0_profile_covers_the_utc_year_once():
    shares = h0_profile(2026)

    assert shares.shape == (365 * 96,)
    assert shares.sum() == pytest.approx(1.0)
    assert shares.min() > 0


def test_a_simulated_year_adds_up_to_each_households_annual_energy():
    homes = community(7, 8)
    totals = np.zeros(len(homes))
    for day in YEAR:
        totals += [load_wh(home, day).sum() for home in homes]

    ratios = totals / 1000 / np.array([home.annual_kwh for home in homes])
    assert np.all(np.abs(ratios - 1) < 0.04), ratios


def test_households_differ_and_a_winter_evening_uses_more_than_a_summer_night():
    first, second = community(7, 2)
    winter = load_wh(first, date(2026, 1, 14))

    assert not np.allclose(winter, load_wh(second, date(2026, 1, 14)))
    assert winter[68:84].mean() > 1.5 * winter[4:16].mean()  # 17-21 h UTC vs 01-04 h


def test_there_is_no_solar_while_the_sun_is_down():
    day = date(2026, 6, 21)
    sun_down = solar_year(2026).zenith[day_slice(day)] > 90
    for home in (south(5.0), south(5.0, azimuth=90.0)):
        assert sun_down.any() and not pv_wh(home, day)[sun_down].any()
        assert not clear_sky_pv_wh(home, day)[sun_down].any()


@pytest.mark.parametrize("day", [date(2026, 3, 20), date(2026, 6, 21), date(2026, 12, 21)])
def test_a_south_facing_array_peaks_near_solar_noon_under_a_clear_sky(day):
    # solar noon at 13.4 degrees east is about 11:06 UTC, +- the equation of time
    peak = int(np.argmax(clear_sky_pv_wh(south(), day)))

    assert 42 <= peak <= 46  # 10:30-11:45 UTC


def test_an_east_facing_array_peaks_before_a_west_facing_one():
    day = date(2026, 6, 21)
    east = np.argmax(clear_sky_pv_wh(south(azimuth=90.0), day))
    west = np.argmax(clear_sky_pv_wh(south(azimuth=270.0), day))

    assert east + 8 < west


@pytest.mark.parametrize("seed", [7, 42])
def test_a_year_yields_what_a_berlin_roof_does(seed):
    home = south(seed=seed)
    yield_kwh = sum(pv_wh(home, day).sum() for day in YEAR) / 1000
    clear_kwh = sum(clear_sky_pv_wh(home, day).sum() for day in YEAR) / 1000

    assert 850 <= yield_kwh <= 1050  # kWh per kWp, south at 35 degrees
    assert yield_kwh < 0.7 * clear_kwh


def test_the_weather_stays_in_bounds_and_sunny_days_are_brighter():
    kinds = day_kinds(7, 2026)
    level = {
        kind: np.mean(
            [
                clear_sky_index(7, day).mean()
                for day, k in zip(YEAR, kinds, strict=True)
                if k == kind
            ]
        )
        for kind in (SUNNY, MIXED, OVERCAST)
    }

    assert all(
        0.03 <= clear_sky_index(7, day).min() <= clear_sky_index(7, day).max() <= 1.2
        for day in YEAR[::7]
    )
    assert level[SUNNY] > level[MIXED] > level[OVERCAST]


def test_summer_has_more_sunny_days_than_winter():
    kinds = np.array(day_kinds(7, 2026) + day_kinds(8, 2026))
    summer = np.r_[120:240, 365 + 120 : 365 + 240]
    winter = np.r_[0:60, 320:365, 365:425, 685:730]

    assert np.mean(kinds[summer] == SUNNY) > np.mean(kinds[winter] == SUNNY) + 0.1
