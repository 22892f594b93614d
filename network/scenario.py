"""A small simulated community, the same for every seed: households, meters, one day of readings.

Used by the demo, the integration tests and the benchmarks, so all of them talk
about the same community. What is public derives from the seed: which households
have solar, their load and generation profiles, the readings' values. What is
secret never does: each meter's device key is drawn at random by the head-end's
:class:`client.bundles.MeterKeys` and kept in its home, and every bundle gets a
fresh random secret (the salts of its readings), as a real head-end's would.

Profiles: a base load of 150-400 W with morning and evening peaks; rooftop solar of
2-6 kWp following a clear-sky bell between 06:00 and 18:00 UTC. A 15-minute reading
is the interval's net energy: import = max(load - pv, 0) and export = max(pv - load, 0),
in Wh.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from client.bundles import MeterKeys, sign_readings
from gridspec.signed_bundle import SignedBundle

INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True)
class Household:
    """A simulated household and its meter."""

    household_id: str
    meter_id: str
    feeder: str
    solar_kwp: float
    base_load_w: int
    seed: int


def community(seed: int = 7, size: int = 20) -> list[Household]:
    """`size` households (h-001 ...), about half with solar, on two feeders."""
    rng = random.Random(seed)
    return [
        Household(
            household_id=f"h-{n:03d}",
            meter_id=f"m-{n:03d}",
            feeder=f"F-{1 + n % 2}",
            solar_kwp=round(rng.uniform(2, 6), 1) if rng.random() < 0.5 or n == 1 else 0.0,
            base_load_w=rng.randint(150, 400),
            seed=seed,
        )
        for n in range(1, size + 1)
    ]


def load_w(household: Household, hour: float, rng: random.Random) -> float:
    morning = 900 * math.exp(-((hour - 7.5) ** 2) / 1.5)
    evening = 1500 * math.exp(-((hour - 19) ** 2) / 3)
    return household.base_load_w + morning + evening + rng.uniform(0, 150)


def solar_w(household: Household, hour: float) -> float:
    if household.solar_kwp == 0 or not 6 <= hour <= 18:
        return 0.0
    return household.solar_kwp * 1000 * math.sin(math.pi * (hour - 6) / 12) ** 2


def day_readings(household: Household, day: date) -> list[dict[str, object]]:
    """The household's 96 readings of `day` (UTC), as the head-end submits them."""
    rng = random.Random(f"{household.seed}:{household.meter_id}:{day.isoformat()}")
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    readings = []
    for i in range(96):
        begins = start + i * INTERVAL
        hour = begins.hour + (begins.minute + 7.5) / 60
        net_w = load_w(household, hour, rng) - solar_w(household, hour)
        energy_wh = round(abs(net_w) / 4)
        readings.append(
            {
                "interval_start": begins.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "interval_minutes": 15,
                "import_wh": energy_wh if net_w > 0 else 0,
                "export_wh": energy_wh if net_w < 0 else 0,
            }
        )
    return readings


def signed_days(
    keys: MeterKeys, household: Household, readings: list[dict[str, object]]
) -> list[SignedBundle]:
    """The household's readings as one signed bundle per day, by its meter's device key."""
    return sign_readings(keys.provision(household.meter_id), household.meter_id, readings)
