"""Offers and bids of the community market, for one 15-minute delivery interval.

An :class:`Offer` sells up to ``energy_wh`` at no less than ``min_price_per_kwh``; a
:class:`Bid` buys up to ``energy_wh`` at no more than ``max_price_per_kwh``. Both are
firm for their delivery interval (the chaincode keys them by interval).

Rules, checked when an order is built (messages name the order id):

- ``order_id`` and the household (``seller`` / ``buyer``): 1-64 letters, digits,
  ``.``, ``_`` or ``-``, starting with a letter or digit;
  ``offer id 'o 17' is invalid: use ...``.
- ``energy_wh``: an integer between 1 and 1000000;
  ``offer o-17: energy_wh must be between 1 and 1000000``.
- the price limit: an integer between 0 and 100000 minor units per kWh;
  ``bid b-3: max_price_per_kwh must be between 0 and 100000``.
- ``placed_at``: an RFC 3339 UTC timestamp (the placing transaction's time), e.g.
  ``2026-03-01T09:02:11.250Z``; it breaks price ties in the merit order.

Rules about a set of orders for one interval (:func:`check_order_book`):

- an order id is used once, across offers and bids:
  ``interval 2026-03-01T09:15:00Z: order id o-1 is used more than once``;
- no self-trade: a household may not have both an offer and a bid in one interval:
  ``household h-3 has both offer o-1 and bid b-2 in interval 2026-03-01T09:15:00Z``
  (:class:`~.errors.SelfTradeError`; when several clash, the smallest household id
  and its smallest offer and bid ids are named). The chaincode should apply the same
  check when an order is placed, so the auction never meets it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._fields import check_id, check_int, check_own_id, record_values, time_errors_as
from .errors import OrderError, SelfTradeError
from .intervals import timestamp_ns
from .units import MAX_ORDER_WH, MAX_PRICE_PER_KWH

__all__ = ["Bid", "Offer", "check_order_book"]

_OFFER_FIELDS = ("order_id", "seller", "energy_wh", "min_price_per_kwh", "placed_at")
_BID_FIELDS = ("order_id", "buyer", "energy_wh", "max_price_per_kwh", "placed_at")


def _check_order(kind: str, order: Offer | Bid, household: str, price: str) -> None:
    check_own_id(OrderError, kind, order.order_id)
    owner = f"{kind} {order.order_id}"
    check_id(OrderError, owner, household, getattr(order, household))
    check_int(OrderError, owner, "energy_wh", order.energy_wh, 1, MAX_ORDER_WH)
    check_int(OrderError, owner, price, getattr(order, price), 0, MAX_PRICE_PER_KWH)
    with time_errors_as(OrderError):
        timestamp_ns(order.placed_at, f"{owner}: placed_at")


@dataclass(frozen=True)
class Offer:
    """Sell up to ``energy_wh`` Wh at ``min_price_per_kwh`` or more."""

    order_id: str
    seller: str
    energy_wh: int
    min_price_per_kwh: int
    placed_at: str

    def __post_init__(self) -> None:
        _check_order("offer", self, "seller", "min_price_per_kwh")

    @property
    def household(self) -> str:
        return self.seller

    @property
    def limit_price(self) -> int:
        return self.min_price_per_kwh

    @classmethod
    def from_record(cls, record: Any) -> Offer:
        """Parse a decoded JSON object; unknown keys are ignored."""
        return cls(**record_values(OrderError, "offer", "order_id", record, _OFFER_FIELDS))

    def to_record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _OFFER_FIELDS}


@dataclass(frozen=True)
class Bid:
    """Buy up to ``energy_wh`` Wh at ``max_price_per_kwh`` or less."""

    order_id: str
    buyer: str
    energy_wh: int
    max_price_per_kwh: int
    placed_at: str

    def __post_init__(self) -> None:
        _check_order("bid", self, "buyer", "max_price_per_kwh")

    @property
    def household(self) -> str:
        return self.buyer

    @property
    def limit_price(self) -> int:
        return self.max_price_per_kwh

    @classmethod
    def from_record(cls, record: Any) -> Bid:
        """Parse a decoded JSON object; unknown keys are ignored."""
        return cls(**record_values(OrderError, "bid", "order_id", record, _BID_FIELDS))

    def to_record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _BID_FIELDS}


def check_order_book(interval_start: str, offers: Iterable[Offer], bids: Iterable[Bid]) -> None:
    """Refuse a duplicated order id or a household on both sides of *interval_start*."""
    offers, bids = tuple(offers), tuple(bids)
    for kind, items, expected in (("offers", offers, Offer), ("bids", bids, Bid)):
        for item in items:
            if not isinstance(item, expected):
                raise TypeError(f"{kind} must be {expected.__name__}, got {type(item).__name__}")
    seen: set[str] = set()
    order_ids = [offer.order_id for offer in offers] + [bid.order_id for bid in bids]
    for order_id in sorted(order_ids):
        if order_id in seen:
            raise OrderError(
                f"interval {interval_start}: order id {order_id} is used more than once"
            )
        seen.add(order_id)
    both = {offer.seller for offer in offers} & {bid.buyer for bid in bids}
    if both:
        household = min(both)
        offer_id = min(offer.order_id for offer in offers if offer.seller == household)
        bid_id = min(bid.order_id for bid in bids if bid.buyer == household)
        raise SelfTradeError(
            f"household {household} has both offer {offer_id} and bid {bid_id} "
            f"in interval {interval_start}"
        )
