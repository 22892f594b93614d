"""The agent at work: its order for an interval, sealed and placed as the household's delegate.

The agent signs with its own identity (role ``agent``, the household's id in its
certificate), which the household delegated to on the ledger with its limits
(``GrantAgent``); the ledger refuses the agent's orders once the household revokes
it. Each order is sealed as a household's app seals one: a random order id and a
random salt of 24 bytes, so neither its commitment nor its private data hash can be
guessed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from client.facade import Ledger

from .bidding import BiddingAgent, GridPrices, IntervalForecast, Order

__all__ = ["Trader", "sealed"]

SALT_BYTES = 24


def sealed(order: Order, interval_start: str) -> dict[str, Any]:
    """*order* as ``PlaceOrder`` takes it: with a random order id and salt."""
    return {
        **order,
        "order_id": f"ag-{secrets.token_hex(8)}",
        "interval_start": interval_start,
        "salt": secrets.token_urlsafe(SALT_BYTES),
    }


@dataclass
class Trader:
    """One household's agent and its delegated identity on the community's channel."""

    agent: BiddingAgent
    ledger: Ledger

    def trade(
        self, interval_start: str, forecast: IntervalForecast, prices: GridPrices
    ) -> dict[str, Any] | None:
        """Place the agent's order for *interval_start*; the order placed, or None when
        the agent sees nothing worth trading."""
        order = self.agent.order(forecast, prices)
        if order is None:
            return None
        placed = sealed(order, interval_start)
        self.ledger.place_order(placed)
        return placed
