"""Meters and their readings: registry in public state, readings in a private collection.

Public state holds what every member may see: the meter registry (meter, household
pseudonym, feeder, device key) and erasure records. A household's personal details
and every reading live in private collections of the utility and the community; the
regulator's peer holds only their hashes, which is enough to verify a disclosed
reading and to prove an erasure happened.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import COMMUNITY, UTILITY, authorize, org_kind
from chaincode.community.collections import HOUSEHOLDS, READINGS
from chaincode.community.consent import purge_consents, require_consent
from chaincode.community.readings import (
    Reading,
    ReadingBatch,
    check_meter_id,
    check_utc,
    load_device_key,
    parse_stored,
    parse_utc,
    reading_hash,
    reading_key,
)
from chaincode.runtime import (
    AccessDenied,
    Caller,
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
from chaincode.runtime.ids import IDENTIFIER
from chaincode.runtime.private import (
    get_private,
    get_private_hash,
    get_private_json,
    get_private_many,
    list_private,
    purge_private,
    put_private,
    put_private_json,
    transient,
)
from chaincode.runtime.state import parse_json

__all__ = ["MeterContract", "household_key", "meter_key"]

HOUSEHOLD_ID = re.compile(r"h-[A-Za-z0-9._-]{1,62}")
FEEDER = IDENTIFIER
PERSONAL_FIELDS = {"name", "address", "email", "phone"}
PERSONAL_MAX = 200


def meter_key(meter_id: str) -> str:
    return f"meter~{meter_id}"


def household_meters_prefix(household_id: str) -> str:
    return f"hhmeter~{household_id}~"


def household_key(household_id: str) -> str:
    return f"household~{household_id}"


def erasure_key(household_id: str) -> str:
    return f"erasure~{household_id}"


def days_index_key(meter_id: str) -> str:
    """Private: the days a meter has readings for."""
    return f"readingdays~{meter_id}"


def day_index_key(meter_id: str, day: str) -> str:
    """Private: the interval starts a meter has readings for on one day."""
    return f"readingidx~{meter_id}~{day}"


def evidence_key(meter_id: str, interval_start: str) -> str:
    """Public: the hash of a purged reading, kept as evidence (safe to share: salted)."""
    return f"erased~{meter_id}~{interval_start}"


def parse_disclosed(raw: str) -> Reading:
    data = parse_json("reading", raw)
    fields = set(Reading.__dataclass_fields__)
    if not isinstance(data, dict) or set(data) != fields:
        raise ValidationError(f"reading must be a JSON object with {', '.join(sorted(fields))}")
    meter_id = check_meter_id(str(data["meter_id"]))
    for field in ("interval_minutes", "import_wh", "export_wh"):
        if type(data[field]) is not int:
            raise ValidationError(f"reading of meter {meter_id}: {field} must be an integer")
    return Reading(**data)


def check_household_id(household_id: str) -> str:
    if not HOUSEHOLD_ID.fullmatch(household_id):
        raise ValidationError(
            f"household id '{household_id}' is invalid: "
            "use h- and up to 62 letters, digits, '.', '_' or '-'"
        )
    return household_id


def tx_time(ctx: Any) -> datetime:
    return parse_utc(tx_timestamp(ctx)[:19] + "Z")


def parse_personal(raw: bytes | None, household_id: str) -> dict[str, str] | None:
    """The household's personal details from transient ``household``, if given."""
    if raw is None:
        return None
    details = parse_json("transient 'household'", raw)
    if not isinstance(details, dict) or not details:
        raise ValidationError("transient 'household' must be a non-empty JSON object")
    unknown = sorted(set(details) - PERSONAL_FIELDS)
    if unknown:
        raise ValidationError(
            f"household {household_id}: unknown personal fields {', '.join(unknown)}"
        )
    for name, value in details.items():
        if not isinstance(value, str) or not 0 < len(value) <= PERSONAL_MAX:
            raise ValidationError(
                f"household {household_id}: {name} must be text of 1 to {PERSONAL_MAX} characters"
            )
    return details


@dataclass(frozen=True)
class MeterRegistration:
    meter_id: str
    household_id: str
    feeder: str
    device_public_key: str

    @classmethod
    def parse(
        cls, meter_id: str, household_id: str, feeder: str, key_pem: str
    ) -> MeterRegistration:
        check_meter_id(meter_id)
        check_household_id(household_id)
        if not FEEDER.fullmatch(feeder):
            raise ValidationError(f"meter {meter_id}: feeder '{feeder}' is invalid")
        load_device_key(key_pem)
        return cls(meter_id, household_id, feeder, key_pem)


class MeterContract(Contract):
    """Meter registry, signed readings, reading queries and hashes, erasure."""

    Name = "MeterContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetMeter", "GetReadings", "GetReadingHash", "VerifyReading"]

    async def RegisterMeter(
        self,
        ctx: TransactionContext,
        meter_id: str,
        household_id: str,
        feeder: str,
        device_public_key: str,
    ) -> str:
        """Register a meter (operator only); personal details come in transient ``household``."""
        operator = authorize(ctx)
        registration = MeterRegistration.parse(meter_id, household_id, feeder, device_public_key)
        personal = parse_personal(transient(ctx).get("household"), household_id)
        if await get_json(ctx, erasure_key(household_id)) is not None:
            raise Conflict(f"household {household_id} was erased and cannot be registered again")
        existing = await get_json(ctx, meter_key(meter_id))
        if existing is not None:
            same = {
                k: existing.get(k) for k in registration.__dataclass_fields__
            } == registration.__dict__
            if not same:
                raise Conflict(f"meter {meter_id} is already registered")
        else:
            record = {
                **registration.__dict__,
                "status": "active",
                "registered_at": tx_timestamp(ctx),
                "registered_by": operator.common_name,
                "tx_id": ctx.get_stub().get_txid(),
            }
            await put_json(ctx, meter_key(meter_id), record)
            await put_json(
                ctx, household_meters_prefix(household_id) + meter_id, {"meter_id": meter_id}
            )
            existing = record
        if personal is not None:
            await put_private_json(ctx, HOUSEHOLDS, household_key(household_id), personal)
        emit_event(
            ctx,
            "MeterRegistered",
            {"meter_id": meter_id, "household_id": household_id, "feeder": feeder},
        )
        return canonical_json(existing)

    async def GetMeter(self, ctx: TransactionContext, meter_id: str) -> str:
        authorize(ctx)
        return canonical_json(await self._meter(ctx, meter_id))

    async def SubmitReadings(self, ctx: TransactionContext) -> str:
        """Store a signed batch (meter head-end only); repeats are no-ops, conflicts refused."""
        head_end = authorize(ctx)
        raw = transient(ctx).get("readings")
        if raw is None:
            raise ValidationError("readings must be sent in the transient map under 'readings'")
        batch = ReadingBatch.parse(raw, tx_time(ctx))
        allowed = head_end.attributes.get("meter_ids")
        if allowed is not None and batch.meter_id not in allowed.split(","):
            raise AccessDenied(
                f"head-end {head_end.common_name} does not serve meter {batch.meter_id}"
            )
        meter = await self._meter(ctx, batch.meter_id)
        if meter["status"] != "active":
            raise ValidationError(f"meter {batch.meter_id} is {meter['status']}")
        batch.verify(load_device_key(meter["device_public_key"]))
        keys = [reading_key(r.meter_id, r.interval_start) for r in batch.readings]
        stored_before = await get_private_many(ctx, READINGS, keys)
        new: list[Reading] = []
        for reading, key, existing in zip(batch.readings, keys, stored_before, strict=True):
            if await self._store(ctx, reading, key, existing):
                new.append(reading)
        await self._index(ctx, batch.meter_id, new)
        stored = len(new)
        summary = {
            "meter_id": batch.meter_id,
            "stored": stored,
            "duplicates": len(batch.readings) - stored,
            "first": min(r.interval_start for r in batch.readings),
            "last": max(r.interval_start for r in batch.readings),
        }
        emit_event(ctx, "ReadingsSubmitted", summary)
        return canonical_json(summary)

    async def GetReadings(
        self, ctx: TransactionContext, household_id: str, start: str, end: str
    ) -> str:
        """A household's readings in [start, end): to itself, the utility, or with consent."""
        who = authorize(ctx)
        check_household_id(household_id)
        if check_utc("end", end) <= check_utc("start", start):
            raise ValidationError("end must be after start")
        await self._may_read(ctx, who, household_id, start, end)
        readings = []
        for meter_id in await self._meters_of(ctx, household_id):
            low, high = reading_key(meter_id, start), reading_key(meter_id, end)
            readings += [
                json.loads(value) for _, value in await list_private(ctx, READINGS, low, high)
            ]
        return canonical_json(sorted(readings, key=lambda r: (r["interval_start"], r["meter_id"])))

    async def GetReadingHash(
        self, ctx: TransactionContext, meter_id: str, interval_start: str
    ) -> str:
        """The SHA-256 the channel keeps of one reading: any member may ask, the regulator too."""
        authorize(ctx)
        check_meter_id(meter_id)
        on_ledger = await self._hash(ctx, meter_id, interval_start)
        return canonical_json(
            {"meter_id": meter_id, "interval_start": interval_start, "sha256": on_ledger}
        )

    async def VerifyReading(self, ctx: TransactionContext, reading: str) -> str:
        """Whether a disclosed reading (as GetReadings returned it) is the one on the ledger.

        Compared with the hash the channel keeps of it, or, once the household was
        erased, with the hash kept in the erasure evidence.
        """
        authorize(ctx)
        disclosed = parse_disclosed(reading)
        on_ledger = await self._hash(ctx, disclosed.meter_id, disclosed.interval_start)
        return canonical_json(
            {
                "meter_id": disclosed.meter_id,
                "interval_start": disclosed.interval_start,
                "sha256": on_ledger,
                "verified": reading_hash(disclosed) == on_ledger,
            }
        )

    async def PurgeHousehold(self, ctx: TransactionContext, household_id: str, reason: str) -> str:
        """Erase a household's personal details and readings; the hashes stay as evidence."""
        operator = authorize(ctx)
        check_household_id(household_id)
        if reason not in ("household request", "retention"):
            raise ValidationError("reason must be 'household request' or 'retention'")
        if await get_json(ctx, erasure_key(household_id)) is not None:
            raise Conflict(f"household {household_id} is already erased")
        meters = await self._meters_of(ctx, household_id)
        if not meters:
            raise NotFound(f"household {household_id} has no meter")
        purged = 0
        for meter_id in meters:
            purged += await self._purge_meter(ctx, meter_id)
            meter = await self._meter(ctx, meter_id)
            await put_json(ctx, meter_key(meter_id), {**meter, "status": "erased"})
        if await get_private(ctx, HOUSEHOLDS, household_key(household_id)) is not None:
            await purge_private(ctx, HOUSEHOLDS, household_key(household_id))
        await purge_consents(ctx, household_id)
        record = {
            "household_id": household_id,
            "reason": reason,
            "readings_purged": purged,
            "erased_at": tx_timestamp(ctx),
            "erased_by": operator.common_name,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, erasure_key(household_id), record)
        emit_event(ctx, "HouseholdErased", record)
        return canonical_json(record)

    async def _hash(self, ctx: Any, meter_id: str, interval_start: str) -> str:
        """The reading's hash from private state, or from the evidence kept at erasure."""
        digest = await get_private_hash(ctx, READINGS, reading_key(meter_id, interval_start))
        if digest:
            return digest.hex()
        evidence = await get_json(ctx, evidence_key(meter_id, interval_start))
        if evidence is None:
            raise NotFound(f"no reading of meter {meter_id} at {interval_start}")
        return str(evidence["sha256"])

    async def _purge_meter(self, ctx: Any, meter_id: str) -> int:
        """Purge every reading of a meter, keeping each one's hash as public evidence."""
        purged = 0
        days_key = days_index_key(meter_id)
        for day in await get_private_json(ctx, READINGS, days_key) or []:
            index = day_index_key(meter_id, day)
            for start in await get_private_json(ctx, READINGS, index) or []:
                key = reading_key(meter_id, start)
                value = await get_private(ctx, READINGS, key)
                if value is None:
                    continue
                evidence = {
                    "sha256": reading_hash(parse_stored(value)),
                    "purged_by_tx": ctx.get_stub().get_txid(),
                }
                await put_json(ctx, evidence_key(meter_id, start), evidence)
                await purge_private(ctx, READINGS, key)
                purged += 1
            await purge_private(ctx, READINGS, index)
        if await get_private(ctx, READINGS, days_key) is not None:
            await purge_private(ctx, READINGS, days_key)
        return purged

    async def _store(self, ctx: Any, reading: Reading, key: str, existing: bytes | None) -> int:
        """Write a reading not stored yet; a repeat is a no-op, a different value a conflict."""
        if existing is not None:
            if not parse_stored(existing).same_values(reading):
                raise Conflict(
                    f"reading of meter {reading.meter_id} at {reading.interval_start} "
                    "conflicts with the recorded value"
                )
            return 0
        await put_private(ctx, READINGS, key, reading.stored())
        return 1

    async def _index(self, ctx: Any, meter_id: str, readings: list[Reading]) -> None:
        """Record the new readings' keys per day, in the readings collection itself.

        Private range queries cannot run in a transaction that writes, so erasure and
        billing find a meter's readings through these indexes; and because they live in
        the readings collection, a submission writes nothing else and the utility's
        endorsement alone (that collection's policy) suffices.
        """
        days: dict[str, list[str]] = {}
        for reading in readings:
            days.setdefault(reading.interval_start[:10], []).append(reading.interval_start)
        for day, starts in sorted(days.items()):
            key = day_index_key(meter_id, day)
            known = await get_private_json(ctx, READINGS, key) or []
            await put_private_json(ctx, READINGS, key, sorted({*known, *starts}))
        if days:
            known_days = await get_private_json(ctx, READINGS, days_index_key(meter_id)) or []
            if not set(days) <= set(known_days):
                merged = sorted({*known_days, *days})
                await put_private_json(ctx, READINGS, days_index_key(meter_id), merged)

    async def _meter(self, ctx: Any, meter_id: str) -> dict[str, Any]:
        record = await get_json(ctx, meter_key(check_meter_id(meter_id)))
        if record is None:
            raise NotFound(f"meter {meter_id} is not registered")
        return dict(record)

    async def _meters_of(self, ctx: Any, household_id: str) -> list[str]:
        entries = await list_json(ctx, *prefix_range(household_meters_prefix(household_id)))
        return [entry["meter_id"] for _, entry in entries]

    async def _may_read(
        self, ctx: Any, who: Caller, household_id: str, start: str, end: str
    ) -> None:
        if who.role == "household":
            own = who.attributes.get("household_id")
            if not own:
                raise AccessDenied("caller has no household_id attribute")
            if own != household_id or org_kind(who.msp_id) != COMMUNITY:
                raise AccessDenied(f"household {own} may not read household {household_id}")
        elif who.role in ("operator", "billing"):
            if org_kind(who.msp_id) != UTILITY:
                raise AccessDenied(
                    f"only the utility's {who.role} may read household {household_id}"
                )
        else:
            await require_consent(ctx, who, household_id, start, end)
