"""Rooftop solar: AC energy per interval from irradiance, with pvlib's PVWatts models.

The chain, per interval: global horizontal irradiance (clear sky x the day's
clear-sky index) -> beam and diffuse parts (Erbs decomposition; for the clear sky,
Ineichen's own parts) -> irradiance on the panel plane (Hay-Davies transposition,
ground albedo 0.2) -> cell temperature (Faiman) -> DC power (PVWatts, -0.37 %/degC,
minus PVWatts' default system losses of 14 %) -> AC power (PVWatts inverter, nominal
efficiency 96 %, DC/AC ratio 1.1, so it clips on the brightest hours).

Everything is computed for 1 kWp and scaled by each array's kWp (with one DC/AC
ratio for all, the chain is linear in the size), and cached per orientation: per
year for the clear sky, per day for the weather.
"""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache

import numpy as np
from pvlib import inverter, irradiance, pvsystem, temperature  # type: ignore[import-untyped]

from .household import Household
from .site import SolarYear, day_slice, solar_year
from .weather import clear_sky_index

__all__ = ["clear_sky_pv_wh", "pv_wh"]

WATTS_PER_KWP = 1000.0
GAMMA_PDC = -0.0037  # per degC, crystalline silicon
SYSTEM_LOSSES = float(pvsystem.pvwatts_losses()) / 100
INVERTER_EFFICIENCY = 0.96
DC_AC_RATIO = 1.1
ALBEDO = 0.2
WIND_SPEED = 2.0  # m/s, for the cell temperature
HOURS_PER_INTERVAL = 0.25


def _ac_per_kwp(
    tilt: float,
    azimuth: float,
    sun: SolarYear,
    where: slice,
    sky: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """AC watts of 1 kWp for the slots *where* of *sun*'s year, under *sky* (ghi, dni, dhi)."""
    ghi, dni, dhi = sky
    with np.errstate(invalid="ignore", divide="ignore"):  # the sun below the horizon
        plane = irradiance.get_total_irradiance(
            tilt,
            azimuth,
            sun.zenith[where],
            sun.azimuth[where],
            dni,
            ghi,
            dhi,
            dni_extra=sun.dni_extra[where],
            albedo=ALBEDO,
            model="haydavies",
        )
    poa = np.clip(np.nan_to_num(np.asarray(plane["poa_global"], dtype=float)), 0, None)
    cell = temperature.faiman(poa, sun.temp_air[where], WIND_SPEED)
    dc = pvsystem.pvwatts_dc(poa, cell, WATTS_PER_KWP, GAMMA_PDC) * (1 - SYSTEM_LOSSES)
    limit = WATTS_PER_KWP / DC_AC_RATIO / INVERTER_EFFICIENCY
    ac = inverter.pvwatts(dc, limit, INVERTER_EFFICIENCY)
    return np.asarray(np.clip(ac, 0, None), dtype=float)


@cache
def _clear_sky_year(year: int, tilt: float, azimuth: float) -> np.ndarray:
    sun = solar_year(year)
    everything = slice(0, len(sun.ghi))
    ac = _ac_per_kwp(tilt, azimuth, sun, everything, (sun.ghi, sun.dni, sun.dhi))
    ac.flags.writeable = False
    return ac


@lru_cache(maxsize=64)
def _day_sky(seed: int, day: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The day's (ghi, dni, dhi): the clear sky dimmed by the weather, then split again."""
    sun, where = solar_year(day.year), day_slice(day)
    ghi = sun.ghi[where] * clear_sky_index(seed, day)
    with np.errstate(invalid="ignore", divide="ignore"):
        parts = irradiance.erbs(ghi, sun.zenith[where], sun.day_of_year[where])
    dni = np.nan_to_num(np.asarray(parts["dni"], dtype=float))
    dhi = np.nan_to_num(np.asarray(parts["dhi"], dtype=float))
    return ghi, dni, dhi


@lru_cache(maxsize=4096)
def _day_ac(seed: int, day: date, tilt: float, azimuth: float) -> np.ndarray:
    sun = solar_year(day.year)
    ac = _ac_per_kwp(tilt, azimuth, sun, day_slice(day), _day_sky(seed, day))
    ac.flags.writeable = False
    return ac


def clear_sky_pv_wh(household: Household, day: date) -> np.ndarray:
    """What the household's array would yield in each interval of *day* under a clear sky."""
    ac = _clear_sky_year(day.year, household.pv_tilt_deg, household.pv_azimuth_deg)
    return np.asarray(ac[day_slice(day)] * household.solar_kwp * HOURS_PER_INTERVAL)


def pv_wh(household: Household, day: date) -> np.ndarray:
    """The household's simulated solar energy in each interval of *day* (Wh, AC)."""
    if not household.solar_kwp:
        return np.zeros(96)
    ac = _day_ac(household.seed, day, household.pv_tilt_deg, household.pv_azimuth_deg)
    return np.asarray(ac * household.solar_kwp * HOURS_PER_INTERVAL)
