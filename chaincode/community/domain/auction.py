"""Clearing one delivery interval: a periodic double auction with one uniform price.

:func:`clear_interval` matches the offers and bids of one 15-minute delivery interval
of the community. Everything it matches is local, household to household; whatever
it does not match is left to the grid (the household imports or exports it under its
tariff) and is reported per order and per household.

Rules:

1. **Order book.** Order ids are unique across offers and bids, and no household has
   both an offer and a bid in the interval (:func:`.orders.check_order_book`). At most
   10000 offers and 10000 bids (``interval ...: at most 10000 offers may be cleared``).
2. **Merit order.** Bids by ``max_price_per_kwh`` descending, offers by
   ``min_price_per_kwh`` ascending; equal prices by ``placed_at`` (earlier first, exact
   to the nanosecond), then by ``order_id`` (lexicographic, by code point). The
   result therefore does not depend on the order of the inputs.
3. **Matching.** Walk both merit orders greedily: while the current bid's price is at
   least the current offer's price, match ``min(bid left, offer left)`` Wh between
   them, and move past whichever order is used up (both when both are). Orders are
   split as needed. The matched quantity is the largest any single uniform price can
   clear (where the demand and supply curves cross); an order further down the merit
   order is filled only once every better one is.
4. **Price (pay-as-clear, competitive equilibrium).** With at least one match, the
   uniform price lies in the competitive-equilibrium interval ``[low, high]``, the
   prices at which every household gets what it asked for at that price:
   ``low`` is the highest of the accepted offers' ``min_price_per_kwh`` and the
   ``max_price_per_kwh`` of every bid left (partly) unserved; ``high`` is the lowest
   of the accepted bids' ``max_price_per_kwh`` and the ``min_price_per_kwh`` of every
   offer left (partly) unsold (:func:`equilibrium_prices`). So nobody who bid above
   the price is left unserved, and nobody who offered below it is left unsold. The
   greedy matching of rule 3 makes ``low <= high``. The price is the interval's
   midpoint, ``floor((low + high) / 2)``: when the marginal order is only partly
   filled the interval is that order's price alone. Every trade executes at that
   price. With no match (no orders on one side, or the best bid below the best
   offer) the price is ``None`` and there are no trades.
5. **Trades.** One trade per match, in match order, status ``matched``, stamped with
   the clearing transaction's *timestamp*. Trade ids are ``t-<interval>-<nnnnn>``: the
   compact interval start (``20260301T0915Z``) and the 1-based match number, five
   digits, so ids are unique per interval and sort in match order. (Clearing the same
   order book again yields the same ids: the chaincode clears an interval once.)
   A trade's value is ``energy_cost(energy_wh, price)`` (rounded half up, see
   :func:`.units.energy_cost`).
6. **Unmatched.** :class:`Fill` per order (in merit order): its energy, matched and
   unmatched Wh. :attr:`ClearingResult.unmatched_supply` and
   :attr:`~ClearingResult.unmatched_demand` sum the unmatched Wh per household (only
   households with something left); that energy is exported to / imported from the
   grid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import OrderError
from .intervals import check_interval_start, compact_interval, timestamp_ns
from .orders import Bid, Offer, check_order_book
from .trades import Trade

__all__ = [
    "MAX_ORDERS_PER_SIDE",
    "ClearingResult",
    "Fill",
    "clear_interval",
    "clearing_price",
    "equilibrium_prices",
    "merit_order_bids",
    "merit_order_offers",
    "trade_id",
]

MAX_ORDERS_PER_SIDE = 10_000
_TRADE_NUMBER_DIGITS = 5  # trades <= offers + bids - 1 < 10 ** 5


@dataclass(frozen=True)
class Fill:
    """How much of one order was matched; ``side`` is ``offer`` or ``bid``."""

    order_id: str
    household: str
    side: str
    energy_wh: int
    matched_wh: int

    @property
    def unmatched_wh(self) -> int:
        return self.energy_wh - self.matched_wh

    def to_record(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "household": self.household,
            "side": self.side,
            "energy_wh": self.energy_wh,
            "matched_wh": self.matched_wh,
            "unmatched_wh": self.unmatched_wh,
        }


@dataclass(frozen=True)
class ClearingResult:
    """The outcome of clearing one interval; ``price_per_kwh`` is ``None`` without trades."""

    interval_start: str
    price_per_kwh: int | None
    trades: tuple[Trade, ...]
    offer_fills: tuple[Fill, ...]
    bid_fills: tuple[Fill, ...]

    @property
    def matched_wh(self) -> int:
        """Energy traded locally: the sum of the trades' ``energy_wh``."""
        return sum(trade.energy_wh for trade in self.trades)

    @property
    def unmatched_supply(self) -> dict[str, int]:
        """Household -> offered Wh left to the grid (households with none left omitted)."""
        return _per_household(self.offer_fills)

    @property
    def unmatched_demand(self) -> dict[str, int]:
        """Household -> bid Wh left to the grid (households with none left omitted)."""
        return _per_household(self.bid_fills)

    def to_record(self) -> dict[str, Any]:
        return {
            "interval_start": self.interval_start,
            "price_per_kwh": self.price_per_kwh,
            "matched_wh": self.matched_wh,
            "trades": [trade.to_record() for trade in self.trades],
            "offer_fills": [fill.to_record() for fill in self.offer_fills],
            "bid_fills": [fill.to_record() for fill in self.bid_fills],
            "unmatched_supply": self.unmatched_supply,
            "unmatched_demand": self.unmatched_demand,
        }


def _per_household(fills: Iterable[Fill]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for fill in fills:
        if fill.unmatched_wh:
            totals[fill.household] = totals.get(fill.household, 0) + fill.unmatched_wh
    return dict(sorted(totals.items()))


def merit_order_offers(offers: Iterable[Offer]) -> list[Offer]:
    """Offers cheapest first; ties by ``placed_at`` (earlier first), then ``order_id``."""
    return sorted(
        offers,
        key=lambda o: (o.min_price_per_kwh, timestamp_ns(o.placed_at), o.order_id),
    )


def merit_order_bids(bids: Iterable[Bid]) -> list[Bid]:
    """Bids dearest first; ties by ``placed_at`` (earlier first), then ``order_id``."""
    return sorted(
        bids,
        key=lambda b: (-b.max_price_per_kwh, timestamp_ns(b.placed_at), b.order_id),
    )


def equilibrium_prices(
    offers: Sequence[Offer],
    bids: Sequence[Bid],
    offer_matched: dict[str, int],
    bid_matched: dict[str, int],
) -> tuple[int, int]:
    """The competitive-equilibrium interval ``(low, high)`` of a book with matches
    (rule 4): every price in it leaves each order as content as it can be."""
    low = max(
        [o.min_price_per_kwh for o in offers if offer_matched[o.order_id]]
        + [b.max_price_per_kwh for b in bids if bid_matched[b.order_id] < b.energy_wh]
    )
    high = min(
        [b.max_price_per_kwh for b in bids if bid_matched[b.order_id]]
        + [o.min_price_per_kwh for o in offers if offer_matched[o.order_id] < o.energy_wh]
    )
    return low, high


def clearing_price(low: int, high: int) -> int:
    """``floor((low + high) / 2)``: the midpoint of the equilibrium interval."""
    return (low + high) // 2


def trade_id(interval_start: str, number: int) -> str:
    """``t-<compact interval>-<number, 5 digits>``, e.g. ``t-20260301T0915Z-00001``."""
    return f"t-{compact_interval(interval_start)}-{number:0{_TRADE_NUMBER_DIGITS}d}"


def _match(offers: Sequence[Offer], bids: Sequence[Bid]) -> list[tuple[int, int, int]]:
    """``(bid index, offer index, Wh)`` per match, greedily along both merit orders."""
    offer_left = [offer.energy_wh for offer in offers]
    bid_left = [bid.energy_wh for bid in bids]
    matches: list[tuple[int, int, int]] = []
    b = o = 0
    while b < len(bids) and o < len(offers):
        if bids[b].max_price_per_kwh < offers[o].min_price_per_kwh:
            break
        quantity = min(bid_left[b], offer_left[o])
        matches.append((b, o, quantity))
        bid_left[b] -= quantity
        offer_left[o] -= quantity
        if bid_left[b] == 0:
            b += 1
        if offer_left[o] == 0:
            o += 1
    return matches


def clear_interval(
    interval_start: str, offers: Iterable[Offer], bids: Iterable[Bid], timestamp: str
) -> ClearingResult:
    """Clear the offers and bids of the delivery interval *interval_start*.

    *timestamp* is the clearing transaction's time (RFC 3339 UTC), stamped on every
    trade. The rules are in this module's docstring.
    """
    check_interval_start(interval_start)
    timestamp_ns(timestamp, f"interval {interval_start}: clearing timestamp")
    offers, bids = tuple(offers), tuple(bids)
    for kind, orders in (("offers", offers), ("bids", bids)):
        if len(orders) > MAX_ORDERS_PER_SIDE:
            raise OrderError(
                f"interval {interval_start}: at most {MAX_ORDERS_PER_SIDE} {kind} "
                f"may be cleared, got {len(orders)}"
            )
    check_order_book(interval_start, offers, bids)
    ranked_offers = merit_order_offers(offers)
    ranked_bids = merit_order_bids(bids)
    matches = _match(ranked_offers, ranked_bids)

    offer_matched = dict.fromkeys((offer.order_id for offer in offers), 0)
    bid_matched = dict.fromkeys((bid.order_id for bid in bids), 0)
    for b, o, quantity in matches:
        offer_matched[ranked_offers[o].order_id] += quantity
        bid_matched[ranked_bids[b].order_id] += quantity
    price: int | None = None
    trades: list[Trade] = []
    if matches:
        price = clearing_price(*equilibrium_prices(offers, bids, offer_matched, bid_matched))
        for number, (b, o, quantity) in enumerate(matches, start=1):
            bid, offer = ranked_bids[b], ranked_offers[o]
            trades.append(
                Trade(
                    trade_id=trade_id(interval_start, number),
                    interval_start=interval_start,
                    seller=offer.seller,
                    buyer=bid.buyer,
                    seller_order_id=offer.order_id,
                    buyer_order_id=bid.order_id,
                    energy_wh=quantity,
                    price_per_kwh=price,
                    timestamp=timestamp,
                )
            )

    return ClearingResult(
        interval_start=interval_start,
        price_per_kwh=price,
        trades=tuple(trades),
        offer_fills=tuple(
            Fill(o.order_id, o.seller, "offer", o.energy_wh, offer_matched[o.order_id])
            for o in ranked_offers
        ),
        bid_fills=tuple(
            Fill(b.order_id, b.buyer, "bid", b.energy_wh, bid_matched[b.order_id])
            for b in ranked_bids
        ),
    )
