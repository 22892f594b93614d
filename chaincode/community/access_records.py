"""Access records: whoever reads a household's data, other than the household, leaves one.

Reads of private data are evaluations: one peer answers, nothing is ordered, no block
holds them, and an evaluation cannot write. So the reader records the access first, in
a submitted transaction (``RecordAccess``, :mod:`.accesses`), and the read then names
that record: its transaction id in transient ``access``. The read checks that the
record is the caller's own, of the same kind and subject, covers the period read, and
is fresh: recorded at most :data:`ACCESS_TTL` before the read's timestamp and not
later than the clock skew after it. The household itself reads its own data without
any record; the billing system's ``GenerateInvoice``, which reads readings inside a
submit, writes its record in that same transaction.

Freshness rests on the read's timestamp, which its client sets (peers accept it up to
the clock skew off theirs, :mod:`.times`). That is acceptable: freshness only bounds how
long one record serves repeated reads; whatever timestamp a reader picks, it cannot
read without a record of its own, which names it, what it read and when it recorded it.

Each access is written twice:

- privately, in the households collection (the utility's and the community's peers),
  under ``accessof~HMAC(salt, household)~<recorded_at>~<tx_id>`` (:mod:`.keyed`): the
  name's hash links to no household, and a household's records are one private range
  query in an evaluation, sorted by time. Every record has a key of its own, so
  concurrent reads of one household never conflict.
- publicly, under ``access~<recorded_at>~<tx_id>``, with no household and no reading:
  the reader's MSP id and role, the kind of data and the time, for the regulator's
  counts (``CountAccesses``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chaincode.community.consent import grantee_of
from chaincode.community.keyed import keyed_name
from chaincode.community.meters import check_household_id, valid_meter_id
from chaincode.community.times import check_period, format_utc, tx_time
from chaincode.runtime import AccessDenied, Caller, PeerError, ValidationError, put_json
from chaincode.runtime.private import list_private_json, put_private_json, transient
from gridspec.collections import HOUSEHOLDS
from gridspec.readings import CLOCK_SKEW, INTERVAL_MINUTES

__all__ = [
    "ACCESS_TTL",
    "KINDS",
    "Access",
    "parse_access",
    "public_range",
    "records_between",
    "require_access",
    "write_access",
]

ACCESS_TTL = timedelta(minutes=10)
KINDS = ("readings", "disclosure", "invoice")
LONGEST_INTERVAL = timedelta(minutes=max(INTERVAL_MINUTES))
RECORD_FIRST = "record the access first with RecordAccess and send its transaction id"


@dataclass(frozen=True)
class Access:
    """What a reader reads: a kind of data, its subject (a household id, or a meter id for
    a disclosure) and the period ``[start, end)``, UTC instants."""

    kind: str
    subject: str
    start: str
    end: str

    def covers(self, read: Access) -> bool:
        """Whether *read* is what this record announced: a disclosure record names the
        reading that starts at its start, any other record a period to read within."""
        if (self.kind, self.subject) != (read.kind, read.subject):
            return False
        if self.kind == "disclosure" and self.start != read.start:
            return False
        return self.start <= read.start and read.end <= self.end

    def __str__(self) -> str:
        return f"{self.kind} of {self.subject} from {self.start} to {self.end}"


def parse_access(kind: str, subject: str, start: str, end: str) -> Access:
    """An access as RecordAccess's arguments name it, every field checked."""
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {', '.join(KINDS)}")
    if kind == "disclosure":
        valid_meter_id(subject)
    else:
        check_household_id(subject)
    begins, ends = check_period(start, end)
    if kind == "disclosure" and ends - begins > LONGEST_INTERVAL:
        raise ValidationError(
            f"a disclosure's period is one interval: at most {max(INTERVAL_MINUTES)} minutes"
        )
    return Access(kind, subject, start, end)


async def record_prefix(ctx: Any, household_id: str) -> str:
    """Where a household's records begin: a keyed name (:mod:`.keyed`), then ``~``."""
    return await keyed_name(ctx, "accessof", household_id) + "~"


def public_range(start: str, end: str) -> tuple[str, str]:
    """The public records' keys recorded in [start, end)."""
    return f"access~{start}", f"access~{end}"


async def write_access(
    ctx: Any, who: Caller, access: Access, household_id: str, consent_id: str | None
) -> dict[str, Any]:
    """Write the private and the public record of *access*; the public one is returned."""
    recorded_at = format_utc(tx_time(ctx))
    tx_id = ctx.get_stub().get_txid()
    record = {
        "household_id": household_id,
        "reader": grantee_of(who),
        "reader_role": who.role,
        "reader_org": who.msp_id,
        "kind": access.kind,
        "subject": access.subject,
        "start": access.start,
        "end": access.end,
        "consent_id": consent_id,
        "recorded_at": recorded_at,
        "tx_id": tx_id,
    }
    key = f"{await record_prefix(ctx, household_id)}{recorded_at}~{tx_id}"
    await put_private_json(ctx, HOUSEHOLDS, key, record)
    public = {
        "reader_msp": who.msp_id,
        "reader_role": who.role,
        "kind": access.kind,
        "recorded_at": recorded_at,
        "tx_id": tx_id,
    }
    await put_json(ctx, f"access~{recorded_at}~{tx_id}", public)
    return public


async def records_between(ctx: Any, household_id: str, start: str, end: str) -> list[Any]:
    """A household's records of [start, end), oldest first (a private range query: only
    in an evaluation)."""
    prefix = await record_prefix(ctx, household_id)
    entries = await list_private_json(ctx, HOUSEHOLDS, prefix + start, prefix + end)
    return [record for _, record in entries]


async def require_access(ctx: Any, who: Caller, read: Access, household_id: str) -> None:
    """Refuse a read by anyone but the household unless a fresh record of the caller's
    own announced it (transient ``access``: the RecordAccess transaction id).

    Callers checked by the read before this: a household reads only its own data.
    """
    if who.role == "household":
        return
    raw = transient(ctx).get("access")
    if raw is None:
        raise AccessDenied(
            f"reading the data of household {household_id} leaves a record: "
            f"{RECORD_FIRST} in transient 'access'"
        )
    access_id = raw.decode("utf-8", "replace")
    now = tx_time(ctx)
    try:
        fresh = await records_between(
            ctx,
            household_id,
            format_utc(now - ACCESS_TTL),
            format_utc(now + CLOCK_SKEW + timedelta(seconds=1)),
        )
    except PeerError as exc:  # a peer of an org outside the collection holds no records
        raise AccessDenied(
            "this peer keeps no access records: read through the utility's or the community's peer"
        ) from exc
    record = next((r for r in fresh if r["tx_id"] == access_id), None)
    if record is None or record["reader"] != grantee_of(who):
        minutes = ACCESS_TTL.seconds // 60
        raise AccessDenied(
            f"no access record {access_id[:80]} of {grantee_of(who)} for household "
            f"{household_id} from the last {minutes} minutes: {RECORD_FIRST} in transient "
            "'access'"
        )
    recorded = Access(record["kind"], record["subject"], record["start"], record["end"])
    if not recorded.covers(read):
        raise AccessDenied(
            f"access record {access_id} covers {recorded}, not {read}: {RECORD_FIRST} "
            "in transient 'access'"
        )
