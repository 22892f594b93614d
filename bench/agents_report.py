"""The report's section on the households' forecasters and bidding agents.

Its figures come from :func:`bench.community_week.community_week`: a simulated week
of a community cleared, settled and billed by the chaincode's own rules, once with
every opted-in household's agent trading and once with none (the grid only).
"""

from __future__ import annotations

from typing import Any

__all__ = ["agents_section"]


def _cents(value: float) -> str:
    return f"{value:,.0f}"


def _headline(week: dict[str, Any]) -> list[str]:
    cost, solar, bills = week["community_cost"], week["local_solar"], week["bills"]
    market, forecast = week["market"], week["forecast"]
    return [
        "| figure | without agents | with agents |",
        "| --- | --- | --- |",
        f"| community's energy cost ({week['currency']} cents, sum of bills) | "
        f"{_cents(cost['without_agents'])} | {_cents(cost['with_agents'])} |",
        f"| share of the community's solar used in the community | "
        f"{solar['share_without_agents']:.1%} | {solar['share_with_agents']:.1%} |",
        "",
        f"- {week['households']} households ({week['opted_in']} with an agent), "
        f"{week['period']['start']} to {week['period']['end']}, tariff {week['tariff_id']}; "
        f"solar {solar['solar_kwh']:,} kWh, exported {solar['exported_kwh']:,} kWh, "
        f"delivered between neighbours {solar['delivered_p2p_kwh']:,} kWh.",
        f"- Market: {market['offers']:,} offers, {market['bids']:,} bids, "
        f"{market['trades']:,} trades; {market['matched_kwh']:,} kWh matched, "
        f"{market['delivered_kwh']:,} delivered, {market['shortfall_kwh']:,} short "
        f"({_cents(market['shortfall_charges'])} cents of shortfall charges); mean price "
        f"{market['mean_price_per_kwh']} c/kWh.",
        f"- Bills with agents against without: {bills['better_off']} households better off, "
        f"{bills['unchanged']} unchanged, {bills['worse_off']} worse off; median change "
        f"{bills['median_change']:+,} cents, best {bills['best_change']:+,}, worst "
        f"{bills['worst_change']:+,}.",
        f"- Forecasts (mean absolute error per interval, held-out days): model "
        f"{forecast['model_mean_mae_wh']} Wh day-ahead, {forecast['intraday_mean_mae_wh']} Wh "
        f"corrected during the day; persistence {forecast['persistence_mean_mae_wh']} Wh, "
        f"same time last week {forecast['weekly_mean_mae_wh']} Wh. The model beats "
        f"persistence for {forecast['model_beats_persistence']} households and last week "
        f"for {forecast['model_beats_weekly']}.",
        "",
    ]


def _per_household(week: dict[str, Any]) -> list[str]:
    bills = {b["household_id"]: b for b in week["bills"]["per_household"]}
    lines = [
        "| household | MAE model (Wh) | corrected | persistence | last week | "
        "bill without agents | with agents |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for test in week["forecast"]["per_household"]:
        bill = bills.get(test["household_id"], {})
        lines.append(
            f"| {test['household_id']} | {test['model_mae_wh']} | {test['intraday_mae_wh']} | "
            f"{test['persistence_mae_wh']} | {test['weekly_mae_wh']} | "
            f"{bill.get('without_agents', '-')} | {bill.get('with_agents', '-')} |"
        )
    return lines


def agents_section(week: dict[str, Any]) -> list[str]:
    """Markdown lines: the week's headline figures, then every household's."""
    return [
        "## Forecasts and bidding agents on a simulated week",
        "",
        "Offline, by the chaincode's own clearing, settlement and billing rules "
        "(`bench/community_week.py`): each household's forecaster is trained on its own "
        f"past {week['training_days']} days and tested on the week; its agent places one "
        "sealed order per interval within its limits.",
        "",
        *_headline(week),
        "<details><summary>Every household</summary>",
        "",
        *_per_household(week),
        "",
        "</details>",
        "",
    ]
