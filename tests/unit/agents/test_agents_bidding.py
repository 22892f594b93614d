"""The bidding agent: its side, price and volume, and that it never breaks its limits."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import AgentLimits, BiddingAgent, GridPrices, IntervalForecast

DAY = GridPrices(import_price_per_kwh=28, feed_in_price_per_kwh=8, p2p_grid_fee_per_kwh=3)
OPEN = AgentLimits(
    max_buy_price_per_kwh=100_000, min_sell_price_per_kwh=0, max_wh_per_interval=10_000
)


def order(net, error=0.0, limits=OPEN, prices=DAY):
    return BiddingAgent(limits).order(IntervalForecast(net, error), prices)


def test_a_forecast_export_offers_and_an_import_bids_at_the_fair_price():
    # the window is 28 - 3 - 8 = 17; its middle is floor((28 - 3 + 8) / 2) = 16
    assert order(-800.0) == {"side": "offer", "energy_wh": 800, "price_per_kwh": 16}
    assert order(350.7) == {"side": "bid", "energy_wh": 350, "price_per_kwh": 16}


def test_the_price_is_clamped_to_the_households_limits():
    strict = AgentLimits(
        max_buy_price_per_kwh=12, min_sell_price_per_kwh=20, max_wh_per_interval=500
    )

    assert order(-800.0, limits=strict) == {"side": "offer", "energy_wh": 500, "price_per_kwh": 20}
    assert order(800.0, limits=strict) == {"side": "bid", "energy_wh": 500, "price_per_kwh": 12}


def test_a_more_uncertain_forecast_trades_less_and_a_hopeless_one_nothing():
    volumes = [order(-800.0, error)["energy_wh"] for error in (0.0, 100.0, 300.0)]

    assert volumes[0] > volumes[1] > volumes[2] > 0
    assert order(-800.0, 5000.0) is None


def test_a_seller_shades_by_the_laplace_quantile_of_its_confidence():
    # seller: gain 16 - 8 = 8, loss 28 -> c = 28 / 36; volume = 800 + 100 ln(2 (1 - c))
    assert order(-800.0, 100.0)["energy_wh"] == 718


def test_a_buyer_shades_for_its_sellers_sake():
    # buyer: gain 28 - 3 - 16 = 9, loss 28 + 16 - 8 = 36 -> c = 0.8; 800 + 100 ln 0.4
    assert order(800.0, 100.0)["energy_wh"] == 708


@pytest.mark.parametrize(
    "prices",
    [
        GridPrices(import_price_per_kwh=20, feed_in_price_per_kwh=17, p2p_grid_fee_per_kwh=3),
        GridPrices(import_price_per_kwh=10, feed_in_price_per_kwh=12),
    ],
)
def test_nothing_is_placed_when_no_local_trade_beats_the_grid_for_both(prices):
    assert order(-800.0, prices=prices) is None
    assert order(800.0, prices=prices) is None


def test_a_balanced_or_tiny_position_places_nothing():
    assert order(0.0) is None
    assert order(-9.0) is None
    assert BiddingAgent(OPEN, min_order_wh=1).order(IntervalForecast(-9.0, 0.0), DAY) is not None


@pytest.mark.parametrize(
    ("net", "error", "message"),
    [
        (float("nan"), 1.0, "interval forecast: net_wh must be a finite number"),
        (1.0, -1.0, "interval forecast: error_wh must be a finite number >= 0"),
        (1.0, float("inf"), "interval forecast: error_wh must be a finite number >= 0"),
    ],
)
def test_a_forecast_must_be_finite(net, error, message):
    with pytest.raises(ValueError) as caught:
        IntervalForecast(net, error)
    assert str(caught.value) == message


def test_grid_prices_are_integers_in_range():
    with pytest.raises(ValueError, match="grid prices: feed_in_price_per_kwh must be an integer"):
        GridPrices(import_price_per_kwh=28, feed_in_price_per_kwh=8.0)


PRICE = st.integers(0, 100_000)
LIMITS = st.builds(AgentLimits, PRICE, PRICE, st.integers(1, 1_000_000))
PRICES = st.builds(GridPrices, PRICE, PRICE, PRICE) | st.builds(
    GridPrices, st.integers(0, 60), st.integers(0, 20), st.integers(0, 10)
)
FORECASTS = st.builds(
    IntervalForecast,
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False),
) | st.builds(IntervalForecast, st.floats(-20_000, 20_000), st.floats(0, 2_000))


@settings(max_examples=500, deadline=None, database=None)
@given(limits=LIMITS, forecast=FORECASTS, prices=PRICES, min_order=st.integers(0, 100))
def test_the_agent_never_breaks_its_limits(limits, forecast, prices, min_order):
    placed = BiddingAgent(limits, min_order_wh=min_order).order(forecast, prices)
    if placed is None:
        return

    assert set(placed) == {"side", "energy_wh", "price_per_kwh"}
    assert type(placed["energy_wh"]) is int and type(placed["price_per_kwh"]) is int
    assert 1 <= placed["energy_wh"] <= limits.max_wh_per_interval
    assert placed["energy_wh"] >= min_order
    assert 0 <= placed["price_per_kwh"] <= 100_000
    if placed["side"] == "bid":
        assert forecast.net_wh > 0
        assert placed["price_per_kwh"] <= limits.max_buy_price_per_kwh
        assert placed["energy_wh"] <= forecast.net_wh
    else:
        assert placed["side"] == "offer" and forecast.net_wh < 0
        assert placed["price_per_kwh"] >= limits.min_sell_price_per_kwh
        assert placed["energy_wh"] <= -forecast.net_wh


def test_a_gain_above_the_loss_still_trades_no_more_than_the_forecast():
    # min_sell 100 -> gain 92 > loss 28: unshaded, but not raised above the forecast
    greedy = AgentLimits(
        max_buy_price_per_kwh=0, min_sell_price_per_kwh=100, max_wh_per_interval=10_000
    )

    assert order(-800.0, 300.0, limits=greedy) == {
        "side": "offer",
        "energy_wh": 800,
        "price_per_kwh": 100,
    }
