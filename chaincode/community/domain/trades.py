"""Trades of the community market: matched by the auction, then settled.

Life cycle (``status``)::

    matched ──settlement──▶ delivered | partially_delivered ──billing──▶ settled

- :class:`Trade` is a trade as the auction matched it; its status is always
  ``matched``.
- :class:`SettledTrade` is the same trade after settlement against the meters
  (:func:`.settlement.settle_interval`): it adds ``delivered_wh`` and the grid price
  its shortfall is charged at, and its status is ``delivered`` (all of the energy
  was delivered) or ``partially_delivered`` (less, possibly none). Billing sets the
  final status ``settled`` with :meth:`SettledTrade.mark_settled` once the trade is on
  both parties' invoices; the delivery figures never change after settlement.

Derived values are properties, recomputed and never stored independently:

- ``amount`` = ``energy_cost(energy_wh, price_per_kwh)``, the value as matched;
- ``delivered_amount`` = ``energy_cost(delivered_wh, price_per_kwh)``: what the buyer
  pays and the seller receives;
- ``shortfall_wh`` = ``energy_wh - delivered_wh``;
- ``shortfall_charge`` = ``energy_cost(shortfall_wh, shortfall_price_per_kwh)``, owed
  by the seller.

``to_record()`` writes them; ``from_record()`` refuses a record whose stored derived
value differs from its recomputation (``trade t-1: amount 99 does not match its
inputs (expected 38)``).

Fields: ``trade_id``, ``interval_start`` (the delivery interval), ``seller``,
``buyer`` (household ids, never the same), ``seller_order_id``, ``buyer_order_id``,
``energy_wh`` (1..1000000), ``price_per_kwh`` (the uniform clearing price,
0..100000), ``timestamp`` (the clearing transaction's time, RFC 3339 UTC), ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ._fields import (
    check_derived,
    check_id,
    check_int,
    check_own_id,
    record_values,
    time_errors_as,
)
from .errors import TradeError
from .intervals import check_interval_start, timestamp_ns
from .units import MAX_ORDER_WH, MAX_PRICE_PER_KWH, energy_cost

__all__ = [
    "DELIVERED",
    "MATCHED",
    "PARTIALLY_DELIVERED",
    "SETTLED",
    "SETTLED_STATUSES",
    "SettledTrade",
    "Trade",
]

MATCHED = "matched"
DELIVERED = "delivered"
PARTIALLY_DELIVERED = "partially_delivered"
SETTLED = "settled"
#: the statuses a :class:`SettledTrade` may have
SETTLED_STATUSES = (DELIVERED, PARTIALLY_DELIVERED, SETTLED)

_TRADE_FIELDS = (
    "trade_id",
    "interval_start",
    "seller",
    "buyer",
    "seller_order_id",
    "buyer_order_id",
    "energy_wh",
    "price_per_kwh",
    "timestamp",
)
_SETTLED_FIELDS = (*_TRADE_FIELDS, "delivered_wh", "shortfall_price_per_kwh", "status")


def _check_trade(trade: Trade | SettledTrade) -> None:
    check_own_id(TradeError, "trade", trade.trade_id)
    owner = f"trade {trade.trade_id}"
    with time_errors_as(TradeError):
        check_interval_start(trade.interval_start, f"{owner}: interval_start")
        timestamp_ns(trade.timestamp, f"{owner}: timestamp")
    for name in ("seller", "buyer", "seller_order_id", "buyer_order_id"):
        check_id(TradeError, owner, name, getattr(trade, name))
    if trade.seller == trade.buyer:
        raise TradeError(f"{owner}: seller and buyer are the same household {trade.seller}")
    check_int(TradeError, owner, "energy_wh", trade.energy_wh, 1, MAX_ORDER_WH)
    check_int(TradeError, owner, "price_per_kwh", trade.price_per_kwh, 0, MAX_PRICE_PER_KWH)


@dataclass(frozen=True)
class Trade:
    """A trade as matched by the auction (status ``matched``)."""

    trade_id: str
    interval_start: str
    seller: str
    buyer: str
    seller_order_id: str
    buyer_order_id: str
    energy_wh: int
    price_per_kwh: int
    timestamp: str
    status: str = MATCHED

    def __post_init__(self) -> None:
        _check_trade(self)
        if self.status != MATCHED:
            raise TradeError(f"trade {self.trade_id}: status is {self.status}, expected matched")

    @property
    def amount(self) -> int:
        """``energy_cost(energy_wh, price_per_kwh)``: the trade's value as matched."""
        return energy_cost(self.energy_wh, self.price_per_kwh)

    @classmethod
    def from_record(cls, record: Any) -> Trade:
        """Parse a decoded JSON object; unknown keys are ignored, ``amount`` is checked."""
        values = record_values(TradeError, "trade", "trade_id", record, (*_TRADE_FIELDS, "status"))
        trade = cls(**values)
        check_derived(TradeError, f"trade {trade.trade_id}", record, "amount", trade.amount)
        return trade

    def to_record(self) -> dict[str, Any]:
        record = {name: getattr(self, name) for name in (*_TRADE_FIELDS, "status")}
        record["amount"] = self.amount
        return record


@dataclass(frozen=True)
class SettledTrade:
    """A trade after settlement against the meters of its interval."""

    trade_id: str
    interval_start: str
    seller: str
    buyer: str
    seller_order_id: str
    buyer_order_id: str
    energy_wh: int
    price_per_kwh: int
    timestamp: str
    delivered_wh: int
    shortfall_price_per_kwh: int
    status: str

    def __post_init__(self) -> None:
        _check_trade(self)
        owner = f"trade {self.trade_id}"
        check_int(TradeError, owner, "delivered_wh", self.delivered_wh, 0, self.energy_wh)
        check_int(
            TradeError,
            owner,
            "shortfall_price_per_kwh",
            self.shortfall_price_per_kwh,
            0,
            MAX_PRICE_PER_KWH,
        )
        if self.status not in SETTLED_STATUSES:
            raise TradeError(
                f"{owner}: status is {self.status}, expected one of: {', '.join(SETTLED_STATUSES)}"
            )
        if self.status != SETTLED and self.status != self.delivery_status:
            raise TradeError(
                f"{owner}: status is {self.status} but {self.delivered_wh} of "
                f"{self.energy_wh} wh were delivered"
            )

    @classmethod
    def from_trade(
        cls, trade: Trade, delivered_wh: int, shortfall_price_per_kwh: int
    ) -> SettledTrade:
        """*trade* with its delivery; the status follows from *delivered_wh*."""
        status = DELIVERED if delivered_wh == trade.energy_wh else PARTIALLY_DELIVERED
        values = {name: getattr(trade, name) for name in _TRADE_FIELDS}
        return cls(
            **values,
            delivered_wh=delivered_wh,
            shortfall_price_per_kwh=shortfall_price_per_kwh,
            status=status,
        )

    @property
    def delivery_status(self) -> str:
        """``delivered`` when all of ``energy_wh`` was delivered, else ``partially_delivered``."""
        return DELIVERED if self.delivered_wh == self.energy_wh else PARTIALLY_DELIVERED

    @property
    def amount(self) -> int:
        """``energy_cost(energy_wh, price_per_kwh)``: the trade's value as matched."""
        return energy_cost(self.energy_wh, self.price_per_kwh)

    @property
    def delivered_amount(self) -> int:
        """``energy_cost(delivered_wh, price_per_kwh)``: the buyer pays it, the seller gets it."""
        return energy_cost(self.delivered_wh, self.price_per_kwh)

    @property
    def shortfall_wh(self) -> int:
        """``energy_wh - delivered_wh``: energy sold but not delivered."""
        return self.energy_wh - self.delivered_wh

    @property
    def shortfall_charge(self) -> int:
        """``energy_cost(shortfall_wh, shortfall_price_per_kwh)``, charged to the seller."""
        return energy_cost(self.shortfall_wh, self.shortfall_price_per_kwh)

    def mark_settled(self) -> SettledTrade:
        """This trade with status ``settled`` (billing has put it on both invoices)."""
        return replace(self, status=SETTLED)

    @classmethod
    def from_record(cls, record: Any) -> SettledTrade:
        """Parse a decoded JSON object; unknown keys are ignored, derived values checked."""
        values = record_values(TradeError, "trade", "trade_id", record, _SETTLED_FIELDS)
        trade = cls(**values)
        owner = f"trade {trade.trade_id}"
        for name in ("amount", "delivered_amount", "shortfall_wh", "shortfall_charge"):
            check_derived(TradeError, owner, record, name, getattr(trade, name))
        return trade

    def to_record(self) -> dict[str, Any]:
        record = {name: getattr(self, name) for name in _SETTLED_FIELDS}
        for name in ("amount", "delivered_amount", "shortfall_wh", "shortfall_charge"):
            record[name] = getattr(self, name)
        return record
