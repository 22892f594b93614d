"""Hourly granular certificates of the community's local solar, kept by the ledger.

The utility's operator issues a household's certificates of a day from its metered
export (never from a claim); settlement carries them to buyers with the energy they
were delivered (:meth:`.certificate_store.Holdings.carry`); a household cancels what
it holds against its own consumption of each hour, which proves the share of local
solar in it; the producer discloses a certificate, and anyone (the regulator) audits
it against the readings' commitments with the readings' own disclosures. The rules
are :mod:`.domain.certificates`'; where they are kept, :mod:`.certificate_store`.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.community.agents import household_of
from chaincode.community.certificate_store import (
    ISSUED,
    Holdings,
    issued_key,
    load_issued,
    record_salt,
)
from chaincode.community.domain import (
    DomainError,
    cancel,
    certificate_id,
    issue,
    parse_date,
)
from chaincode.community.household_days import household_readings, household_trades
from chaincode.community.keyed import key_salt
from chaincode.community.market_orders import domain
from chaincode.community.meters import check_household_id, meters_of, registered_meter
from chaincode.community.times import tx_time
from chaincode.runtime import (
    AccessDenied,
    Conflict,
    NotFound,
    ValidationError,
    canonical_bytes,
    canonical_json,
    emit_event,
    tx_timestamp,
)
from chaincode.runtime.private import get_private_hash, put_private_json
from chaincode.runtime.state import parse_json
from gridspec.certificates import producer_of
from gridspec.collections import HOUSEHOLDS, READINGS
from gridspec.disclosure import implied_commitment
from gridspec.readings import ReadingError

__all__ = ["CertificateContract"]

DISCLOSURE = "gridledger-certificate-disclosure/1"
MAX_LISTING_DAYS = 31


def past_day(ctx: Any, text: str) -> date:
    """A day that is over (UTC), as certificates are made of whole days."""
    try:
        day = parse_date(text, "day")
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc
    if day >= tx_time(ctx).date():
        raise ValidationError(f"day {text} is not over yet")
    return day


def hours(day: date) -> list[str]:
    return [f"{day.isoformat()}T{h:02d}:00:00Z" for h in range(24)]


def producer(cert_id: str) -> str:
    try:
        return producer_of(cert_id)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


class CertificateContract(Contract):
    """Issue, carry, cancel, disclose and audit hourly certificates of local solar."""

    Name = "CertificateContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["ListCertificates", "DiscloseCertificate", "AuditCertificate"]

    async def IssueCertificates(self, ctx: TransactionContext, household_id: str, day: str) -> str:
        """Issue a household's certificates of a day from its metered export (operator);
        issuing again is a no-op, and trades already settled carry theirs now."""
        authorize(ctx)
        check_household_id(household_id)
        first = past_day(ctx, day)
        salt = await key_salt(ctx)
        made = domain(issue, household_id, await household_readings(ctx, household_id, [day]))
        existing = await load_issued(ctx, salt, [c.certificate_id for c in made])
        for cert in made:
            kept = existing.get(cert.certificate_id)
            if kept is not None and kept["volume_wh"] != cert.volume_wh:
                raise Conflict(
                    f"certificate {cert.certificate_id} was issued for {kept['volume_wh']} Wh; "
                    f"the readings now say {cert.volume_wh} Wh"
                )
        new = [c for c in made if c.certificate_id not in existing]
        holdings = Holdings(ctx, salt)
        await holdings.load((household_id, c.hour) for c in new)
        meters = sorted(await meters_of(ctx, household_id))
        for cert in new:
            record = {
                "certificate_id": cert.certificate_id,
                "household_id": household_id,
                "meters": meters,
                "energy_source": "solar",
                "hour": cert.hour,
                "volume_wh": cert.volume_wh,
                "issued_at": tx_timestamp(ctx),
                "tx_id": ctx.get_stub().get_txid(),
                "salt": record_salt(salt, "issued", cert.certificate_id),
            }
            await put_private_json(ctx, HOUSEHOLDS, issued_key(salt, cert.certificate_id), record)
            holdings.add(household_id, cert.hour, cert.certificate_id, cert.volume_wh)
        following = (first + timedelta(days=1)).isoformat()
        sold = [
            settled
            for view in await household_trades(ctx, household_id, day, following)
            if view.trade.seller == household_id and (settled := view.settled()) is not None
        ]
        await holdings.carry(sold, {c.certificate_id for c in new})
        await holdings.write()
        summary = {
            "household_id": household_id,
            "day": day,
            "issued": len(new),
            "volume_wh": sum(c.volume_wh for c in new),
            "tx_id": ctx.get_stub().get_txid(),
        }
        emit_event(ctx, "CertificatesIssued", summary)
        return canonical_json(summary)

    async def CancelCertificates(self, ctx: TransactionContext, day: str) -> str:
        """Cancel what the calling household holds of each hour of a day against its
        consumption in that hour, once an hour: its proof of local solar."""
        household_id = household_of(authorize(ctx))
        first = past_day(ctx, day)
        salt = await key_salt(ctx)
        consumed: dict[str, int] = {}
        for reading in await household_readings(ctx, household_id, [day]):
            hour = reading.interval_start[:13] + ":00:00Z"
            consumed[hour] = consumed.get(hour, 0) + reading.import_wh
        holdings = Holdings(ctx, salt)
        await holdings.load((household_id, hour) for hour in hours(first))
        done = []
        for hour in hours(first):
            held = holdings.of(household_id, hour)
            if held["cancellation"] is not None or not held["parts"]:
                continue
            parts = list(held["parts"].items())
            made = domain(cancel, household_id, hour, consumed.get(hour, 0), parts)
            for cert_id, wh in made.parts:
                holdings.add(household_id, hour, cert_id, -wh)
            cancellation = {
                "consumed_wh": made.consumed_wh,
                "cancelled_wh": made.cancelled_wh,
                "parts": [list(part) for part in made.parts],
                "cancelled_at": tx_timestamp(ctx),
                "tx_id": ctx.get_stub().get_txid(),
            }
            holdings.cancelled(household_id, hour, cancellation)
            done.append({"hour": hour, **cancellation})
        await holdings.write()
        return canonical_json({"household_id": household_id, "day": day, "hours": done})

    async def ListCertificates(self, ctx: TransactionContext, start: str, end: str) -> str:
        """The calling household's certificates of the days [start, end): those it
        produced as issued, and each hour's holding with its cancellation."""
        household_id = household_of(authorize(ctx))
        try:
            first, last = parse_date(start, "start"), parse_date(end, "end")
        except DomainError as exc:
            raise ValidationError(str(exc)) from exc
        if not 0 < (last - first).days <= MAX_LISTING_DAYS:
            raise ValidationError(f"list 1 to {MAX_LISTING_DAYS} days, end exclusive")
        days = [first + timedelta(days=n) for n in range((last - first).days)]
        every_hour = [hour for day in days for hour in hours(day)]
        salt = await key_salt(ctx)
        ids = [certificate_id(household_id, hour) for hour in every_hour]
        issued = await load_issued(ctx, salt, ids)
        holdings = Holdings(ctx, salt)
        await holdings.load((household_id, hour) for hour in every_hour)
        held = [
            {k: v for k, v in holdings.of(household_id, hour).items() if k != "salt"}
            for hour in every_hour
        ]
        return canonical_json(
            {
                "household_id": household_id,
                "issued": [
                    {k: v for k, v in issued[i].items() if k != "salt"} for i in ids if i in issued
                ],
                "holdings": [h for h in held if h["parts"] or h["cancellation"]],
            }
        )

    async def DiscloseCertificate(self, ctx: TransactionContext, cert_id: str) -> str:
        """A certificate as issued, with its salt and key, for its producer (or the
        operator) to hand to an auditor."""
        who = authorize(ctx)
        made_by = producer(cert_id)
        if who.role == "household" and household_of(who) != made_by:
            raise AccessDenied(f"household {household_of(who)} may not disclose {cert_id}")
        salt = await key_salt(ctx)
        issued = (await load_issued(ctx, salt, [cert_id])).get(cert_id)
        if issued is None:
            raise NotFound(f"certificate {cert_id} is not issued")
        key = issued_key(salt, cert_id)
        return canonical_json({"format": DISCLOSURE, "key": key, "certificate": issued})

    async def AuditCertificate(self, ctx: TransactionContext, audit: str) -> str:
        """Whether a disclosed certificate is the one issued and its volume is exactly the
        export its household's disclosed readings of the hour prove (anyone may ask)."""
        authorize(ctx)
        data = parse_json("audit", audit)
        if not isinstance(data, dict) or set(data) != {"certificate", "readings"}:
            raise ValidationError("an audit is {certificate: a disclosure, readings: [...]}")
        disclosed = data["certificate"]
        if not isinstance(disclosed, dict) or disclosed.get("format") != DISCLOSURE:
            raise ValidationError(f"the certificate must be a disclosure of format {DISCLOSURE}")
        record, key = disclosed.get("certificate"), str(disclosed.get("key", ""))
        if not isinstance(record, dict) or not key.startswith(ISSUED + "~"):
            raise ValidationError("the disclosure must carry the certificate and its key")
        readings = data["readings"]
        if not isinstance(readings, list) or len(readings) > 60 * 4:
            raise ValidationError("readings must be a list of the hour's reading disclosures")
        verdict = await self._audit(ctx, key, record, readings)
        return canonical_json({"certificate_id": record.get("certificate_id"), **verdict})

    async def _audit(
        self, ctx: Any, key: str, record: dict[str, Any], readings: list[Any]
    ) -> dict[str, Any]:
        on_ledger = await get_private_hash(ctx, HOUSEHOLDS, key)
        if not on_ledger or on_ledger.hex() != hashlib.sha256(canonical_bytes(record)).hexdigest():
            return {"verified": False, "reason": "the certificate is not one the ledger issued"}
        seen, exported = set(), 0
        for disclosure in readings:
            try:
                claim = implied_commitment(disclosure)
            except ReadingError as exc:
                raise ValidationError(f"a reading disclosure: {exc}") from exc
            committed = await get_private_hash(ctx, READINGS, claim.key)
            if claim.mismatch or not committed or committed.hex() != claim.commitment:
                return {
                    "verified": False,
                    "reason": f"reading {claim.key} is not the one committed",
                }
            reading = disclosure["reading"]
            slot = (reading["meter_id"], reading["interval_start"])
            owner = (await registered_meter(ctx, slot[0]))["household_id"]
            if owner != record["household_id"] or slot in seen:
                return {"verified": False, "reason": f"reading {slot} is not one of its own"}
            if reading["interval_start"][:13] != record["hour"][:13]:
                return {"verified": False, "reason": f"reading {slot} is not of its hour"}
            seen.add(slot)
            exported += int(reading["export_wh"])
        if exported != record["volume_wh"]:
            return {
                "verified": False,
                "reason": f"the readings prove {exported} Wh, the certificate says "
                f"{record['volume_wh']} Wh",
            }
        return {"verified": True, "exported_wh": exported, "readings": len(seen)}
