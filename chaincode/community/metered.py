"""What a household's meters measured in one 15-minute interval, for settlement.

The sum over all of the household's meters of their 15-minute reading, or of three
5-minute ones. A missing reading is an error, not zero, so an interval is settled only
once its readings are in. An erased household's readings are gone: its unsettled trades
settle as not delivered (import and export 0), so its counterparties can still be settled.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chaincode.community.domain import IntervalReading
from chaincode.community.market_orders import domain
from chaincode.community.meterdays import read_days
from chaincode.community.meters import erasure_key, household_meters_prefix
from chaincode.community.times import format_utc, parse_utc
from chaincode.runtime import ValidationError, get_json, list_json, prefix_range

__all__ = ["metered"]


async def metered(ctx: Any, household_id: str, interval: str) -> IntervalReading:
    """A household's import and export in *interval*, over all its meters."""
    if await get_json(ctx, erasure_key(household_id)) is not None:
        return domain(IntervalReading, household_id, interval, 0, 0)
    imported = exported = 0
    meters = [
        entry["meter_id"]
        for _, entry in await list_json(ctx, *prefix_range(household_meters_prefix(household_id)))
    ]
    for meter_id in meters:
        found = await meter_energy(ctx, meter_id, interval)
        if found is None:
            raise ValidationError(
                f"household {household_id} has no reading of meter {meter_id} "
                f"for interval {interval}"
            )
        imported += found[0]
        exported += found[1]
    if not meters:
        raise ValidationError(f"household {household_id} has no meter")
    return domain(IntervalReading, household_id, interval, imported, exported)


async def meter_energy(ctx: Any, meter_id: str, interval: str) -> tuple[int, int] | None:
    """A meter's energy in a 15-minute interval: one reading, or three 5-minute ones."""
    day = interval[:10]
    stored = (await read_days(ctx, meter_id, [day])).get(day)
    readings = stored.readings() if stored else {}
    first = readings.get(interval)
    if first is None or first.interval_minutes not in (5, 15):
        return None
    if first.interval_minutes == 15:
        return first.import_wh, first.export_wh
    begins = parse_utc(interval)
    parts = [readings.get(format_utc(begins + timedelta(minutes=5 * n))) for n in range(3)]
    if any(part is None for part in parts):
        return None
    return sum(p.import_wh for p in parts if p), sum(p.export_wh for p in parts if p)
