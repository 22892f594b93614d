"""Units and the one money rule of the community market.

- Energy is an ``int`` of watt-hours (Wh); a kWh is 1000 Wh.
- Money is an ``int`` of the currency's minor unit (cents for EUR).
- A price is an ``int`` of minor units per kWh.

No floats anywhere: every amount is computed by :func:`energy_cost`, the only place
where energy meets a price.
"""

from __future__ import annotations

from gridspec.readings import household_max_wh

from .errors import DomainError

__all__ = [
    "MAX_DAILY_CHARGE",
    "MAX_ORDER_WH",
    "MAX_PRICE_PER_KWH",
    "MAX_READING_WH",
    "WH_PER_KWH",
    "energy_cost",
]

WH_PER_KWH = 1000
#: the largest offer or bid, in Wh, for one 15-minute interval (1 MWh)
MAX_ORDER_WH = 1_000_000
#: the largest import or export of one household in one billing interval, in Wh: all its
#: meters at full power for an hour (an hourly reading is billed in its first quarter)
MAX_READING_WH = household_max_wh(60)
#: the highest price accepted anywhere, in minor units per kWh (1000.00 per kWh)
MAX_PRICE_PER_KWH = 100_000
#: the highest fixed daily charge of a tariff, in minor units
MAX_DAILY_CHARGE = 1_000_000


def energy_cost(energy_wh: int, price_per_kwh: int) -> int:
    """The amount, in minor units, of *energy_wh* at *price_per_kwh*.

    ``energy_wh * price_per_kwh / 1000`` rounded **half up** to a whole minor unit:
    ``(energy_wh * price_per_kwh + 500) // 1000``. Both inputs are non-negative
    integers, so "half up" and "half away from zero" coincide; a credit is the
    negated cost of its energy (rounded first, then negated), so a seller's credit
    and a buyer's debit for the same delivery are always equal and opposite.

    >>> energy_cost(1500, 25)   # 37.5 -> 38
    38
    >>> energy_cost(1499, 25)   # 37.475 -> 37
    37
    """
    for name, value in (("energy_wh", energy_wh), ("price_per_kwh", price_per_kwh)):
        if type(value) is not int or value < 0:
            raise DomainError(f"energy cost: {name} must be a non-negative integer")
    return (energy_wh * price_per_kwh + WH_PER_KWH // 2) // WH_PER_KWH
