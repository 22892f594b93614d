"""Time-of-use tariffs: the grid's prices for a household of the community.

A :class:`Tariff` has

- ``tariff_id`` (an id) and ``currency`` (ISO 4217, three capital letters, ``EUR``);
  every amount is in that currency's minor unit;
- ``bands``: the time-of-use bands, each :class:`Band` ``(name, start, end,
  import_price_per_kwh)``;
- ``feed_in_price_per_kwh``: paid for exported energy not sold P2P;
- ``p2p_grid_fee_per_kwh``: the network fee the buyer pays on P2P energy delivered;
- ``daily_fixed_charge``: minor units per day of a billing period;
- ``valid_from``: the first day (``YYYY-MM-DD``) the tariff applies.

Band rules:

- ``start`` and ``end`` are ``HH:MM`` times of day **in UTC** (the whole domain is UTC:
  a community in another time zone writes its local bands in UTC, and a band that
  follows daylight saving time needs a new tariff at the change);
- both are aligned to 15 minutes, so every interval lies in exactly one band
  (``tariff tou-1: band peak: start 07:10 is not aligned to 15 minutes``);
  ``start`` is ``00:00``-``23:45``, ``end`` ``00:15``-``24:00`` or ``00:00``;
- a band covers ``[start, end)``; when ``end <= start`` it runs past midnight
  (``22:00``-``06:00``), except that ``start == end`` is refused as ambiguous (a flat
  tariff is one band ``00:00``-``24:00``);
- names are unique ids; together the bands cover the whole day exactly once:
  ``tariff tou-1: bands day and peak overlap at 17:00``,
  ``tariff tou-1: bands leave 06:00-07:00 uncovered``.

Prices are integers 0..100000 minor units per kWh; the daily charge 0..1000000.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._fields import check_int, check_own_id, check_str, record_values, time_errors_as
from .errors import TariffError
from .intervals import INTERVAL_MINUTES, INTERVALS_PER_DAY, minute_of_day, parse_date
from .units import MAX_DAILY_CHARGE, MAX_PRICE_PER_KWH

__all__ = ["Band", "Tariff"]

_CLOCK = re.compile(r"(\d{2}):(\d{2})")
_CURRENCY = re.compile(r"[A-Z]{3}")
_DAY = 24 * 60
_BAND_FIELDS = ("name", "start", "end", "import_price_per_kwh")
_TARIFF_FIELDS = (
    "tariff_id",
    "currency",
    "bands",
    "feed_in_price_per_kwh",
    "p2p_grid_fee_per_kwh",
    "daily_fixed_charge",
    "valid_from",
)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(owner: str, name: str, text: Any, *, end: bool) -> int:
    check_str(TariffError, owner, name, text)
    match = _CLOCK.fullmatch(text)
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not match or int(match.group(2)) > 59 or minutes > _DAY or (minutes == _DAY and not end):
        raise TariffError(f"{owner}: {name} '{text}' is not a time like 07:00")
    if minutes % INTERVAL_MINUTES:
        raise TariffError(f"{owner}: {name} {text} is not aligned to 15 minutes")
    return minutes


@dataclass(frozen=True)
class Band:
    """A time-of-use band: ``[start, end)`` of each UTC day at ``import_price_per_kwh``."""

    name: str
    start: str
    end: str
    import_price_per_kwh: int

    def __post_init__(self) -> None:
        check_own_id(TariffError, "band", self.name)
        owner = f"band {self.name}"
        start = _minutes(owner, "start", self.start, end=False)
        end = _minutes(owner, "end", self.end, end=True)
        if start == end:
            raise TariffError(f"{owner} is empty: start and end are both {self.start}")
        check_int(
            TariffError,
            owner,
            "import_price_per_kwh",
            self.import_price_per_kwh,
            0,
            MAX_PRICE_PER_KWH,
        )

    def slots(self) -> list[int]:
        """The 15-minute slots of the day (0..95) the band covers, from its start on."""
        owner = f"band {self.name}"
        start = _minutes(owner, "start", self.start, end=False) // INTERVAL_MINUTES
        end = _minutes(owner, "end", self.end, end=True) // INTERVAL_MINUTES
        count = end - start if end > start else end + INTERVALS_PER_DAY - start
        return [(start + k) % INTERVALS_PER_DAY for k in range(count)]

    @classmethod
    def from_record(cls, record: Any) -> Band:
        if isinstance(record, Sequence) and not isinstance(record, str):
            if len(record) != len(_BAND_FIELDS):
                raise TariffError(
                    f"band record must have {len(_BAND_FIELDS)} items: {', '.join(_BAND_FIELDS)}"
                )
            return cls(*record)
        return cls(**record_values(TariffError, "band", "name", record, _BAND_FIELDS))

    def to_record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _BAND_FIELDS}


@dataclass(frozen=True)
class Tariff:
    """A time-of-use tariff; ``bands`` may be given as :class:`Band`, 4-tuples or dicts."""

    tariff_id: str
    currency: str
    bands: tuple[Band, ...]
    feed_in_price_per_kwh: int
    p2p_grid_fee_per_kwh: int
    daily_fixed_charge: int
    valid_from: str
    _band_of_slot: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_own_id(TariffError, "tariff", self.tariff_id)
        owner = f"tariff {self.tariff_id}"
        check_str(TariffError, owner, "currency", self.currency)
        if not _CURRENCY.fullmatch(self.currency):
            raise TariffError(
                f"{owner}: currency '{self.currency}' is not an iso 4217 code like EUR"
            )
        for name in ("feed_in_price_per_kwh", "p2p_grid_fee_per_kwh"):
            check_int(TariffError, owner, name, getattr(self, name), 0, MAX_PRICE_PER_KWH)
        check_int(
            TariffError, owner, "daily_fixed_charge", self.daily_fixed_charge, 0, MAX_DAILY_CHARGE
        )
        with time_errors_as(TariffError):
            parse_date(self.valid_from, f"{owner}: valid_from")
        bands = self._parse_bands(owner)
        object.__setattr__(self, "bands", bands)
        object.__setattr__(self, "_band_of_slot", self._cover(owner, bands))

    def _parse_bands(self, owner: str) -> tuple[Band, ...]:
        if isinstance(self.bands, str | Mapping) or not isinstance(self.bands, Sequence):
            raise TariffError(f"{owner}: bands must be a list")
        if not self.bands:
            raise TariffError(f"{owner}: bands must not be empty")
        bands = []
        for raw in self.bands:
            try:
                bands.append(raw if isinstance(raw, Band) else Band.from_record(raw))
            except TariffError as exc:
                raise TariffError(f"{owner}: {exc}") from None
        names = [band.name for band in bands]
        for name in names:
            if names.count(name) > 1:
                raise TariffError(f"{owner}: band name {name} is used more than once")
        return tuple(bands)

    @staticmethod
    def _cover(owner: str, bands: Sequence[Band]) -> tuple[int, ...]:
        cover: list[list[int]] = [[] for _ in range(INTERVALS_PER_DAY)]
        for index, band in enumerate(bands):
            for slot in band.slots():
                cover[slot].append(index)
        for slot, indexes in enumerate(cover):
            if len(indexes) > 1:
                first, second = sorted(bands[index].name for index in indexes)[:2]
                at = _clock(slot * INTERVAL_MINUTES)
                raise TariffError(f"{owner}: bands {first} and {second} overlap at {at}")
        if not all(cover):
            gap = next(slot for slot, indexes in enumerate(cover) if not indexes)
            end = gap
            while end < INTERVALS_PER_DAY and not cover[end]:
                end += 1
            if gap == 0 and end < INTERVALS_PER_DAY:  # a gap across midnight starts the day before
                while not cover[gap - 1]:
                    gap -= 1
                gap %= INTERVALS_PER_DAY
            raise TariffError(
                f"{owner}: bands leave {_clock(gap * INTERVAL_MINUTES)}-"
                f"{_clock(end * INTERVAL_MINUTES)} uncovered"
            )
        return tuple(indexes[0] for indexes in cover)

    def band_at(self, interval_start: str) -> Band:
        """The band the interval starting at *interval_start* (UTC) falls in."""
        slot = minute_of_day(interval_start) // INTERVAL_MINUTES
        return self.bands[self._band_of_slot[slot]]

    def import_price_at(self, interval_start: str) -> int:
        """The grid import price of the interval *interval_start* (its band's price)."""
        return self.band_at(interval_start).import_price_per_kwh

    @classmethod
    def from_record(cls, record: Any) -> Tariff:
        """Parse a decoded JSON object (bands as objects or 4-item lists); extra keys ignored."""
        return cls(**record_values(TariffError, "tariff", "tariff_id", record, _TARIFF_FIELDS))

    def to_record(self) -> dict[str, Any]:
        record = {name: getattr(self, name) for name in _TARIFF_FIELDS}
        record["bands"] = [band.to_record() for band in self.bands]
        return record
