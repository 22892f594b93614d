"""The market's commands of ``gridledger``: clear an interval, disclose it, audit it.

An audit takes two people of two orgs: the utility's operator writes the interval's
orders to a file (``disclose-orders``), the file travels to the regulator, and the
regulator checks it on its own peer (``audit-clearing``) against the commitments and
the clearing rule. The orders never touch the regulator's ledger.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .facade import Ledger

__all__ = ["add_market_commands"]

Command = Callable[..., argparse.ArgumentParser]
Opener = Callable[[argparse.Namespace], Ledger]
INTERVAL_HELP = "the interval's start, e.g. 2026-03-01T12:00:00Z"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def clear(open_ledger: Opener, args: argparse.Namespace) -> Any:
    ledger = open_ledger(args)
    clearing = ledger.clear_interval(args.interval)
    progress(
        f"cleared {args.interval}: price {clearing['price_per_kwh']}, "
        f"{clearing['matched_wh']} Wh in {clearing['trades']} trades"
    )
    if args.settle:
        return {"clearing": clearing, "settlement": ledger.settle_interval(args.interval)}
    return clearing


def disclose_orders(open_ledger: Opener, args: argparse.Namespace) -> Any:
    disclosure = open_ledger(args).clearing_disclosure(args.interval)
    if args.out:
        args.out.write_text(json.dumps(disclosure, indent=2, sort_keys=True) + "\n")
        args.out.chmod(0o600)
        progress(f"wrote {len(disclosure['orders'])} orders to {args.out} (readable by you only)")
    return disclosure


def audit_clearing(open_ledger: Opener, args: argparse.Namespace) -> Any:
    try:
        disclosure = json.loads(args.disclosure.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{args.disclosure} is not JSON: {exc}") from None
    if not isinstance(disclosure, dict) or not isinstance(disclosure.get("orders"), list):
        raise ValueError(f"{args.disclosure} is not a disclosure: it has no list of orders")
    interval = disclosure.get("interval_start")
    if interval != args.interval:
        raise ValueError(f"{args.disclosure} discloses interval {interval}, not {args.interval}")
    report = open_ledger(args).audit_clearing(args.interval, disclosure["orders"])
    if not report["verified"]:
        for problem in report["problems"]:
            progress(f"problem: {problem}")
        raise ValueError(f"the clearing of {args.interval} is NOT verified")
    progress(f"the clearing of {args.interval} is verified: {report['orders_disclosed']} orders")
    return report


def add_market_commands(command: Command, open_ledger: Opener) -> None:
    """Add ``clear``, ``disclose-orders`` and ``audit-clearing`` to gridledger's parser."""

    def bound(func: Callable[[Opener, argparse.Namespace], Any]) -> Callable[..., Any]:
        return lambda args: func(open_ledger, args)

    sub = command("clear", bound(clear), "clear a market interval (operator), optionally settle")
    sub.add_argument("--interval", required=True, help=INTERVAL_HELP)
    sub.add_argument("--settle", action="store_true")

    sub = command(
        "disclose-orders",
        bound(disclose_orders),
        "write a cleared interval's orders for the regulator's audit (utility or community staff)",
    )
    sub.add_argument("--interval", required=True, help=INTERVAL_HELP)
    sub.add_argument("--out", type=Path, help="also write them to this file (mode 600)")

    sub = command(
        "audit-clearing",
        bound(audit_clearing),
        "check disclosed orders against a clearing's commitments and the clearing rule, on "
        "your org's own peer; exit 1 when anything differs",
    )
    sub.add_argument("--interval", required=True, help=INTERVAL_HELP)
    sub.add_argument(
        "--disclosure", type=Path, required=True, help="the file disclose-orders wrote"
    )
