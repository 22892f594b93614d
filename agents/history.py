"""A household's past readings as the forecaster reads them: net energy per day.

The net energy of an interval is ``import_wh - export_wh`` (> 0: the household
drew from the grid, < 0: it fed in). A history maps each day to its 96 net values.
A forecaster needs whole days, so a day with a missing interval is refused rather
than filled in with a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np

__all__ = ["History", "history_from_readings"]

INTERVALS_PER_DAY = 96
#: day -> the 96 net values (Wh) of that day, in interval order
History = Mapping[date, np.ndarray]


def history_from_readings(readings: Iterable[Mapping[str, object]]) -> dict[date, np.ndarray]:
    """Group readings (``interval_start``, ``import_wh``, ``export_wh``) into whole days."""
    days: dict[date, dict[str, float]] = {}
    for reading in readings:
        start = str(reading["interval_start"])
        net = _wh(reading, "import_wh") - _wh(reading, "export_wh")
        days.setdefault(date.fromisoformat(start[:10]), {})[start] = net
    history = {}
    for day, values in sorted(days.items()):
        if len(values) != INTERVALS_PER_DAY:
            raise ValueError(
                f"readings of {day}: {len(values)} intervals, a forecaster needs all 96"
            )
        history[day] = np.array([values[start] for start in sorted(values)], dtype=float)
    return history


def _wh(reading: Mapping[str, object], name: str) -> float:
    value = reading[name]
    if type(value) is not int or value < 0:
        raise ValueError(f"reading {reading['interval_start']}: {name} must be an integer >= 0")
    return float(value)
