"""Sealed orders of the community market: their wire shape, keys and commitments.

An order travels in the transient map (key ``order``) and is kept in the ``orders``
private collection under a keyed name (:mod:`.keyed`); public state holds only a
commitment, the SHA-256 of the stored bytes, under the order's id, with no household
and no price. Each order carries a random salt from the household's app, so neither
that commitment nor the private data hashes every peer keeps can be brute-forced. The
salts also seal the trades cleared from the orders (:mod:`.market_trades`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from chaincode.community.domain import (
    INTERVALS_PER_DAY,
    Bid,
    DomainError,
    Offer,
    check_interval_start,
    iter_intervals,
)
from chaincode.community.keyed import keyed_name, keyed_with
from chaincode.runtime import ValidationError, canonical_bytes
from chaincode.runtime.private import get_private_many
from chaincode.runtime.state import parse_json
from gridspec.collections import ORDERS

__all__ = [
    "MAX_ORDER_AGE",
    "ORDER_FIELDS",
    "PlacedOrder",
    "commitment_of",
    "commitment_prefix",
    "domain",
    "order_from",
    "order_intervals",
    "order_key",
    "order_key_with",
    "orders_of",
    "parse_order",
    "side_key",
    "stored_order",
    "without_time",
]

ORDER_FIELDS = {"order_id", "side", "interval_start", "energy_wh", "price_per_kwh", "salt"}
SALT = re.compile(r"[A-Za-z0-9_-]{22,86}")
MAX_ORDER_AGE = timedelta(days=7)

T = TypeVar("T")


def domain(call: Callable[..., T], *args: Any) -> T:
    """Run a domain function; its ValueErrors are the client's validation errors."""
    try:
        return call(*args)
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc


def commitment_prefix(interval_start: str) -> str:
    return f"ordercommit~{interval_start}~"


def commitment_of(stored: bytes) -> str:
    """The public commitment of a stored (canonical JSON) private record."""
    return hashlib.sha256(stored).hexdigest()


async def order_key(ctx: Any, interval_start: str, order_id: str) -> str:
    """Keyed (:mod:`.keyed`), like the side marker's: no guessable name on the ledger."""
    return await keyed_name(ctx, "order", interval_start, order_id)


def order_key_with(salt: bytes, interval_start: str, order_id: str) -> str:
    """:func:`order_key` under a key salt already read (clearing names thousands)."""
    return keyed_with(salt, "order", interval_start, order_id)


async def side_key(ctx: Any, interval_start: str, household_id: str) -> str:
    return await keyed_name(ctx, "orderside", interval_start, household_id)


def without_time(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "placed_at"}


@dataclass(frozen=True)
class PlacedOrder:
    """A household's validated order: the domain order, its interval and its salt."""

    order: Offer | Bid
    interval_start: str
    salt: str

    @property
    def side(self) -> str:
        return "offer" if isinstance(self.order, Offer) else "bid"

    @property
    def price(self) -> int:
        """The order's price limit: the offer's lowest, or the bid's highest."""
        if isinstance(self.order, Offer):
            return self.order.min_price_per_kwh
        return self.order.max_price_per_kwh

    def record(self) -> dict[str, Any]:
        """What the orders collection keeps (and the public commitment hashes)."""
        return {
            "side": self.side,
            "interval_start": self.interval_start,
            "salt": self.salt,
            **self.order.to_record(),
        }

    def stored(self) -> bytes:
        return canonical_bytes(self.record())


def parse_order(raw: bytes | None, household_id: str, placed_at: str) -> PlacedOrder:
    if raw is None:
        raise ValidationError("the order must be sent in the transient map under 'order'")
    return order_from(parse_json("transient 'order'", raw), household_id, placed_at)


def order_from(data: Any, household_id: str, placed_at: str) -> PlacedOrder:
    """A placed order from its wire shape (``side``, ``price_per_kwh``, ``salt``, ...)."""
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


def stored_order(record: Any, interval_start: str) -> PlacedOrder:
    """A placed order from what the orders collection keeps (or a disclosure repeats)."""
    if not isinstance(record, dict) or record.get("side") not in ("offer", "bid"):
        raise ValidationError(f"interval {interval_start}: an order must have side offer or bid")
    name = f"order {record.get('order_id')}"
    if record.get("interval_start") != interval_start:
        raise ValidationError(f"{name} is not for interval {interval_start}")
    salt = record.get("salt")
    if not isinstance(salt, str) or not SALT.fullmatch(salt):
        raise ValidationError(f"{name}: salt must be 16 to 64 random bytes in base64url")
    kind = Offer if record["side"] == "offer" else Bid
    fields = {k: v for k, v in record.items() if k not in ("side", "interval_start", "salt")}
    placed = PlacedOrder(domain(kind.from_record, fields), interval_start, salt)
    if placed.record() != record:
        raise ValidationError(f"{name} has fields an order does not have")
    return placed


def order_intervals(start: str, end: str) -> list[str]:
    """The interval starts of a listing's [start, end): a day of them at most."""
    intervals = domain(lambda: list(iter_intervals(start, end)))
    if not 0 < len(intervals) <= INTERVALS_PER_DAY:
        raise ValidationError(f"list orders of 1 to {INTERVALS_PER_DAY} intervals (a day)")
    return intervals


async def orders_of(
    ctx: Any, salt: bytes, household_id: str, intervals: list[str]
) -> list[dict[str, Any]]:
    """A household's orders of *intervals*, as its side markers list them, without the
    salts that seal them."""
    marker_keys = [keyed_with(salt, "orderside", i, household_id) for i in intervals]
    markers = await get_private_many(ctx, ORDERS, marker_keys)
    keys = [
        order_key_with(salt, interval, order_id)
        for interval, raw in zip(intervals, markers, strict=True)
        if raw is not None
        for order_id in parse_json("side marker", raw).get("orders", [])
    ]
    found = []
    for raw in await get_private_many(ctx, ORDERS, keys):
        if raw is not None:
            record = parse_json("order", raw)
            found.append({k: v for k, v in record.items() if k != "salt"})
    return found
