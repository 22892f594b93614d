"""The community's P2P energy market: sealed orders, interval clearing, settlement.

Sealed orders: an order travels in the transient map (key ``order``) and is kept in
the ``orders`` private collection; public state holds only a commitment (the SHA-256
of the stored order) under its order id, with no household and no price. Each order
carries a random salt from the household's app, so neither that commitment nor the
private data hashes every peer keeps can be brute-forced before clearing. Whether a
household sells or buys in an interval is kept privately too (salted the same way),
so a household cannot both sell and buy in one interval (refused when it places the
second order). Only a household with an active meter may place orders.

Gate closure is the ``ClearInterval`` transaction itself: the utility's operator (a
scheduler, in production) clears each interval once; orders for a cleared interval
are refused, and so are orders for intervals that started over seven days ago.
Clearing reveals every order of the interval in the public clearing record, so the
regulator can recompute the price. The auction's rules (merit order, ties, uniform
pay-as-clear price, trade ids) are those of :mod:`.domain.auction`.

``SettleInterval`` compares each trade with the household's metered import and
export of that interval (the sum over its meters' 15-minute readings, or of three
5-minute ones) and prices shortfalls at the import price of the tariff in force
(:mod:`.domain.settlement`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.community.collections import ORDERS
from chaincode.community.domain import (
    Bid,
    DomainError,
    IntervalReading,
    Offer,
    Trade,
    check_interval_start,
    clear_interval,
    parse_interval_start,
    settle_interval,
)
from chaincode.community.keyed import keyed_name
from chaincode.community.meterdays import read_days
from chaincode.community.meters import erasure_key, household_meters_prefix, meter_key
from chaincode.community.tariffs import tariff_in_force
from chaincode.community.times import format_utc, parse_utc
from chaincode.runtime import (
    AccessDenied,
    Conflict,
    NotFound,
    ValidationError,
    canonical_bytes,
    canonical_json,
    emit_event,
    get_json,
    list_json,
    prefix_range,
    put_json,
    tx_timestamp,
)
from chaincode.runtime.private import (
    get_private,
    get_private_json,
    put_private,
    put_private_json,
    transient,
)
from chaincode.runtime.state import parse_json

__all__ = ["MarketContract"]

ORDER_FIELDS = {"order_id", "side", "interval_start", "energy_wh", "price_per_kwh", "salt"}
SALT = re.compile(r"[A-Za-z0-9_-]{22,86}")
MAX_ORDER_AGE = timedelta(days=7)


def commitment_prefix(interval_start: str) -> str:
    return f"ordercommit~{interval_start}~"


async def order_key(ctx: Any, interval_start: str, order_id: str) -> str:
    """Keyed (:mod:`.keyed`), like the side marker's: no guessable name on the ledger."""
    return await keyed_name(ctx, "order", interval_start, order_id)


async def side_key(ctx: Any, interval_start: str, household_id: str) -> str:
    return await keyed_name(ctx, "orderside", interval_start, household_id)


def clearing_key(interval_start: str) -> str:
    return f"clearing~{interval_start}"


def settlement_key(interval_start: str) -> str:
    return f"settlement~{interval_start}"


def trade_prefix(interval_start: str) -> str:
    return f"trade~{interval_start}~"


def without_time(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "placed_at"}


def domain(call: Any, *args: Any) -> Any:
    """Run a domain function; its ValueErrors are the client's validation errors."""
    try:
        return call(*args)
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc


@dataclass(frozen=True)
class PlacedOrder:
    """A household's validated order: the domain order, its interval and its salt."""

    order: Offer | Bid
    interval_start: str
    salt: str

    @property
    def side(self) -> str:
        return "offer" if isinstance(self.order, Offer) else "bid"

    def record(self) -> dict[str, Any]:
        """What the orders collection keeps (and the public commitment hashes)."""
        return {
            "side": self.side,
            "interval_start": self.interval_start,
            "salt": self.salt,
            **self.order.to_record(),
        }


def parse_order(raw: bytes | None, household_id: str, placed_at: str) -> PlacedOrder:
    if raw is None:
        raise ValidationError("the order must be sent in the transient map under 'order'")
    data = parse_json("transient 'order'", raw)
    if not isinstance(data, dict) or set(data) != ORDER_FIELDS:
        raise ValidationError(
            f"transient 'order' must have exactly: {', '.join(sorted(ORDER_FIELDS))}"
        )
    interval = domain(check_interval_start, data["interval_start"])
    salt = data["salt"]
    if not isinstance(salt, str) or not SALT.fullmatch(salt):
        raise ValidationError(
            f"order {data['order_id']}: salt must be 16 to 64 random bytes in base64url"
        )
    common = {"order_id": data["order_id"], "energy_wh": data["energy_wh"], "placed_at": placed_at}
    if data["side"] == "offer":
        record = {**common, "seller": household_id, "min_price_per_kwh": data["price_per_kwh"]}
        return PlacedOrder(domain(Offer.from_record, record), interval, salt)
    if data["side"] == "bid":
        record = {**common, "buyer": household_id, "max_price_per_kwh": data["price_per_kwh"]}
        return PlacedOrder(domain(Bid.from_record, record), interval, salt)
    raise ValidationError(f"order {data['order_id']}: side must be 'offer' or 'bid'")


class MarketContract(Contract):
    """Sealed orders, uniform-price clearing per interval, and settlement against meters."""

    Name = "MarketContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetOrderBook", "GetClearing", "ListTrades"]

    async def PlaceOrder(self, ctx: TransactionContext) -> str:
        """Place a sealed offer or bid (a household); the same order again is a no-op."""
        household = authorize(ctx)
        household_id = household.attributes.get("household_id")
        if not household_id:
            raise AccessDenied("caller has no household_id attribute")
        placed = parse_order(transient(ctx).get("order"), household_id, tx_timestamp(ctx))
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
        stored = canonical_bytes(record)
        await put_private(ctx, ORDERS, key, stored)
        if marker is None:
            side = {"side": placed.side, "salt": placed.salt}
            await put_private_json(ctx, ORDERS, marker_key, side)
        commitment = {"sha256": hashlib.sha256(stored).hexdigest()}
        await put_json(ctx, commitment_prefix(interval) + order_id, commitment)
        summary = {"order_id": order_id, "interval_start": interval}
        emit_event(ctx, "OrderPlaced", summary)
        return canonical_json(summary)

    async def ClearInterval(self, ctx: TransactionContext, interval_start: str) -> str:
        """Close the gate of one interval and clear it (the utility's operator), once."""
        authorize(ctx)
        interval = domain(check_interval_start, interval_start)
        if await get_json(ctx, clearing_key(interval)) is not None:
            raise Conflict(f"interval {interval} is already cleared")
        orders = []
        for key, commitment in await list_json(ctx, *prefix_range(commitment_prefix(interval))):
            order_id = key.rsplit("~", 1)[1]
            stored = await get_private(ctx, ORDERS, await order_key(ctx, interval, order_id))
            if stored is None or hashlib.sha256(stored).hexdigest() != commitment["sha256"]:
                raise ValidationError(f"order {order_id} does not match its commitment")
            orders.append(json.loads(stored))
        offers = [domain(Offer.from_record, o) for o in orders if o["side"] == "offer"]
        bids = [domain(Bid.from_record, o) for o in orders if o["side"] == "bid"]
        result = domain(clear_interval, interval, offers, bids, tx_timestamp(ctx))
        for trade in result.trades:
            await put_json(ctx, trade_prefix(interval) + trade.trade_id, trade.to_record())
        record = {
            **result.to_record(),
            "orders": sorted(orders, key=lambda o: o["order_id"]),
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, clearing_key(interval), record)
        summary = {
            "interval_start": interval,
            "price_per_kwh": result.price_per_kwh,
            "matched_wh": result.matched_wh,
            "trades": len(result.trades),
        }
        emit_event(ctx, "IntervalCleared", summary)
        return canonical_json(record)

    async def SettleInterval(self, ctx: TransactionContext, interval_start: str) -> str:
        """Settle a cleared interval's trades against metered delivery, once."""
        authorize(ctx)
        interval = domain(check_interval_start, interval_start)
        if await get_json(ctx, clearing_key(interval)) is None:
            raise NotFound(f"interval {interval} is not cleared")
        if await get_json(ctx, settlement_key(interval)) is not None:
            raise Conflict(f"interval {interval} is already settled")
        trades = [
            domain(Trade.from_record, r)
            for _, r in await list_json(ctx, *prefix_range(trade_prefix(interval)))
        ]
        households = sorted({t.seller for t in trades} | {t.buyer for t in trades})
        readings = [await self._metered(ctx, h, interval) for h in households]
        tariff = await tariff_in_force(ctx, interval[:10])
        settled = domain(
            settle_interval, interval, trades, readings, tariff.import_price_at(interval)
        )
        for trade in settled:
            await put_json(ctx, trade_prefix(interval) + trade.trade_id, trade.to_record())
        summary = {
            "interval_start": interval,
            "tariff_id": tariff.tariff_id,
            "trades": len(settled),
            "delivered_wh": sum(t.delivered_wh for t in settled),
            "shortfall_wh": sum(t.shortfall_wh for t in settled),
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, settlement_key(interval), summary)
        emit_event(ctx, "IntervalSettled", summary)
        return canonical_json({**summary, "settled": [t.to_record() for t in settled]})

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
        authorize(ctx)
        record = await get_json(ctx, clearing_key(interval_start))
        if record is None:
            raise NotFound(f"interval {interval_start} is not cleared")
        return canonical_json(record)

    async def ListTrades(self, ctx: TransactionContext, start: str, end: str) -> str:
        """Every trade of the intervals in [start, end), in interval and trade order."""
        authorize(ctx)
        domain(check_interval_start, start)
        domain(check_interval_start, end)
        entries = await list_json(ctx, trade_prefix(start), trade_prefix(end))
        return canonical_json([record for _, record in entries])

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

    async def _metered(self, ctx: Any, household_id: str, interval: str) -> IntervalReading:
        """A household's import and export in one 15-minute interval, over all its meters.

        An erased household's readings are gone: its unsettled trades settle as not
        delivered (import and export 0), so its counterparties can still be settled."""
        if await get_json(ctx, erasure_key(household_id)) is not None:
            return domain(IntervalReading, household_id, interval, 0, 0)
        imported = exported = 0
        meters = [
            entry["meter_id"]
            for _, entry in await list_json(
                ctx, *prefix_range(household_meters_prefix(household_id))
            )
        ]
        for meter_id in meters:
            found = await self._reading(ctx, meter_id, interval)
            if found is None:
                raise ValidationError(
                    f"household {household_id} has no reading of meter {meter_id} "
                    f"for interval {interval}"
                )
            imported += found[0]
            exported += found[1]
        if not meters:
            raise ValidationError(f"household {household_id} has no meter")
        return domain(IntervalReading, household_id, interval, imported, exported)

    async def _reading(self, ctx: Any, meter_id: str, interval: str) -> tuple[int, int] | None:
        """A meter's energy in a 15-minute interval: one reading, or three 5-minute ones."""
        day = interval[:10]
        stored = (await read_days(ctx, meter_id, [day])).get(day)
        readings = stored.readings() if stored else {}
        first = readings.get(interval)
        if first is None or first.interval_minutes not in (5, 15):
            return None
        if first.interval_minutes == 15:
            return first.import_wh, first.export_wh
        begins = parse_utc(interval)
        parts = [readings.get(format_utc(begins + timedelta(minutes=5 * n))) for n in range(3)]
        if any(part is None for part in parts):
            return None
        return sum(p.import_wh for p in parts if p), sum(p.export_wh for p in parts if p)
