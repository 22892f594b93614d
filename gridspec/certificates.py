"""The one spelling of a granular certificate's id: ``gc-<household>-<YYYYMMDDHH>``.

One household and one hour make one id, so an hour's production can never be
certified twice; the chaincode issues under it and the client reads the producer
out of it (a household may disclose its own certificates only).
"""

from __future__ import annotations

import re

__all__ = ["CERTIFICATE_ID", "certificate_id", "producer_of"]

CERTIFICATE_ID = re.compile(r"gc-(h-[A-Za-z0-9._-]{1,62})-(\d{10})")


def certificate_id(household: str, hour: str) -> str:
    """The id of *household*'s certificate of the hour starting at *hour* (UTC instant)."""
    return f"gc-{household}-{hour[:4]}{hour[5:7]}{hour[8:10]}{hour[11:13]}"


def producer_of(cert_id: str) -> str:
    """The household a certificate id names; ValueError when it is no certificate id."""
    match = CERTIFICATE_ID.fullmatch(cert_id)
    if match is None:
        raise ValueError(f"certificate id '{cert_id[:80]}' is not gc-<household>-<YYYYMMDDHH>")
    return match.group(1)
