"""A household's readings and trades over whole days, for the transactions that write.

Billing and the certificates of :mod:`.certificates` need the same two things: what the
household's meters measured per 15 minutes (several meters add up, 5-minute readings
add up to their quarter) and its trades of the days, found through its per-interval
trade index (:mod:`.market_trades`), since a transaction that writes may not run a
private range query.
"""

from __future__ import annotations

from typing import Any

from chaincode.community.domain import (
    DomainError,
    IntervalReading,
    date_start,
    iter_intervals,
)
from chaincode.community.keyed import key_salt
from chaincode.community.market_trades import TradeView, index_key, load_json, trades_of
from chaincode.community.meters import household_meters_prefix
from chaincode.community.readings import meter_readings
from chaincode.community.times import format_utc, parse_utc
from chaincode.runtime import NotFound, ValidationError, list_json, prefix_range

__all__ = ["household_readings", "household_trades", "quarter_of"]


def quarter_of(interval_start: str) -> str:
    begins = parse_utc(interval_start)
    return format_utc(begins.replace(minute=begins.minute - begins.minute % 15))


async def household_readings(ctx: Any, household_id: str, days: list[str]) -> list[IntervalReading]:
    """The household's import and export per 15 minutes of *days*, over all its meters."""
    totals: dict[str, list[int]] = {}
    meters = [
        e["meter_id"]
        for _, e in await list_json(ctx, *prefix_range(household_meters_prefix(household_id)))
    ]
    if not meters:
        raise NotFound(f"household {household_id} has no meter")
    for meter_id in meters:
        for reading in await meter_readings(ctx, meter_id, days):
            total = totals.setdefault(quarter_of(reading.interval_start), [0, 0])
            total[0] += reading.import_wh
            total[1] += reading.export_wh
    try:
        return [
            IntervalReading(household_id, i, imp, exp) for i, (imp, exp) in sorted(totals.items())
        ]
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc


async def household_trades(ctx: Any, household_id: str, start: str, end: str) -> list[TradeView]:
    """The household's trades of the days [start, end), settled or not."""
    salt = await key_salt(ctx)
    intervals = list(iter_intervals(date_start(start), date_start(end)))
    indexes = await load_json(ctx, [index_key(salt, household_id, i) for i in intervals])
    keys = [
        (interval, trade_id)
        for interval, index in zip(intervals, indexes, strict=True)
        if index is not None
        for trade_id in index["trade_ids"]
    ]
    return await trades_of(ctx, salt, keys)
