"""The meter registry and erasure: who owns which meter, and forgetting a household.

Public state holds what every member may see: the meter registry (meter, household
pseudonym, feeder, device key) and erasure records. A household's personal details
live in the households collection of the utility and the community; its readings
live in the readings collection (:mod:`.meterdays`, served by :mod:`.readings`).
Erasure purges both and keeps the readings' commitments, so a reading disclosed
before can still be proven, and nothing about the household can be read again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.community.consent import household_of, purge_consents
from chaincode.community.meterdays import day_key, days_between, load_device_key
from chaincode.community.times import tx_time
from chaincode.runtime import (
    AccessDenied,
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
from chaincode.runtime.private import (
    get_private,
    get_private_hash,
    get_private_many,
    purge_private,
    put_private_json,
    transient,
)
from chaincode.runtime.state import parse_json
from gridspec.collections import HOUSEHOLDS, READINGS
from gridspec.ids import IDENTIFIER
from gridspec.reading_bundle import commitment_key
from gridspec.readings import (
    MAX_METERS_PER_HOUSEHOLD,
    RETENTION_DAYS,
    ReadingError,
    check_meter_id,
)

__all__ = [
    "MeterContract",
    "check_household_id",
    "household_key",
    "meter_key",
    "meters_of",
    "registered_meter",
    "valid_meter_id",
]

HOUSEHOLD_ID = re.compile(r"h-[A-Za-z0-9._-]{1,62}")
FEEDER = IDENTIFIER
PERSONAL_FIELDS = {"name", "address", "email", "phone"}
PERSONAL_MAX = 200
LAST_READING_DAYS = 7  # how far back a meter listing looks for the day a meter last sent


def meter_key(meter_id: str) -> str:
    return f"meter~{meter_id}"


def household_meters_prefix(household_id: str) -> str:
    return f"hhmeter~{household_id}~"


def household_key(household_id: str) -> str:
    return f"household~{household_id}"


def erasure_key(household_id: str) -> str:
    return f"erasure~{household_id}"


def valid_meter_id(meter_id: str) -> str:
    try:
        return check_meter_id(meter_id)
    except ReadingError as exc:
        raise ValidationError(str(exc)) from exc


def check_household_id(household_id: str) -> str:
    if not HOUSEHOLD_ID.fullmatch(household_id):
        raise ValidationError(
            f"household id '{household_id}' is invalid: "
            "use h- and up to 62 letters, digits, '.', '_' or '-'"
        )
    return household_id


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
        valid_meter_id(meter_id)
        check_household_id(household_id)
        if not FEEDER.fullmatch(feeder):
            raise ValidationError(f"meter {meter_id}: feeder '{feeder}' is invalid")
        load_device_key(key_pem)
        return cls(meter_id, household_id, feeder, key_pem)


async def registered_meter(ctx: Any, meter_id: str) -> dict[str, Any]:
    record = await get_json(ctx, meter_key(valid_meter_id(meter_id)))
    if record is None:
        raise NotFound(f"meter {meter_id} is not registered")
    return dict(record)


async def meters_of(ctx: Any, household_id: str) -> list[str]:
    entries = await list_json(ctx, *prefix_range(household_meters_prefix(household_id)))
    return [entry["meter_id"] for _, entry in entries]


def stored_days(meter: dict[str, Any], last: date) -> list[str]:
    """Every day a meter can have readings of, up to *last*: a submission comes after the
    registration and refuses days older than the retention period."""
    registered = date.fromisoformat(str(meter["registered_at"])[:10])
    return days_between(registered - timedelta(days=RETENTION_DAYS), last)


async def last_day(ctx: Any, meter: dict[str, Any], today: date) -> str | None:
    """The latest of the last week's days a meter has committed readings of, or None."""
    if meter["status"] != "active":
        return None
    for back in range(LAST_READING_DAYS + 1):
        day = (today - timedelta(days=back)).isoformat()
        if await get_private_hash(ctx, READINGS, commitment_key(meter["meter_id"], day)):
            return day
    return None


class MeterContract(Contract):
    """Meter registry and erasure of a household."""

    Name = "MeterContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetMeter", "ListMeters"]

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
            if len(await meters_of(ctx, household_id)) >= MAX_METERS_PER_HOUSEHOLD:
                raise Conflict(
                    f"household {household_id} has {MAX_METERS_PER_HOUSEHOLD} meters already"
                )
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
        return canonical_json(await registered_meter(ctx, meter_id))

    async def ListMeters(self, ctx: TransactionContext, household_id: str) -> str:
        """The registered meters of one household, or of every household when
        *household_id* is empty (staff only), each with the last day it sent readings.

        A household lists its own meters only. The last day comes from the readings'
        public commitments (which days a meter has, never what it read), looking back
        a week from today: None is a meter silent that long.
        """
        who = authorize(ctx)
        if who.role == "household":
            own = household_of(who)
            if household_id not in ("", own):
                raise AccessDenied(f"household {own} may not list the meters of {household_id}")
            household_id = own
        if household_id:
            check_household_id(household_id)
            ids = await meters_of(ctx, household_id)
            meters = [await registered_meter(ctx, meter_id) for meter_id in ids]
        else:
            meters = [m for _, m in await list_json(ctx, *prefix_range(meter_key("")))]
        today = tx_time(ctx).date()
        listed = [{**m, "last_reading_day": await last_day(ctx, m, today)} for m in meters]
        return canonical_json(sorted(listed, key=lambda m: (m["household_id"], m["meter_id"])))

    async def PurgeHousehold(self, ctx: TransactionContext, household_id: str, reason: str) -> str:
        """Erase a household's personal details and readings; the readings' commitments stay."""
        operator = authorize(ctx)
        check_household_id(household_id)
        if reason not in ("household request", "retention"):
            raise ValidationError("reason must be 'household request' or 'retention'")
        if await get_json(ctx, erasure_key(household_id)) is not None:
            raise Conflict(f"household {household_id} is already erased")
        meters = await meters_of(ctx, household_id)
        if not meters:
            raise NotFound(f"household {household_id} has no meter")
        days = 0
        for meter_id in meters:
            meter = await registered_meter(ctx, meter_id)
            days += await purge_days(ctx, meter_id, stored_days(meter, tx_time(ctx).date()))
            await put_json(ctx, meter_key(meter_id), {**meter, "status": "erased"})
        if await get_private(ctx, HOUSEHOLDS, household_key(household_id)) is not None:
            await purge_private(ctx, HOUSEHOLDS, household_key(household_id))
        await purge_consents(ctx, household_id)
        record = {
            "household_id": household_id,
            "reason": reason,
            "meter_days_purged": days,
            "erased_at": tx_timestamp(ctx),
            "erased_by": operator.common_name,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, erasure_key(household_id), record)
        emit_event(ctx, "HouseholdErased", record)
        return canonical_json(record)


async def purge_days(ctx: Any, meter_id: str, days: list[str]) -> int:
    """Purge the meter's stored bundles of *days* (their roots stay): how many there were."""
    keys = [day_key(meter_id, day) for day in days]
    present = [
        k for k, raw in zip(keys, await get_private_many(ctx, READINGS, keys), strict=True) if raw
    ]
    for key in present:
        await purge_private(ctx, READINGS, key)
    return len(present)
