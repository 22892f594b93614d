"""The community's P2P energy market: sealed orders, interval clearing, settlement.

Orders are sealed (:mod:`.market_orders`): the ``orders`` private collection keeps
them, public state a commitment each. Whether a household sells or buys in an
interval is kept privately too (salted the same way), so a household cannot both
sell and buy in one interval (refused when it places the second order). Only a
household with an active meter may place orders.

Gate closure is the ``ClearInterval`` transaction itself: the utility's operator (a
scheduler, in production) clears each interval once; orders for a cleared interval
are refused, and so are orders for intervals that started over seven days ago. The
auction's rules (merit order, ties, the uniform price inside the competitive
equilibrium, trade ids) are those of :mod:`.domain.auction`.

What clearing writes stays as private as the orders (:mod:`.market_trades`): the
trades and each order's fill go to the ``orders`` collection. Public state gets the
clearing record: the price, the volume, the counts of offers, bids and trades, a
commitment per trade, and the clearing's time and transaction. That is all the
regulator's peer and every other non-member sees; a submit's answer and its event
carry no more, since both are written into the block. The regulator audits a
clearing with the orders the utility discloses (:mod:`.market_audit`).

``SettleInterval`` compares each trade with the household's metered import and
export of that interval (the sum over its meters' 15-minute readings, or of three
5-minute ones) and prices shortfalls at the import price of the tariff in force
(:mod:`.domain.settlement`); billing then settles each side (:mod:`.billing`).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.community.agents import delegation_for
from chaincode.community.agents import household_of as attributed_household
from chaincode.community.certificate_store import carry_settled
from chaincode.community.domain import (
    Bid,
    Offer,
    Trade,
    check_interval_start,
    clear_interval,
    parse_interval_start,
    settle_interval,
)
from chaincode.community.keyed import key_salt
from chaincode.community.market_audit import audit_clearing, parse_disclosure
from chaincode.community.market_orders import (
    MAX_ORDER_AGE,
    commitment_of,
    commitment_prefix,
    domain,
    order_intervals,
    order_key,
    order_key_with,
    orders_of,
    parse_order,
    side_key,
    stored_order,
    without_time,
)
from chaincode.community.market_trades import (
    delivery_key,
    index_key,
    load_json,
    seal_trades,
    trade_commitments,
    trade_key,
    trades_of,
    write_index,
)
from chaincode.community.metered import metered
from chaincode.community.meters import household_meters_prefix, meter_key
from chaincode.community.tariffs import tariff_in_force
from chaincode.community.times import parse_utc
from chaincode.runtime import (
    Conflict,
    NotFound,
    ValidationError,
    canonical_json,
    emit_event,
    get_json,
    list_json,
    prefix_range,
    put_json,
    tx_timestamp,
)
from chaincode.runtime.private import (
    get_private_json,
    get_private_many,
    list_private,
    put_private,
    put_private_json,
    transient,
)
from gridspec.collections import ORDERS

__all__ = ["MarketContract"]


def clearing_key(interval_start: str) -> str:
    return f"clearing~{interval_start}"


def detail_key(interval_start: str) -> str:
    return f"clearingdetail~{interval_start}"


def settlement_key(interval_start: str) -> str:
    return f"settlement~{interval_start}"


class MarketContract(Contract):
    """Sealed orders, uniform-price clearing per interval, and settlement against meters."""

    Name = "MarketContract"

    def get_evaluate_transactions(self) -> list[str]:
        return [
            "GetOrderBook",
            "GetClearing",
            "GetClearingDetail",
            "GetClearingDisclosure",
            "AuditClearing",
            "ListTrades",
            "ListMyOrders",
        ]

    async def PlaceOrder(self, ctx: TransactionContext) -> str:
        """Place a sealed offer or bid (a household, or an agent it delegated to, within
        the household's limits); the same order again is a no-op."""
        who = authorize(ctx)
        limits = None
        if who.role == "agent":
            household_id, limits = await delegation_for(ctx, who)
        else:
            household_id = attributed_household(who)
        placed = parse_order(transient(ctx).get("order"), household_id, tx_timestamp(ctx))
        if limits is not None:
            broken = limits.refusal(placed.side, placed.order.energy_wh, placed.price)
            if broken:
                raise ValidationError(
                    f"order {placed.order.order_id} breaks household {household_id}'s limits "
                    f"for agent {who.common_name}: {broken}"
                )
        interval, order_id = placed.interval_start, placed.order.order_id
        self._check_open(ctx, interval)
        if await get_json(ctx, clearing_key(interval)) is not None:
            raise Conflict(f"interval {interval} is already cleared")
        if not await self._has_active_meter(ctx, household_id):
            raise ValidationError(f"household {household_id} has no active meter to deliver with")
        record = placed.record()
        key = await order_key(ctx, interval, order_id)
        existing = await get_private_json(ctx, ORDERS, key)
        if existing is not None:
            if without_time(existing) == without_time(record):
                return canonical_json({"order_id": order_id, "interval_start": interval})
            raise Conflict(f"order {order_id} already exists with other terms")
        marker_key = await side_key(ctx, interval, household_id)
        marker = await get_private_json(ctx, ORDERS, marker_key)
        if marker is not None and marker["side"] != placed.side:
            other = "an offer" if placed.side == "bid" else "a bid"
            raise ValidationError(
                f"household {household_id} already has {other} in interval {interval}; "
                "a household may not both sell and buy in one interval"
            )
        stored = placed.stored()
        await put_private(ctx, ORDERS, key, stored)
        # the marker lists the household's orders of the interval, for ListMyOrders
        side = marker or {"side": placed.side, "salt": placed.salt}
        side = {**side, "orders": [*side.get("orders", []), order_id]}
        await put_private_json(ctx, ORDERS, marker_key, side)
        await put_json(
            ctx, commitment_prefix(interval) + order_id, {"sha256": commitment_of(stored)}
        )
        summary = {"order_id": order_id, "interval_start": interval}
        emit_event(ctx, "OrderPlaced", summary)
        return canonical_json(summary)

    async def ClearInterval(self, ctx: TransactionContext, interval_start: str) -> str:
        """Close the gate of one interval and clear it (the utility's operator), once."""
        authorize(ctx)
        interval = domain(check_interval_start, interval_start)
        if await get_json(ctx, clearing_key(interval)) is not None:
            raise Conflict(f"interval {interval} is already cleared")
        salt = await key_salt(ctx)
        placed = await self._committed_orders(ctx, salt, interval)
        offers = [p.order for p in placed if isinstance(p.order, Offer)]
        bids = [p.order for p in placed if isinstance(p.order, Bid)]
        cleared_at = tx_timestamp(ctx)
        result = domain(clear_interval, interval, offers, bids, cleared_at)
        sealed = seal_trades(result, {p.order.order_id: p for p in placed})
        for trade, stored in sealed:
            await put_private(ctx, ORDERS, trade_key(interval, trade.trade_id), stored)
        await write_index(ctx, salt, interval, result.trades)
        detail = {
            name: value
            for name, value in result.to_record().items()
            if name not in ("trades", "matched_wh", "price_per_kwh", "interval_start")
        }
        await put_private_json(ctx, ORDERS, detail_key(interval), detail)
        public = {
            "interval_start": interval,
            "price_per_kwh": result.price_per_kwh,
            "matched_wh": result.matched_wh,
            "offers": len(offers),
            "bids": len(bids),
            "trades": len(result.trades),
            "trade_commitments": trade_commitments(sealed),
            "cleared_at": cleared_at,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, clearing_key(interval), public)
        summary = {name: public[name] for name in ("interval_start", "price_per_kwh")}
        emit_event(
            ctx,
            "IntervalCleared",
            {**summary, "matched_wh": result.matched_wh, "trades": len(result.trades)},
        )
        return canonical_json(public)

    async def SettleInterval(self, ctx: TransactionContext, interval_start: str) -> str:
        """Settle a cleared interval's trades against metered delivery, once."""
        authorize(ctx)
        interval = domain(check_interval_start, interval_start)
        public = await get_json(ctx, clearing_key(interval))
        if public is None:
            raise NotFound(f"interval {interval} is not cleared")
        if await get_json(ctx, settlement_key(interval)) is not None:
            raise Conflict(f"interval {interval} is already settled")
        ids = sorted(public["trade_commitments"])
        stored = await load_json(ctx, [trade_key(interval, t) for t in ids])
        if any(record is None for record in stored):
            raise ValidationError(
                f"interval {interval}: this peer does not hold the trades; "
                "settle through a peer of the utility or the community"
            )
        trades = [domain(Trade.from_record, record) for record in stored]
        households = sorted({t.seller for t in trades} | {t.buyer for t in trades})
        readings = [await metered(ctx, h, interval) for h in households]
        tariff = await tariff_in_force(ctx, interval[:10])
        settled = domain(
            settle_interval, interval, trades, readings, tariff.import_price_at(interval)
        )
        for trade in settled:
            delivery = {
                "delivered_wh": trade.delivered_wh,
                "shortfall_price_per_kwh": trade.shortfall_price_per_kwh,
                "status": trade.status,
            }
            await put_private_json(ctx, ORDERS, delivery_key(interval, trade.trade_id), delivery)
        await carry_settled(ctx, await key_salt(ctx), settled)
        statuses = Counter(trade.status for trade in settled)
        summary = {
            "interval_start": interval,
            "tariff_id": tariff.tariff_id,
            "trades": len(settled),
            "delivered": statuses["delivered"],
            "partially_delivered": statuses["partially_delivered"],
            "delivered_wh": sum(t.delivered_wh for t in settled),
            "shortfall_wh": sum(t.shortfall_wh for t in settled),
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, settlement_key(interval), summary)
        emit_event(ctx, "IntervalSettled", summary)
        return canonical_json(summary)

    async def GetOrderBook(self, ctx: TransactionContext, interval_start: str) -> str:
        """How many sealed orders an interval has and whether it is cleared (no contents)."""
        authorize(ctx)
        interval = domain(check_interval_start, interval_start)
        commitments = await list_json(ctx, *prefix_range(commitment_prefix(interval)))
        cleared = await get_json(ctx, clearing_key(interval)) is not None
        return canonical_json(
            {"interval_start": interval, "orders": len(commitments), "cleared": cleared}
        )

    async def GetClearing(self, ctx: TransactionContext, interval_start: str) -> str:
        """The public clearing record: price, volume, counts and commitments (anyone)."""
        authorize(ctx)
        return canonical_json(await self._public_clearing(ctx, interval_start))

    async def GetClearingDetail(self, ctx: TransactionContext, interval_start: str) -> str:
        """The clearing with every trade and fill (the utility's and community's staff)."""
        authorize(ctx)
        public = await self._public_clearing(ctx, interval_start)
        interval = public["interval_start"]
        detail = await get_private_json(ctx, ORDERS, detail_key(interval))
        if detail is None:
            raise NotFound(
                f"this peer does not hold the details of interval {interval}; "
                "ask a peer of the utility or the community"
            )
        views = await trades_of(
            ctx, await key_salt(ctx), [(interval, t) for t in sorted(public["trade_commitments"])]
        )
        return canonical_json({**public, **detail, "trades": [v.record() for v in views]})

    async def GetClearingDisclosure(self, ctx: TransactionContext, interval_start: str) -> str:
        """The orders of a cleared interval, as stored, for the regulator's audit."""
        authorize(ctx)
        public = await self._public_clearing(ctx, interval_start)
        interval = public["interval_start"]
        placed = await self._committed_orders(ctx, await key_salt(ctx), interval)
        orders = sorted((p.record() for p in placed), key=lambda o: o["order_id"])
        return canonical_json({"interval_start": interval, "orders": orders})

    async def AuditClearing(self, ctx: TransactionContext, interval_start: str) -> str:
        """Check disclosed orders (transient ``orders``) against the public record."""
        authorize(ctx)
        public = await self._public_clearing(ctx, interval_start)
        interval = public["interval_start"]
        disclosed = parse_disclosure(transient(ctx).get("orders"), interval)
        commitments = {
            key.rsplit("~", 1)[1]: value["sha256"]
            for key, value in await list_json(ctx, *prefix_range(commitment_prefix(interval)))
        }
        return canonical_json(audit_clearing(public, commitments, disclosed))

    async def ListTrades(self, ctx: TransactionContext, start: str, end: str) -> str:
        """The trades of the intervals in [start, end): a household's own, or all of them
        for the utility's and community's staff, with their status."""
        who = authorize(ctx)
        domain(check_interval_start, start)
        domain(check_interval_start, end)
        salt = await key_salt(ctx)
        household_id = attributed_household(who) if who.role == "household" else None
        if household_id is None:
            entries = await list_private(ctx, ORDERS, f"trade~{start}", f"trade~{end}")
            keys = [tuple(key.split("~")[1:3]) for key, _ in entries]
        else:
            low, high = index_key(salt, household_id, start), index_key(salt, household_id, end)
            keys = [
                (key.rsplit("~", 1)[1], trade_id)
                for key, raw in await list_private(ctx, ORDERS, low, high)
                for trade_id in self._index_ids(key, raw)
            ]
        views = await trades_of(ctx, salt, [(i, t) for i, t in keys])
        return canonical_json([view.record() for view in views])

    async def ListMyOrders(self, ctx: TransactionContext, start: str, end: str) -> str:
        """The caller household's own orders of the intervals in [start, end), a day at
        most, as placed (side, energy, price limit), by interval."""
        household_id = attributed_household(authorize(ctx))
        intervals = order_intervals(start, end)
        return canonical_json(await orders_of(ctx, await key_salt(ctx), household_id, intervals))

    async def _public_clearing(self, ctx: Any, interval_start: str) -> dict[str, Any]:
        interval = domain(check_interval_start, interval_start)
        record = await get_json(ctx, clearing_key(interval))
        if record is None:
            raise NotFound(f"interval {interval} is not cleared")
        return dict(record)

    async def _committed_orders(self, ctx: Any, salt: bytes, interval: str) -> list[Any]:
        """Every order committed for *interval*, each checked against its commitment."""
        commitments = await list_json(ctx, *prefix_range(commitment_prefix(interval)))
        ids = [key.rsplit("~", 1)[1] for key, _ in commitments]
        stored = await get_private_many(
            ctx, ORDERS, [order_key_with(salt, interval, order_id) for order_id in ids]
        )
        placed = []
        for order_id, (_, commitment), raw in zip(ids, commitments, stored, strict=True):
            if raw is None:
                raise NotFound(
                    f"this peer does not hold order {order_id} of interval {interval}; "
                    "ask a peer of the utility or the community"
                )
            if commitment_of(raw) != commitment["sha256"]:
                raise ValidationError(f"order {order_id} does not match its commitment")
            placed.append(stored_order(json.loads(raw), interval))
        return placed

    @staticmethod
    def _index_ids(key: str, raw: bytes) -> list[str]:
        ids = json.loads(raw)["trade_ids"]
        return [str(trade_id) for trade_id in ids]

    def _check_open(self, ctx: Any, interval: str) -> None:
        now = parse_utc(tx_timestamp(ctx)[:19] + "Z")
        if domain(parse_interval_start, interval) < now - MAX_ORDER_AGE:
            raise ValidationError(f"interval {interval} started more than 7 days ago")

    async def _has_active_meter(self, ctx: Any, household_id: str) -> bool:
        for _, entry in await list_json(ctx, *prefix_range(household_meters_prefix(household_id))):
            meter = await get_json(ctx, meter_key(entry["meter_id"]))
            if meter is not None and meter["status"] == "active":
                return True
        return False
