"""Public per-community aggregates per interval, published only when enough households add up.

The utility computes a community's totals for an interval from the readings it holds
privately and publishes them on the consortium channel, where every member (and the
public reports built on them) can read them. An aggregate over fewer than k
households would let neighbours infer one another's consumption, so it is refused.
k is the consortium's setting, changed by the regulator (the privacy authority);
it starts at 5.
"""

from __future__ import annotations

import re
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.runtime import (
    Conflict,
    NotFound,
    ValidationError,
    canonical_json,
    emit_event,
    get_json,
    list_json,
    put_json,
    tx_timestamp,
)
from chaincode.runtime.state import parse_json

__all__ = ["DEFAULT_K", "AggregateContract"]

DEFAULT_K = 5
MAX_K = 1000
# k as its argument carries it: ASCII digits only (str.isdigit() takes '²', which int()
# refuses), and no more of them than MAX_K has (int() refuses more than 4300)
K_TEXT = re.compile(rf"[0-9]{{1,{len(str(MAX_K))}}}")
SETTINGS_KEY = "settings~aggregates"
COMMUNITY = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
INTERVAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:(00|15|30|45):00Z")
FIELDS = {"households", "import_wh", "export_wh"}
MAX_WH = 10**12


def aggregate_key(community: str, interval_start: str) -> str:
    return f"aggregate~{community}~{interval_start}"


def parse_aggregate(community: str, interval_start: str, raw: str) -> dict[str, int]:
    if not COMMUNITY.fullmatch(community):
        raise ValidationError(
            f"community '{community}' is invalid: use lowercase letters, digits and '-'"
        )
    if not INTERVAL.fullmatch(interval_start):
        raise ValidationError(
            f"interval {interval_start} must be a UTC 15-minute start like 2026-03-01T09:15:00Z"
        )
    totals = parse_json("aggregate", raw)
    if not isinstance(totals, dict) or set(totals) != FIELDS:
        raise ValidationError(f"aggregate must have exactly: {', '.join(sorted(FIELDS))}")
    for field in sorted(FIELDS):
        value = totals[field]
        if type(value) is not int or not 0 <= value <= MAX_WH:
            raise ValidationError(f"aggregate {field} must be a non-negative integer")
    return totals


class AggregateContract(Contract):
    """k-anonymous community aggregates per interval, and the regulator's k."""

    Name = "AggregateContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetAggregate", "ListAggregates", "GetThreshold"]

    async def PublishAggregate(
        self, ctx: TransactionContext, community: str, interval_start: str, totals: str
    ) -> str:
        """Publish a community's totals for one interval (the utility's operator), once."""
        publisher = authorize(ctx)
        aggregate = parse_aggregate(community, interval_start, totals)
        k = await self._k(ctx)
        if aggregate["households"] < k:
            raise ValidationError(
                f"aggregate of community {community} for {interval_start} covers "
                f"{aggregate['households']} households; at least {k} are needed"
            )
        key = aggregate_key(community, interval_start)
        existing = await get_json(ctx, key)
        if existing is not None:
            if {f: existing[f] for f in FIELDS} == aggregate:
                return canonical_json(existing)
            raise Conflict(
                f"aggregate of community {community} for {interval_start} is already published"
            )
        record = {
            "community": community,
            "interval_start": interval_start,
            **aggregate,
            "k": k,
            "published_by": f"{publisher.msp_id}:{publisher.common_name}",
            "published_at": tx_timestamp(ctx),
        }
        await put_json(ctx, key, record)
        emit_event(ctx, "AggregatePublished", record)
        return canonical_json(record)

    async def SetThreshold(self, ctx: TransactionContext, k: str) -> str:
        """Set k, the fewest households an aggregate may cover (the regulator)."""
        regulator = authorize(ctx)
        if not K_TEXT.fullmatch(k) or not 2 <= int(k) <= MAX_K:
            raise ValidationError(f"k must be an integer from 2 to {MAX_K}")
        record = {
            "k": int(k),
            "set_by": f"{regulator.msp_id}:{regulator.common_name}",
            "set_at": tx_timestamp(ctx),
        }
        await put_json(ctx, SETTINGS_KEY, record)
        emit_event(ctx, "AggregateThresholdSet", record)
        return canonical_json(record)

    async def GetThreshold(self, ctx: TransactionContext) -> str:
        authorize(ctx)
        return canonical_json({"k": await self._k(ctx)})

    async def GetAggregate(
        self, ctx: TransactionContext, community: str, interval_start: str
    ) -> str:
        authorize(ctx)
        record = await get_json(ctx, aggregate_key(community, interval_start))
        if record is None:
            raise NotFound(f"no aggregate of community {community} for {interval_start}")
        return canonical_json(record)

    async def ListAggregates(
        self, ctx: TransactionContext, community: str, start: str, end: str
    ) -> str:
        """A community's aggregates for intervals in [start, end)."""
        authorize(ctx)
        entries = await list_json(
            ctx, aggregate_key(community, start), aggregate_key(community, end)
        )
        return canonical_json([record for _, record in entries])

    async def _k(self, ctx: Any) -> int:
        settings = await get_json(ctx, SETTINGS_KEY)
        return int(settings["k"]) if settings else DEFAULT_K
