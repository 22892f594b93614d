"""Forecasting a household's net energy: the history, the features, the model, the baselines."""

from datetime import date, timedelta

import numpy as np
import pytest

from agents import (
    FEATURES,
    Forecaster,
    backtest,
    day_features,
    history_from_readings,
    persistence,
    same_time_last_week,
)
from simulation import clear_sky_pv_wh, community, community_day, day_readings

WEEK_START = date(2026, 5, 4)
TEST_DAYS = [WEEK_START + timedelta(days=n) for n in range(7)]
TRAINING_DAYS = 42
HOMES = community(7, 6)


@pytest.fixture(scope="module")
def histories():
    """Each household's net energy from 49 days before the week to its end."""
    first = WEEK_START - timedelta(days=TRAINING_DAYS + 7)
    days = [first + timedelta(days=n) for n in range(TRAINING_DAYS + 7 + len(TEST_DAYS))]
    runs = [community_day(HOMES, day) for day in days]
    return {
        home.household_id: {
            run.day: (run.import_wh[row] - run.export_wh[row]).astype(float) for run in runs
        }
        for row, home in enumerate(HOMES)
    }


@pytest.fixture(scope="module")
def backtests(histories):
    return [
        backtest(home, histories[home.household_id], TEST_DAYS, TRAINING_DAYS) for home in HOMES
    ]


def test_readings_become_net_energy_per_whole_day():
    home = HOMES[0]
    rows = day_readings(home, WEEK_START) + day_readings(home, WEEK_START + timedelta(days=1))
    history = history_from_readings(reversed(rows))

    assert list(history) == [WEEK_START, WEEK_START + timedelta(days=1)]
    first = history[WEEK_START]
    assert first.tolist() == [r["import_wh"] - r["export_wh"] for r in rows[:96]]


def test_a_day_with_a_missing_interval_is_refused():
    rows = day_readings(HOMES[0], WEEK_START)[:-1]

    with pytest.raises(
        ValueError, match="readings of 2026-05-04: 95 intervals, a forecaster needs all 96"
    ):
        history_from_readings(rows)


def test_features_of_a_day_never_read_that_day(histories):
    history = dict(histories["h-001"])
    clear = lambda day: clear_sky_pv_wh(HOMES[0], day)  # noqa: E731
    before = day_features(WEEK_START, history, clear)
    history[WEEK_START] = history[WEEK_START] + 1000

    assert before.shape == (96, len(FEATURES))
    assert np.array_equal(before, day_features(WEEK_START, history, clear))
    assert not np.array_equal(before, day_features(WEEK_START + timedelta(days=1), history, clear))


def test_the_baselines_are_yesterday_and_last_week(histories):
    history = histories["h-002"]

    assert np.array_equal(persistence(WEEK_START, history), history[WEEK_START - timedelta(days=1)])
    assert np.array_equal(
        same_time_last_week(WEEK_START, history), history[WEEK_START - timedelta(days=7)]
    )


def test_the_model_beats_both_baselines_on_average(backtests):
    model = np.mean([test.model_mae_wh for test in backtests])

    assert model < 0.95 * np.mean([test.persistence_mae_wh for test in backtests])
    assert model < 0.95 * np.mean([test.weekly_mae_wh for test in backtests])


def test_correcting_during_the_day_beats_the_day_ahead_forecast(backtests):
    assert np.mean([t.intraday_mae_wh for t in backtests]) < np.mean(
        [t.model_mae_wh for t in backtests]
    )


def test_a_backtest_reports_its_scores_and_forecasts_each_test_day(backtests):
    record = backtests[0].to_record()

    assert record["household_id"] == "h-001"
    assert record["days"] == [day.isoformat() for day in TEST_DAYS]
    assert record["model_mae_wh"] == round(backtests[0].model_mae_wh, 1)
    forecast = backtests[0].forecasts[0]
    assert forecast.net_wh.shape == forecast.error_wh.shape == (96,)
    assert np.all(forecast.error_wh >= 1.0)


def test_training_is_reproducible(histories, backtests):
    again = backtest(HOMES[0], histories["h-001"], TEST_DAYS[:1], TRAINING_DAYS)

    assert np.array_equal(again.forecasts[0].net_wh, backtests[0].forecasts[0].net_wh)


def test_a_short_history_is_refused(histories):
    short = {
        day: net for day, net in histories["h-001"].items() if day < WEEK_START - timedelta(days=35)
    }

    with pytest.raises(ValueError) as caught:
        Forecaster(HOMES[0]).fit(short)
    assert str(caught.value) == (
        "forecaster of h-001: needs 14 days with the day and the week before them "
        "in the history, got 7"
    )


def test_predicting_needs_a_fitted_model_and_the_lags(histories):
    forecaster = Forecaster(HOMES[0], max_iter=10)
    with pytest.raises(ValueError, match="forecaster of h-001 is not fitted"):
        forecaster.predict(WEEK_START, histories["h-001"])

    forecaster.fit(histories["h-001"])
    with pytest.raises(
        ValueError, match="2030-01-01 needs the readings of 2029-12-31 and 2029-12-25"
    ):
        forecaster.predict(date(2030, 1, 1), histories["h-001"])
