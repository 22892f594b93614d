"""Time-of-use tariffs: proposed by the utility, approved by the regulator, then in force.

Decision: the tariff that billing and settlement use is recorded on the community
channel itself, with the regulator's approval as a transaction of its own. The
regulator is a member of every community channel, so the approval is as strong as on
the consortium channel, and invoices never depend on reading another channel (a
cross-channel read is not validated at commit, so two endorsers at different block
heights could disagree). The tariff in force for a day is the approved tariff with
the latest ``valid_from`` not after that day.
"""

from __future__ import annotations

from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.community.domain import DomainError, Tariff, parse_date
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

__all__ = ["TariffContract", "tariff_in_force"]

KEY = "tariff~"


def parse_tariff(raw: str) -> Tariff:
    record = parse_json("tariff", raw)
    if not isinstance(record, dict):
        raise ValidationError("tariff must be a JSON object")
    try:
        return Tariff.from_record(record)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


async def tariff_in_force(ctx: Any, day: str) -> Tariff:
    """The approved tariff in force on `day` (YYYY-MM-DD)."""
    try:
        parse_date(day)
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc
    approved = [
        record
        for _, record in await list_json(ctx, *prefix_range(KEY))
        if record["status"] == "approved" and record["tariff"]["valid_from"] <= day
    ]
    if not approved:
        raise NotFound(f"no approved tariff is in force on {day}")
    latest = max(approved, key=lambda r: (r["tariff"]["valid_from"], r["approved_at"]))
    return Tariff.from_record(latest["tariff"])


class TariffContract(Contract):
    """Tariff proposals by the utility and their approval by the regulator."""

    Name = "TariffContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetTariff", "TariffInForce", "ListTariffs"]

    async def ProposeTariff(self, ctx: TransactionContext, tariff: str) -> str:
        """Propose a tariff (the utility's operator); the same proposal again is a no-op."""
        proposer = authorize(ctx)
        parsed = parse_tariff(tariff)
        key = KEY + parsed.tariff_id
        existing = await get_json(ctx, key)
        if existing is not None:
            if existing["tariff"] == parsed.to_record():
                return canonical_json(existing)
            raise Conflict(f"tariff {parsed.tariff_id} is already proposed with other terms")
        record = {
            "tariff": parsed.to_record(),
            "status": "proposed",
            "proposed_by": proposer.common_name,
            "proposed_at": tx_timestamp(ctx),
            "approved_by": None,
            "approved_at": None,
        }
        await put_json(ctx, key, record)
        emit_event(ctx, "TariffProposed", {"tariff_id": parsed.tariff_id})
        return canonical_json(record)

    async def ApproveTariff(self, ctx: TransactionContext, tariff_id: str) -> str:
        """Approve a proposed tariff (the regulator); approving twice is a no-op."""
        regulator = authorize(ctx)
        record = await get_json(ctx, KEY + tariff_id)
        if record is None:
            raise NotFound(f"tariff {tariff_id} is not proposed")
        if record["status"] == "approved":
            return canonical_json(record)
        record = {
            **record,
            "status": "approved",
            "approved_by": f"{regulator.msp_id}:{regulator.common_name}",
            "approved_at": tx_timestamp(ctx),
        }
        await put_json(ctx, KEY + tariff_id, record)
        emit_event(ctx, "TariffApproved", {"tariff_id": tariff_id})
        return canonical_json(record)

    async def GetTariff(self, ctx: TransactionContext, tariff_id: str) -> str:
        authorize(ctx)
        record = await get_json(ctx, KEY + tariff_id)
        if record is None:
            raise NotFound(f"tariff {tariff_id} is not proposed")
        return canonical_json(record)

    async def TariffInForce(self, ctx: TransactionContext, day: str) -> str:
        authorize(ctx)
        return canonical_json((await tariff_in_force(ctx, day)).to_record())

    async def ListTariffs(self, ctx: TransactionContext) -> str:
        """Every tariff proposed on the channel, approved or awaiting the regulator, by
        the day it is valid from (then id): the regulator's list of approvals."""
        authorize(ctx)
        records = [record for _, record in await list_json(ctx, *prefix_range(KEY))]
        records.sort(key=lambda r: (r["tariff"]["valid_from"], r["tariff"]["tariff_id"]))
        return canonical_json(records)
