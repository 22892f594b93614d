"""The access record's transactions: record an access, list a household's, count them all.

``RecordAccess`` is what anyone but the household submits before reading a household's
readings, a disclosure or an invoice (:mod:`.access_records` says why and how the read
checks it). It refuses what the read itself would refuse, with the read's own checks,
so no record announces a read that cannot happen; its answer, written into every
peer's blocks, is only the record's id and time. ``ListAccesses`` shows a household its
records; ``CountAccesses`` gives the regulator counts from the public records, which
name no household and hold no reading.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.community.access_records import (
    Access,
    parse_access,
    public_range,
    records_between,
    write_access,
)
from chaincode.community.billing import may_read_invoice
from chaincode.community.consent import household_of
from chaincode.community.meters import check_household_id, registered_meter
from chaincode.community.readings import may_read
from chaincode.community.times import check_period
from chaincode.runtime import (
    AccessDenied,
    Caller,
    ValidationError,
    caller,
    canonical_json,
    emit_event,
    list_json,
)

__all__ = ["AccessContract"]


def refuse_households(who: Caller) -> None:
    """A household reads its own data without a record; it may read no other's at all."""
    if who.role == "household":
        raise ValidationError(
            "a household reads its own data without recording it; "
            "RecordAccess is for the utility and third parties"
        )


async def household_read(ctx: Any, access: Access) -> str:
    """The household whose data the access reads: a disclosure's meter's, else the subject."""
    if access.kind == "disclosure":
        meter = await registered_meter(ctx, access.subject)
        return str(meter["household_id"])
    return access.subject


async def may_access(ctx: Any, who: Caller, access: Access, household_id: str) -> str | None:
    """The read's own checks; the consent id that allows a third party's read, if any."""
    if access.kind == "invoice":
        may_read_invoice(who, household_id)
        return None
    return await may_read(ctx, who, household_id, access.start, access.end)


class AccessContract(Contract):
    """Access records of reads of households' data: written, listed, counted."""

    Name = "AccessContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["ListAccesses", "CountAccesses"]

    async def RecordAccess(
        self, ctx: TransactionContext, kind: str, subject: str, start: str, end: str
    ) -> str:
        """Record that the caller will read *kind* of *subject* over [start, end) (anyone
        but the household); the answer is the record's id, for the read's transient."""
        refuse_households(caller(ctx))
        who = authorize(ctx)
        access = parse_access(kind, subject, start, end)
        household_id = await household_read(ctx, access)
        consent_id = await may_access(ctx, who, access, household_id)
        public = await write_access(ctx, who, access, household_id, consent_id)
        emit_event(ctx, "AccessRecorded", public)
        return canonical_json({"access_id": public["tx_id"], "recorded_at": public["recorded_at"]})

    async def ListAccesses(
        self, ctx: TransactionContext, household_id: str, start: str, end: str
    ) -> str:
        """The household's own access records of [start, end), newest first."""
        own = household_of(authorize(ctx))
        check_household_id(household_id)
        if own != household_id:
            raise AccessDenied(
                f"household {own} may not read the accesses of household {household_id}"
            )
        check_period(start, end)
        records = await records_between(ctx, household_id, start, end)
        return canonical_json(records[::-1])

    async def CountAccesses(self, ctx: TransactionContext, start: str, end: str) -> str:
        """How many accesses were recorded in [start, end), by reader org, role and kind
        (the regulator); from the public records only."""
        authorize(ctx)
        check_period(start, end)
        counts = Counter(
            (record["reader_msp"], record["reader_role"], record["kind"])
            for _, record in await list_json(ctx, *public_range(start, end))
        )
        rows = [
            {"reader_msp": msp, "reader_role": role, "kind": kind, "count": count}
            for (msp, role, kind), count in sorted(counts.items())
        ]
        return canonical_json(
            {"start": start, "end": end, "total": sum(counts.values()), "counts": rows}
        )
