"""Drawing a community: ids, feeders, who has solar and batteries, the household checks."""

import pytest

from simulation import Battery, Household, community, draw_household


def test_the_same_seed_draws_the_same_community_and_a_bigger_one_extends_it():
    assert community(7, 20) == community(7, 20)
    assert community(7, 50)[:20] == community(7, 20)
    assert community(8, 20) != community(7, 20)


def test_ids_keep_three_digits_up_to_999_then_grow_and_feeders_alternate():
    homes = [draw_household(7, n) for n in (1, 2, 999, 1000)]

    assert [h.household_id for h in homes] == ["h-001", "h-002", "h-999", "h-1000"]
    assert [h.meter_id for h in homes] == ["m-001", "m-002", "m-999", "m-1000"]
    assert [h.feeder for h in homes] == ["F-2", "F-1", "F-2", "F-1"]


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_h_001_always_has_solar_and_about_half_the_households_do(seed):
    homes = community(seed, 400)

    assert homes[0].solar_kwp > 0
    share = sum(h.solar_kwp > 0 for h in homes) / len(homes)
    assert 0.42 <= share <= 0.58


def test_sizes_consumption_arrays_and_batteries_are_in_their_ranges():
    homes = community(7, 400)

    assert {h.persons for h in homes} == {1, 2, 3, 4, 5}
    assert all(1200 <= h.annual_kwh <= 7000 for h in homes)
    assert all(2.0 <= h.solar_kwp <= 12.0 for h in homes if h.solar_kwp)
    assert all(90 <= h.pv_azimuth_deg <= 270 and 20 <= h.pv_tilt_deg <= 45 for h in homes)
    with_battery = [h for h in homes if h.battery is not None]
    assert with_battery and all(h.solar_kwp for h in with_battery)
    assert min(h.battery.capacity_kwh for h in with_battery) >= 3.0
    assert all(2.0 <= h.battery.power_kw <= 5.0 for h in with_battery)


def test_bigger_households_use_more_on_average():
    homes = community(7, 600)
    mean = {n: sum(h.annual_kwh for h in homes if h.persons == n) for n in (1, 5)}
    count = {n: sum(h.persons == n for h in homes) for n in (1, 5)}

    assert mean[5] / count[5] > 2 * mean[1] / count[1]


def test_a_household_built_with_the_old_six_fields_still_simulates():
    home = Household("h-e1", "m-e1", "F-1", solar_kwp=6.0, base_load_w=150, seed=7)

    assert (home.persons, home.annual_kwh, home.battery) == (2, 3000.0, None)
    assert home.variable_kwh == pytest.approx(3000 - 150 * 8.76)


OLD = {"household_id": "h-1", "meter_id": "m-1", "feeder": "F-1", "solar_kwp": 4.0}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"persons": 0}, "household h-1: persons must be an integer between 1 and 10"),
        ({"base_load_w": -1}, "household h-1: base_load_w must be a non-negative integer"),
        ({"solar_kwp": -1.0}, "household h-1: solar_kwp must be between 0 and 30, got -1.0"),
        ({"pv_tilt_deg": 91}, "household h-1: pv_tilt_deg must be between 0 and 90, got 91"),
        ({"annual_kwh": "3000"}, "household h-1: annual_kwh must be a number"),
        (
            {"base_load_w": 200, "annual_kwh": 3000.0},
            "household h-1: base_load_w 200 w runs to 1752 kwh a year, "
            "more than half of annual_kwh 3000.0",
        ),
        (
            {"solar_kwp": 0.0, "battery": Battery(5.0, 2.5)},
            "household h-1: a battery needs solar (it charges from surplus only)",
        ),
    ],
)
def test_a_household_refuses_a_wrong_field_by_name(changes, message):
    values = {**OLD, "base_load_w": 100, "seed": 7, **changes}

    with pytest.raises(ValueError) as caught:
        Household(**values)
    assert str(caught.value) == message


def test_a_battery_refuses_an_efficiency_above_one():
    with pytest.raises(ValueError) as caught:
        Battery(5.0, 2.5, round_trip_efficiency=1.1)
    assert str(caught.value) == "battery: round_trip_efficiency must be between 0.5 and 1, got 1.1"
