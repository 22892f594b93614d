"""Home batteries run for self-consumption, for many households at once.

The rule of most home batteries: charge from solar surplus, discharge to cover load,
never from or to the grid. Per interval, with the surplus ``s = pv - load`` (Wh):

- ``s > 0``: charge ``min(s, power x 0.25 h, room / eta)``;
- ``s < 0``: discharge ``min(-s, power x 0.25 h, stored x eta)``;

where ``eta`` is the square root of the round-trip efficiency (half the losses going
in, half coming out) and the state of charge stays between 0 and the usable
capacity. The loop runs over the intervals; each step works on every battery of the
community together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Dispatch", "self_consumption"]

HOURS_PER_INTERVAL = 0.25


@dataclass(frozen=True)
class Dispatch:
    """Per battery and interval: AC energy in (> 0) or out (< 0), and the charge after it."""

    battery_wh: np.ndarray
    stored_wh: np.ndarray


def self_consumption(
    surplus_wh: np.ndarray,
    capacity_wh: np.ndarray,
    power_w: np.ndarray,
    round_trip_efficiency: np.ndarray,
    stored_wh: np.ndarray,
) -> Dispatch:
    """Dispatch batteries (rows) over intervals (columns) from *stored_wh* at the start."""
    eta = np.sqrt(round_trip_efficiency)
    step_wh = power_w * HOURS_PER_INTERVAL
    stored = np.asarray(stored_wh, dtype=float).copy()
    battery = np.zeros_like(surplus_wh, dtype=float)
    charge_after = np.zeros_like(surplus_wh, dtype=float)
    for slot in range(surplus_wh.shape[1]):
        surplus = surplus_wh[:, slot]
        room = (capacity_wh - stored) / eta
        charge = np.minimum(np.minimum(np.clip(surplus, 0, None), step_wh), room)
        discharge = np.minimum(np.minimum(np.clip(-surplus, 0, None), step_wh), stored * eta)
        stored = np.clip(stored + charge * eta - discharge / eta, 0, capacity_wh)
        battery[:, slot] = charge - discharge
        charge_after[:, slot] = stored
    return Dispatch(battery_wh=battery, stored_wh=charge_after)
