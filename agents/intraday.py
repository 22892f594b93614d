"""Correcting a day-ahead forecast during the day, from the household's own meter.

A day-ahead forecast cannot know whether tomorrow turns grey: on simulated weeks most
of what sellers failed to deliver came from days that were cloudier than the day
before. The agent places each interval's order at gate closure, shortly before the
interval, and by then the household's meter (read live at home, not through the
ledger) has measured the day's earlier intervals. The last complete one is
``LEAD`` intervals before the delivery interval.

The correction reads the weather, not the load: over the last ``RECENT`` complete
intervals, the forecast's miss divided by the household's clear-sky PV energy is a
shift of the clear-sky index (> 0: less sun than forecast), which holds for a while
as clouds do; the delivery interval's forecast moves by that shift times its own
clear-sky energy. Without sun in those intervals (night, or no solar) the forecast
stays as it is: a household's load noise does not persist from one quarter hour to
the next the way clouds do.

The same intervals say how unsettled the sky is: the mean change of that shift from
one interval to the next, times the delivery interval's clear-sky energy, is an error
to expect on a day of passing clouds, when an error averaged over calmer days would
promise too much (:func:`sky_error_wh`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LEAD", "RECENT", "corrected_wh", "sky_error_wh"]

#: intervals between the last complete reading and the delivery interval at gate closure
LEAD = 2
#: complete intervals the correction reads
RECENT = 4
#: the largest shift of the clear-sky index the correction believes
MAX_SHIFT = 1.2
#: clear-sky energy (Wh) the recent intervals need before their miss says anything
MIN_CLEAR_SKY_WH = 1.0
#: intervals with less than this share of the recent clear-sky peak are too dim to read
SUNLIT_SHARE = 0.05


def corrected_wh(
    net_wh: np.ndarray, clear_sky_wh: np.ndarray, metered_wh: np.ndarray, slot: int
) -> float:
    """The forecast net energy of *slot*, corrected by the day's *metered_wh* so far.

    *net_wh* and *clear_sky_wh* are the day's 96 forecast and clear-sky values;
    *metered_wh* the net readings from the day's first interval on, at most up to
    ``slot - LEAD`` (later ones are not complete at gate closure).
    """
    recent = _recent(metered_wh, slot)
    sun = float(clear_sky_wh[recent].sum())
    if sun < MIN_CLEAR_SKY_WH:
        return float(net_wh[slot])
    miss = float((metered_wh[recent] - net_wh[recent]).sum())
    shift = float(np.clip(miss / sun, -MAX_SHIFT, MAX_SHIFT))
    return float(net_wh[slot] + shift * clear_sky_wh[slot])


def sky_error_wh(
    net_wh: np.ndarray, clear_sky_wh: np.ndarray, metered_wh: np.ndarray, slot: int
) -> float:
    """How far off *slot* may be on a day of passing clouds (0 without sun; arguments as
    :func:`corrected_wh`)."""
    recent = _recent(metered_wh, slot)
    clear = clear_sky_wh[recent]
    sunny = clear > SUNLIT_SHARE * clear.max() if len(clear) else clear > 0
    if clear.sum() < MIN_CLEAR_SKY_WH or sunny.sum() < 2:
        return 0.0
    shifts = (metered_wh[recent] - net_wh[recent])[sunny] / clear[sunny]
    return float(np.abs(np.diff(shifts)).mean() * clear_sky_wh[slot])


def _recent(metered_wh: np.ndarray, slot: int) -> slice:
    """The last ``RECENT`` of the readings, once checked to be complete at gate closure."""
    if len(metered_wh) > max(slot - LEAD + 1, 0):
        raise ValueError(
            f"interval {slot}: readings up to interval {len(metered_wh) - 1} are not "
            f"complete at gate closure (the last complete one is {slot - LEAD})"
        )
    return slice(max(0, len(metered_wh) - RECENT), len(metered_wh))
