"""Consent: a household lets a named identity read its readings, for a period and a purpose.

A consent names its grantee as ``<MSP id>:<enrollment id>`` (e.g.
``CommunityMSP:advisor1``), the readings it covers ``[data_from, data_to)``, a
purpose, and when it expires. It lives in the households collection, so only the
utility's and the community's peers know who shares data with whom, under a keyed
name (:mod:`.keyed`) whose hash on the ledger links to no household; its event says
no more than the consent id. Every read by a third party checks for a live consent
(not revoked, not expiring within the peers' clock skew of the transaction's
time, covering the whole period read).
"""

from __future__ import annotations

import re
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.community.keyed import keyed_name
from chaincode.community.times import check_utc, live_until
from chaincode.runtime import (
    AccessDenied,
    Caller,
    Conflict,
    NotFound,
    ValidationError,
    canonical_json,
    emit_event,
    tx_timestamp,
)
from chaincode.runtime.private import (
    get_private,
    get_private_json,
    purge_private,
    put_private_json,
)
from gridspec.collections import HOUSEHOLDS
from gridspec.ids import IDENTIFIER

__all__ = ["ConsentContract", "grantee_of", "require_consent"]

CONSENT_ID = IDENTIFIER
GRANTEE = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,63}:[A-Za-z0-9@._-]{1,64}")
PURPOSE_MAX = 200


async def consent_key(ctx: Any, household_id: str, consent_id: str) -> str:
    return await keyed_name(ctx, "consent", household_id, consent_id)


async def consent_index_key(ctx: Any, household_id: str) -> str:
    """The ids of a household's consents: private range queries cannot run in a
    transaction that writes, so erasure and listing read this index instead."""
    return await keyed_name(ctx, "consentidx", household_id)


def grantee_of(who: Caller) -> str:
    return f"{who.msp_id}:{who.common_name}"


def check_time(field: str, value: str) -> str:
    check_utc(field, value)
    return value


def now(ctx: Any) -> str:
    return tx_timestamp(ctx)[:19] + "Z"


def household_of(who: Caller) -> str:
    household_id = who.attributes.get("household_id")
    if not household_id:
        raise AccessDenied("caller has no household_id attribute")
    return household_id


async def consent_ids(ctx: Any, household_id: str) -> list[str]:
    index = await consent_index_key(ctx, household_id)
    return list(await get_private_json(ctx, HOUSEHOLDS, index) or [])


async def consents_of(ctx: Any, household_id: str) -> list[dict[str, Any]]:
    records = []
    for consent_id in await consent_ids(ctx, household_id):
        key = await consent_key(ctx, household_id, consent_id)
        record = await get_private_json(ctx, HOUSEHOLDS, key)
        if record is not None:
            records.append(record)
    return records


async def purge_consents(ctx: Any, household_id: str) -> None:
    """Purge every consent of a household, and their index (erasure)."""
    for consent_id in await consent_ids(ctx, household_id):
        await purge_private(ctx, HOUSEHOLDS, await consent_key(ctx, household_id, consent_id))
    index = await consent_index_key(ctx, household_id)
    if await get_private(ctx, HOUSEHOLDS, index) is not None:
        await purge_private(ctx, HOUSEHOLDS, index)


def is_live(consent: dict[str, Any], grantee: str, start: str, end: str, at: str) -> bool:
    return (
        consent["grantee"] == grantee
        and consent["revoked_at"] is None
        and at < consent["expires_at"]
        and consent["data_from"] <= start
        and end <= consent["data_to"]
    )


async def require_consent(ctx: Any, who: Caller, household_id: str, start: str, end: str) -> str:
    """The id of a consent of the household that lets `who` read [start, end) and stays
    live across the clock skew (see :mod:`.times`); AccessDenied when there is none."""
    grantee = grantee_of(who)
    at = live_until(ctx)
    for consent in await consents_of(ctx, household_id):
        if is_live(consent, grantee, start, end, at):
            return str(consent["consent_id"])
    raise AccessDenied(
        f"no live consent of household {household_id} lets {grantee} "
        f"read readings from {start} to {end}"
    )


class ConsentContract(Contract):
    """Households grant, revoke and list consents to read their readings."""

    Name = "ConsentContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["ListConsents"]

    async def GrantConsent(
        self,
        ctx: TransactionContext,
        consent_id: str,
        grantee: str,
        purpose: str,
        data_from: str,
        data_to: str,
        expires_at: str,
    ) -> str:
        """Grant `grantee` read access to the caller household's readings (household only)."""
        household_id = household_of(authorize(ctx))
        if not CONSENT_ID.fullmatch(consent_id):
            raise ValidationError(f"consent id '{consent_id}' is invalid")
        if not GRANTEE.fullmatch(grantee):
            raise ValidationError(f"grantee '{grantee}' must be written as MSPID:enrollment-id")
        if not purpose.strip() or len(purpose) > PURPOSE_MAX:
            raise ValidationError(f"purpose must be text of 1 to {PURPOSE_MAX} characters")
        if check_time("data_to", data_to) <= check_time("data_from", data_from):
            raise ValidationError("data_to must be after data_from")
        if check_time("expires_at", expires_at) <= now(ctx):
            raise ValidationError("expires_at must be in the future")
        terms = {
            "consent_id": consent_id,
            "household_id": household_id,
            "grantee": grantee,
            "purpose": purpose,
            "data_from": data_from,
            "data_to": data_to,
            "expires_at": expires_at,
        }
        key = await consent_key(ctx, household_id, consent_id)
        existing = await get_private_json(ctx, HOUSEHOLDS, key)
        if existing is not None:
            if {k: existing.get(k) for k in terms} != terms:
                raise Conflict(f"consent {consent_id} already exists with other terms")
            if existing["revoked_at"] is not None:
                raise Conflict(f"consent {consent_id} was revoked; grant a new consent id")
            return canonical_json(existing)
        record = {**terms, "granted_at": now(ctx), "revoked_at": None}
        await put_private_json(ctx, HOUSEHOLDS, key, record)
        ids = await consent_ids(ctx, household_id)
        index = await consent_index_key(ctx, household_id)
        await put_private_json(ctx, HOUSEHOLDS, index, [*ids, consent_id])
        emit_event(ctx, "ConsentGranted", {"consent_id": consent_id})
        return canonical_json(record)

    async def RevokeConsent(self, ctx: TransactionContext, consent_id: str) -> str:
        """Revoke one of the caller household's consents; revoking twice is a no-op."""
        household_id = household_of(authorize(ctx))
        key = await consent_key(ctx, household_id, consent_id)
        record = await get_private_json(ctx, HOUSEHOLDS, key)
        if record is None:
            raise NotFound(f"consent {consent_id} of household {household_id} does not exist")
        if record["revoked_at"] is None:
            record = {**record, "revoked_at": now(ctx)}
            await put_private_json(ctx, HOUSEHOLDS, key, record)
        emit_event(ctx, "ConsentRevoked", {"consent_id": consent_id})
        return canonical_json(record)

    async def ListConsents(self, ctx: TransactionContext) -> str:
        """The caller household's consents, live or not."""
        household_id = household_of(authorize(ctx))
        return canonical_json(await consents_of(ctx, household_id))
