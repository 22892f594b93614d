"""Properties of the money of a community day: clearing, settlement and billing together.

A generated day of a small community: in a few intervals, households (on either side,
never both in one interval) place orders; each interval is cleared, its meters read and
its trades settled at the tariff's import price; then every household is billed for the
day. On every such day:

- P2P money is conserved: what the buyers' invoices charge for P2P energy equals what the
  sellers' invoices credit, trade by trade, and equals the settled trades' delivered
  amounts; the buyers pay on top exactly the grid fee the tariff defines
  (``energy_cost`` of their delivered purchases at ``p2p_grid_fee_per_kwh``) and the
  sellers exactly their shortfall charges. So, summed over the community, the P2P lines
  cancel and the invoices add up to what the grid is owed: grid import, grid fees,
  shortfalls and fixed charges, less feed-in.
- An invoice's total is the sum of its lines, and every amount, quantity and price is an
  integer of minor units (never a float or a bool); so is every trade's money.
- An invoice does not depend on the order of its readings and trades, nor on billing
  having marked its trades ``settled``.

Clearing's own properties (energy conserved, price within limits, determinism) are in
test_domain_auction_properties.py and are not repeated here.
"""

from collections import Counter, defaultdict

from domain_builders import tou_tariff
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.community.domain import (
    Bid,
    IntervalReading,
    Offer,
    clear_interval,
    compute_invoice,
    energy_cost,
    settle_interval,
)

PROPERTIES = settings(max_examples=80, deadline=None, database=None)
DAY, NEXT_DAY = "2026-03-01", "2026-03-02"
HOUSEHOLDS = [f"h-{k}" for k in range(5)]
# intervals in the night, day and peak bands of the TOU tariff
INTERVALS = ["2026-03-01T02:00:00Z", "2026-03-01T09:15:00Z", "2026-03-01T12:30:00Z"]
INTERVALS += ["2026-03-01T18:45:00Z", "2026-03-01T21:45:00Z"]
PLACED_AT = ["2026-03-01T00:00:00Z", "2026-03-01T00:00:00.5Z"]


@st.composite
def days(draw):
    """The community's orders, readings and tariff prices of one day."""
    intervals = draw(st.lists(st.sampled_from(INTERVALS), min_size=1, max_size=3, unique=True))
    books = {}
    for interval in intervals:
        sides = draw(st.lists(st.sampled_from(["offer", "bid", None]), min_size=5, max_size=5))
        offers, bids = [], []
        for household, side in zip(HOUSEHOLDS, sides, strict=True):
            if side is None:  # this household does not trade in this interval
                continue
            for _ in range(draw(st.integers(1, 2))):
                number = len(offers) + len(bids)
                energy = draw(st.integers(1, 3000))
                price = draw(st.integers(0, 60))
                placed = draw(st.sampled_from(PLACED_AT))
                kind, orders = (Offer, offers) if side == "offer" else (Bid, bids)
                orders.append(kind(f"o-{number}", household, energy, price, placed))
        books[interval] = (offers, bids)
    metered = {
        (household, interval): tuple(draw(st.lists(st.integers(0, 4000), min_size=2, max_size=2)))
        for household in HOUSEHOLDS
        for interval in intervals
    }
    tariff = tou_tariff(
        feed_in_price_per_kwh=draw(st.integers(0, 30)),
        p2p_grid_fee_per_kwh=draw(st.integers(0, 30)),
        daily_fixed_charge=draw(st.integers(0, 100)),
    )
    return books, metered, tariff


def settle_day(books, metered, tariff):
    """Clear and settle every interval of the day; the settled trades, in order."""
    settled = []
    for interval, (offers, bids) in books.items():
        trades = clear_interval(interval, offers, bids, "2026-03-01T00:10:00Z").trades
        readings = [
            IntervalReading(household, interval, *metered[household, interval])
            for household in HOUSEHOLDS
        ]
        settled += settle_interval(interval, trades, readings, tariff.import_price_at(interval))
    return settled


def bill_day(metered, tariff, settled):
    """Every household's invoice for the day."""
    return {
        household: compute_invoice(
            household,
            DAY,
            NEXT_DAY,
            tariff,
            [
                IntervalReading(household, interval, *values)
                for (who, interval), values in metered.items()
                if who == household
            ],
            [t for t in settled if household in (t.seller, t.buyer)],
        )
        for household in HOUSEHOLDS
    }


def lines_of(invoices, code):
    return [line for invoice in invoices.values() for line in invoice.lines if line.code == code]


def numbers_in(value):
    """Every number in a JSON-like record, recursively."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in numbers_in(v)]
    return [value] if isinstance(value, int | float) else []


@PROPERTIES
@given(days())
def test_what_buyers_pay_for_p2p_energy_is_what_sellers_receive(day):
    books, metered, tariff = day
    settled = settle_day(books, metered, tariff)
    invoices = bill_day(metered, tariff, settled)

    purchases = lines_of(invoices, "p2p_purchase")
    sales = lines_of(invoices, "p2p_sale")
    # one purchase and one sale line per trade, each the exact opposite of the other
    assert len(purchases) == len(sales) == len(settled)
    by_trade = {t.trade_id: t for t in settled}
    for line in purchases + sales:
        trade = by_trade[line.description.split()[2]]
        sign = 1 if line.code == "p2p_purchase" else -1
        assert (line.quantity_wh, line.unit_price_per_kwh) == (
            trade.delivered_wh,
            trade.price_per_kwh,
        )
        assert line.amount == sign * trade.delivered_amount
    assert sum(x.amount for x in purchases) == -sum(x.amount for x in sales)
    assert sum(x.amount for x in purchases) == sum(t.delivered_amount for t in settled)


@PROPERTIES
@given(days())
def test_on_top_of_p2p_energy_buyers_pay_the_grid_fee_and_sellers_their_shortfalls(day):
    books, metered, tariff = day
    settled = settle_day(books, metered, tariff)
    invoices = bill_day(metered, tariff, settled)

    fee = tariff.p2p_grid_fee_per_kwh
    for household, invoice in invoices.items():
        bought = [t for t in settled if t.buyer == household]
        sold = [t for t in settled if t.seller == household]
        fees = [line for line in invoice.lines if line.code == "p2p_grid_fee"]
        if bought:
            delivered = sum(t.delivered_wh for t in bought)
            assert [(x.quantity_wh, x.unit_price_per_kwh) for x in fees] == [(delivered, fee)]
            assert fees[0].amount == energy_cost(delivered, fee)
        else:
            assert fees == []
        shortfalls = [line for line in invoice.lines if line.code == "shortfall"]
        assert sorted(x.amount for x in shortfalls) == sorted(
            t.shortfall_charge for t in sold if t.shortfall_wh
        )
        assert all(x.amount >= 0 for x in shortfalls + fees)


@PROPERTIES
@given(days())
def test_across_the_community_the_invoices_add_up_to_what_the_grid_is_owed(day):
    books, metered, tariff = day
    settled = settle_day(books, metered, tariff)
    invoices = bill_day(metered, tariff, settled)

    owed = Counter()
    for code in ("grid_import", "p2p_grid_fee", "shortfall", "fixed_charge", "feed_in"):
        owed[code] = sum(x.amount for x in lines_of(invoices, code))
    assert owed["feed_in"] <= 0 <= min(owed[c] for c in owed if c != "feed_in")
    # the P2P lines cancel out over the community: every other line is the grid's
    assert sum(invoice.total for invoice in invoices.values()) == sum(owed.values())
    assert owed["shortfall"] == sum(t.shortfall_charge for t in settled)
    assert owed["fixed_charge"] == len(HOUSEHOLDS) * tariff.daily_fixed_charge
    # and the energy: what is billed as grid import and feed-in is what P2P did not cover
    imported = Counter()
    exported = Counter()
    for (household, _), (import_wh, export_wh) in metered.items():
        imported[household] += import_wh
        exported[household] += export_wh
    for t in settled:
        imported[t.buyer] -= t.delivered_wh
        exported[t.seller] -= t.delivered_wh
    for household, invoice in invoices.items():
        quantities = defaultdict(int)
        for line in invoice.lines:
            quantities[line.code] += line.quantity_wh
        assert quantities["grid_import"] == imported[household] >= 0
        assert quantities["feed_in"] == exported[household] >= 0


@PROPERTIES
@given(days())
def test_money_is_integer_minor_units_and_a_total_is_the_sum_of_its_lines(day):
    books, metered, tariff = day
    settled = settle_day(books, metered, tariff)
    invoices = bill_day(metered, tariff, settled)

    for trade in settled:
        record = trade.to_record()
        for name in ("amount", "delivered_amount", "shortfall_charge"):
            assert type(record[name]) is int and record[name] >= 0, (name, record)
        assert trade.delivered_amount <= trade.amount
    for invoice in invoices.values():
        record = invoice.to_record()
        assert all(type(n) is int for n in numbers_in(record)), record
        assert type(invoice.total) is int
        assert invoice.total == sum(line.amount for line in invoice.lines) == record["total"]
        for line in invoice.lines:
            if line.unit_price_per_kwh is not None:  # every energy line rounds once
                cost = energy_cost(line.quantity_wh, line.unit_price_per_kwh)
                assert abs(line.amount) == cost
                assert abs(cost * 1000 - line.quantity_wh * line.unit_price_per_kwh) <= 500


@PROPERTIES
@given(days(), st.randoms(use_true_random=False))
def test_an_invoice_does_not_depend_on_the_order_of_its_inputs_or_on_billing(day, random):
    books, metered, tariff = day
    settled = settle_day(books, metered, tariff)
    for household in HOUSEHOLDS:
        readings = [
            IntervalReading(household, interval, *values)
            for (who, interval), values in metered.items()
            if who == household
        ]
        trades = [t for t in settled if household in (t.seller, t.buyer)]
        invoice = compute_invoice(household, DAY, NEXT_DAY, tariff, readings, trades)

        random.shuffle(readings)
        random.shuffle(trades)
        billed = [t.mark_settled() for t in trades]  # after billing: status "settled"
        for again in (trades, billed):
            assert compute_invoice(household, DAY, NEXT_DAY, tariff, readings, again) == invoice


@PROPERTIES
@given(
    energy=st.integers(0, 10**6),
    price=st.integers(0, 10**5),
    parts=st.lists(st.integers(0, 10**6), min_size=1, max_size=8),
)
def test_energy_cost_rounds_half_up_once_and_a_credit_is_the_negated_debit(energy, price, parts):
    cost = energy_cost(energy, price)
    assert type(cost) is int
    # half up: less than half a minor unit below the exact value, at most half above
    assert -500 < cost * 1000 - energy * price <= 500
    # so lines that each round once drift from one rounding by under half a unit per line
    split = sum(energy_cost(part, price) for part in parts)
    assert 2 * abs(split - energy_cost(sum(parts), price)) < len(parts) + 1
