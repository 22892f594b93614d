"""Request and response schemas of the market: orders, clearing, trades, the audit.

What the public clearing record holds (price, volume, counts, commitments) is what
every org's people may see; trades, fills and disclosed orders reach only the
utility's and the community's staff and, for its own trades, the household.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range

from api.routes.fields import MAX_PRICE, MAX_WH, UTC, Whole

# the most orders one interval may hold: 10,000 offers and 10,000 bids
MAX_ORDERS = 20_000
SALT = {"description": "16-64 random bytes, base64url: seals the order"}


class OrderIn(Schema):
    order_id = String(required=True, validate=Length(1, 64))
    side = String(required=True, validate=OneOf(["offer", "bid"]))
    interval_start = String(required=True, validate=UTC)
    energy_wh = Whole(required=True, validate=Range(1, MAX_WH))
    price_per_kwh = Whole(required=True, validate=Range(0, MAX_PRICE))
    salt = String(required=True, validate=Length(22, 86), metadata=SALT)


class OrderOut(Schema):
    order_id = String()
    interval_start = String()


class OrderBook(Schema):
    interval_start = String()
    orders = Integer()
    cleared = Boolean()


class Trade(Schema):
    trade_id = String()
    interval_start = String()
    seller = String()
    buyer = String()
    seller_order_id = String()
    buyer_order_id = String()
    energy_wh = Integer()
    price_per_kwh = Integer()
    amount = Integer()
    timestamp = String()
    status = String(metadata={"description": "matched, delivered, partially_delivered or settled"})
    delivered_wh = Integer()
    delivered_amount = Integer()
    shortfall_wh = Integer()
    shortfall_price_per_kwh = Integer()
    shortfall_charge = Integer()
    invoiced = List(
        String(), metadata={"description": "the sides (seller, buyer) whose invoice is issued"}
    )
    salt = String(metadata={"description": "seals the trade: SHA-256 of it is its commitment"})


class Clearing(Schema):
    """The public clearing record: nothing in it names a household or an order's terms."""

    interval_start = String()
    price_per_kwh = Integer(allow_none=True)
    matched_wh = Integer()
    offers = Integer()
    bids = Integer()
    trades = Integer()
    trade_commitments = Dict(keys=String(), values=String())
    cleared_at = String()
    tx_id = String()


class Fill(Schema):
    order_id = String()
    household = String()
    side = String()
    energy_wh = Integer()
    matched_wh = Integer()
    unmatched_wh = Integer()


class ClearingDetail(Clearing):
    trades = List(Nested(Trade))  # type: ignore[assignment]
    offer_fills = List(Nested(Fill))
    bid_fills = List(Nested(Fill))
    unmatched_supply = Dict(keys=String(), values=Integer())
    unmatched_demand = Dict(keys=String(), values=Integer())


class Settlement(Schema):
    interval_start = String()
    tariff_id = String()
    trades = Integer()
    delivered = Integer()
    partially_delivered = Integer()
    delivered_wh = Integer()
    shortfall_wh = Integer()
    tx_id = String()


class DisclosedOrder(Schema):
    """An order as the orders collection keeps it: its commitment is the SHA-256 of it."""

    order_id = String(required=True, validate=Length(1, 64))
    side = String(required=True, validate=OneOf(["offer", "bid"]))
    interval_start = String(required=True, validate=UTC)
    seller = String(validate=Length(1, 64), metadata={"description": "offers only"})
    buyer = String(validate=Length(1, 64), metadata={"description": "bids only"})
    energy_wh = Whole(required=True, validate=Range(1, MAX_WH))
    min_price_per_kwh = Whole(validate=Range(0, MAX_PRICE))
    max_price_per_kwh = Whole(validate=Range(0, MAX_PRICE))
    placed_at = String(required=True, validate=Length(20, 30))
    salt = String(required=True, validate=Length(22, 86), metadata=SALT)


class OrderDisclosure(Schema):
    interval_start = String()
    orders = List(Nested(DisclosedOrder))


class AuditIn(Schema):
    orders = List(
        Nested(DisclosedOrder),
        required=True,
        validate=Length(0, MAX_ORDERS),
        metadata={"description": "the orders the utility disclosed (GET .../disclosure)"},
    )


class AuditReport(Schema):
    interval_start = String()
    verified = Boolean(metadata={"description": "true when every check holds"})
    orders_disclosed = Integer()
    checks = Dict(
        keys=String(),
        values=Boolean(),
        metadata={
            "description": "complete (exactly the committed orders), genuine (each matches "
            "its commitment), price, volume, counts, trades (as the clearing rule gives)"
        },
    )
    recomputed = Raw(metadata={"description": "price, volume and counts by the clearing rule"})
    problems = List(String())
