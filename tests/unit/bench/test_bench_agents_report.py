"""The report's agents section shows the simulated week's own figures, every household's."""

import pytest

from bench.agents_report import agents_section
from bench.community_week import community_week


@pytest.fixture(scope="module")
def week():
    """A small week: 8 households, one day, two weeks of training (a few seconds)."""
    return community_week(size=8, days=1, training_days=14)


def test_the_section_quotes_the_weeks_figures(week):
    text = "\n".join(agents_section(week))
    cost, solar = week["community_cost"], week["local_solar"]
    assert f"| {cost['without_agents']:,} | {cost['with_agents']:,} |" in text
    shares = f"{solar['share_without_agents']:.1%} | {solar['share_with_agents']:.1%}"
    assert shares in text
    assert f"{week['bills']['better_off']} households better off" in text
    assert f"model {week['forecast']['model_mean_mae_wh']} Wh day-ahead" in text


def test_every_household_has_a_row_with_its_errors_and_bills(week):
    lines = agents_section(week)
    bills = {b["household_id"]: b for b in week["bills"]["per_household"]}
    rows = [line for line in lines if line.startswith("| h-")]
    assert len(rows) == week["households"]
    for test in week["forecast"]["per_household"]:
        bill = bills[test["household_id"]]
        row = (
            f"| {test['household_id']} | {test['model_mae_wh']} | {test['intraday_mae_wh']} | "
            f"{test['persistence_mae_wh']} | {test['weekly_mae_wh']} | "
            f"{bill['without_agents']} | {bill['with_agents']} |"
        )
        assert row in rows
