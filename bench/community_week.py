"""The households' agents measured on a simulated week of the community market.

:func:`community_week` simulates a community (:mod:`simulation`) and runs the week
twice over the same meter readings:

- **without agents**: every household imports from and exports to the grid only, and
  is billed by the tariff;
- **with agents**: before each 15-minute interval, each opted-in household's agent
  (:mod:`agents`) places at most one order from its day-ahead forecast, corrected by
  its own meter's readings of the day so far (``intraday=False``: as forecast the day
  ahead); the interval
  is cleared by the chaincode's own rule (``clear_interval``), its trades settled
  against the readings (``settle_interval``, shortfalls charged at the grid price),
  and at the end of the week every household is billed from its readings and
  settled trades (``compute_invoice``).

Each household's forecaster is trained on the *training_days* days before the week
and scored on the week against the naive baselines. The readings are what the
households really did; the agents only decide what is traded, so the two runs
differ in money and in where solar energy goes, not in energy.

The report is a plain, JSON-able dict: the community's cost, the share of its solar
energy used inside the community, every household's bill both ways and how they are
spread, the market's volumes, and the forecast errors.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from agents import AgentLimits, Backtest, BiddingAgent, GridPrices, backtest
from agents.intraday import LEAD
from chaincode.community.domain import (
    Bid,
    IntervalReading,
    Offer,
    SettledTrade,
    Tariff,
    clear_interval,
    compact_interval,
    compute_invoice,
    settle_interval,
)
from network.demo import TARIFF
from simulation import CommunityDay, Household, community, community_day, interval_starts
from simulation.seeds import generator

__all__ = ["DEFAULT_START", "community_week"]

#: a Monday in May: solar and evening demand both matter, inside the demo tariff's validity
DEFAULT_START = date(2026, 5, 4)
MAX_WH_PER_INTERVAL = 10_000  # the agents' limit: 40 kW for 15 minutes
GATE_CLOSURE = timedelta(minutes=5)  # orders are in and the interval is cleared before it
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class _Market:
    """What the week's market did, interval by interval."""

    offers: int = 0
    bids: int = 0
    intervals_with_trades: int = 0
    trades: list[SettledTrade] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        matched = sum(trade.energy_wh for trade in self.trades)
        delivered = sum(trade.delivered_wh for trade in self.trades)
        priced = sum(trade.delivered_wh * trade.price_per_kwh for trade in self.trades)
        return {
            "offers": self.offers,
            "bids": self.bids,
            "trades": len(self.trades),
            "intervals_with_trades": self.intervals_with_trades,
            "matched_kwh": round(matched / 1000, 1),
            "delivered_kwh": round(delivered / 1000, 1),
            "shortfall_kwh": round((matched - delivered) / 1000, 1),
            "shortfall_charges": sum(trade.shortfall_charge for trade in self.trades),
            "mean_price_per_kwh": round(priced / delivered, 2) if delivered else None,
        }


def _simulate(households: Sequence[Household], days: Sequence[date]) -> dict[date, CommunityDay]:
    return {day: community_day(households, day) for day in days}


def _histories(
    households: Sequence[Household], simulated: dict[date, CommunityDay]
) -> dict[str, dict[date, np.ndarray]]:
    """Each household's net energy per day, as its forecaster reads it."""
    return {
        home.household_id: {
            day: (run.import_wh[row] - run.export_wh[row]).astype(float)
            for day, run in simulated.items()
        }
        for row, home in enumerate(households)
    }


def _readings(run: CommunityDay, slot: int) -> list[IntervalReading]:
    start = interval_starts(run.day)[slot]
    return [
        IntervalReading(
            household, start, int(run.import_wh[row, slot]), int(run.export_wh[row, slot])
        )
        for row, household in enumerate(run.household_ids)
    ]


def _orders(
    agents: dict[str, BiddingAgent],
    forecasts: dict[str, Backtest],
    metered: dict[str, np.ndarray] | None,
    position: tuple[int, int],
    prices: GridPrices,
    interval: str,
) -> tuple[list[Offer], list[Bid]]:
    """The agents' orders for one interval, as the market's records. *metered* holds
    each household's net readings of the day, of which an agent reads only those
    complete at gate closure (``None``: day-ahead forecasts only)."""
    day_index, slot = position
    placed_at = _earlier(interval, 2 * GATE_CLOSURE)
    offers, bids = [], []
    for household, agent in agents.items():
        known = None if metered is None else metered[household][: max(slot - LEAD + 1, 0)]
        forecast = forecasts[household].forecasts[day_index].interval(slot, known)
        order = agent.order(forecast, prices)
        if order is None:
            continue
        tag = f"{household}-{compact_interval(interval)}"
        energy, price = order["energy_wh"], order["price_per_kwh"]
        if order["side"] == "offer":
            offers.append(Offer(f"o-{tag}", household, energy, price, placed_at))
        else:
            bids.append(Bid(f"b-{tag}", household, energy, price, placed_at))
    return offers, bids


def _earlier(interval: str, by: timedelta) -> str:
    return (datetime.strptime(interval, TIME_FORMAT) - by).strftime(TIME_FORMAT)


def _prices(tariff: Tariff, interval: str) -> GridPrices:
    return GridPrices(
        tariff.import_price_at(interval),
        tariff.feed_in_price_per_kwh,
        tariff.p2p_grid_fee_per_kwh,
    )


def _trade_week(
    week: list[CommunityDay],
    agents: dict[str, BiddingAgent],
    forecasts: dict[str, Backtest],
    tariff: Tariff,
    intraday: bool,
) -> tuple[_Market, dict[str, list[IntervalReading]]]:
    """Clear and settle every interval of the week; the readings per household too."""
    market = _Market()
    readings: dict[str, list[IntervalReading]] = defaultdict(list)
    for day_index, run in enumerate(week):
        net = run.import_wh - run.export_wh
        day_net = dict(zip(run.household_ids, net, strict=True)) if intraday else None
        for slot, interval in enumerate(interval_starts(run.day)):
            prices = _prices(tariff, interval)
            position = (day_index, slot)
            offers, bids = _orders(agents, forecasts, day_net, position, prices, interval)
            cleared = clear_interval(interval, offers, bids, _earlier(interval, GATE_CLOSURE))
            measured = _readings(run, slot)
            for reading in measured:
                readings[reading.household].append(reading)
            market.offers += len(offers)
            market.bids += len(bids)
            market.intervals_with_trades += bool(cleared.trades)
            market.trades.extend(
                settle_interval(interval, cleared.trades, measured, prices.import_price_per_kwh)
            )
    return market, readings


def _bills(
    households: Sequence[Household],
    readings: dict[str, list[IntervalReading]],
    trades: Sequence[SettledTrade],
    tariff: Tariff,
    period: tuple[str, str],
) -> list[dict[str, Any]]:
    """Each household's invoice total without agents (no trades) and with them."""
    involved: dict[str, list[SettledTrade]] = defaultdict(list)
    for trade in trades:
        involved[trade.seller].append(trade)
        involved[trade.buyer].append(trade)
    bills = []
    for home in households:
        own = readings[home.household_id]
        without = compute_invoice(home.household_id, *period, tariff, own, ()).total
        with_agents = compute_invoice(
            home.household_id, *period, tariff, own, involved[home.household_id]
        ).total
        bills.append(
            {
                "household_id": home.household_id,
                "without_agents": without,
                "with_agents": with_agents,
                "change": with_agents - without,
            }
        )
    return bills


def _bill_spread(bills: Sequence[dict[str, Any]]) -> dict[str, Any]:
    changes = [bill["change"] for bill in bills]
    return {
        "better_off": sum(change < 0 for change in changes),
        "unchanged": sum(change == 0 for change in changes),
        "worse_off": sum(change > 0 for change in changes),
        "median_change": statistics.median(changes),
        "best_change": min(changes),
        "worst_change": max(changes),
        "per_household": list(bills),
    }


def _local_solar(week: Sequence[CommunityDay], delivered_wh: int) -> dict[str, Any]:
    """How much of the community's solar energy stays in the community.

    Without a market, what a household exports leaves the community's books (it is
    sold to the grid); with one, what is delivered P2P stays. Used locally = produced
    - exported to the grid (the rest was consumed at home, stored, or sold P2P).
    """
    produced = sum(float(run.pv_wh.sum()) for run in week)
    exported = sum(int(run.export_wh.sum()) for run in week)

    def share(to_grid: float) -> float | None:
        return round(1 - to_grid / produced, 4) if produced else None

    return {
        "solar_kwh": round(produced / 1000, 1),
        "exported_kwh": round(exported / 1000, 1),
        "delivered_p2p_kwh": round(delivered_wh / 1000, 1),
        "share_without_agents": share(exported),
        "share_with_agents": share(exported - delivered_wh),
    }


def _forecast_errors(tests: Sequence[Backtest]) -> dict[str, Any]:
    return {
        "model_mean_mae_wh": round(statistics.fmean(t.model_mae_wh for t in tests), 1),
        "intraday_mean_mae_wh": round(statistics.fmean(t.intraday_mae_wh for t in tests), 1),
        "persistence_mean_mae_wh": round(statistics.fmean(t.persistence_mae_wh for t in tests), 1),
        "weekly_mean_mae_wh": round(statistics.fmean(t.weekly_mae_wh for t in tests), 1),
        "model_beats_persistence": sum(t.model_mae_wh < t.persistence_mae_wh for t in tests),
        "model_beats_weekly": sum(t.model_mae_wh < t.weekly_mae_wh for t in tests),
        "per_household": [t.to_record() for t in tests],
    }


def _agents(
    households: Sequence[Household], tariff: Tariff, seed: int, participation: float
) -> dict[str, BiddingAgent]:
    """An agent for each opted-in household (drawn by seed), limited to the tariff's range."""
    limits = AgentLimits(
        max_buy_price_per_kwh=max(band.import_price_per_kwh for band in tariff.bands),
        min_sell_price_per_kwh=tariff.feed_in_price_per_kwh,
        max_wh_per_interval=MAX_WH_PER_INTERVAL,
    )
    return {
        home.household_id: BiddingAgent(limits)
        for home in households
        if generator("opt-in", seed, home.household_id).random() < participation
    }


def community_week(
    seed: int = 7,
    size: int = 100,
    start: date = DEFAULT_START,
    days: int = 7,
    training_days: int = 42,
    participation: float = 1.0,
    tariff: Tariff | None = None,
    intraday: bool = True,
) -> dict[str, Any]:
    """Simulate *days* days from *start* with and without agents; the report as a dict.

    Money is in the tariff's minor units (cents); a bill's ``change`` is with agents
    minus without (< 0: the household pays less). *participation* is the share of
    households whose agent trades (drawn per household from *seed*). The demo's
    tariff is used unless *tariff* is given.
    """
    began = time.monotonic()
    tariff = tariff or Tariff.from_record(TARIFF)
    households = community(seed, size)
    week_days = [start + timedelta(days=n) for n in range(days)]
    history_days = [start - timedelta(days=n) for n in range(training_days + 7, 0, -1)]
    simulated = _simulate(households, history_days + week_days)
    histories = _histories(households, simulated)
    tests = [
        backtest(home, histories[home.household_id], week_days, training_days)
        for home in households
    ]
    agents = _agents(households, tariff, seed, participation)
    week = [simulated[day] for day in week_days]
    forecasts = {test.household_id: test for test in tests}
    market, readings = _trade_week(week, agents, forecasts, tariff, intraday)
    period = (start.isoformat(), (start + timedelta(days=days)).isoformat())
    bills = _bills(households, readings, market.trades, tariff, period)
    without = sum(bill["without_agents"] for bill in bills)
    with_agents = sum(bill["with_agents"] for bill in bills)
    delivered = sum(trade.delivered_wh for trade in market.trades)
    return {
        "seed": seed,
        "households": size,
        "opted_in": len(agents),
        "period": {"start": period[0], "end": period[1]},
        "training_days": training_days,
        "intraday_correction": intraday,
        "tariff_id": tariff.tariff_id,
        "currency": tariff.currency,
        "community_cost": {
            "without_agents": without,
            "with_agents": with_agents,
            "saving": without - with_agents,
        },
        "local_solar": _local_solar(week, delivered),
        "market": market.record(),
        "bills": _bill_spread(bills),
        "forecast": _forecast_errors(tests),
        "runtime_s": round(time.monotonic() - began, 1),
    }
