"""Green Button (NAESB ESPI, REQ.21) XML: interval readings in and out, invoices out.

A Green Button file is an Atom feed (RFC 4287) whose entries each carry one ESPI
resource (namespace ``http://naesb.org/espi``) in their ``content``; the entries'
``self``, ``up`` and ``related`` links tie the resources together::

    UsagePoint                     the metered service (ServiceCategory kind 0: electricity)
    ├── MeterReading ──related──▶  ReadingType: uom, powerOfTenMultiplier, flowDirection, ...
    │   └── IntervalBlock          IntervalReading: timePeriod, value, ReadingQuality, cost
    ├── LocalTimeParameters        the service's time zone and DST rules
    └── UsageSummary               one billing period: billLastPeriod, LineItems, currency

One module per direction of travel:

- :mod:`.importer`: :func:`import_readings` reads a feed into one
  :class:`ImportedMeter` per UsagePoint (its meter, readings and LocalTimeParameters),
  ready for :func:`client.bundles.sign_readings`;
- :mod:`.exporter`: :func:`export_readings` writes a meter's ledger readings as a feed
  that validates against the ESPI 3.3 and 4.0 schemas;
- :mod:`.invoice`: :func:`export_invoice` writes an invoice as a UsageSummary.

Every refusal is a :class:`GreenButtonError` (a ``ValueError``) whose message names
the element and, for readings, the interval.
"""

from ._resources import meter_mapping
from ._xml import ATOM_NAMESPACE, DEFAULT_BASE_URL, ESPI_NAMESPACE, GreenButtonError
from .exporter import export_readings
from .importer import ImportedMeter, import_readings
from .invoice import CURRENCIES, ITEM_KINDS, export_invoice

__all__ = [
    "ATOM_NAMESPACE",
    "CURRENCIES",
    "DEFAULT_BASE_URL",
    "ESPI_NAMESPACE",
    "ITEM_KINDS",
    "GreenButtonError",
    "ImportedMeter",
    "export_invoice",
    "export_readings",
    "import_readings",
    "meter_mapping",
]
