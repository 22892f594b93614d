"""The agent's order sealed and handed to the ledger as the household's delegate."""

from agents import AgentLimits, BiddingAgent, GridPrices, IntervalForecast, Trader, sealed

LIMITS = AgentLimits(max_buy_price_per_kwh=25, min_sell_price_per_kwh=8, max_wh_per_interval=400)
PRICES = GridPrices(import_price_per_kwh=30, feed_in_price_per_kwh=8, p2p_grid_fee_per_kwh=2)
INTERVAL = "2026-03-01T18:00:00Z"


class Ledger:
    """Records what would be placed (the real one is client.facade.Ledger)."""

    def __init__(self) -> None:
        self.placed: list[dict] = []

    def place_order(self, order: dict) -> dict:
        self.placed.append(order)
        return {"order_id": order["order_id"], "interval_start": order["interval_start"]}


def test_a_sealed_order_gets_a_fresh_id_and_salt_each_time():
    order = {"side": "bid", "energy_wh": 120, "price_per_kwh": 19}
    first, second = sealed(order, INTERVAL), sealed(order, INTERVAL)
    assert {k: first[k] for k in order} == order
    assert first["interval_start"] == INTERVAL
    assert first["order_id"] != second["order_id"] and first["salt"] != second["salt"]
    assert len(first["salt"]) >= 22  # 16 bytes or more, base64url: what the ledger asks


def test_the_trader_places_the_agents_order_within_its_limits():
    ledger = Ledger()
    trader = Trader(BiddingAgent(LIMITS), ledger)  # type: ignore[arg-type]
    placed = trader.trade(INTERVAL, IntervalForecast(net_wh=900.0, error_wh=20.0), PRICES)
    assert ledger.placed == [placed]
    assert placed["side"] == "bid"
    assert placed["price_per_kwh"] <= LIMITS.max_buy_price_per_kwh
    assert 1 <= placed["energy_wh"] <= LIMITS.max_wh_per_interval


def test_nothing_is_placed_when_the_agent_sees_nothing_to_trade():
    ledger = Ledger()
    trader = Trader(BiddingAgent(LIMITS), ledger)  # type: ignore[arg-type]
    assert trader.trade(INTERVAL, IntervalForecast(net_wh=0.0, error_wh=5.0), PRICES) is None
    assert ledger.placed == []
