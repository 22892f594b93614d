"""Errors of the community market's domain logic.

Every error is a :class:`ValueError` (the inputs are wrong, never the code) with a
lowercase message that names the offending id, e.g.
``offer o-17: energy_wh must be between 1 and 1000000``. The chaincode passes the
message on to the client unchanged (re-raised as its own ``ValidationError`` or
as is), and the tests assert the exact text.

    DomainError (ValueError)
    ├── IntervalError     a time, interval start, date or period is malformed or misaligned
    ├── OrderError        an offer or a bid is malformed, or two orders share an id
    │   └── SelfTradeError    one household has both an offer and a bid in one interval
    ├── TradeError        a trade or settled-trade record is malformed or inconsistent
    ├── ReadingError      an interval reading is malformed or duplicated
    ├── SettlementError   trades and readings of a settlement do not fit together
    ├── TariffError       a tariff is malformed or its bands do not cover the day once
    └── BillingError      the inputs of an invoice do not fit together
"""

from __future__ import annotations

__all__ = [
    "BillingError",
    "DomainError",
    "IntervalError",
    "OrderError",
    "ReadingError",
    "SelfTradeError",
    "SettlementError",
    "TariffError",
    "TradeError",
]


class DomainError(ValueError):
    """Base of every error the domain logic raises on purpose."""


class IntervalError(DomainError):
    """A time, interval start, date or period is malformed or misaligned."""


class OrderError(DomainError):
    """An offer or bid is malformed, or an order id is used twice."""


class SelfTradeError(OrderError):
    """One household has both an offer and a bid in the same delivery interval."""


class TradeError(DomainError):
    """A trade or settled-trade record is malformed or internally inconsistent."""


class ReadingError(DomainError):
    """An interval reading is malformed or given twice."""


class SettlementError(DomainError):
    """The trades and readings given to a settlement do not fit together."""


class TariffError(DomainError):
    """A tariff is malformed, or its time-of-use bands overlap or leave gaps."""


class BillingError(DomainError):
    """The readings, trades, tariff and period of an invoice do not fit together."""
