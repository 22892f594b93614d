"""A household's limits for its bidding agent: what it may pay, accept and trade.

The household sets them when it delegates to an agent. They are enforced twice, from
this one definition: the agent never places an order outside them (the property tests
of :mod:`agents.bidding` check it for any forecast, tariff and limits), and the
community chaincode refuses an agent's order that breaks them (:meth:`refusal`), so a
faulty or compromised agent cannot either. Prices
are integer minor units (cents) per kWh, 0..100000, energy integer Wh per 15-minute
interval, 1..1000000: the bounds of the community market's orders.

Rules, checked when limits are built or read (messages name the field):

- each field is an ``int`` (not a ``bool``):
  ``agent limits: max_wh_per_interval must be an integer``;
- within its bounds:
  ``agent limits: max_buy_price_per_kwh must be between 0 and 100000``;
- a record is a JSON object with exactly the three fields:
  ``agent limits: field min_sell_price_per_kwh is missing``,
  ``agent limits: unknown field max_price`` (a misspelt limit must not pass unseen).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["MAX_ORDER_WH", "MAX_PRICE_PER_KWH", "AgentLimits"]

#: the highest price an order may carry, minor units per kWh (as the market's)
MAX_PRICE_PER_KWH = 100_000
#: the largest order, Wh per interval (as the market's)
MAX_ORDER_WH = 1_000_000
_OWNER = "agent limits"


def _check(name: str, value: Any, low: int, high: int) -> None:
    if type(value) is not int:
        raise ValueError(f"{_OWNER}: {name} must be an integer")
    if not low <= value <= high:
        raise ValueError(f"{_OWNER}: {name} must be between {low} and {high}")


@dataclass(frozen=True)
class AgentLimits:
    """Bid at most ``max_buy_price_per_kwh``, offer at least ``min_sell_price_per_kwh``,
    and trade at most ``max_wh_per_interval`` in one interval."""

    max_buy_price_per_kwh: int
    min_sell_price_per_kwh: int
    max_wh_per_interval: int

    def __post_init__(self) -> None:
        _check("max_buy_price_per_kwh", self.max_buy_price_per_kwh, 0, MAX_PRICE_PER_KWH)
        _check("min_sell_price_per_kwh", self.min_sell_price_per_kwh, 0, MAX_PRICE_PER_KWH)
        _check("max_wh_per_interval", self.max_wh_per_interval, 1, MAX_ORDER_WH)

    @classmethod
    def from_record(cls, record: Any) -> AgentLimits:
        """Parse a decoded JSON object; a missing or unknown field is an error."""
        if not isinstance(record, Mapping):
            raise ValueError(f"{_OWNER} record must be a json object")
        names = [field.name for field in fields(cls)]
        for name in names:
            if name not in record:
                raise ValueError(f"{_OWNER}: field {name} is missing")
        unknown = sorted(str(key) for key in record if key not in names)
        if unknown:
            raise ValueError(f"{_OWNER}: unknown field {unknown[0]}")
        return cls(**{name: record[name] for name in names})

    def to_record(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def refusal(self, side: str, energy_wh: int, price_per_kwh: int) -> str | None:
        """Why an order (``offer`` or ``bid``) breaks these limits, or None when it keeps them."""
        if energy_wh > self.max_wh_per_interval:
            return f"energy {energy_wh} wh is above max_wh_per_interval {self.max_wh_per_interval}"
        if side == "bid" and price_per_kwh > self.max_buy_price_per_kwh:
            return (
                f"bid price {price_per_kwh} is above max_buy_price_per_kwh "
                f"{self.max_buy_price_per_kwh}"
            )
        if side == "offer" and price_per_kwh < self.min_sell_price_per_kwh:
            return (
                f"offer price {price_per_kwh} is below min_sell_price_per_kwh "
                f"{self.min_sell_price_per_kwh}"
            )
        return None
