"""The consortium's member registry: which organisations (MSPs) belong to GridLedger.

An org's admin registers its own org (never another) and may later rename it; a
retry with the same values returns the record unchanged, without a write.

Membership itself is decided by channel configuration updates, which chaincode cannot
read; an admin of another member org records each one here (``RecordOnboarding``,
``RecordRemoval``), so no org vouches for its own admission or removal. A removed
member keeps its record, marked ``"status": "removed"``, as the trace of its time in
the consortium: its MSP id is never admitted again, a returning org gets a new one.
Records without a ``status`` (written before removals existed) are active.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.runtime import (
    AccessDenied,
    Caller,
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

from .membership_records import OnboardingRecord, RemovalRecord, check_msp_id

__all__ = [
    "ACTIVE",
    "KINDS",
    "REMOVED",
    "MemberContract",
    "MemberRegistration",
    "OnboardingRecord",
    "RemovalRecord",
    "check_msp_id",
    "check_name",
    "is_removed",
    "member_key",
]

KINDS = ("community", "regulator", "utility")
ACTIVE = "active"
REMOVED = "removed"
KEY_PREFIX = "member~"
NAME_MAX = 128
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    """The validated arguments of ``RegisterMember``, the first three of ``RecordOnboarding``."""

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


def is_removed(record: dict[str, Any]) -> bool:
    """Whether *record* is of a removed member; a record without a status is active."""
    return bool(record.get("status", ACTIVE) == REMOVED)


def member_view(record: dict[str, Any]) -> dict[str, Any]:
    """*record* as reads show it: with its status, ``active`` when it has none."""
    return {"status": ACTIVE, **record}


async def read_member(ctx: Any, msp_id: str) -> dict[str, Any] | None:
    """The member record of *msp_id*, or None; a stored value that is no object is an error."""
    key = member_key(msp_id)
    record = await get_json(ctx, key)
    if record is not None and not isinstance(record, dict):
        raise StateError(f"state at key {key} is not a member record")
    return record


async def recording_admin(ctx: Any, msp_id: str, change: str) -> Caller:
    """The caller, if an admin of an active member other than *msp_id*: an org's admission
    or removal is attested by a member that was already in, never by the org itself."""
    admin = authorize(ctx)
    if admin.msp_id == msp_id:
        raise ValidationError(f"an org may not record its own {change}")
    own = await read_member(ctx, admin.msp_id)
    if own is None:
        raise AccessDenied(f"caller org {admin.msp_id} is not a registered member")
    if is_removed(own):
        raise AccessDenied(f"caller org {admin.msp_id} was removed from the consortium")
    return admin


def removed_conflict(msp_id: str) -> Conflict:
    """A removed MSP id stays removed: its record is the trace of a past membership."""
    return Conflict(f"member {msp_id} was removed; admit it again under a new MSP id")


def onboarding_retry(
    existing: dict[str, Any], registration: MemberRegistration, onboarding: OnboardingRecord
) -> dict[str, Any]:
    """*existing*, if this onboarding is a retry of the one that wrote it; else Conflict."""
    if is_removed(existing):
        raise removed_conflict(registration.msp_id)
    if registration.matches(existing) and existing.get("onboarding") == onboarding.record():
        return existing
    raise Conflict(f"member {registration.msp_id} is already registered")


def removal_retry(existing: dict[str, Any], msp_id: str, removal: RemovalRecord) -> dict[str, Any]:
    """*existing* (removed), if this removal is a retry of the one that wrote it; else Conflict."""
    if existing.get("removal") == removal.record():
        return existing
    raise Conflict(f"member {msp_id} was already removed")


class MemberContract(Contract):
    """Register consortium members, record their admission and removal, read the registry."""

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
        existing = await read_member(ctx, registration.msp_id)
        if existing is not None:
            if is_removed(existing):
                raise removed_conflict(registration.msp_id)
            if registration.matches(existing):
                return canonical_json(existing)
            raise Conflict(f"member {registration.msp_id} is already registered")
        record = {
            "msp_id": registration.msp_id,
            "name": registration.name,
            "kind": registration.kind,
            "status": ACTIVE,
            "registered_at": tx_timestamp(ctx),
            "registered_by": admin.common_name,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, member_key(registration.msp_id), record)
        emit_event(ctx, "MemberRegistered", record)
        return canonical_json(record)

    async def UpdateMember(self, ctx: TransactionContext, msp_id: str, name: str) -> str:
        """Rename the caller's own registered org; an org admin (role ``admin``) only."""
        check_msp_id(msp_id)
        check_name(name)
        admin = authorize(ctx)
        require_msp(ctx, msp_id)
        record = await read_member(ctx, msp_id)
        if record is None:
            raise NotFound(f"member {msp_id} is not registered")
        if is_removed(record):
            raise Conflict(f"member {msp_id} was removed")
        if record.get("name") == name:
            return canonical_json(record)
        record = {
            **record,
            "name": name,
            "updated_at": tx_timestamp(ctx),
            "updated_by": admin.common_name,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, member_key(msp_id), record)
        emit_event(ctx, "MemberUpdated", record)
        return canonical_json(record)

    async def RecordOnboarding(
        self, ctx: TransactionContext, msp_id: str, name: str, kind: str, record: str
    ) -> str:
        """Record the config update that admitted *msp_id*; an admin (role ``admin``) of
        another active member, since the new org's word on its own admission proves nothing.
        A retry with the same values returns the record unchanged, without a write."""
        registration = MemberRegistration.parse(msp_id, name, kind)
        onboarding = OnboardingRecord.parse(record)
        admin = await recording_admin(ctx, registration.msp_id, "onboarding")
        existing = await read_member(ctx, registration.msp_id)
        if existing is not None:
            return canonical_json(onboarding_retry(existing, registration, onboarding))
        member = {
            "msp_id": registration.msp_id,
            "name": registration.name,
            "kind": registration.kind,
            "status": ACTIVE,
            "registered_at": tx_timestamp(ctx),
            "registered_by": admin.common_name,
            "recorded_by_msp": admin.msp_id,
            "tx_id": ctx.get_stub().get_txid(),
            "onboarding": onboarding.record(),
        }
        await put_json(ctx, member_key(registration.msp_id), member)
        emit_event(ctx, "MemberOnboarded", member)
        return canonical_json(member)

    async def RecordRemoval(self, ctx: TransactionContext, msp_id: str, record: str) -> str:
        """Record the config updates that removed *msp_id*; an admin (role ``admin``) of
        another active member. The record stays, marked removed, as the trace of the
        membership. A retry with the same record returns it unchanged, without a write."""
        check_msp_id(msp_id)
        removal = RemovalRecord.parse(record)
        admin = await recording_admin(ctx, msp_id, "removal")
        existing = await read_member(ctx, msp_id)
        if existing is None:
            raise NotFound(f"member {msp_id} is not registered")
        if is_removed(existing):
            return canonical_json(removal_retry(existing, msp_id, removal))
        member = {
            **existing,
            "status": REMOVED,
            "removal": removal.record(),
            "removed_at": tx_timestamp(ctx),
            "removed_by": admin.common_name,
            "removed_by_msp": admin.msp_id,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, member_key(msp_id), member)
        emit_event(ctx, "MemberRemoved", member)
        return canonical_json(member)

    async def GetMember(self, ctx: TransactionContext, msp_id: str) -> str:
        """The member record of *msp_id*, removed or not."""
        authorize(ctx)
        record = await read_member(ctx, check_msp_id(msp_id))
        if record is None:
            raise NotFound(f"member {msp_id} is not registered")
        return canonical_json(member_view(record))

    async def ListMembers(self, ctx: TransactionContext) -> str:
        """Every member record, removed ones too, sorted by MSP id."""
        authorize(ctx)
        entries = await list_json(ctx, *prefix_range(KEY_PREFIX))
        records = [record for _, record in entries]
        if not all(isinstance(record, dict) and "msp_id" in record for record in records):
            raise StateError("member registry holds a record without an msp id")
        views = [member_view(record) for record in records]
        return canonical_json(sorted(views, key=lambda record: record["msp_id"]))
