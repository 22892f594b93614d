"""What the forecaster knows about an interval at the start of its day.

A day is forecast at 00:00 UTC, before its first interval, for all its 96 intervals:
the previous day is complete by then, and so is the day a week before. Features of
one interval (one row):

- the calendar: the slot of the day (0-95), the weekday (0 = Monday), the season
  (sine and cosine of the day of the year);
- the household's PV model: its clear-sky output in that interval (Wh), which says
  when and how much solar there can be;
- lagged readings: the same interval yesterday and a week ago, yesterday's five
  intervals around it (a smoother level), the daily means of both days, and how
  strongly yesterday's net followed the clear sky (a regression slope near 0 on a
  grey day or without solar, strongly negative on a sunny day with solar).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from .history import INTERVALS_PER_DAY, History

__all__ = ["FEATURES", "ClearSky", "day_features", "has_lags"]

FEATURES = (
    "slot",
    "weekday",
    "season_sin",
    "season_cos",
    "clear_sky_wh",
    "lag_day_wh",
    "lag_week_wh",
    "lag_day_nearby_wh",
    "lag_day_mean_wh",
    "lag_week_mean_wh",
    "lag_day_solar_response",
)
#: the household's clear-sky PV energy per interval of a day
ClearSky = Callable[[date], np.ndarray]
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
NEARBY = 5  # intervals in yesterday's window around the slot


def has_lags(day: date, history: History) -> bool:
    """Whether *history* holds the days *day* is forecast from."""
    return day - DAY in history and day - WEEK in history


def _solar_response(net: np.ndarray, clear: np.ndarray) -> float:
    """The least-squares slope of net energy on clear-sky energy (0 without sun)."""
    power = float(np.dot(clear, clear))
    return float(np.dot(net, clear)) / power if power > 0 else 0.0


def day_features(day: date, history: History, clear_sky: ClearSky) -> np.ndarray:
    """The 96 feature rows of *day* (columns as :data:`FEATURES`)."""
    yesterday, week_ago = history[day - DAY], history[day - WEEK]
    slots = np.arange(INTERVALS_PER_DAY)
    season = 2 * np.pi * day.timetuple().tm_yday / 365.25
    padded = np.pad(yesterday, NEARBY // 2, mode="edge")
    columns = [
        slots,
        np.full(INTERVALS_PER_DAY, day.weekday()),
        np.full(INTERVALS_PER_DAY, np.sin(season)),
        np.full(INTERVALS_PER_DAY, np.cos(season)),
        clear_sky(day),
        yesterday,
        week_ago,
        np.convolve(padded, np.ones(NEARBY) / NEARBY, mode="valid"),
        np.full(INTERVALS_PER_DAY, yesterday.mean()),
        np.full(INTERVALS_PER_DAY, week_ago.mean()),
        np.full(INTERVALS_PER_DAY, _solar_response(yesterday, clear_sky(day - DAY))),
    ]
    return np.column_stack(columns).astype(float)
