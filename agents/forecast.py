"""Day-ahead forecasts of a household's net energy, with how far off they tend to be.

:class:`Forecaster` learns one household from its own history: a gradient-boosted
regression (scikit-learn's ``HistGradientBoostingRegressor``) of the net energy of an
interval on the features of :mod:`.features`, with the absolute-error loss, since the
forecasts are judged by their mean absolute error and the agent trades against the
median. Alongside the point forecast it keeps an *error* per interval of the day: the
mean absolute error, by hour of the day, of a model fitted without the last
``VALIDATION_DAYS`` days and tried on them, both as forecast the day ahead and as
corrected during the day (:mod:`.intraday`). The bidding agent shades its volumes by
the error of the forecast it trades on.

A household's model is small (a few thousand rows): it fits on one OpenMP thread in a
fifth of a second, and several times slower when split over two cores, where the
threads' hand-offs cost more than the work. So fitting and predicting run on one.

Two naive baselines set the bar: :func:`persistence` (the same interval yesterday)
and :func:`same_time_last_week`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from simulation import Household, clear_sky_pv_wh

from .bidding import IntervalForecast
from .features import ClearSky, day_features, has_lags
from .history import INTERVALS_PER_DAY, History
from .intraday import LEAD, corrected_wh, sky_error_wh

__all__ = [
    "MIN_TRAINING_DAYS",
    "VALIDATION_DAYS",
    "DayForecast",
    "Forecaster",
    "persistence",
    "same_time_last_week",
]

VALIDATION_DAYS = 7
#: days (each with its lags) the probe model is fitted on, before the validation days
MIN_TRAINING_DAYS = 7
MIN_ERROR_WH = 1.0
INTERVALS_PER_HOUR = 4


@dataclass(frozen=True)
class DayForecast:
    """A household's forecast net energy for each interval of *day* (Wh, > 0 import),
    the household's clear-sky PV energy, and the mean absolute error to expect in each
    interval day-ahead and once corrected during the day (Wh)."""

    day: date
    net_wh: np.ndarray
    clear_sky_wh: np.ndarray
    error_wh: np.ndarray
    intraday_error_wh: np.ndarray

    def interval(self, slot: int, metered_wh: np.ndarray | None = None) -> IntervalForecast:
        """The forecast of interval *slot* (0-95) as the bidding agent takes it: as made
        the day ahead, or corrected by the day's readings so far (:mod:`.intraday`),
        its error then the larger of the calibrated one and the sky's."""
        if metered_wh is None:
            return IntervalForecast(float(self.net_wh[slot]), float(self.error_wh[slot]))
        net = corrected_wh(self.net_wh, self.clear_sky_wh, metered_wh, slot)
        sky = sky_error_wh(self.net_wh, self.clear_sky_wh, metered_wh, slot)
        return IntervalForecast(net, max(float(self.intraday_error_wh[slot]), sky))

    def corrected(self, actual_wh: np.ndarray) -> np.ndarray:
        """Each interval corrected as it would have been at its gate closure, given the
        day's *actual_wh* readings (each interval reads only the complete ones)."""
        return np.array(
            [
                corrected_wh(
                    self.net_wh, self.clear_sky_wh, actual_wh[: max(slot - LEAD + 1, 0)], slot
                )
                for slot in range(INTERVALS_PER_DAY)
            ]
        )


def persistence(day: date, history: History) -> np.ndarray:
    """The naive forecast: each interval as it was yesterday."""
    return np.asarray(history[day - timedelta(days=1)], dtype=float)


def same_time_last_week(day: date, history: History) -> np.ndarray:
    """The weekly naive forecast: each interval as it was a week ago."""
    return np.asarray(history[day - timedelta(days=7)], dtype=float)


class Forecaster:
    """A day-ahead forecaster of one household (fit it, then predict day by day)."""

    def __init__(self, household: Household, *, max_iter: int = 150) -> None:
        self.household = household
        self.max_iter = max_iter
        self._clear_sky: ClearSky = partial(clear_sky_pv_wh, household)
        self._model: HistGradientBoostingRegressor | None = None
        self._error_wh = np.zeros(INTERVALS_PER_DAY)
        self._intraday_error_wh = np.zeros(INTERVALS_PER_DAY)

    def fit(self, history: History) -> Forecaster:
        """Learn from every day of *history* that has its lags there too."""
        days = sorted(day for day in history if has_lags(day, history))
        needed = MIN_TRAINING_DAYS + VALIDATION_DAYS
        if len(days) < needed:
            raise ValueError(
                f"forecaster of {self.household.household_id}: needs {needed} days with the "
                f"day and the week before them in the history, got {len(days)}"
            )
        probe = self._fitted(history, days[:-VALIDATION_DAYS])
        checked = [self._forecast(probe, day, history) for day in days[-VALIDATION_DAYS:]]
        actual = np.array([history[forecast.day] for forecast in checked])
        ahead = np.array([forecast.net_wh for forecast in checked])
        intraday = np.array([forecast.corrected(history[forecast.day]) for forecast in checked])
        self._error_wh = _hourly_error(ahead, actual)
        self._intraday_error_wh = _hourly_error(intraday, actual)
        self._model = self._fitted(history, days)
        return self

    def predict(self, day: date, history: History) -> DayForecast:
        """Forecast *day* from *history* (which must hold the day before and a week before)."""
        if self._model is None:
            raise ValueError(f"forecaster of {self.household.household_id} is not fitted")
        if not has_lags(day, history):
            raise ValueError(
                f"forecaster of {self.household.household_id}: {day} needs the readings of "
                f"{day - timedelta(days=1)} and {day - timedelta(days=7)}"
            )
        return self._forecast(self._model, day, history)

    def _fitted(self, history: History, days: list[date]) -> HistGradientBoostingRegressor:
        model = HistGradientBoostingRegressor(
            loss="absolute_error",
            max_iter=self.max_iter,
            learning_rate=0.08,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            early_stopping=False,
            random_state=0,
        )
        rows = np.vstack([day_features(day, history, self._clear_sky) for day in days])
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(rows, np.concatenate([history[day] for day in days]))
        return model

    def _forecast(
        self, model: HistGradientBoostingRegressor, day: date, history: History
    ) -> DayForecast:
        rows = day_features(day, history, self._clear_sky)
        with threadpool_limits(limits=1, user_api="openmp"):
            net = np.asarray(model.predict(rows), dtype=float)
        return DayForecast(
            day=day,
            net_wh=net,
            clear_sky_wh=self._clear_sky(day),
            error_wh=self._error_wh.copy(),
            intraday_error_wh=self._intraday_error_wh.copy(),
        )


def _hourly_error(predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """The mean absolute error per hour of the day, for each of its intervals."""
    misses = np.abs(predicted - actual).reshape(len(actual), -1, INTERVALS_PER_HOUR)
    hourly = np.repeat(misses.mean(axis=(0, 2)), INTERVALS_PER_HOUR)
    return np.asarray(np.maximum(hourly, MIN_ERROR_WH), dtype=float)
