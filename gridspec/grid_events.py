"""The kinds of incident the grid-event register keeps, shared by the chaincode and the
dashboard: ``OUTAGE``, ``FAULT`` and ``MAINTENANCE``, each with a cause and the number
of meters affected.

Signals to the grid's customers (a price, a request to shed load) are not incidents:
they are OpenADR 3 events, which the utility's VTN publishes on the same register with
every revision (:mod:`gridspec.openadr`, ``chaincode/community/demand_response.py``).
"""

from __future__ import annotations

INCIDENT_TYPES = ("OUTAGE", "FAULT", "MAINTENANCE")
