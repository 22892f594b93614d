"""A household's granular certificates as a document it can take anywhere.

The format, ``gridledger-certificates/1``, is described field by field in
``docs/certificates.md``. Its names follow EnergyTag's granular certificate scheme
(production device, energy source and carrier, production period, volume) where they
can; volumes are in Wh and times in UTC, like every other GridLedger record. It is made
from what the ledger answers the household (`ListCertificates`), nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gridspec.readings import format_instant, parse_instant

__all__ = ["FORMAT", "export_certificates"]

FORMAT = "gridledger-certificates/1"


def export_certificates(
    listing: dict[str, Any], community: str, start: str, end: str, now: datetime | None = None
) -> dict[str, Any]:
    """The export document of a `ListCertificates` answer for the days [start, end)."""
    return {
        "format": FORMAT,
        "community": community,
        "household_id": listing["household_id"],
        "period": {"start": start, "end": end},
        "exported_at": format_instant(now or datetime.now(UTC)),
        "produced": [produced(c) for c in listing["issued"]],
        "held": [held(h) for h in listing["holdings"]],
    }


def produced(issued: dict[str, Any]) -> dict[str, Any]:
    begins = parse_instant(issued["hour"], "hour")
    return {
        "certificate_id": issued["certificate_id"],
        "production_devices": issued["meters"],
        "energy_carrier": "electricity",
        "energy_source": issued["energy_source"],
        "production_start": issued["hour"],
        "production_end": format_instant(begins + timedelta(hours=1)),
        "volume_wh": issued["volume_wh"],
        "issued_at": issued["issued_at"],
        "issuance_tx_id": issued["tx_id"],
    }


def held(holding: dict[str, Any]) -> dict[str, Any]:
    cancellation = holding["cancellation"]
    return {
        "hour": holding["hour"],
        "certificates": [
            {"certificate_id": cert, "volume_wh": wh}
            for cert, wh in sorted(holding["parts"].items())
        ],
        "cancellation": None if cancellation is None else cancelled(cancellation),
    }


def cancelled(cancellation: dict[str, Any]) -> dict[str, Any]:
    consumed = cancellation["consumed_wh"]
    return {
        "consumed_wh": consumed,
        "cancelled_wh": cancellation["cancelled_wh"],
        "local_solar_share": round(cancellation["cancelled_wh"] / consumed, 4) if consumed else 0,
        "certificates": [
            {"certificate_id": cert, "volume_wh": wh} for cert, wh in cancellation["parts"]
        ],
        "cancelled_at": cancellation["cancelled_at"],
        "cancellation_tx_id": cancellation["tx_id"],
    }
