"""How a household's agent reacts to the utility's OpenADR 3 ``PRICE`` events.

A price signal from the utility's VTN (``api/openadr``) says what grid energy costs
in its window: at a peak, more than the tariff. The agent trades only inside the
window between the grid's prices (:mod:`agents.bidding`), so a higher import price
widens that window and moves the fair price up with it: each local kWh now saves more
against the grid, and a neighbour's solar is worth more to buyer and seller alike.
The feed-in price and the P2P fee are the tariff's; an event does not change them.

**Which event.** Of the events with an interval that covers the market interval's
start and carries a ``PRICE`` payload, the one with the lowest ``priority`` number
wins (no priority: the lowest of all); on a tie, the latest ``modificationDateTime``
(none: the oldest), then the smallest id. Every such event is read and checked, not
just the winner, so a malformed one is an error whichever event would have won.

**Its price.** OpenADR's ``PRICE`` is currency per unit of energy; the event's
``PRICE`` payloadDescriptor must give ``units`` ``KWH``. The price (one value per
interval) is converted to minor units (cents, for a currency with two decimals) per
kWh, rounded half up, and must be within 0..:data:`MAX_PRICE_PER_KWH`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from gridspec.agent_limits import MAX_PRICE_PER_KWH
from gridspec.openadr import check_event, event_intervals, parse_datetime

from .bidding import GridPrices

__all__ = ["MINOR_UNITS", "PriceSignal", "price_signal", "prices_in"]

#: minor units in one unit of the currency (cents in a euro)
MINOR_UNITS = 100
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PriceSignal:
    """The prices the agent uses in one interval, and the event that set the import
    price (``None`` when no event covers the interval: the tariff's prices stand)."""

    prices: GridPrices
    event_id: str | None = None


@dataclass(frozen=True)
class _Candidate:
    event_id: str
    rank: tuple[bool, int]  # (no priority, priority): smallest first
    modified: datetime
    price_per_kwh: int


def price_signal(
    interval_start: datetime,
    base: GridPrices,
    events: Sequence[Mapping[str, Any]],
    currency: str | None = None,
) -> PriceSignal:
    """The prices for the market interval starting at *interval_start*: *base* with the
    import price of the winning ``PRICE`` event, and that event's id. *currency*, when
    given, is the one the tariff is in; a price in another is refused."""
    if not isinstance(interval_start, datetime) or interval_start.utcoffset() is None:
        raise ValueError("interval_start must be a datetime with a UTC offset")
    candidates = [
        found
        for event in events
        if (found := _candidate(event, interval_start, currency)) is not None
    ]
    if not candidates:
        return PriceSignal(base)
    candidates.sort(key=lambda c: c.event_id)
    candidates.sort(key=lambda c: c.modified, reverse=True)  # stable: keeps the id order
    candidates.sort(key=lambda c: c.rank)
    best = candidates[0]
    return PriceSignal(replace(base, import_price_per_kwh=best.price_per_kwh), best.event_id)


def prices_in(
    interval_start: datetime,
    base: GridPrices,
    events: Sequence[Mapping[str, Any]],
    currency: str | None = None,
) -> GridPrices:
    """The prices alone: ``price_signal(interval_start, base, events, currency).prices``."""
    return price_signal(interval_start, base, events, currency).prices


def _candidate(
    event: Mapping[str, Any], instant: datetime, currency: str | None
) -> _Candidate | None:
    """The event's claim on *instant*'s price, or None when it has no PRICE there."""
    checked = check_event(dict(event) if isinstance(event, Mapping) else event)
    event_id: str = checked["id"]
    covering = [i for i in event_intervals(checked) if "PRICE" in i.payloads and i.covers(instant)]
    if not covering:
        return None
    interval = covering[0]  # the first in the event's order, should intervals overlap
    _check_descriptor(event_id, checked.get("payloadDescriptors"), currency)
    where = f"event {event_id} interval {interval.interval_id}"
    price = _minor_units(where, interval.payloads["PRICE"])
    priority = checked.get("priority")
    if priority is not None and (type(priority) is not int or priority < 0):
        raise ValueError(f"event {event_id}: priority must be an integer >= 0 or null")
    modified = checked.get("modificationDateTime")
    if modified is not None:
        modified = parse_datetime(f"event {event_id} modificationDateTime", modified)
    return _Candidate(event_id, (priority is None, priority or 0), modified or _OLDEST, price)


def _check_descriptor(event_id: str, descriptors: Any, currency: str | None) -> None:
    if descriptors is not None and not isinstance(descriptors, list):
        raise ValueError(f"event {event_id}: payloadDescriptors must be a list")
    found = [
        d for d in descriptors or [] if isinstance(d, dict) and d.get("payloadType") == "PRICE"
    ]
    if not found:
        raise ValueError(
            f"event {event_id}: no PRICE payloadDescriptor gives the price's units (KWH)"
        )
    units, given = found[0].get("units"), found[0].get("currency")
    if units != "KWH":
        raise ValueError(f"event {event_id}: PRICE units must be KWH, not {units!r}")
    if currency is not None and given != currency:
        raise ValueError(f"event {event_id}: PRICE currency must be {currency}, not {given!r}")


def _minor_units(where: str, values: list[Any]) -> int:
    """One PRICE value, currency per kWh, as whole minor units per kWh (half up)."""
    if len(values) != 1:
        raise ValueError(f"{where}: a PRICE payload must have exactly one value")
    value = values[0]
    finite = type(value) is int or (type(value) is float and math.isfinite(value))
    if not finite or value < 0:
        raise ValueError(f"{where}: the PRICE must be a finite number >= 0, not {value!r}")
    exact = Decimal(value if type(value) is int else repr(value)) * MINOR_UNITS
    if exact >= MAX_PRICE_PER_KWH + Decimal("0.5"):  # would round above the most
        raise ValueError(
            f"{where}: the PRICE is above {MAX_PRICE_PER_KWH // MINOR_UNITS} per kWh "
            f"({MAX_PRICE_PER_KWH} minor units), the most an order may carry"
        )
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
