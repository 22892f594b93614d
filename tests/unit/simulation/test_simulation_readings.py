"""A day's readings: their shape, the net rule, batteries, and reproducibility."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import community, community_day, day_readings
from simulation.battery import self_consumption

DAY = date(2026, 5, 4)
REPO = Path(__file__).resolve().parents[3]


def test_a_day_has_96_readings_in_the_head_ends_shape():
    rows = day_readings(community(7, 1)[0], DAY)

    assert len(rows) == 96
    assert rows[0] == {
        "interval_start": "2026-05-04T00:00:00Z",
        "interval_minutes": 15,
        "import_wh": rows[0]["import_wh"],
        "export_wh": rows[0]["export_wh"],
    }
    assert rows[-1]["interval_start"] == "2026-05-04T23:45:00Z"
    assert all(type(r["import_wh"]) is int and type(r["export_wh"]) is int for r in rows)
    assert any(r["export_wh"] > 0 for r in rows)  # h-001 has solar, and May has sun


def test_a_reading_never_both_imports_and_exports_and_nets_the_flows():
    run = community_day(community(7, 60), DAY)

    assert not np.any((run.import_wh > 0) & (run.export_wh > 0))
    assert np.all(run.import_wh >= 0) and np.all(run.export_wh >= 0)
    net = run.load_wh - run.pv_wh + run.battery_wh
    assert np.all(np.abs(run.import_wh - run.export_wh - net) <= 0.5)


def test_a_households_day_does_not_depend_on_who_else_is_simulated():
    homes = community(7, 30)
    together = community_day(homes, DAY)
    alone = community_day(homes[17:18], DAY)

    assert together.import_wh[17].tolist() == alone.import_wh[0].tolist()
    assert together.export_wh[17].tolist() == alone.export_wh[0].tolist()
    assert day_readings(homes[17], DAY) == together.readings(17)


def test_another_meter_or_day_gives_other_readings():
    home = community(7, 1)[0]

    assert day_readings(home, DAY) != day_readings(replace(home, meter_id="m-x"), DAY)
    assert day_readings(home, DAY) != day_readings(home, date(2026, 5, 5))


def test_readings_are_the_same_in_another_process_with_another_hash_seed():
    home = community(7, 3)[2]
    code = (
        "import json; from datetime import date; from simulation import community, day_readings;"
        "print(json.dumps(day_readings(community(7, 3)[2], date(2026, 5, 4))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )

    assert json.loads(out.stdout) == day_readings(home, DAY)


def test_a_battery_shifts_midday_surplus_into_the_evening():
    home = next(h for h in community(7, 40) if h.battery is not None)
    without = replace(home, battery=None)
    run = community_day([home, without], DAY)

    assert run.stored_wh[0].max() > 0.5 * home.battery.capacity_kwh * 1000
    assert run.export_wh[0].sum() < run.export_wh[1].sum()
    assert run.import_wh[0][72:].sum() < run.import_wh[1][72:].sum()  # after 18:00 UTC


@settings(max_examples=60, deadline=None, database=None)
@given(
    surplus=st.lists(st.floats(-3000, 3000), min_size=1, max_size=96),
    capacity=st.floats(500, 20_000),
    power=st.floats(100, 6000),
    efficiency=st.floats(0.5, 1.0),
    start=st.floats(0, 1),
)
def test_a_battery_keeps_its_charge_power_and_energy_bounds(
    surplus, capacity, power, efficiency, start
):
    flows = np.array([surplus])
    run = self_consumption(
        flows,
        capacity_wh=np.array([capacity]),
        power_w=np.array([power]),
        round_trip_efficiency=np.array([efficiency]),
        stored_wh=np.array([start * capacity]),
    )
    battery, stored = run.battery_wh[0], run.stored_wh[0]
    eta = np.sqrt(efficiency)

    assert np.all(stored >= 0) and np.all(stored <= capacity * (1 + 1e-12))
    assert np.all(np.abs(battery) <= power / 4 + 1e-9)
    assert np.all(battery * flows[0] >= 0)  # charges from surplus, covers deficits only
    assert np.all(np.abs(battery) <= np.abs(flows[0]) + 1e-9)
    before = np.concatenate([[start * capacity], stored[:-1]])
    expected = np.where(battery > 0, battery * eta, battery / eta)
    assert np.allclose(stored - before, expected, atol=1e-6)
