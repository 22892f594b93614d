"""Readings: signed meter-day bundles in, readings and proofs out, retention enforced.

A head-end submits signed bundles (:mod:`gridspec.reading_bundle`) in the transient
map; the chaincode checks each payload, its time (:mod:`.times`) and the meter's
device signature, and stores it per meter-day (:mod:`.meterdays`). A household, the
utility, or a third party holding the household's live consent reads readings, or
one reading's disclosure (its values, salt and Merkle path), which anyone can check
against the commitment every peer keeps (``VerifyReading`` here, or offline with
:mod:`gridspec.disclosure`). Anyone but the household reads only after recording the
access (:mod:`.access_records`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import COMMUNITY, UTILITY, authorize, org_kind
from chaincode.community.access_records import Access, require_access
from chaincode.community.consent import require_consent
from chaincode.community.meterdays import (
    MeterDay,
    days_between,
    parse_submission,
    read_days,
    verify_signature,
    write_day,
)
from chaincode.community.meters import (
    check_household_id,
    meters_of,
    purge_days,
    registered_meter,
    stored_days,
)
from chaincode.community.times import check_period, check_utc, format_utc, tx_time
from chaincode.runtime import (
    AccessDenied,
    Caller,
    NotFound,
    ValidationError,
    canonical_json,
    emit_event,
    get_json,
    put_json,
)
from chaincode.runtime.private import get_private_hash, transient
from chaincode.runtime.state import parse_json
from gridspec.collections import READINGS
from gridspec.disclosure import disclose, implied_commitment
from gridspec.reading_bundle import commitment_key
from gridspec.readings import CLOCK_SKEW, ReadingError, check_day, oldest_day

__all__ = ["ReadingContract", "may_read", "meter_readings"]

MAX_PURGE_METERS = 100


def retention_key(meter_id: str) -> str:
    """Public: the first day of a meter whose readings retention still keeps."""
    return f"retained~{meter_id}"


async def meter_readings(ctx: Any, meter_id: str, days: list[str]) -> list[Any]:
    """A meter's stored readings on *days*, in interval order (billing and the market)."""
    stored = await read_days(ctx, meter_id, days)
    return [r for day in days if day in stored for r in stored[day].readings().values()]


class ReadingContract(Contract):
    """Signed readings, reading queries and disclosures, retention."""

    Name = "ReadingContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetReadings", "DiscloseReading", "GetReadingCommitment", "VerifyReading"]

    async def SubmitReadings(self, ctx: TransactionContext) -> str:
        """Store signed meter-day bundles (head-end only); repeats are no-ops, changes refused."""
        head_end = authorize(ctx)
        raw = transient(ctx).get("bundles")
        if raw is None:
            raise ValidationError("readings must be sent in the transient map under 'bundles'")
        pairs = parse_submission(raw, tx_time(ctx))
        allowed = head_end.attributes.get("meter_ids")
        keys: dict[str, str] = {}
        for _, bundle in pairs:
            if allowed is not None and bundle.meter_id not in allowed.split(","):
                raise AccessDenied(
                    f"head-end {head_end.common_name} does not serve meter {bundle.meter_id}"
                )
            if bundle.meter_id not in keys:
                meter = await registered_meter(ctx, bundle.meter_id)
                if meter["status"] != "active":
                    raise ValidationError(f"meter {bundle.meter_id} is {meter['status']}")
                keys[bundle.meter_id] = meter["device_public_key"]
        for signed, bundle in pairs:
            verify_signature(keys[bundle.meter_id], bundle, signed.signature)
        days = await self._days_of(ctx, pairs)
        summary = {"bundles": len(pairs), "stored": 0, "duplicates": 0, "meter_days": []}
        changed: dict[tuple[str, str], MeterDay] = {}
        for signed, bundle in pairs:
            key = (bundle.meter_id, bundle.day.isoformat())
            new, repeated = days[key].add(signed, bundle)
            summary["stored"] += new
            summary["duplicates"] += repeated
            if new:
                changed[key] = days[key]
        for day in changed.values():
            await write_day(ctx, day)
        summary["meter_days"] = [{"meter_id": m, "day": d} for m, d in sorted(changed)]
        emit_event(ctx, "ReadingsSubmitted", summary)
        return canonical_json(summary)

    async def GetReadings(
        self, ctx: TransactionContext, household_id: str, start: str, end: str
    ) -> str:
        """A household's readings in [start, end): to itself, the utility, or with consent."""
        who = authorize(ctx)
        check_household_id(household_id)
        begins, ends = check_period(start, end)
        await may_read(ctx, who, household_id, start, end)
        await require_access(ctx, who, Access("readings", household_id, start, end), household_id)
        days = days_between(begins.date(), (ends - timedelta(seconds=1)).date())
        readings = []
        for meter_id in await meters_of(ctx, household_id):
            readings += [
                r.record()
                for r in await meter_readings(ctx, meter_id, days)
                if start <= r.interval_start < end
            ]
        return canonical_json(sorted(readings, key=lambda r: (r["interval_start"], r["meter_id"])))

    async def DiscloseReading(
        self, ctx: TransactionContext, meter_id: str, interval_start: str
    ) -> str:
        """One reading with its Merkle proof: for whoever may read it, to hand to anyone."""
        who = authorize(ctx)
        meter = await registered_meter(ctx, meter_id)
        begins = check_utc("interval_start", interval_start, "2026-03-01T09:15:00Z")
        day = interval_start[:10]
        stored = (await read_days(ctx, meter_id, [day])).get(day)
        reading = stored.readings().get(interval_start) if stored else None
        end = format_utc(begins + timedelta(minutes=reading.interval_minutes if reading else 1))
        household_id = meter["household_id"]
        await may_read(ctx, who, household_id, interval_start, end)
        read = Access("disclosure", meter_id, interval_start, end)
        await require_access(ctx, who, read, household_id)
        if stored is None or reading is None:
            raise NotFound(f"no reading of meter {meter_id} at {interval_start}")
        return canonical_json(disclose(stored.bundles, interval_start))

    async def GetReadingCommitment(self, ctx: TransactionContext, meter_id: str, day: str) -> str:
        """The SHA-256 every peer keeps of a meter-day's bundle roots (anyone may ask)."""
        authorize(ctx)
        await registered_meter(ctx, meter_id)
        try:
            check_day(day, f"commitment of meter {meter_id}")
        except ReadingError as exc:
            raise ValidationError(str(exc)) from exc
        key = commitment_key(meter_id, day)
        return canonical_json(
            {"meter_id": meter_id, "day": day, "key": key, "sha256": await self._hash(ctx, key)}
        )

    async def VerifyReading(self, ctx: TransactionContext, disclosure: str) -> str:
        """Whether a disclosed reading (as DiscloseReading gave it) is the one committed."""
        authorize(ctx)
        try:
            claim = implied_commitment(parse_json("disclosure", disclosure))
        except ReadingError as exc:
            raise ValidationError(str(exc)) from exc
        on_ledger = await self._hash(ctx, claim.key)
        verdict = {
            "key": claim.key,
            "sha256": on_ledger,
            "verified": claim.mismatch is None and claim.commitment == on_ledger,
        }
        if claim.mismatch is not None:
            verdict["reason"] = claim.mismatch
        elif claim.commitment != on_ledger:
            verdict["reason"] = "the day's roots differ from those committed on the ledger"
        return canonical_json(verdict)

    async def PurgeExpiredReadings(self, ctx: TransactionContext, meter_ids: str) -> str:
        """Purge the readings retention no longer keeps, for up to 100 meters (operator).

        A day goes once it is older than the retention period even for a proposal
        dated the clock skew early; the day's commitment stays, like after erasure.
        """
        operator = authorize(ctx)
        ids = parse_json("meter_ids", meter_ids, "list")
        if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_PURGE_METERS:
            raise ValidationError(f"meter_ids must be a JSON list of 1 to {MAX_PURGE_METERS} ids")
        keep_from = oldest_day(tx_time(ctx) - CLOCK_SKEW)
        last = keep_from - timedelta(days=1)
        purged = []
        for meter_id in sorted(set(map(str, ids))):
            meter = await registered_meter(ctx, meter_id)
            cursor = await get_json(ctx, retention_key(meter_id))
            days = stored_days(meter, last)
            if cursor is not None:
                days = [d for d in days if d >= cursor["keep_from"]]
            count = await purge_days(ctx, meter_id, days)
            await put_json(ctx, retention_key(meter_id), {"keep_from": keep_from.isoformat()})
            purged.append({"meter_id": meter_id, "meter_days_purged": count})
        record = {
            "keep_from": keep_from.isoformat(),
            "meters": purged,
            "purged_by": operator.common_name,
        }
        emit_event(ctx, "ReadingsExpired", record)
        return canonical_json(record)

    async def _days_of(self, ctx: Any, pairs: list[Any]) -> dict[tuple[str, str], MeterDay]:
        """The stored meter-days the submission touches, new ones empty."""
        wanted: dict[str, list[str]] = {}
        for _, bundle in pairs:
            wanted.setdefault(bundle.meter_id, [])
            if bundle.day.isoformat() not in wanted[bundle.meter_id]:
                wanted[bundle.meter_id].append(bundle.day.isoformat())
        days: dict[tuple[str, str], MeterDay] = {}
        for meter_id, meter_days in wanted.items():
            stored = await read_days(ctx, meter_id, meter_days)
            for day in meter_days:
                days[(meter_id, day)] = stored.get(day) or MeterDay(meter_id, day)
        return days

    async def _hash(self, ctx: Any, key: str) -> str:
        digest = await get_private_hash(ctx, READINGS, key)
        if not digest:
            raise NotFound(f"no readings are committed under {key}")
        return digest.hex()


async def may_read(ctx: Any, who: Caller, household_id: str, start: str, end: str) -> str | None:
    """The household itself, the utility's operator and billing, or a live consent: the
    consent's id for a third party (its access record names it), else None."""
    if who.role == "household":
        own = who.attributes.get("household_id")
        if not own:
            raise AccessDenied("caller has no household_id attribute")
        if own != household_id or org_kind(who.msp_id) != COMMUNITY:
            raise AccessDenied(f"household {own} may not read household {household_id}")
        return None
    if who.role in ("operator", "billing"):
        if org_kind(who.msp_id) != UTILITY:
            raise AccessDenied(f"only the utility's {who.role} may read household {household_id}")
        return None
    return await require_consent(ctx, who, household_id, start, end)
