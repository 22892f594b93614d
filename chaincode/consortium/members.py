"""The consortium's member registry: which organisations (MSPs) belong to GridLedger.

An org's admin registers its own org (never another) and may later rename it; a
retry with the same values returns the record unchanged, without a write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.runtime import (
    Conflict,
    NotFound,
    StateError,
    ValidationError,
    canonical_json,
    emit_event,
    get_json,
    list_json,
    prefix_range,
    put_json,
    require_msp,
    tx_timestamp,
)

__all__ = [
    "KINDS",
    "MemberContract",
    "MemberRegistration",
    "check_msp_id",
    "check_name",
    "member_key",
]

KINDS = ("community", "regulator", "utility")
KEY_PREFIX = "member~"
NAME_MAX = 128
MSP_ID = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,63}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_msp_id(msp_id: str) -> str:
    if not MSP_ID.fullmatch(msp_id):
        raise ValidationError(
            f"msp id '{msp_id}' is invalid: use 1-64 letters, digits, '.' or '-', "
            "starting with a letter"
        )
    return msp_id


def member_key(msp_id: str) -> str:
    return KEY_PREFIX + msp_id


def check_name(name: str) -> str:
    if not name.strip():
        raise ValidationError("member name must not be empty")
    if len(name) > NAME_MAX:
        raise ValidationError(f"member name must be at most {NAME_MAX} characters")
    if name != name.strip() or CONTROL.search(name):
        raise ValidationError(
            "member name must not have leading or trailing spaces or control characters"
        )
    return name


@dataclass(frozen=True)
class MemberRegistration:
    """The validated arguments of ``RegisterMember``."""

    msp_id: str
    name: str
    kind: str

    @classmethod
    def parse(cls, msp_id: str, name: str, kind: str) -> MemberRegistration:
        check_msp_id(msp_id)
        check_name(name)
        if kind not in KINDS:
            raise ValidationError(f"member kind '{kind}' is not one of: {', '.join(KINDS)}")
        return cls(msp_id, name, kind)

    def matches(self, record: dict[str, Any]) -> bool:
        return (record.get("msp_id"), record.get("name"), record.get("kind")) == (
            self.msp_id,
            self.name,
            self.kind,
        )


class MemberContract(Contract):
    """Register consortium members and read the registry."""

    Name = "MemberContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetMember", "ListMembers"]

    async def RegisterMember(
        self, ctx: TransactionContext, msp_id: str, name: str, kind: str
    ) -> str:
        """Register the caller's own org; an org admin (role ``admin``) only."""
        registration = MemberRegistration.parse(msp_id, name, kind)
        admin = authorize(ctx)
        require_msp(ctx, registration.msp_id)
        key = member_key(registration.msp_id)
        existing = await get_json(ctx, key)
        if existing is not None:
            if isinstance(existing, dict) and registration.matches(existing):
                return canonical_json(existing)
            raise Conflict(f"member {registration.msp_id} is already registered")
        record = {
            "msp_id": registration.msp_id,
            "name": registration.name,
            "kind": registration.kind,
            "registered_at": tx_timestamp(ctx),
            "registered_by": admin.common_name,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, key, record)
        emit_event(ctx, "MemberRegistered", record)
        return canonical_json(record)

    async def UpdateMember(self, ctx: TransactionContext, msp_id: str, name: str) -> str:
        """Rename the caller's own registered org; an org admin (role ``admin``) only."""
        check_msp_id(msp_id)
        check_name(name)
        admin = authorize(ctx)
        require_msp(ctx, msp_id)
        key = member_key(msp_id)
        record = await get_json(ctx, key)
        if record is None:
            raise NotFound(f"member {msp_id} is not registered")
        if record.get("name") == name:
            return canonical_json(record)
        record = {
            **record,
            "name": name,
            "updated_at": tx_timestamp(ctx),
            "updated_by": admin.common_name,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, key, record)
        emit_event(ctx, "MemberUpdated", record)
        return canonical_json(record)

    async def GetMember(self, ctx: TransactionContext, msp_id: str) -> str:
        """The member record of *msp_id*."""
        authorize(ctx)
        record = await get_json(ctx, member_key(check_msp_id(msp_id)))
        if record is None:
            raise NotFound(f"member {msp_id} is not registered")
        return canonical_json(record)

    async def ListMembers(self, ctx: TransactionContext) -> str:
        """Every member record, sorted by MSP id."""
        authorize(ctx)
        entries = await list_json(ctx, *prefix_range(KEY_PREFIX))
        records = [record for _, record in entries]
        if not all(isinstance(record, dict) and "msp_id" in record for record in records):
            raise StateError("member registry holds a record without an msp id")
        return canonical_json(sorted(records, key=lambda record: record["msp_id"]))
