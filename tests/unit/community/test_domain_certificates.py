"""Hourly granular certificates: issued from readings, carried with delivered energy,
cancelled against consumption (the rules of chaincode/community/domain/certificates.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincode.community.domain import (
    CertificateError,
    IntervalReading,
    SettledTrade,
    cancel,
    carried_wh,
    certificate_id,
    hour_of,
    issue,
)


def reading(interval, export_wh, import_wh=0, household="h-001"):
    return IntervalReading(household, interval, import_wh, export_wh)


def settled(delivered_wh, energy_wh=500):
    return SettledTrade(
        trade_id="t-1",
        interval_start="2026-03-01T10:15:00Z",
        seller="h-001",
        buyer="h-002",
        seller_order_id="o-1",
        buyer_order_id="b-1",
        energy_wh=energy_wh,
        price_per_kwh=15,
        timestamp="2026-03-01T10:00:00Z",
        delivered_wh=delivered_wh,
        shortfall_price_per_kwh=30,
        status="delivered" if delivered_wh == energy_wh else "partially_delivered",
    )


def test_an_interval_lies_in_the_hour_it_starts_in():
    assert hour_of("2026-03-01T10:45:00Z") == "2026-03-01T10:00:00Z"
    assert hour_of("2026-03-01T00:00:00Z") == "2026-03-01T00:00:00Z"
    assert certificate_id("h-001", "2026-03-01T10:00:00Z") == "gc-h-001-2026030110"


def test_one_certificate_per_hour_with_export_of_the_hours_metered_export():
    readings = [
        reading("2026-03-01T10:00:00Z", 120),
        reading("2026-03-01T10:15:00Z", 80, import_wh=5),
        reading("2026-03-01T10:45:00Z", 0),
        reading("2026-03-01T11:00:00Z", 0, import_wh=300),
        reading("2026-03-01T12:30:00Z", 7),
    ]
    issued = issue("h-001", readings)
    assert [(c.certificate_id, c.hour, c.volume_wh) for c in issued] == [
        ("gc-h-001-2026030110", "2026-03-01T10:00:00Z", 200),
        ("gc-h-001-2026030112", "2026-03-01T12:00:00Z", 7),
    ]
    assert issue("h-001", readings) == issued  # the same readings, the same certificates
    assert issue("h-001", []) == []


def test_a_certificate_is_made_from_the_households_own_readings_only():
    with pytest.raises(CertificateError, match="reading of h-002 given"):
        issue("h-001", [reading("2026-03-01T10:00:00Z", 10, household="h-002")])


@pytest.mark.parametrize(
    ("delivered", "holds", "carried"),
    [(500, 1000, 500), (500, 200, 200), (0, 1000, 0), (300, 0, 0)],
)
def test_a_trade_carries_what_it_delivered_up_to_what_the_seller_holds(delivered, holds, carried):
    assert carried_wh(settled(delivered), holds) == carried


def test_a_seller_cannot_hold_a_negative_volume():
    with pytest.raises(CertificateError, match="negative volume"):
        carried_wh(settled(100), -1)


def test_consumption_cancels_the_held_parts_in_certificate_order():
    held = [("gc-h-009-2026030110", 50), ("gc-h-003-2026030110", 100)]
    done = cancel("h-002", "2026-03-01T10:00:00Z", 120, held)
    assert done.parts == (("gc-h-003-2026030110", 100), ("gc-h-009-2026030110", 20))
    assert (done.consumed_wh, done.cancelled_wh) == (120, 120)


def test_what_is_held_beyond_the_consumption_is_not_cancelled():
    done = cancel("h-002", "2026-03-01T10:00:00Z", 40, [("gc-h-003-2026030110", 100)])
    assert done.parts == (("gc-h-003-2026030110", 40),)
    nothing = cancel("h-002", "2026-03-01T10:00:00Z", 0, [("gc-h-003-2026030110", 100)])
    assert nothing.parts == () and nothing.cancelled_wh == 0


@given(
    consumed=st.integers(0, 10_000),
    held=st.lists(st.integers(0, 5_000), max_size=6),
)
def test_a_cancellation_never_exceeds_the_consumption_or_a_part(consumed, held):
    parts = [(f"gc-h-{n:03d}-2026030110", wh) for n, wh in enumerate(held)]
    done = cancel("h-002", "2026-03-01T10:00:00Z", consumed, parts)
    assert done.cancelled_wh == min(consumed, sum(held))
    limits = dict(parts)
    assert all(0 < wh <= limits[cert] for cert, wh in done.parts)
