"""Access records, the client's side: record the access, then read with the record's id.

Anyone but the household itself who reads a household's readings, a disclosure or an
invoice must first submit ``RecordAccess`` (kind, subject, period) and then send the
record's transaction id in the read's transient map under ``access``: the chaincode
refuses the read otherwise (``chaincode/community/access_records.py``). The facade
(:class:`client.facade.Ledger`) does both for its callers; :func:`read_recorded` is
that pair, and :func:`recorded` the first half for code that calls contracts itself.

A disclosure's record names the reading by its start; its period is the longest
interval the alignment rule lets start there (60 minutes at a full hour, 15 at a
quarter past), since the client does not know the meter's interval length.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gridspec.readings import INTERVAL_MINUTES, format_instant, parse_instant

from .contract import Contract

__all__ = [
    "Access",
    "disclosure_access",
    "invoice_access",
    "read_recorded",
    "recorded",
]

# the ledger call the facade makes: transaction, arguments, transient map
Call = Callable[..., Any]


@dataclass(frozen=True)
class Access:
    """What a reader will read: kind (readings, disclosure, invoice), subject (a household
    id, a meter id for a disclosure) and the period ``[start, end)`` in UTC."""

    kind: str
    subject: str
    start: str
    end: str

    def arguments(self) -> tuple[str, str, str, str]:
        """RecordAccess's arguments."""
        return (self.kind, self.subject, self.start, self.end)


def disclosure_access(meter_id: str, interval_start: str) -> Access:
    """The record of a disclosure of the reading starting at *interval_start* (one that
    is no UTC time goes as it is, for the chaincode to refuse with its reason)."""
    try:
        begins = parse_instant(interval_start, "interval_start")
    except ValueError:
        return Access("disclosure", meter_id, interval_start, interval_start)
    minute = begins.hour * 60 + begins.minute
    aligned = (n for n in INTERVAL_MINUTES if minute % n == 0)
    end = begins + timedelta(minutes=max(aligned, default=min(INTERVAL_MINUTES)))
    return Access("disclosure", meter_id, interval_start, format_instant(end))


def invoice_access(household_id: str, period_start: str, period_end: str) -> Access:
    """The record of a read of the invoice of the days [period_start, period_end)."""
    return Access("invoice", household_id, f"{period_start}T00:00:00Z", f"{period_end}T00:00:00Z")


def read_recorded(call: Call, transaction: str, args: Sequence[str], access: Access) -> Any:
    """Submit RecordAccess for *access* through *call*, then call *transaction* with the
    record's id in transient ``access``; the read's answer."""
    record = call("RecordAccess", *access.arguments())
    return call(transaction, *args, transient={"access": record["access_id"].encode()})


def recorded(accesses: Contract, access: Access) -> dict[str, bytes]:
    """Submit RecordAccess on the AccessContract *accesses*; the read's transient map.

    The first half of what :func:`read_recorded` does through the facade, for code that
    calls the contracts itself (tests, the benchmark)."""
    record = json.loads(accesses.submit("RecordAccess", args=access.arguments()))
    return {"access": str(record["access_id"]).encode()}
