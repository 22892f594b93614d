"""The community's site and its sun: one UTC year of 15-minute slots, computed once.

Every household of the community stands at one site (a central-European city, the
climate the BDEW load profile was measured in). For each 15-minute interval of a
year the sun's position, the clear-sky irradiance (Ineichen with the Linke
turbidity climatology pvlib ships), the extraterrestrial irradiance and the air
temperature are computed at the interval's midpoint and kept, per year, in memory:
every household and every day then only slices arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from pvlib import irradiance, location  # type: ignore[import-untyped]

__all__ = [
    "ALTITUDE_M",
    "LATITUDE",
    "LOCAL_TIMEZONE",
    "LONGITUDE",
    "SLOTS_PER_DAY",
    "SolarYear",
    "day_slice",
    "solar_year",
]

LATITUDE = 52.52
LONGITUDE = 13.40
ALTITUDE_M = 34
#: the time zone of the load profile's clock (the site's)
LOCAL_TIMEZONE = "Europe/Berlin"
SLOTS_PER_DAY = 96
#: air temperature: annual mean, seasonal and daily swing (degC), coldest day, warmest hour UTC
MEAN_TEMP_C = 10.0
SEASONAL_SWING_C = 9.5
DAILY_SWING_C = 4.0
COLDEST_DAY_OF_YEAR = 15
WARMEST_HOUR_UTC = 13


@dataclass(frozen=True)
class SolarYear:
    """Per-slot arrays of one UTC year, at each interval's midpoint."""

    zenith: np.ndarray
    azimuth: np.ndarray
    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray
    dni_extra: np.ndarray
    day_of_year: np.ndarray
    temp_air: np.ndarray


def day_slice(day: date) -> slice:
    """The slots of *day* within the arrays of its year."""
    first = (day - date(day.year, 1, 1)).days * SLOTS_PER_DAY
    return slice(first, first + SLOTS_PER_DAY)


def _midpoints(year: int) -> pd.DatetimeIndex:
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    return pd.date_range(
        f"{year}-01-01 00:07:30", periods=days * SLOTS_PER_DAY, freq="15min", tz="UTC"
    )


def _temp_air(times: pd.DatetimeIndex) -> np.ndarray:
    """A smooth seasonal and daily air temperature: it only sets the cells' temperature."""
    day = times.dayofyear.to_numpy()
    hour = times.hour.to_numpy() + times.minute.to_numpy() / 60
    seasonal = -SEASONAL_SWING_C * np.cos(2 * np.pi * (day - COLDEST_DAY_OF_YEAR) / 365)
    daily = DAILY_SWING_C * np.cos(2 * np.pi * (hour - WARMEST_HOUR_UTC) / 24)
    return np.asarray(MEAN_TEMP_C + seasonal + daily, dtype=float)


@cache
def solar_year(year: int) -> SolarYear:
    """The sun and the clear sky over the site for every 15-minute slot of *year*."""
    site = location.Location(LATITUDE, LONGITUDE, tz="UTC", altitude=ALTITUDE_M)
    times = _midpoints(year)
    position = site.get_solarposition(times)
    clear = site.get_clearsky(times, solar_position=position)
    return SolarYear(
        zenith=position["zenith"].to_numpy(),
        azimuth=position["azimuth"].to_numpy(),
        ghi=clear["ghi"].to_numpy(),
        dni=clear["dni"].to_numpy(),
        dhi=clear["dhi"].to_numpy(),
        dni_extra=np.asarray(irradiance.get_extra_radiation(times).to_numpy(), dtype=float),
        day_of_year=times.dayofyear.to_numpy(),
        temp_air=_temp_air(times),
    )
