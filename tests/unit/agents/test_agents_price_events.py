"""OpenADR 3 PRICE events: which one sets the import price, and how it is read."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents import AgentLimits, BiddingAgent, GridPrices, IntervalForecast
from agents.price_events import PriceSignal, price_signal, prices_in

TARIFF = GridPrices(import_price_per_kwh=28, feed_in_price_per_kwh=8, p2p_grid_fee_per_kwh=3)
AT = datetime(2026, 3, 1, 17, 15, tzinfo=UTC)
EUR_PER_KWH = [{"payloadType": "PRICE", "units": "KWH", "currency": "EUR"}]


def price_event(event_id="peak-1", price=0.45, **fields):
    """A one-hour PRICE event from 17:00 UTC; *fields* replace or add top-level fields."""
    event = {
        "id": event_id,
        "programID": "dynamic-tariff",
        "payloadDescriptors": EUR_PER_KWH,
        "intervalPeriod": {"start": "2026-03-01T17:00:00Z", "duration": "PT1H"},
        "intervals": [{"id": 0, "payloads": [{"type": "PRICE", "values": [price]}]}],
    }
    return {**event, **fields}


def import_price(*events, at=AT, currency=None):
    return prices_in(at, TARIFF, events, currency).import_price_per_kwh


def test_a_covering_price_event_sets_the_import_price_and_names_itself():
    signal = price_signal(AT, TARIFF, [price_event()])

    assert signal == PriceSignal(
        GridPrices(import_price_per_kwh=45, feed_in_price_per_kwh=8, p2p_grid_fee_per_kwh=3),
        "peak-1",
    )
    assert prices_in(AT, TARIFF, [price_event()]) == signal.prices


def test_with_no_event_the_tariff_stands_and_no_event_is_named():
    assert price_signal(AT, TARIFF, []) == PriceSignal(TARIFF, None)


@pytest.mark.parametrize(
    ("at", "covered"),
    [
        (datetime(2026, 3, 1, 16, 59, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 1, 17, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 1, 17, 59, 59, tzinfo=UTC), True),
        (datetime(2026, 3, 1, 18, 0, tzinfo=UTC), False),
        (datetime(2026, 3, 1, 18, 59, tzinfo=timezone(timedelta(hours=1))), True),  # 17:59Z
        (datetime(2026, 3, 1, 17, 30, tzinfo=timezone(timedelta(hours=-1))), False),  # 18:30Z
    ],
)
def test_an_event_covers_its_window_from_start_to_just_before_its_end(at, covered):
    assert import_price(price_event(), at=at) == (45 if covered else 28)


def test_the_interval_covering_the_start_gives_the_price():
    event = price_event(
        intervals=[
            {"id": 0, "payloads": [{"type": "PRICE", "values": [0.30]}]},
            {"id": 1, "payloads": [{"type": "PRICE", "values": [0.52]}]},
        ]
    )

    assert import_price(event) == 30
    assert import_price(event, at=AT + timedelta(hours=1)) == 52
    assert price_signal(AT + timedelta(hours=2), TARIFF, [event]).event_id is None


def test_of_overlapping_intervals_of_one_event_the_first_listed_gives_the_price():
    event = price_event(
        intervals=[
            {
                "id": 7,
                "intervalPeriod": {"start": "2026-03-01T17:00:00Z", "duration": "PT30M"},
                "payloads": [{"type": "PRICE", "values": [0.61]}],
            },
            {
                "id": 3,
                "intervalPeriod": {"start": "2026-03-01T16:00:00Z", "duration": "PT3H"},
                "payloads": [{"type": "PRICE", "values": [0.33]}],
            },
        ]
    )

    assert import_price(event) == 61
    assert import_price(event, at=AT + timedelta(minutes=15)) == 33


def test_events_without_a_price_or_without_a_window_are_ignored():
    simple = price_event(
        "shed-1", intervals=[{"id": 0, "payloads": [{"type": "SIMPLE", "values": [2]}]}]
    )
    instant = price_event(
        "instant-1", intervalPeriod={"start": "2026-03-01T17:00:00Z", "duration": "PT0S"}
    )

    assert price_signal(AT, TARIFF, [simple, instant]) == PriceSignal(TARIFF, None)


@pytest.mark.parametrize(
    ("price", "minor"),
    [
        (0.45, 45),
        (0.285, 29),  # half up, though 0.285 * 100 is 28.499999... in binary
        (0.2849, 28),
        (0.005, 1),
        (0.0049, 0),
        (0, 0),
        (1, 100),
        (1000.0, 100_000),
        (1000.004, 100_000),
    ],
)
def test_a_price_in_currency_per_kwh_becomes_whole_minor_units_rounded_half_up(price, minor):
    assert import_price(price_event(price=price)) == minor


def test_only_the_import_price_moves_and_the_agent_quotes_higher():
    agent = BiddingAgent(AgentLimits(100_000, 0, 10_000))
    forecast = IntervalForecast(-500.0, 0.0)

    assert agent.order(forecast, TARIFF)["price_per_kwh"] == (28 - 3 + 8) // 2
    with_event = prices_in(AT, TARIFF, [price_event()])
    assert with_event.window_per_kwh == 45 - 3 - 8
    assert agent.order(forecast, with_event)["price_per_kwh"] == (45 - 3 + 8) // 2


@pytest.mark.parametrize(
    ("priorities", "winner"),
    [
        ((1, 0), "b"),
        ((0, 1), "a"),
        ((None, 5), "b"),
        ((3, None), "a"),
    ],
)
def test_the_lowest_priority_number_wins_and_no_priority_loses(priorities, winner):
    events = [
        price_event(name, price=price, priority=priority)
        for name, price, priority in zip("ab", (0.40, 0.50), priorities, strict=True)
    ]

    signal = price_signal(AT, TARIFF, events)

    assert signal.event_id == winner
    assert signal.prices.import_price_per_kwh == {"a": 40, "b": 50}[winner]


def test_on_equal_priority_the_latest_modification_wins_then_the_smallest_id():
    older = price_event("a", 0.40, priority=1, modificationDateTime="2026-03-01T08:00:00Z")
    newer = price_event("z", 0.50, priority=1, modificationDateTime="2026-03-01T09:00:00+01:00")
    newest = price_event("m", 0.60, priority=1, modificationDateTime="2026-03-01T08:30:00.5Z")
    unstamped = price_event("b", 0.70, priority=1)

    assert price_signal(AT, TARIFF, [older, newer, newest]).event_id == "m"
    assert price_signal(AT, TARIFF, [older, unstamped]).event_id == "a"
    assert price_signal(AT, TARIFF, [unstamped, price_event("c", 0.1, priority=1)]).event_id == "b"


@given(
    st.permutations(
        [
            price_event("a", 0.40, priority=2),
            price_event("b", 0.50, priority=1, modificationDateTime="2026-03-01T08:00:00Z"),
            price_event("c", 0.60, priority=1, modificationDateTime="2026-03-01T08:00:00Z"),
            price_event("d", 0.70),
            price_event("e", 0.80, intervals=[{"id": 0, "payloads": []}], priority=0),
        ]
    )
)
def test_the_winner_does_not_depend_on_the_order_of_the_events(events):
    assert price_signal(AT, TARIFF, events) == PriceSignal(
        GridPrices(import_price_per_kwh=50, feed_in_price_per_kwh=8, p2p_grid_fee_per_kwh=3),
        "b",
    )


@given(
    cents=st.integers(0, 100_000),
    feed_in=st.integers(0, 100_000),
    fee=st.integers(0, 100_000),
)
def test_a_price_written_in_cents_is_read_exactly_and_feed_in_and_fee_stay(cents, feed_in, fee):
    base = GridPrices(
        import_price_per_kwh=28, feed_in_price_per_kwh=feed_in, p2p_grid_fee_per_kwh=fee
    )

    prices = prices_in(AT, base, [price_event(price=cents / 100)])

    assert prices == GridPrices(cents, feed_in, fee)


def test_the_expected_currency_is_accepted():
    assert import_price(price_event(), currency="EUR") == 45


def descriptor(**fields):
    return [{"payloadType": "PRICE", "units": "KWH", "currency": "EUR", **fields}]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            price_event(payloadDescriptors=descriptor(units="MWH")),
            "event peak-1: PRICE units must be KWH, not 'MWH'",
        ),
        (
            price_event(payloadDescriptors=None),
            "event peak-1: no PRICE payloadDescriptor gives the price's units (KWH)",
        ),
        (
            price_event(payloadDescriptors=[{"payloadType": "SIMPLE"}]),
            "event peak-1: no PRICE payloadDescriptor gives the price's units (KWH)",
        ),
        (
            price_event(payloadDescriptors={"payloadType": "PRICE"}),
            "event peak-1: payloadDescriptors must be a list",
        ),
        (
            price_event(payloadDescriptors=descriptor(currency="USD")),
            "event peak-1: PRICE currency must be EUR, not 'USD'",
        ),
        (
            price_event(payloadDescriptors=descriptor(currency=None)),
            "event peak-1: PRICE currency must be EUR, not None",
        ),
        (
            price_event(price=-0.01),
            "event peak-1 interval 0: the PRICE must be a finite number >= 0, not -0.01",
        ),
        (
            price_event(price=float("nan")),
            "event peak-1 interval 0: the PRICE must be a finite number >= 0, not nan",
        ),
        (
            price_event(price=float("inf")),
            "event peak-1 interval 0: the PRICE must be a finite number >= 0, not inf",
        ),
        (
            price_event(price=True),
            "event peak-1 interval 0: the PRICE must be a finite number >= 0, not True",
        ),
        (
            price_event(price="0.45"),
            "event peak-1 interval 0: the PRICE must be a finite number >= 0, not '0.45'",
        ),
        *[
            (
                price_event(price=price),
                "event peak-1 interval 0: the PRICE is above 1000 per kWh (100000 minor "
                "units), the most an order may carry",
            )
            for price in (1000.005, 1001, 1e300, 10**5000)
        ],
        (
            price_event(
                intervals=[{"id": 0, "payloads": [{"type": "PRICE", "values": [0.4, 0.5]}]}]
            ),
            "event peak-1 interval 0: a PRICE payload must have exactly one value",
        ),
        (
            price_event(intervals=[{"id": 0, "payloads": [{"type": "PRICE", "values": []}]}]),
            "event peak-1 interval 0: a PRICE payload must have exactly one value",
        ),
        (price_event(priority=-1), "event peak-1: priority must be an integer >= 0 or null"),
        (price_event(priority=1.5), "event peak-1: priority must be an integer >= 0 or null"),
        (price_event(priority=True), "event peak-1: priority must be an integer >= 0 or null"),
        (
            price_event(modificationDateTime="yesterday"),
            "event peak-1 modificationDateTime must be a date-time like 2026-03-01T09:15:00Z",
        ),
        (price_event(programID=""), "event programID must be 1-128 letters, digits, '_' or '-'"),
    ],
)
def test_a_price_that_cannot_be_read_is_refused(event, message):
    with pytest.raises(ValueError) as caught:
        price_signal(AT, TARIFF, [event], currency="EUR")
    assert str(caught.value) == message


def test_a_bad_event_is_refused_even_when_another_would_win():
    bad = price_event("bad", price=-1, priority=9)

    with pytest.raises(ValueError) as caught:
        price_signal(AT, TARIFF, [price_event(priority=0), bad])
    assert (
        str(caught.value) == "event bad interval 0: the PRICE must be a finite number >= 0, not -1"
    )


def test_an_event_that_does_not_cover_the_interval_is_not_checked_for_its_price():
    later = price_event(
        "later", price=-1, intervalPeriod={"start": "2026-03-01T19:00:00Z", "duration": "PT1H"}
    )

    assert import_price(later) == 28


def test_a_naive_interval_start_is_refused():
    with pytest.raises(ValueError) as caught:
        price_signal(AT.replace(tzinfo=None), TARIFF, [price_event()])
    assert str(caught.value) == "interval_start must be a datetime with a UTC offset"
