"""Properties of clearing (and of settling its trades) on generated order books."""

from collections import Counter

from domain_builders import CLEARED_AT, INTERVAL
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.community.domain import (
    Bid,
    IntervalReading,
    Offer,
    clear_interval,
    settle_interval,
)

PROPERTIES = settings(max_examples=150, deadline=None, database=None)
# few prices and times, so that ties in the merit order are common
PLACED_AT = ["2026-03-01T09:00:00Z", "2026-03-01T09:00:00.5Z", "2026-03-01T09:01:00Z"]
SELLERS = [f"s-{k}" for k in range(4)]
BUYERS = [f"b-{k}" for k in range(4)]


def orders(kind, households, low, high):
    raw = st.tuples(
        st.sampled_from(households),
        st.integers(1, 3000),
        st.integers(low, high),
        st.sampled_from(PLACED_AT),
    )
    # ids "o-0", "o-1", ... "o-10": lexicographic, not numeric, order breaks the last ties
    return st.lists(raw, max_size=12).map(
        lambda rows: [kind(f"{kind.__name__[0].lower()}-{k}", *row) for k, row in enumerate(rows)]
    )


def book(offer_prices=(0, 40), bid_prices=(0, 40)):
    return st.tuples(orders(Offer, SELLERS, *offer_prices), orders(Bid, BUYERS, *bid_prices))


@PROPERTIES
@given(book())
def test_energy_is_conserved_and_no_order_is_over_filled(order_book):
    offers, bids = order_book
    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)

    sold = Counter()
    bought = Counter()
    for trade in result.trades:
        assert type(trade.energy_wh) is int and trade.energy_wh > 0
        sold[trade.seller_order_id] += trade.energy_wh
        bought[trade.buyer_order_id] += trade.energy_wh
    total = sum(trade.energy_wh for trade in result.trades)
    assert total == result.matched_wh == sum(sold.values()) == sum(bought.values())
    assert sum(f.matched_wh for f in result.offer_fills) == total
    assert sum(f.matched_wh for f in result.bid_fills) == total
    for order in offers:
        assert sold[order.order_id] <= order.energy_wh
    for order in bids:
        assert bought[order.order_id] <= order.energy_wh
    for fill in (*result.offer_fills, *result.bid_fills):
        assert fill.matched_wh == (sold if fill.side == "offer" else bought)[fill.order_id]
    supply = sum(o.energy_wh for o in offers)
    demand = sum(b.energy_wh for b in bids)
    assert sum(result.unmatched_supply.values()) == supply - total
    assert sum(result.unmatched_demand.values()) == demand - total


def curves(offers, bids, price):
    """The textbook's supply and demand at `price`, each as (least, most) Wh: an order
    priced exactly at it may take any part, one strictly better must take all."""
    demand = (
        sum(b.energy_wh for b in bids if b.max_price_per_kwh > price),
        sum(b.energy_wh for b in bids if b.max_price_per_kwh >= price),
    )
    supply = (
        sum(o.energy_wh for o in offers if o.min_price_per_kwh < price),
        sum(o.energy_wh for o in offers if o.min_price_per_kwh <= price),
    )
    return demand, supply


@PROPERTIES
@given(book())
def test_the_price_is_a_competitive_equilibrium_for_the_quantity_traded(order_book):
    """At the price, the quantity traded is one both curves allow, and no other price
    outside the interval the chaincode picks from would allow it."""
    offers, bids = order_book
    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)
    if not result.trades:
        return
    traded = result.matched_wh
    (least_demand, most_demand), (least_supply, most_supply) = curves(
        offers, bids, result.price_per_kwh
    )
    assert least_demand <= traded <= most_demand
    assert least_supply <= traded <= most_supply
    # and no more could trade at any one price: the curves cross at the traded quantity
    for price in range(0, 41):
        (_, most_d), (_, most_s) = curves(offers, bids, price)
        assert min(most_d, most_s) <= traded


@PROPERTIES
@given(book())
def test_every_household_gets_what_it_asked_for_at_the_price(order_book):
    """Whoever bid above the price is served in full and whoever offered below it sells
    in full; whoever bid below or offered above it trades nothing."""
    offers, bids = order_book
    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)
    if not result.trades:
        return
    price = result.price_per_kwh
    matched = {f.order_id: f.matched_wh for f in (*result.offer_fills, *result.bid_fills)}
    for b in bids:
        if b.max_price_per_kwh > price:
            assert matched[b.order_id] == b.energy_wh, (b, price)
        if b.max_price_per_kwh < price:
            assert matched[b.order_id] == 0, (b, price)
    for o in offers:
        if o.min_price_per_kwh < price:
            assert matched[o.order_id] == o.energy_wh, (o, price)
        if o.min_price_per_kwh > price:
            assert matched[o.order_id] == 0, (o, price)


@PROPERTIES
@given(book())
def test_the_price_lies_within_every_accepted_limit(order_book):
    offers, bids = order_book
    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)
    if not result.trades:
        assert result.price_per_kwh is None
        return
    price = result.price_per_kwh
    assert type(price) is int
    assert {trade.price_per_kwh for trade in result.trades} == {price}
    assert all(type(trade.amount) is int for trade in result.trades)
    accepted = {trade.seller_order_id for trade in result.trades}
    accepted |= {trade.buyer_order_id for trade in result.trades}
    for order in offers:
        if order.order_id in accepted:
            assert order.min_price_per_kwh <= price
    for order in bids:
        if order.order_id in accepted:
            assert order.max_price_per_kwh >= price


@PROPERTIES
@given(book(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_inputs(order_book, random):
    offers, bids = order_book
    shuffled_offers, shuffled_bids = list(offers), list(bids)
    random.shuffle(shuffled_offers)
    random.shuffle(shuffled_bids)
    assert clear_interval(INTERVAL, shuffled_offers, shuffled_bids, CLEARED_AT) == clear_interval(
        INTERVAL, offers, bids, CLEARED_AT
    )


@PROPERTIES
@given(book(offer_prices=(21, 40), bid_prices=(0, 20)))
def test_nothing_trades_when_the_best_bid_is_below_the_best_offer(order_book):
    offers, bids = order_book
    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)
    assert result.price_per_kwh is None
    assert result.trades == ()
    assert all(fill.matched_wh == 0 for fill in (*result.offer_fills, *result.bid_fills))


@PROPERTIES
@given(book())
def test_the_matched_quantity_is_the_largest_one_uniform_price_can_clear(order_book):
    offers, bids = order_book
    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)
    prices = {o.min_price_per_kwh for o in offers} | {b.max_price_per_kwh for b in bids}
    best = max(
        (
            min(
                sum(b.energy_wh for b in bids if b.max_price_per_kwh >= price),
                sum(o.energy_wh for o in offers if o.min_price_per_kwh <= price),
            )
            for price in prices
        ),
        default=0,
    )
    assert result.matched_wh == best


@PROPERTIES
@given(book())
def test_what_is_left_cannot_trade_and_better_orders_fill_first(order_book):
    offers, bids = order_book
    result = clear_interval(INTERVAL, offers, bids, CLEARED_AT)
    limit = {o.order_id: o.min_price_per_kwh for o in offers}
    limit |= {b.order_id: b.max_price_per_kwh for b in bids}
    left_offers = [limit[f.order_id] for f in result.offer_fills if f.unmatched_wh]
    left_bids = [limit[f.order_id] for f in result.bid_fills if f.unmatched_wh]
    if left_offers and left_bids:
        assert max(left_bids) < min(left_offers)
    for fills in (result.offer_fills, result.bid_fills):
        # in merit order: once an order is not completely filled, no later one gets anything
        short = [k for k, fill in enumerate(fills) if fill.unmatched_wh]
        if short:
            assert all(fill.matched_wh == 0 for fill in fills[short[0] + 1 :])


@PROPERTIES
@given(
    book(),
    st.lists(st.integers(0, 4000), min_size=8, max_size=8),
    st.integers(0, 60),
)
def test_settlement_never_delivers_more_than_was_metered(order_book, metered, grid_price):
    offers, bids = order_book
    trades = clear_interval(INTERVAL, offers, bids, CLEARED_AT).trades
    exports = dict(zip(SELLERS, metered[:4], strict=True))
    imports = dict(zip(BUYERS, metered[4:], strict=True))
    readings = [IntervalReading(h, INTERVAL, 0, wh) for h, wh in exports.items()]
    readings += [IntervalReading(h, INTERVAL, wh, 0) for h, wh in imports.items()]

    settled = settle_interval(INTERVAL, trades, readings, grid_price)

    assert [s.trade_id for s in settled] == sorted(t.trade_id for t in trades)
    delivered_by = Counter()
    received_by = Counter()
    for trade in settled:
        assert 0 <= trade.delivered_wh <= trade.energy_wh
        assert trade.delivered_wh + trade.shortfall_wh == trade.energy_wh
        assert type(trade.shortfall_charge) is int and trade.shortfall_charge >= 0
        assert trade.status == ("delivered" if trade.shortfall_wh == 0 else "partially_delivered")
        delivered_by[trade.seller] += trade.delivered_wh
        received_by[trade.buyer] += trade.delivered_wh
        if trade.shortfall_wh:  # someone's meter ran out: nothing was left unused
            assert (
                delivered_by[trade.seller] == exports[trade.seller]
                or received_by[trade.buyer] == imports[trade.buyer]
            )
    assert all(delivered_by[h] <= exports[h] for h in SELLERS)
    assert all(received_by[h] <= imports[h] for h in BUYERS)
