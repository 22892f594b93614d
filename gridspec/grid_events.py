"""The kinds of grid event the register keeps, shared by the chaincode and the dashboard.

Incidents (``OUTAGE``, ``FAULT``, ``MAINTENANCE``) carry a cause and the number of
meters affected; alerts, after OpenADR 2.0b's signal types, carry a signal within its
type's range: ``SIMPLE`` a level 0-3, ``ELECTRICITY_PRICE`` a price in minor units per
kWh, ``LOAD_DISPATCH`` a requested change in W (negative to shed load).
"""

from __future__ import annotations

INCIDENT_TYPES = ("OUTAGE", "FAULT", "MAINTENANCE")
ALERT_TYPES = {
    "SIMPLE": (0, 3),
    "ELECTRICITY_PRICE": (0, 1_000_000),
    "LOAD_DISPATCH": (-(10**9), 10**9),
}
EVENT_TYPES = (*INCIDENT_TYPES, *ALERT_TYPES)
