"""Household agents of the community market: forecasting, bidding, and placing the orders.

Pure functions and small classes over a household's own readings (it imports
:mod:`simulation` for the households' PV model only), and one step that reaches the
ledger, through the client, as the household's delegate:

- :mod:`.history` — readings as net energy per day;
- :mod:`.features` — what is known about an interval when its day is forecast;
- :mod:`.forecast` — the per-household forecaster and the naive baselines;
- :mod:`.evaluation` — back-tests: mean absolute errors on held-out days;
- :mod:`gridspec.agent_limits` — the limits a household sets for its agent (shared with
  the chaincode, which holds every agent's order to them);
- :mod:`.bidding` — the agent: one order per interval, within the limits;
- :mod:`.trader` — the agent's order sealed and placed with its delegated identity.
"""

from gridspec.agent_limits import MAX_ORDER_WH, MAX_PRICE_PER_KWH, AgentLimits

from .bidding import BiddingAgent, GridPrices, IntervalForecast, Order
from .evaluation import Backtest, backtest
from .features import FEATURES, day_features
from .forecast import DayForecast, Forecaster, persistence, same_time_last_week
from .history import History, history_from_readings
from .trader import Trader, sealed

__all__ = [
    "FEATURES",
    "MAX_ORDER_WH",
    "MAX_PRICE_PER_KWH",
    "AgentLimits",
    "Backtest",
    "BiddingAgent",
    "DayForecast",
    "Forecaster",
    "GridPrices",
    "History",
    "IntervalForecast",
    "Order",
    "Trader",
    "backtest",
    "day_features",
    "history_from_readings",
    "persistence",
    "same_time_last_week",
    "sealed",
]
