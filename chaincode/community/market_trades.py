"""Trades of the community market, kept private, and their life cycle.

A trade names two households, an energy and a price: everything the market must not
show outside the utility and the community. So every trade record lives in the
``orders`` private collection, and public state keeps only what the regulator and
other members may see: the interval's price, volume and counts, and a commitment
(SHA-256) per trade in the public clearing record (:mod:`.market`).

Records, all in the ``orders`` collection:

- ``trade~<interval>~<trade id>``: the trade as matched, never rewritten, with a
  ``salt`` derived from the two orders' salts (SHA-256 of ``trade|<offer salt>|<bid
  salt>|<trade id>``). Its commitment is the SHA-256 of these stored bytes, which is
  also the private-data hash every peer holds. The salt is secret (the orders' salts
  are), so nobody can confirm a guessed trade against the commitment; and it is
  deterministic (a chaincode has no randomness), so an auditor holding the orders
  recomputes every commitment.
- ``tradedelivery~<interval>~<trade id>``: what settlement found: ``delivered_wh``,
  the shortfall price, and ``delivered`` or ``partially_delivered``.
- ``tradeinvoiced~HMAC(trade id, side)``: the invoice of that side's household was
  issued. When both sides are invoiced the trade is ``settled``.
- ``tradesof~HMAC(household)~<interval>``: the household's trade ids of the interval,
  so billing finds a household's trades by key (a writing transaction may not run a
  private range query) and a household lists its own by range.

Status: ``matched`` until settled against the meters, then ``delivered`` or
``partially_delivered``, then ``settled`` once both invoices carry it. The marks are
separate keys, so two counterparties invoiced at once never conflict, and an invoice
generated again (a retry) sees the same inputs as the first time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chaincode.community.domain import ClearingResult, SettledTrade, Trade
from chaincode.community.keyed import keyed_with
from chaincode.community.market_orders import PlacedOrder, commitment_of, domain
from chaincode.runtime import canonical_bytes
from chaincode.runtime.private import get_private_many, put_private_json
from gridspec.collections import ORDERS

__all__ = [
    "SIDES",
    "TradeView",
    "delivery_key",
    "index_key",
    "invoiced_key",
    "load_json",
    "seal_trades",
    "trade_commitments",
    "trade_key",
    "trade_salt",
    "trades_by_household",
    "trades_of",
    "write_index",
]

SIDES = ("seller", "buyer")


def trade_key(interval_start: str, trade_id: str) -> str:
    return f"trade~{interval_start}~{trade_id}"


def delivery_key(interval_start: str, trade_id: str) -> str:
    return f"tradedelivery~{interval_start}~{trade_id}"


def invoiced_key(salt: bytes, trade_id: str, side: str) -> str:
    return keyed_with(salt, "tradeinvoiced", trade_id, side)


def index_key(salt: bytes, household_id: str, interval_start: str) -> str:
    return f"{keyed_with(salt, 'tradesof', household_id)}~{interval_start}"


def trade_salt(offer: PlacedOrder, bid: PlacedOrder, trade_id: str) -> str:
    return hashlib.sha256(f"trade|{offer.salt}|{bid.salt}|{trade_id}".encode()).hexdigest()


def seal_trades(
    result: ClearingResult, orders: Mapping[str, PlacedOrder]
) -> list[tuple[Trade, bytes]]:
    """Each trade of *result* with its stored bytes (the trade, salted by its orders)."""
    sealed = []
    for trade in result.trades:
        offer, bid = orders[trade.seller_order_id], orders[trade.buyer_order_id]
        salt = trade_salt(offer, bid, trade.trade_id)
        sealed.append((trade, canonical_bytes({**trade.to_record(), "salt": salt})))
    return sealed


def trade_commitments(sealed: Iterable[tuple[Trade, bytes]]) -> dict[str, str]:
    return {trade.trade_id: commitment_of(stored) for trade, stored in sealed}


def trades_by_household(trades: Iterable[Trade]) -> dict[str, list[str]]:
    """Household -> the ids of its trades (as seller or buyer), in trade order."""
    index: dict[str, list[str]] = {}
    for trade in trades:
        for household in (trade.seller, trade.buyer):
            index.setdefault(household, []).append(trade.trade_id)
    return index


async def write_index(ctx: Any, salt: bytes, interval_start: str, trades: Sequence[Trade]) -> None:
    for household, ids in sorted(trades_by_household(trades).items()):
        await put_private_json(
            ctx, ORDERS, index_key(salt, household, interval_start), {"trade_ids": ids}
        )


async def load_json(ctx: Any, keys: Sequence[str]) -> list[Any | None]:
    """The JSON values of *keys* in the orders collection, ``None`` where absent."""
    values = await get_private_many(ctx, ORDERS, keys)
    return [None if raw is None else json.loads(raw) for raw in values]


class TradeView:
    """A trade as stored, with its delivery and invoice marks: what members read."""

    def __init__(self, stored: Any, delivery: Any | None, invoiced: Sequence[str]) -> None:
        self.trade = domain(Trade.from_record, stored)
        self.salt: str = stored["salt"]
        self.delivery = delivery
        self.invoiced = tuple(invoiced)

    def settled(self) -> SettledTrade | None:
        """The trade as settlement left it (no invoice marks), or None before settlement."""
        if self.delivery is None:
            return None
        return domain(
            SettledTrade.from_trade,
            self.trade,
            self.delivery["delivered_wh"],
            self.delivery["shortfall_price_per_kwh"],
        )

    def record(self) -> dict[str, Any]:
        """The trade's record with its current status and which sides are invoiced."""
        settled = self.settled()
        if settled is None:
            record = self.trade.to_record()
        else:
            final = settled.mark_settled() if len(self.invoiced) == len(SIDES) else settled
            record = final.to_record()
        return {**record, "salt": self.salt, "invoiced": list(self.invoiced)}


async def trades_of(ctx: Any, salt: bytes, keys: Sequence[tuple[str, str]]) -> list[TradeView]:
    """The trades at *keys* (``(interval, trade id)`` pairs) with their life cycle."""
    stored = await load_json(ctx, [trade_key(i, t) for i, t in keys])
    deliveries = await load_json(ctx, [delivery_key(i, t) for i, t in keys])
    mark_keys = [invoiced_key(salt, t, side) for _, t in keys for side in SIDES]
    marks = await load_json(ctx, mark_keys)
    views = []
    for n, record in enumerate(stored):
        if record is None:
            continue
        sides = [side for k, side in enumerate(SIDES) if marks[n * len(SIDES) + k] is not None]
        views.append(TradeView(record, deliveries[n], sides))
    return views
