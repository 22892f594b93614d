"""Back-testing a household's forecaster on held-out days against the naive baselines.

:func:`backtest` fits a :class:`~.forecast.Forecaster` on the *training_days* days
before the first test day (the history needs a week more, for their lags), then
forecasts each test day as it would have been forecast then: from the readings up to
the day before (the history holds the actual readings of the test days too, for the
lags and to score against). The score
is the mean absolute error over all test intervals, in Wh, for the model (as forecast
the day ahead, and as corrected during the day at each gate closure) and for both
baselines, on the same intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from simulation import Household

from .forecast import DayForecast, Forecaster, persistence, same_time_last_week
from .history import History

__all__ = ["Backtest", "backtest"]


@dataclass(frozen=True)
class Backtest:
    """The forecasts of the test days and their mean absolute errors (Wh per interval)."""

    household_id: str
    forecasts: tuple[DayForecast, ...]
    model_mae_wh: float
    intraday_mae_wh: float
    persistence_mae_wh: float
    weekly_mae_wh: float

    def to_record(self) -> dict[str, Any]:
        """The scores (without the forecasts), rounded to 0.1 Wh."""
        return {
            "household_id": self.household_id,
            "days": [forecast.day.isoformat() for forecast in self.forecasts],
            "model_mae_wh": round(self.model_mae_wh, 1),
            "intraday_mae_wh": round(self.intraday_mae_wh, 1),
            "persistence_mae_wh": round(self.persistence_mae_wh, 1),
            "weekly_mae_wh": round(self.weekly_mae_wh, 1),
        }


def _mae(predicted: Sequence[np.ndarray], actual: Sequence[np.ndarray]) -> float:
    return float(np.mean(np.abs(np.array(predicted) - np.array(actual))))


def backtest(
    household: Household,
    history: History,
    test_days: Sequence[date],
    training_days: int = 42,
    *,
    max_iter: int = 150,
) -> Backtest:
    """Train on *training_days* days before ``test_days[0]``, forecast and score each test day."""
    if not test_days:
        raise ValueError(f"backtest of {household.household_id}: no test days")
    first = min(test_days)
    earliest = first - timedelta(days=training_days + 7)  # the first days' lags
    training = {day: net for day, net in history.items() if earliest <= day < first}
    forecaster = Forecaster(household, max_iter=max_iter).fit(training)
    forecasts = tuple(forecaster.predict(day, history) for day in test_days)
    actual = [history[day] for day in test_days]
    return Backtest(
        household_id=household.household_id,
        forecasts=forecasts,
        model_mae_wh=_mae([forecast.net_wh for forecast in forecasts], actual),
        intraday_mae_wh=_mae(
            [forecast.corrected(today) for forecast, today in zip(forecasts, actual, strict=True)],
            actual,
        ),
        persistence_mae_wh=_mae([persistence(day, history) for day in test_days], actual),
        weekly_mae_wh=_mae([same_time_last_week(day, history) for day in test_days], actual),
    )
