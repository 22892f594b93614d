"""Grid incidents of a community's area: outages, faults and maintenance.

The log is append-only: an event, once recorded, never changes. An ongoing event is
recorded with no end; its end is appended later (``EndGridEvent``) as a record of its
own, once. Reporting the same event again is a no-op, so a head-end can retry.

Event types: ``OUTAGE``, ``FAULT`` and ``MAINTENANCE``, with a cause and the number of
meters affected. Price and load-shed signals are OpenADR 3 events, on the same register
through :mod:`.demand_response`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
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
    prefix_range,
    put_json,
    tx_timestamp,
)
from chaincode.runtime.state import parse_json
from gridspec.grid_events import INCIDENT_TYPES
from gridspec.ids import IDENTIFIER

__all__ = ["INCIDENT_TYPES", "GridEvent", "GridEventContract"]

EVENT_ID = FEEDER = IDENTIFIER
CAUSE_MAX = 200
MAX_AFFECTED_METERS = 10_000_000
KEY = "gridevent~"
END_KEY = "grideventend~"


def parse_time(field: str, value: Any) -> str:
    """A UTC instant written as ``YYYY-MM-DDTHH:MM:SSZ``; returned unchanged."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
        raise ValidationError(f"{field} must be a UTC time like 2026-03-01T09:15:00Z")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError as exc:
        raise ValidationError(f"{field} {value} is not a valid time") from exc
    return value


@dataclass(frozen=True)
class GridEvent:
    """A validated grid event as reported by the operator."""

    event_id: str
    event_type: str
    feeder: str
    start: str
    end: str | None
    cause: str
    affected_meters: int

    @classmethod
    def parse(cls, raw: str) -> GridEvent:
        data = parse_json("grid event", raw)
        if not isinstance(data, dict):
            raise ValidationError("grid event must be a JSON object")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValidationError(f"grid event has unknown fields: {', '.join(unknown)}")
        event_id = str(data.get("event_id", ""))
        if not EVENT_ID.fullmatch(event_id):
            raise ValidationError(
                f"event id '{event_id}' is invalid: use 1-64 letters, digits, '.', '_' or '-'"
            )
        event_type = data.get("event_type")
        if event_type not in INCIDENT_TYPES:
            raise ValidationError(
                f"grid event {event_id}: event_type must be one of {', '.join(INCIDENT_TYPES)}; "
                "a price or load-shed signal is an OpenADR 3 event of the utility's VTN"
            )
        feeder = str(data.get("feeder", ""))
        if not FEEDER.fullmatch(feeder):
            raise ValidationError(f"grid event {event_id}: feeder '{feeder}' is invalid")
        start = parse_time("start", data.get("start"))
        end = data.get("end")
        if end is not None and parse_time("end", end) <= start:
            raise ValidationError(f"grid event {event_id}: end must be after start")
        cause = data.get("cause", "")
        if not isinstance(cause, str) or len(cause) > CAUSE_MAX:
            raise ValidationError(
                f"grid event {event_id}: cause must be text of at most {CAUSE_MAX} characters"
            )
        affected = data.get("affected_meters", 0)
        if type(affected) is not int or not 0 <= affected <= MAX_AFFECTED_METERS:
            raise ValidationError(
                f"grid event {event_id}: affected_meters must be an integer "
                f"between 0 and {MAX_AFFECTED_METERS}"
            )
        return cls(event_id, event_type, feeder, start, end, cause, affected)


class GridEventContract(Contract):
    """The append-only log of a community's grid events."""

    Name = "GridEventContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetGridEvent", "ListGridEvents"]

    async def ReportGridEvent(self, ctx: TransactionContext, event: str) -> str:
        """Record an event (operator only); the same event again is a no-op."""
        reporter = authorize(ctx)
        parsed = GridEvent.parse(event)
        key = KEY + parsed.event_id
        existing = await get_json(ctx, key)
        if existing is not None:
            if {k: existing.get(k) for k in asdict(parsed)} == asdict(parsed):
                return canonical_json(existing)
            raise Conflict(f"grid event {parsed.event_id} is already recorded")
        record = {
            **asdict(parsed),
            "reported_by": reporter.common_name,
            "reported_at": tx_timestamp(ctx),
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, key, record)
        emit_event(ctx, "GridEventReported", record)
        return canonical_json(record)

    async def EndGridEvent(self, ctx: TransactionContext, event_id: str, end: str) -> str:
        """Append the end of an ongoing event, once (operator only)."""
        reporter = authorize(ctx)
        record = await self._event(ctx, event_id)
        parse_time("end", end)
        if record.get("end") is not None:
            raise Conflict(f"grid event {event_id} already has an end")
        if end <= record["start"]:
            raise ValidationError(f"grid event {event_id}: end must be after start")
        closure = {
            "event_id": event_id,
            "end": end,
            "reported_by": reporter.common_name,
            "reported_at": tx_timestamp(ctx),
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, END_KEY + event_id, closure)
        emit_event(ctx, "GridEventEnded", closure)
        return canonical_json({**record, "end": end, "ended": closure})

    async def GetGridEvent(self, ctx: TransactionContext, event_id: str) -> str:
        """One event, with its end if one was appended."""
        authorize(ctx)
        return canonical_json(await self._event(ctx, event_id))

    async def ListGridEvents(self, ctx: TransactionContext, start: str, end: str) -> str:
        """Events starting in [start, end), oldest first."""
        authorize(ctx)
        parse_time("start", start)
        parse_time("end", end)
        events = [record for _, record in await list_json(ctx, *prefix_range(KEY))]
        closures = {r["event_id"]: r for _, r in await list_json(ctx, *prefix_range(END_KEY))}
        chosen = [
            self._merge(e, closures.get(e["event_id"])) for e in events if start <= e["start"] < end
        ]
        return canonical_json(sorted(chosen, key=lambda e: (e["start"], e["event_id"])))

    async def _event(self, ctx: TransactionContext, event_id: str) -> dict[str, Any]:
        record = await get_json(ctx, KEY + event_id)
        if record is None:
            raise NotFound(f"grid event {event_id} is not recorded")
        return self._merge(record, await get_json(ctx, END_KEY + event_id))

    @staticmethod
    def _merge(record: dict[str, Any], closure: dict[str, Any] | None) -> dict[str, Any]:
        if closure is None:
            return record
        return {**record, "end": closure["end"], "ended": closure}
