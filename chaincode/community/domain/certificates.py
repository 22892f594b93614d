"""Hourly granular certificates of locally exported solar energy (after EnergyTag's scheme).

A certificate says that one hour's energy, metered as exported by one household, was
produced there. It is made from the readings and moves only with the energy:

1. **Issuance.** One certificate per household and hour with export: its volume is
   the sum of the household's metered ``export_wh`` in that hour, and its id
   ``gc-<household>-<YYYYMMDDHH>`` (so one household-hour never has two). An hour with
   no export has none. Readings come from :class:`~.readings.IntervalReading`, never
   from a claim. Every reading lies in one hour (readings are aligned, at most an hour).
2. **Carrying.** At first the producer holds all of a certificate. A settled trade that
   delivered ``D`` Wh in an hour moves ``min(D, what the seller still holds of its own
   certificate of that hour)`` to the buyer, once per trade: energy bought and sold
   again within the hour was consumed, so only the seller's own production travels.
3. **Cancellation.** A household's consumption in an hour (its ``import_wh``) cancels
   the parts it holds of that hour's certificates, certificate by certificate in id
   order, up to the consumption. ``cancelled_wh / consumed_wh`` is the share of its
   consumption in that hour that is proven local solar. An hour is cancelled once;
   what is left of a part after cancellation stays held, never cancelled again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gridspec.certificates import certificate_id

from .errors import DomainError
from .intervals import parse_interval_start
from .readings import IntervalReading
from .trades import SettledTrade

__all__ = [
    "Cancellation",
    "Certificate",
    "CertificateError",
    "cancel",
    "carried_wh",
    "certificate_id",
    "hour_of",
    "issue",
]


class CertificateError(DomainError):
    pass


def hour_of(interval_start: str) -> str:
    """The start of the hour an interval starting at *interval_start* lies in."""
    return parse_interval_start(interval_start).strftime("%Y-%m-%dT%H:00:00Z")


@dataclass(frozen=True)
class Certificate:
    """One household's solar energy exported in one hour, as issued."""

    certificate_id: str
    household: str
    hour: str
    volume_wh: int


def issue(household: str, readings: Iterable[IntervalReading]) -> list[Certificate]:
    """The certificates of *household*'s *readings*, one per hour with export, by hour."""
    exported: dict[str, int] = defaultdict(int)
    for reading in readings:
        if reading.household != household:
            raise CertificateError(
                f"certificates of {household}: reading of {reading.household} given"
            )
        exported[hour_of(reading.interval_start)] += reading.export_wh
    return [
        Certificate(certificate_id(household, hour), household, hour, wh)
        for hour, wh in sorted(exported.items())
        if wh > 0
    ]


def carried_wh(trade: SettledTrade, seller_holds_wh: int) -> int:
    """What a settled trade carries to its buyer of the seller's own certificate."""
    if seller_holds_wh < 0:
        raise CertificateError(f"trade {trade.trade_id}: the seller holds a negative volume")
    return min(trade.delivered_wh, seller_holds_wh)


@dataclass(frozen=True)
class Cancellation:
    """A household's consumption in one hour against the certificates it holds."""

    household: str
    hour: str
    consumed_wh: int
    parts: tuple[tuple[str, int], ...]  # (certificate id, Wh cancelled), by id

    @property
    def cancelled_wh(self) -> int:
        return sum(wh for _, wh in self.parts)


def cancel(
    household: str, hour: str, consumed_wh: int, held: Sequence[tuple[str, int]]
) -> Cancellation:
    """Cancel the *held* parts ``(certificate id, Wh)`` of *hour* against *consumed_wh*."""
    if consumed_wh < 0 or any(wh < 0 for _, wh in held):
        raise CertificateError(f"cancellation of {household} at {hour}: negative volume")
    left = consumed_wh
    parts = []
    for cert_id, wh in sorted(held):
        take = min(wh, left)
        if take:
            parts.append((cert_id, take))
            left -= take
    return Cancellation(household, hour, consumed_wh, tuple(parts))
