"""Demand-response events of a community's grid, on its grid-event register.

The utility's OpenADR 3 VTN (``api/openadr``) publishes its events here, in the
OpenADR wire format, and every change to one: its creation, each update and its
deletion are revisions, append-only, each with who issued it (the operator's MSP and
name), when (the transaction's time) and the transaction, so an auditor can replay
what the VENs were told and when. The current state of an event is the last revision.

The register sets what it is the authority on: ``objectType``, ``createdDateTime``
(the first revision's time) and ``modificationDateTime`` (this revision's). Publishing
an event that equals its current revision is a no-op, and withdrawing a withdrawn one
too, so a VTN can retry after a timeout; a withdrawn event's id is not used again.
"""

from __future__ import annotations

import hashlib
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
from gridspec.openadr import MAX_EVENT_BYTES, OBJECT_ID, check_event

__all__ = ["DemandResponseContract"]

KEY = "drevent~"
REVISION_KEY = "drrevision~"
STAMPED = ("objectType", "createdDateTime", "modificationDateTime")


def parse_event(raw: str) -> dict[str, Any]:
    if len(raw.encode()) > MAX_EVENT_BYTES:
        raise ValidationError(f"an event is at most {MAX_EVENT_BYTES} bytes of JSON")
    try:
        return check_event(parse_json("event", raw))
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def content(event: dict[str, Any]) -> dict[str, Any]:
    """What the VTN said, without what the register stamps."""
    return {k: v for k, v in event.items() if k not in STAMPED}


def digest(event: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(event).encode()).hexdigest()


class DemandResponseContract(Contract):
    """OpenADR 3 events and their revisions, append-only."""

    Name = "DemandResponseContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetDemandResponseEvent", "ListDemandResponseEvents", "DemandResponseHistory"]

    async def PublishDemandResponseEvent(self, ctx: TransactionContext, event: str) -> str:
        """Create or update an event (operator); the same content again is a no-op."""
        issuer = authorize(ctx)
        parsed = parse_event(event)
        current = await get_json(ctx, KEY + parsed["id"])
        now = tx_timestamp(ctx)
        if current is None:
            operation, revision, created = "CREATE", 1, now
        elif current["deleted"]:
            raise Conflict(f"event {parsed['id']} was deleted; publish a new event instead")
        elif content(current["event"]) == content(parsed):
            return canonical_json(current)
        else:
            operation, revision = "UPDATE", current["revision"] + 1
            created = current["event"]["createdDateTime"]
        stamped = {
            **content(parsed),
            "objectType": "EVENT",
            "createdDateTime": created,
            "modificationDateTime": now,
        }
        return await self._append(ctx, issuer, operation, revision, stamped, deleted=False)

    async def WithdrawDemandResponseEvent(self, ctx: TransactionContext, event_id: str) -> str:
        """Delete an event (operator): a last revision; withdrawing it again is a no-op."""
        issuer = authorize(ctx)
        current = await self._current(ctx, event_id)
        if current["deleted"]:
            return canonical_json(current)
        event = {**current["event"], "modificationDateTime": tx_timestamp(ctx)}
        return await self._append(
            ctx, issuer, "DELETE", current["revision"] + 1, event, deleted=True
        )

    async def GetDemandResponseEvent(self, ctx: TransactionContext, event_id: str) -> str:
        """An event's current revision (``deleted`` true once withdrawn)."""
        authorize(ctx)
        return canonical_json(await self._current(ctx, event_id))

    async def ListDemandResponseEvents(self, ctx: TransactionContext, program_id: str) -> str:
        """The current revisions of the events not withdrawn, of one program ("" = all),
        by creation time."""
        authorize(ctx)
        if program_id and not OBJECT_ID.fullmatch(program_id):
            raise ValidationError("program id must be 1-128 letters, digits, '_' or '-'")
        records = [r for _, r in await list_json(ctx, *prefix_range(KEY))]
        chosen = [
            r
            for r in records
            if not r["deleted"] and (not program_id or r["event"]["programID"] == program_id)
        ]
        chosen.sort(key=lambda r: (r["event"]["createdDateTime"], r["event"]["id"]))
        return canonical_json(chosen)

    async def DemandResponseHistory(self, ctx: TransactionContext, event_id: str) -> str:
        """Every revision of an event, oldest first: the audit trail of what VENs were told."""
        authorize(ctx)
        await self._current(ctx, event_id)
        revisions = await list_json(ctx, *prefix_range(f"{REVISION_KEY}{event_id}~"))
        return canonical_json([r for _, r in revisions])

    async def _current(self, ctx: TransactionContext, event_id: str) -> dict[str, Any]:
        if not OBJECT_ID.fullmatch(event_id):
            raise ValidationError("event id must be 1-128 letters, digits, '_' or '-'")
        record = await get_json(ctx, KEY + event_id)
        if record is None:
            raise NotFound(f"event {event_id} is not on the grid-event register")
        return dict(record)

    async def _append(
        self,
        ctx: TransactionContext,
        issuer: Any,
        operation: str,
        revision: int,
        event: dict[str, Any],
        *,
        deleted: bool,
    ) -> str:
        issued_by = {"msp_id": issuer.msp_id, "name": issuer.common_name}
        entry = {
            "event_id": event["id"],
            "revision": revision,
            "operation": operation,
            "event": event,
            "digest": digest(event),
            "issued_by": issued_by,
            "recorded_at": tx_timestamp(ctx),
            "tx_id": ctx.get_stub().get_txid(),
        }
        current = {"event": event, "revision": revision, "deleted": deleted, "issued_by": issued_by}
        await put_json(ctx, f"{REVISION_KEY}{event['id']}~{revision:08d}", entry)
        await put_json(ctx, KEY + event["id"], current)
        emit_event(ctx, f"DemandResponse{operation.title()}", entry)
        return canonical_json(current)
