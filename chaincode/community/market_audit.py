"""The regulator's audit of one cleared interval, from orders the utility discloses.

The regulator's peer holds no order and no trade, only the public clearing record:
the price, the volume, the counts, a commitment per order and one per trade. To audit
an interval the regulator asks the utility for its orders (``GetClearingDisclosure``)
and runs ``AuditClearing`` on its own peer with them in the transient map, so they
are checked by the chaincode every member approved and never written anywhere. The
audit finds out:

1. **Complete**: the disclosed order ids are exactly the interval's committed ones:
   none held back, none added.
2. **Genuine**: each disclosed order hashes to its public commitment (so it is the
   order as placed: household, energy, price, salt and time).
3. **Cleared by the rule**: clearing the disclosed orders again at the clearing
   transaction's time gives the public price, volume and counts, and trades whose
   commitments are the public ones.

Each finding is reported, with what differs; a malformed disclosure is refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from chaincode.community.domain import Bid, Offer, clear_interval
from chaincode.community.market_orders import PlacedOrder, commitment_of, domain, stored_order
from chaincode.community.market_trades import seal_trades, trade_commitments
from chaincode.runtime import ValidationError, canonical_bytes
from chaincode.runtime.state import parse_json

__all__ = ["audit_clearing", "parse_disclosure"]

MAX_LISTED = 10  # ids named per finding; the counts say how many in all


def parse_disclosure(raw: bytes | None, interval_start: str) -> list[dict[str, Any]]:
    """The disclosed orders (transient ``orders``: a JSON list of stored order records)."""
    if raw is None:
        raise ValidationError(
            "the disclosed orders must be sent in the transient map under 'orders'"
        )
    orders = parse_json("transient 'orders'", raw, "list")
    if not isinstance(orders, list):
        raise ValidationError("transient 'orders' must be a JSON list of orders")
    for order in orders:
        stored_order(order, interval_start)
    return orders


def _named(ids: list[str]) -> str:
    shown = ", ".join(sorted(ids)[:MAX_LISTED])
    more = len(ids) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def _order_findings(
    disclosed: list[dict[str, Any]], commitments: Mapping[str, str]
) -> tuple[dict[str, bool], list[str]]:
    ids = [order["order_id"] for order in disclosed]
    problems = []
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    missing = sorted(set(commitments) - set(ids))
    extra = sorted(set(ids) - set(commitments))
    if repeated:
        problems.append(f"orders disclosed more than once: {_named(repeated)}")
    if missing:
        problems.append(f"{len(missing)} committed orders not disclosed: {_named(missing)}")
    if extra:
        problems.append(f"{len(extra)} disclosed orders were never committed: {_named(extra)}")
    forged = [
        order["order_id"]
        for order in disclosed
        if order["order_id"] in commitments
        and commitment_of(canonical_bytes(order)) != commitments[order["order_id"]]
    ]
    if forged:
        problems.append(f"{len(forged)} orders differ from their commitments: {_named(forged)}")
    checks = {"complete": not (repeated or missing or extra), "genuine": not forged}
    return checks, problems


def _clearing_findings(
    public: Mapping[str, Any], placed: list[PlacedOrder]
) -> tuple[dict[str, bool], list[str], dict[str, Any]]:
    interval = public["interval_start"]
    offers = [p.order for p in placed if isinstance(p.order, Offer)]
    bids = [p.order for p in placed if isinstance(p.order, Bid)]
    result = domain(clear_interval, interval, offers, bids, public["cleared_at"])
    by_id = {p.order.order_id: p for p in placed}
    commitments = trade_commitments(seal_trades(result, by_id))
    recomputed = {
        "price_per_kwh": result.price_per_kwh,
        "matched_wh": result.matched_wh,
        "offers": len(offers),
        "bids": len(bids),
        "trades": len(result.trades),
    }
    problems = [
        f"{name} is {public[name]} on the ledger but {value} by the clearing rule"
        for name, value in recomputed.items()
        if public[name] != value
    ]
    differing = sorted(
        set(commitments.items()).symmetric_difference(public["trade_commitments"].items())
    )
    if differing:
        ids = sorted({trade_id for trade_id, _ in differing})
        problems.append(f"{len(ids)} trades differ from their commitments: {_named(ids)}")
    checks = {
        "price": public["price_per_kwh"] == result.price_per_kwh,
        "volume": public["matched_wh"] == result.matched_wh,
        "counts": all(public[n] == recomputed[n] for n in ("offers", "bids", "trades")),
        "trades": not differing,
    }
    return checks, problems, recomputed


def audit_clearing(
    public: Mapping[str, Any], commitments: Mapping[str, str], disclosed: list[dict[str, Any]]
) -> dict[str, Any]:
    """The audit report of the public clearing record *public*, its order *commitments*
    (order id -> SHA-256) and the *disclosed* orders."""
    interval = public["interval_start"]
    checks, problems = _order_findings(disclosed, commitments)
    unique = {order["order_id"]: order for order in disclosed}
    placed = [stored_order(order, interval) for order in unique.values()]
    clearing_checks, clearing_problems, recomputed = _clearing_findings(public, placed)
    checks.update(clearing_checks)
    return {
        "interval_start": interval,
        "verified": all(checks.values()),
        "orders_disclosed": len(disclosed),
        "checks": checks,
        "recomputed": recomputed,
        "problems": problems + clearing_problems,
    }
