"""A household's metered energy in one 15-minute interval.

An :class:`IntervalReading` is what the meter contract's private readings reduce to
for the market and billing: per household and interval, the energy imported from
and exported to the grid connection, in Wh. A household with several meters is one
reading, their sum (the chaincode adds them up through its meter registry).

Rules: ``household`` is an id (1-64 letters, digits, ``.``, ``_``, ``-``);
``interval_start`` an aligned interval start; ``import_wh`` and ``export_wh`` integers
between 0 and :data:`~.units.MAX_READING_WH` (the household bound of
:mod:`gridspec.readings`). Both may be non-zero in one
interval (a meter measures both directions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._fields import check_int, check_own_id, record_values, time_errors_as
from .errors import ReadingError
from .intervals import check_interval_start
from .units import MAX_READING_WH

__all__ = ["IntervalReading"]

_FIELDS = ("household", "interval_start", "import_wh", "export_wh")


@dataclass(frozen=True)
class IntervalReading:
    """Metered import and export of one household in one interval (Wh)."""

    household: str
    interval_start: str
    import_wh: int
    export_wh: int

    def __post_init__(self) -> None:
        check_own_id(ReadingError, "reading household", self.household)
        with time_errors_as(ReadingError):
            check_interval_start(self.interval_start, f"reading {self.household}: interval_start")
        for name in ("import_wh", "export_wh"):
            check_int(ReadingError, self.owner, name, getattr(self, name), 0, MAX_READING_WH)

    @property
    def owner(self) -> str:
        """How error messages name this reading: ``reading h-1 2026-03-01T09:15:00Z``."""
        return f"reading {self.household} {self.interval_start}"

    @classmethod
    def from_record(cls, record: Any) -> IntervalReading:
        """Parse a decoded JSON object; unknown keys are ignored."""
        values = record_values(ReadingError, "reading", "household", record, _FIELDS)
        return cls(**values)

    def to_record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}
