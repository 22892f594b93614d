"""The community's weather: a clear-sky index per 15-minute interval, the same for all.

Households of one neighbourhood see the same clouds, so the weather depends on the
community's seed and the day only. Each day is sunny, mixed or overcast; the kind
follows a Markov chain through the year (it stays as yesterday's with probability
``PERSISTENCE``, else it is drawn from the season's shares, sunnier in summer), so
sunny and grey spells last a few days as they do. Within a day the clear-sky index
(measured irradiance over clear-sky irradiance) wanders around the day's level as a
first-order autoregressive process: nearly flat on sunny and overcast days, broken on
mixed ones.
"""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache

import numpy as np

from .seeds import generator
from .site import SLOTS_PER_DAY

__all__ = ["MIXED", "OVERCAST", "SUNNY", "clear_sky_index", "day_kinds"]

SUNNY, MIXED, OVERCAST = 0, 1, 2
#: shares of sunny, mixed and overcast days at midsummer and at midwinter
SUMMER_SHARES = np.array([0.5, 0.35, 0.15])
WINTER_SHARES = np.array([0.15, 0.35, 0.5])
MIDSUMMER_DAY = 172
PERSISTENCE = 0.5
#: the day's mean clear-sky index is uniform in these bounds, per kind of day
DAY_LEVEL = {SUNNY: (0.85, 1.0), MIXED: (0.5, 0.8), OVERCAST: (0.15, 0.4)}
#: innovation sigma of the intra-day process, per kind of day
DAY_VARIABILITY = {SUNNY: 0.03, MIXED: 0.15, OVERCAST: 0.05}
AUTOCORRELATION = 0.8  # from one 15-minute interval to the next
INDEX_BOUNDS = (0.03, 1.2)  # above 1: cloud enhancement, the brief boost at a cloud's edge


def _season_shares(day_of_year: int) -> np.ndarray:
    summer = np.cos(2 * np.pi * (day_of_year - MIDSUMMER_DAY) / 365)
    mid, half = (SUMMER_SHARES + WINTER_SHARES) / 2, (SUMMER_SHARES - WINTER_SHARES) / 2
    shares = np.asarray(mid + summer * half, dtype=float)
    return np.asarray(shares / shares.sum(), dtype=float)


@cache
def day_kinds(seed: int, year: int) -> tuple[int, ...]:
    """Sunny, mixed or overcast for each day of *year* (the chain restarts each year)."""
    rng = generator("weather-days", seed, year)
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    kinds: list[int] = []
    for day_of_year in range(1, days + 1):
        if kinds and rng.random() < PERSISTENCE:
            kinds.append(kinds[-1])
        else:
            kinds.append(int(rng.choice(3, p=_season_shares(day_of_year))))
    return tuple(kinds)


@lru_cache(maxsize=512)
def clear_sky_index(seed: int, day: date) -> np.ndarray:
    """The clear-sky index of each of *day*'s 96 intervals (read-only array)."""
    kind = day_kinds(seed, day.year)[(day - date(day.year, 1, 1)).days]
    rng = generator("weather-intraday", seed, day.isoformat())
    level = rng.uniform(*DAY_LEVEL[kind])
    shocks = rng.normal(0, DAY_VARIABILITY[kind], SLOTS_PER_DAY)
    wander = np.empty(SLOTS_PER_DAY)
    wander[0] = shocks[0] / np.sqrt(1 - AUTOCORRELATION**2)
    for slot in range(1, SLOTS_PER_DAY):
        wander[slot] = AUTOCORRELATION * wander[slot - 1] + shocks[slot]
    index = np.clip(level + wander, *INDEX_BOUNDS)
    index.flags.writeable = False
    return index
