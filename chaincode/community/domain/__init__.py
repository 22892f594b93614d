"""Pure, deterministic domain logic of the community chaincode (no Fabric, no I/O).

Integer units only: energy in Wh, money in the currency's minor unit, prices in minor
units per kWh (:mod:`.units`). Every rule is stated in its module's docstring:

- :mod:`.intervals` — 15-minute UTC intervals, timestamps, dates, periods;
- :mod:`.orders` — offers and bids, the order-book checks (no self-trade);
- :mod:`.auction` — uniform-price double auction of one delivery interval;
- :mod:`.trades` — trade records and their life cycle
  (``matched`` -> ``delivered`` / ``partially_delivered`` -> ``settled``);
- :mod:`.readings` — a household's metered import/export of one interval;
- :mod:`.settlement` — trades against metered delivery, shortfall charges;
- :mod:`.tariff` — time-of-use tariffs;
- :mod:`.billing` — invoices and the hash of their inputs;
- :mod:`.errors` — the errors (all ``ValueError``), with exact lowercase messages.
"""

from .auction import (
    MAX_ORDERS_PER_SIDE,
    ClearingResult,
    Fill,
    clear_interval,
    clearing_price,
    equilibrium_prices,
    merit_order_bids,
    merit_order_offers,
    trade_id,
)
from .billing import (
    INPUTS_SCHEMA,
    LINE_CODES,
    Invoice,
    InvoiceLine,
    compute_invoice,
    invoice_inputs,
    invoice_inputs_hash,
)
from .certificates import (
    Cancellation,
    Certificate,
    CertificateError,
    cancel,
    carried_wh,
    certificate_id,
    hour_of,
    issue,
)
from .errors import (
    BillingError,
    DomainError,
    IntervalError,
    OrderError,
    ReadingError,
    SelfTradeError,
    SettlementError,
    TariffError,
    TradeError,
)
from .intervals import (
    INTERVAL,
    INTERVAL_MINUTES,
    INTERVALS_PER_DAY,
    check_interval_start,
    compact_interval,
    date_start,
    format_instant,
    interval_containing,
    iter_intervals,
    minute_of_day,
    next_interval,
    parse_date,
    parse_instant,
    parse_interval_start,
    timestamp_ns,
)
from .orders import Bid, Offer, check_order_book
from .readings import IntervalReading
from .settlement import settle_interval
from .tariff import Band, Tariff
from .trades import (
    DELIVERED,
    MATCHED,
    PARTIALLY_DELIVERED,
    SETTLED,
    SETTLED_STATUSES,
    SettledTrade,
    Trade,
)
from .units import (
    MAX_DAILY_CHARGE,
    MAX_ORDER_WH,
    MAX_PRICE_PER_KWH,
    MAX_READING_WH,
    WH_PER_KWH,
    energy_cost,
)

__all__ = [
    "DELIVERED",
    "INPUTS_SCHEMA",
    "INTERVAL",
    "INTERVALS_PER_DAY",
    "INTERVAL_MINUTES",
    "LINE_CODES",
    "MATCHED",
    "MAX_DAILY_CHARGE",
    "MAX_ORDERS_PER_SIDE",
    "MAX_ORDER_WH",
    "MAX_PRICE_PER_KWH",
    "MAX_READING_WH",
    "PARTIALLY_DELIVERED",
    "SETTLED",
    "SETTLED_STATUSES",
    "WH_PER_KWH",
    "Band",
    "Bid",
    "BillingError",
    "Cancellation",
    "Certificate",
    "CertificateError",
    "ClearingResult",
    "DomainError",
    "Fill",
    "IntervalError",
    "IntervalReading",
    "Invoice",
    "InvoiceLine",
    "Offer",
    "OrderError",
    "ReadingError",
    "SelfTradeError",
    "SettledTrade",
    "SettlementError",
    "Tariff",
    "TariffError",
    "Trade",
    "TradeError",
    "cancel",
    "carried_wh",
    "certificate_id",
    "check_interval_start",
    "check_order_book",
    "clear_interval",
    "clearing_price",
    "compact_interval",
    "compute_invoice",
    "date_start",
    "energy_cost",
    "equilibrium_prices",
    "format_instant",
    "hour_of",
    "interval_containing",
    "invoice_inputs",
    "invoice_inputs_hash",
    "issue",
    "iter_intervals",
    "merit_order_bids",
    "merit_order_offers",
    "minute_of_day",
    "next_interval",
    "parse_date",
    "parse_instant",
    "parse_interval_start",
    "settle_interval",
    "timestamp_ns",
    "trade_id",
]
