"""A day of the community: load, solar, batteries and what each meter reads.

A meter's 15-minute reading is the interval's net energy at the grid connection,
in whole Wh: ``net = load - pv + battery`` (the battery's AC energy, > 0 charging),
rounded once, then ``import_wh = max(net, 0)`` and ``export_wh = max(-net, 0)``, so
a reading never has both. A battery starts the day with the charge it ends the
previous day with when that day is run from empty: one day of warm-up, so a day's
readings need no other day's readings and any day can be simulated alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np

from .battery import Dispatch, self_consumption
from .household import Household
from .load import load_wh
from .pv import pv_wh
from .site import SLOTS_PER_DAY

__all__ = ["CommunityDay", "community_day", "day_readings", "interval_starts"]

INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True)
class CommunityDay:
    """Arrays of one day: one row per household (in the order given), one column per
    interval. Energy in Wh; ``import_wh`` and ``export_wh`` are the meters' integers."""

    day: date
    household_ids: tuple[str, ...]
    load_wh: np.ndarray
    pv_wh: np.ndarray
    battery_wh: np.ndarray
    stored_wh: np.ndarray
    import_wh: np.ndarray
    export_wh: np.ndarray

    def readings(self, row: int) -> list[dict[str, object]]:
        """The 96 readings of household *row*, as the head-end submits them."""
        return [
            {
                "interval_start": start,
                "interval_minutes": 15,
                "import_wh": int(imported),
                "export_wh": int(exported),
            }
            for start, imported, exported in zip(
                interval_starts(self.day), self.import_wh[row], self.export_wh[row], strict=True
            )
        ]


@lru_cache(maxsize=64)
def interval_starts(day: date) -> tuple[str, ...]:
    """The starts of *day*'s 96 intervals, ``YYYY-MM-DDTHH:MM:SSZ``."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return tuple(
        (midnight + slot * INTERVAL).strftime("%Y-%m-%dT%H:%M:%SZ") for slot in range(SLOTS_PER_DAY)
    )


def _energy(households: Sequence[Household], day: date) -> tuple[np.ndarray, np.ndarray]:
    shape = (len(households), SLOTS_PER_DAY)
    load = np.array([load_wh(home, day) for home in households], dtype=float).reshape(shape)
    pv = np.array([pv_wh(home, day) for home in households], dtype=float).reshape(shape)
    return load, pv


def _dispatch(households: Sequence[Household], day: date, surplus_wh: np.ndarray) -> Dispatch:
    """The batteries of *households* over *day*, after a warm-up day from empty."""
    batteries = [home.battery for home in households if home.battery is not None]
    load, pv = _energy(households, day - timedelta(days=1))
    dispatch = self_consumption(
        np.hstack([pv - load, surplus_wh]),
        capacity_wh=np.array([b.capacity_kwh * 1000 for b in batteries]),
        power_w=np.array([b.power_kw * 1000 for b in batteries]),
        round_trip_efficiency=np.array([b.round_trip_efficiency for b in batteries]),
        stored_wh=np.zeros(len(batteries)),
    )
    today = slice(SLOTS_PER_DAY, None)
    return Dispatch(dispatch.battery_wh[:, today], dispatch.stored_wh[:, today])


def community_day(households: Sequence[Household], day: date) -> CommunityDay:
    """Simulate *day* for every household; a household's rows do not depend on the others."""
    load, pv = _energy(households, day)
    battery = np.zeros_like(load)
    stored = np.zeros_like(load)
    rows = [n for n, home in enumerate(households) if home.battery is not None]
    if rows:
        dispatch = _dispatch([households[n] for n in rows], day, pv[rows] - load[rows])
        battery[rows], stored[rows] = dispatch.battery_wh, dispatch.stored_wh
    net = np.rint(load - pv + battery).astype(np.int64)
    return CommunityDay(
        day=day,
        household_ids=tuple(home.household_id for home in households),
        load_wh=load,
        pv_wh=pv,
        battery_wh=battery,
        stored_wh=stored,
        import_wh=np.maximum(net, 0),
        export_wh=np.maximum(-net, 0),
    )


def day_readings(household: Household, day: date) -> list[dict[str, object]]:
    """The household's 96 readings of *day* (UTC), as the head-end submits them."""
    return community_day([household], day).readings(0)
