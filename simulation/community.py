"""Drawing a community: who lives in each household, and what is on its roof.

Household *n* is drawn from a generator of its own (``"household", seed, n``), so the
first twenty households of a community of 10,000 are those of a community of twenty.
The numbers and their sources are in the package docstring.
"""

from __future__ import annotations

import numpy as np

from .household import DEFAULT_AZIMUTH_DEG, DEFAULT_TILT_DEG, HOURS_PER_YEAR, Battery, Household
from .seeds import generator

__all__ = ["community", "draw_household"]

#: household sizes 1-5 and their shares in the community
PERSONS = (1, 2, 3, 4, 5)
PERSON_SHARES = (0.30, 0.34, 0.15, 0.14, 0.07)
#: typical annual consumption (kWh) by household size, before each household's spread
TYPICAL_KWH = {1: 1700, 2: 2700, 3: 3500, 4: 4200, 5: 5000}
KWH_SPREAD = 0.2  # sigma of the log-normal factor around the typical value
KWH_BOUNDS = (1200, 7000)
STANDBY_SHARE = (0.15, 0.30)  # of the annual consumption
SOLAR_SHARE = 0.5
KWP_PER_MWH = (1.0, 1.8)  # array size per MWh of annual consumption
KWP_BOUNDS = (2.0, 12.0)
TILTS_DEG = (20, 25, 30, 35, 40, 45)
AZIMUTH_STEP_DEG = 15
AZIMUTH_SPREAD_STEPS = 2.5  # sigma around south, in 15-degree steps
BATTERY_SHARE = 0.4  # of the households with solar
KWH_STORAGE_PER_KWP = (0.8, 1.5)
BATTERY_C_RATE = 0.5  # power (kW) per kWh of capacity, before the bounds below
BATTERY_POWER_KW = (2.0, 5.0)


def community(seed: int = 7, size: int = 20) -> list[Household]:
    """`size` households (h-001 ...), about half with solar (always h-001), on two feeders."""
    return [draw_household(seed, n) for n in range(1, size + 1)]


def draw_household(seed: int, n: int) -> Household:
    """Household number *n* (from 1) of the community *seed*."""
    rng = generator("household", seed, n)
    persons = int(rng.choice(PERSONS, p=PERSON_SHARES))
    annual_kwh = float(
        round(np.clip(TYPICAL_KWH[persons] * rng.lognormal(0, KWH_SPREAD), *KWH_BOUNDS), -1)
    )
    base_load_w = round(annual_kwh * rng.uniform(*STANDBY_SHARE) * 1000 / HOURS_PER_YEAR)
    solar = n == 1 or rng.random() < SOLAR_SHARE
    kwp = round(float(np.clip(annual_kwh / 1000 * rng.uniform(*KWP_PER_MWH), *KWP_BOUNDS)), 1)
    tilt = float(rng.choice(TILTS_DEG))
    steps = int(np.clip(round(rng.normal(0, AZIMUTH_SPREAD_STEPS)), -6, 6))
    azimuth = float(180 + AZIMUTH_STEP_DEG * steps)
    return Household(
        household_id=f"h-{n:03d}",
        meter_id=f"m-{n:03d}",
        feeder=f"F-{1 + n % 2}",
        solar_kwp=kwp if solar else 0.0,
        base_load_w=base_load_w,
        seed=seed,
        persons=persons,
        annual_kwh=annual_kwh,
        pv_tilt_deg=tilt if solar else DEFAULT_TILT_DEG,
        pv_azimuth_deg=azimuth if solar else DEFAULT_AZIMUTH_DEG,
        battery=_battery(rng, kwp) if solar and rng.random() < BATTERY_SHARE else None,
    )


def _battery(rng: np.random.Generator, kwp: float) -> Battery:
    capacity = max(3.0, round(kwp * rng.uniform(*KWH_STORAGE_PER_KWP) * 2) / 2)
    power = round(float(np.clip(capacity * BATTERY_C_RATE, *BATTERY_POWER_KW)), 1)
    return Battery(capacity_kwh=capacity, power_kw=power)
