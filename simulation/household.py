"""A simulated household: its meter, its consumption, its rooftop solar and its battery.

The first six fields are those the demo and the tests have always built households
with; the rest have defaults (a two-person household of 3,000 kWh a year, panels
facing south at 35 degrees, no battery), so such a household still simulates.
Every field is checked when a household is built, and a message names the household
and the field, because a wrong value would otherwise only show as odd readings.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Battery", "Household"]

HOURS_PER_YEAR = 8760
#: the standby load may take at most this share of the annual consumption
MAX_BASE_SHARE = 0.5
DEFAULT_TILT_DEG = 35.0
DEFAULT_AZIMUTH_DEG = 180.0


def _check_range(owner: str, name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{owner}: {name} must be a number")
    if not low <= value <= high:
        raise ValueError(f"{owner}: {name} must be between {low} and {high}, got {value}")


@dataclass(frozen=True)
class Battery:
    """A home battery: usable capacity, charge/discharge power, round-trip efficiency."""

    capacity_kwh: float
    power_kw: float
    round_trip_efficiency: float = 0.9

    def __post_init__(self) -> None:
        _check_range("battery", "capacity_kwh", self.capacity_kwh, 0.5, 100)
        _check_range("battery", "power_kw", self.power_kw, 0.1, 50)
        _check_range("battery", "round_trip_efficiency", self.round_trip_efficiency, 0.5, 1)


@dataclass(frozen=True)
class Household:
    """A simulated household and its meter.

    ``solar_kwp`` is the PV array's DC rating (0: no solar), ``pv_tilt_deg`` its tilt
    from horizontal and ``pv_azimuth_deg`` its compass direction (180 = south).
    ``base_load_w`` is the standby load that runs around the clock (fridge, router,
    devices on standby); the rest of ``annual_kwh`` follows the household's profile.
    ``seed`` is the community's: with the meter id and the day it seeds the readings.
    """

    household_id: str
    meter_id: str
    feeder: str
    solar_kwp: float
    base_load_w: int
    seed: int
    persons: int = 2
    annual_kwh: float = 3000.0
    pv_tilt_deg: float = DEFAULT_TILT_DEG
    pv_azimuth_deg: float = DEFAULT_AZIMUTH_DEG
    battery: Battery | None = None

    def __post_init__(self) -> None:
        owner = f"household {self.household_id}"
        for name in ("household_id", "meter_id", "feeder"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{owner}: {name} must be a non-empty string")
        if type(self.persons) is not int or not 1 <= self.persons <= 10:
            raise ValueError(f"{owner}: persons must be an integer between 1 and 10")
        if type(self.base_load_w) is not int or self.base_load_w < 0:
            raise ValueError(f"{owner}: base_load_w must be a non-negative integer")
        _check_range(owner, "solar_kwp", self.solar_kwp, 0, 30)
        _check_range(owner, "annual_kwh", self.annual_kwh, 100, 50_000)
        _check_range(owner, "pv_tilt_deg", self.pv_tilt_deg, 0, 90)
        _check_range(owner, "pv_azimuth_deg", self.pv_azimuth_deg, 0, 360)
        standby_kwh = self.base_load_w * HOURS_PER_YEAR / 1000
        if standby_kwh > MAX_BASE_SHARE * self.annual_kwh:
            raise ValueError(
                f"{owner}: base_load_w {self.base_load_w} w runs to {standby_kwh:.0f} kwh a year, "
                f"more than half of annual_kwh {self.annual_kwh}"
            )
        if self.battery is not None and not self.solar_kwp:
            raise ValueError(f"{owner}: a battery needs solar (it charges from surplus only)")

    @property
    def variable_kwh(self) -> float:
        """The annual consumption above the standby load, shaped by the profile."""
        return self.annual_kwh - self.base_load_w * HOURS_PER_YEAR / 1000
