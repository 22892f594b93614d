"""A household's bidding agent: one order per interval from its forecast, within its limits.

The market clears each 15-minute interval at one uniform price (the midpoint of the
competitive-equilibrium interval); whatever a household does not trade locally it
imports from or exports to the grid at the tariff's prices. So a local trade is worth
making only inside the *window* between the grid's two prices: a buyer gains
``import - p2p fee - price`` on each kWh delivered, a seller ``price - feed-in``.

Strategy
--------

**Side.** The forecast net position decides: a forecast import bids, a forecast
export offers, nothing else (a household never does both in one interval).

**Price: the middle of the window.** Both sides quote the *fair price*
``floor((import - p2p fee + feed-in) / 2)``, clamped to the household's limits. When
quotes sit at the window's edges (sellers just above feed-in, buyers just below the
import price), a uniform-price auction hands the whole gain to the short side: at
midday, when the street is long on solar, sellers would earn a cent over feed-in
while risking the import price on every shortfall, and on simulated weeks they ended
up worse off than without a market. Quoting the middle splits each local kWh's saving
evenly whichever side is short, so selling is worth its risk for a solar household
and buying still saves half the window; every kWh of solar a neighbour can use clears
locally. When the window is shut (``import - fee <= feed-in``) no local trade beats
the grid for both sides, and the agent places nothing.

**Volume: shaded by the forecast's uncertainty, newsvendor style.** Settlement
charges every shortfall to the seller at the grid import price, whichever side fell
short: a seller who sells more than it exports pays it for the missing energy; a
buyer who buys more than it imports leaves its seller paying it and selling that
energy at feed-in instead of the trade's price. With the gain ``g`` per kWh of the
order's side at its price and the loss ``l`` per kWh traded but not delivered
(``import`` for a seller; ``import + price - feed-in`` for a buyer, who shades for
its seller's sake), the agent trades the volume it expects to meet with probability
``c = l / (l + g)``. Forecast errors are taken as Laplace with scale ``error_wh``
(a mean absolute error), whose ``1 - c`` quantile is
``forecast + error_wh * ln(2 (1 - c))``. ``c`` is at least 1/2: even when a gain
outweighs the loss (a seller whose limit is far above the fair price), the agent
never trades more than it forecasts. The volume is capped at the household's
``max_wh_per_interval``; below ``min_order_wh``, or with no gain, nothing is placed.

The agent never breaks its limits: a bid's price is at most ``max_buy_price_per_kwh``,
an offer's at least ``min_sell_price_per_kwh``, and the energy is between 1 and
``max_wh_per_interval`` Wh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, TypedDict

from gridspec.agent_limits import MAX_PRICE_PER_KWH, AgentLimits

__all__ = ["BiddingAgent", "GridPrices", "IntervalForecast", "Order"]


class Order(TypedDict):
    """What the agent places: a side, whole Wh, and a price in minor units per kWh."""

    side: Literal["offer", "bid"]
    energy_wh: int
    price_per_kwh: int


@dataclass(frozen=True)
class GridPrices:
    """The grid's prices in one interval (minor units per kWh): import, feed-in, and the
    network fee a buyer pays on P2P energy."""

    import_price_per_kwh: int
    feed_in_price_per_kwh: int
    p2p_grid_fee_per_kwh: int = 0

    def __post_init__(self) -> None:
        for name in ("import_price_per_kwh", "feed_in_price_per_kwh", "p2p_grid_fee_per_kwh"):
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= MAX_PRICE_PER_KWH:
                raise ValueError(
                    f"grid prices: {name} must be an integer between 0 and {MAX_PRICE_PER_KWH}"
                )

    @property
    def window_per_kwh(self) -> int:
        """What one local kWh saves the two sides together against the grid."""
        return self.import_price_per_kwh - self.p2p_grid_fee_per_kwh - self.feed_in_price_per_kwh

    @property
    def fair_price_per_kwh(self) -> int:
        """The middle of the window, rounded down: half the saving to each side."""
        return (
            self.import_price_per_kwh - self.p2p_grid_fee_per_kwh + self.feed_in_price_per_kwh
        ) // 2


@dataclass(frozen=True)
class IntervalForecast:
    """The forecast net energy of one interval (Wh; > 0 import, < 0 export) and its
    expected absolute error (Wh)."""

    net_wh: float
    error_wh: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.net_wh):
            raise ValueError("interval forecast: net_wh must be a finite number")
        if not math.isfinite(self.error_wh) or self.error_wh < 0:
            raise ValueError("interval forecast: error_wh must be a finite number >= 0")


@dataclass(frozen=True)
class BiddingAgent:
    """The agent of one household (the strategy is in the module docstring)."""

    limits: AgentLimits
    min_order_wh: int = 10

    def order(self, forecast: IntervalForecast, prices: GridPrices) -> Order | None:
        """The household's order for the interval, or ``None`` when it should not trade."""
        if prices.window_per_kwh <= 0 or forecast.net_wh == 0:
            return None
        fair = prices.fair_price_per_kwh
        side: Literal["offer", "bid"]
        if forecast.net_wh < 0:
            side, price = "offer", max(fair, self.limits.min_sell_price_per_kwh)
            gain = price - prices.feed_in_price_per_kwh
        else:
            side, price = "bid", min(fair, self.limits.max_buy_price_per_kwh)
            gain = prices.import_price_per_kwh - prices.p2p_grid_fee_per_kwh - price
        loss = prices.import_price_per_kwh
        if side == "bid":
            loss += max(0, price - prices.feed_in_price_per_kwh)
        volume = self._volume_wh(abs(forecast.net_wh), forecast.error_wh, gain, loss)
        if volume < max(1, self.min_order_wh):
            return None
        return {"side": side, "energy_wh": volume, "price_per_kwh": price}

    def _volume_wh(self, expected_wh: float, error_wh: float, gain: int, loss: int) -> int:
        """The volume met with probability ``loss / (loss + gain)``, capped by the limits."""
        if gain <= 0 or loss <= 0:
            return 0
        confidence = max(0.5, loss / (loss + gain))  # never more than the forecast
        shaded = expected_wh + error_wh * math.log(2 * (1 - confidence))
        if shaded < 1:  # also -inf, when a huge error overflows
            return 0
        return min(self.limits.max_wh_per_interval, math.floor(shaded))
