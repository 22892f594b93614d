"""Household consumption: the BDEW H0 profile, scaled per household and made individual.

The H0 standard load profile describes the *average* German household; a single home
is spikier and differs from day to day. A household's energy in each 15-minute
interval is therefore the sum of

- its standby load (``base_load_w``, constant),
- ``PROFILE_SHARE`` of the rest of its annual consumption, spread by the dynamic H0
  profile and multiplied by a day factor and an interval factor (both log-normal
  with mean 1, so they leave the expected annual energy as it is),
- ``EVENT_SHARE`` of the rest as appliance runs (cooking, washing, the kettle): a
  Poisson number per day in proportion to the day's share of the profile, each 1-4
  intervals at 1-2.5 kW, starting more likely when the profile is high.

The profile (``h0_dyn`` of demandlib's BDEW module: the static H0 profile times the
BDEW dynamisation polynomial of the day of the year) runs on the local clock of the
site; it is read at each UTC interval's local time (daylight saving included) and
normalised again to sum to 1 over the UTC year.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from functools import cache

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from demandlib import bdew  # type: ignore[import-untyped]

from .household import Household
from .seeds import generator
from .site import LOCAL_TIMEZONE, SLOTS_PER_DAY, day_slice

__all__ = ["h0_profile", "load_wh"]

PROFILE_SHARE = 0.7
EVENT_SHARE = 1 - PROFILE_SHARE
DAY_SPREAD = 0.15  # sigma of the log-normal day factor
INTERVAL_SPREAD = 0.35  # sigma of the log-normal interval factor
EVENT_POWER_W = (1000.0, 2500.0)
EVENT_INTERVALS = (1, 4)
HOURS_PER_INTERVAL = 0.25
MEAN_EVENT_WH = sum(EVENT_POWER_W) / 2 * sum(EVENT_INTERVALS) / 2 * HOURS_PER_INTERVAL


def _local_h0(year: int) -> np.ndarray:
    """demandlib's dynamic H0 profile of *year*, 15-minute shares on the local clock.

    demandlib sets every warning to an error while it builds its profiles (a global
    ``simplefilter``); building it inside ``catch_warnings`` puts the caller's filters
    back afterwards.
    """
    with warnings.catch_warnings():
        profiles = bdew.ElecSlp(year=year)
    return np.asarray(profiles.get_profiles("h0_dyn")["h0_dyn"].to_numpy(), dtype=float)


@cache
def h0_profile(year: int) -> np.ndarray:
    """The H0 share of each UTC 15-minute slot of *year* (sums to 1; read-only)."""
    local = _local_h0(year)
    starts = pd.date_range(f"{year}-01-01", periods=len(local), freq="15min", tz="UTC")
    wall = starts.tz_convert(LOCAL_TIMEZONE).tz_localize(None)
    slots = (wall - datetime(year, 1, 1)) // pd.Timedelta(minutes=15)
    shares = np.asarray(local[np.asarray(slots, dtype=np.int64) % len(local)], dtype=float)
    shares /= shares.sum()
    shares.flags.writeable = False
    return shares


def load_wh(household: Household, day: date) -> np.ndarray:
    """The household's consumption in each interval of *day* (Wh)."""
    rng = generator("load", household.seed, household.meter_id, day.isoformat())
    shares = h0_profile(day.year)[day_slice(day)]
    variable_wh = household.variable_kwh * 1000
    factors = rng.lognormal(-(DAY_SPREAD**2) / 2, DAY_SPREAD) * rng.lognormal(
        -(INTERVAL_SPREAD**2) / 2, INTERVAL_SPREAD, SLOTS_PER_DAY
    )
    standby = household.base_load_w * HOURS_PER_INTERVAL
    profiled = PROFILE_SHARE * variable_wh * shares * factors
    events = _events_wh(rng, EVENT_SHARE * variable_wh, shares)
    return np.asarray(standby + profiled + events, dtype=float)


def _events_wh(rng: np.random.Generator, annual_wh: float, shares: np.ndarray) -> np.ndarray:
    """Appliance runs worth *annual_wh* a year on average, placed by the day's *shares*."""
    energy = np.zeros(SLOTS_PER_DAY)
    count = rng.poisson(annual_wh * shares.sum() / MEAN_EVENT_WH)
    for _ in range(count):
        length = int(rng.integers(EVENT_INTERVALS[0], EVENT_INTERVALS[1] + 1))
        power = rng.uniform(*EVENT_POWER_W)
        weights = np.cumsum(shares[: SLOTS_PER_DAY - length + 1])
        start = int(np.searchsorted(weights, rng.uniform(0, weights[-1]), side="right"))
        energy[start : start + length] += power * HOURS_PER_INTERVAL
    return energy
