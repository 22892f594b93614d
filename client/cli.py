"""gridledger: GridLedger from the command line, for operators and scripts.

It finds the network through the connection profile of the caller's org
(``--profile``, or ``$GRIDLEDGER_CONNECTION_PROFILE``): the org's peer, CA and
channels, which the org's operator hands out. Identities live in an encrypted wallet
(``--wallet``, default ``$GRIDLEDGER_WALLET`` or ``~/.gridledger/wallet``; the passphrase comes from
``$GRIDLEDGER_WALLET_PASSPHRASE``). ``enrol`` puts one there, labelled
``<org>.<enrolment id>``; every other command acts as a wallet label (``--as
community.household1``) through the domain facade, which refuses what the caller's
role may not do before anything is sent. Exit status: 0 done, 1 refused or failed (the
reason on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gridspec.channels import community_name

from .ca import CAClient, CAError
from .errors import CommitError, GatewayError
from .facade import Caller, Forbidden, Ledger
from .gateway import Gateway, connect
from .greenbutton import GreenButtonError, import_readings
from .profile import ConnectionProfile
from .readings_batch import sign_batch
from .wallet import FileWallet, WalletError

__all__ = ["main"]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def wallet(args: argparse.Namespace) -> FileWallet:
    passphrase = os.environ.get("GRIDLEDGER_WALLET_PASSPHRASE")
    if not passphrase:
        raise SystemExit("error: set GRIDLEDGER_WALLET_PASSPHRASE to open the wallet")
    return FileWallet(args.wallet, passphrase.encode())


def profile(args: argparse.Namespace) -> ConnectionProfile:
    path = args.profile or os.environ.get("GRIDLEDGER_CONNECTION_PROFILE")
    if not path:
        raise SystemExit(
            "error: give your org's connection profile: --profile or $GRIDLEDGER_CONNECTION_PROFILE"
        )
    return ConnectionProfile.load(path)


def community_of(args: argparse.Namespace, found: ConnectionProfile) -> str | None:
    """The community channel to act on: --community, or the profile's only one."""
    names = sorted(n for c in found.channels if (n := community_name(c)) is not None)
    if args.community:
        if args.community not in names:
            raise ValueError(f"{found.organization} is not on community {args.community}: {names}")
        return str(args.community)
    if len(names) > 1:
        raise ValueError(
            f"{found.organization} is on several communities ({', '.join(names)}): "
            "name one with --community"
        )
    return names[0] if names else None


def open_ledger(args: argparse.Namespace) -> Ledger:
    found = profile(args)
    org_key = args.as_label.split(".", 1)[0]
    if org_key != found.organization:
        raise ValueError(
            f"{args.as_label} is an identity of {org_key}: give {org_key}'s connection profile"
        )
    entry = wallet(args).get(args.as_label)
    channel = connect(
        found.peer.address,
        tls_root_cert=found.peer.tls_root,
        client_cert=entry.certificate,
        client_key=entry.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    gateway = Gateway(entry.identity(), entry.signer(), channel)
    caller = Caller.from_certificate(entry.msp_id, entry.certificate)
    return Ledger(gateway, caller, community=community_of(args, found))


def cmd_enrol(args: argparse.Namespace) -> Any:
    found = profile(args)
    secret = args.secret or os.environ.get("GRIDLEDGER_ENROLL_SECRET", "")
    ca = CAClient(found.ca.url, found.ca.name, found.ca.tls_root)
    enrollment = ca.enroll(args.id, secret)
    label = f"{found.organization}.{args.id}"
    wallet(args).put(label, found.msp_id, enrollment)
    return {"label": label, "msp_id": found.msp_id, "attributes": enrollment.attributes()}


def read_readings(path: Path, meter_id: str) -> list[dict[str, Any]]:
    """Readings from a JSON list or a Green Button XML file."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".xml":
        return import_readings(raw, meter_id)
    readings = json.loads(raw)
    if not isinstance(readings, list):
        raise SystemExit(f"error: {path} must hold a JSON list of readings")
    return readings


def batches(readings: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(readings), size):
        yield readings[start : start + size]


def cmd_submit(args: argparse.Namespace) -> Any:
    key = serialization.load_pem_private_key(args.device_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SystemExit("error: the device key must be an ECDSA private key (PEM)")
    readings = read_readings(args.file, args.meter)
    ledger = open_ledger(args)
    stored = duplicates = 0
    total = -(-len(readings) // args.batch_size)
    for number, batch in enumerate(batches(readings, args.batch_size), start=1):
        result = ledger.submit_readings(sign_batch(key, args.meter, batch))
        stored += result["stored"]
        duplicates += result["duplicates"]
        progress(
            f"batch {number}/{total}: {result['stored']} stored, "
            f"{result['duplicates']} already there"
        )
    return {
        "meter_id": args.meter,
        "readings": len(readings),
        "stored": stored,
        "duplicates": duplicates,
    }


def cmd_readings(args: argparse.Namespace) -> Any:
    return open_ledger(args).readings(args.household, args.start, args.end)


def cmd_bill(args: argparse.Namespace) -> Any:
    ledger = open_ledger(args)
    if args.generate:
        return ledger.generate_invoice(args.household, args.start, args.end)
    return ledger.invoice(args.household, args.start, args.end)


def cmd_clear(args: argparse.Namespace) -> Any:
    ledger = open_ledger(args)
    clearing = ledger.clear_interval(args.interval)
    progress(
        f"cleared {args.interval}: price {clearing['price_per_kwh']}, "
        f"{len(clearing['trades'])} trades"
    )
    if args.settle:
        return {"clearing": clearing, "settlement": ledger.settle_interval(args.interval)}
    return clearing


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="gridledger", description=__doc__.splitlines()[0])
    top.add_argument(
        "--wallet",
        type=Path,
        default=Path(os.environ.get("GRIDLEDGER_WALLET", Path.home() / ".gridledger" / "wallet")),
    )
    top.add_argument("--profile", help="your org's connection profile (connection-<org>.json)")
    top.add_argument(
        "--community", help="the community to act on (default: the profile's only one)"
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, func: Callable[[argparse.Namespace], Any], help_text: str, acting: bool = True
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(func=func)
        if acting:
            sub.add_argument(
                "--as",
                dest="as_label",
                required=True,
                help="wallet label to act as, e.g. utility.operator1",
            )
        return sub

    enrol = command(
        "enrol", cmd_enrol, "enrol an identity at its org's CA into the wallet", acting=False
    )
    enrol.add_argument("--id", required=True, help="enrolment id")
    enrol.add_argument(
        "--secret",
        help="enrolment secret (or $GRIDLEDGER_ENROLL_SECRET); "
        "write --secret=VALUE when it starts with -",
    )

    submit = command(
        "submit-readings",
        cmd_submit,
        "sign and submit a meter's readings from a JSON or Green Button file",
    )
    submit.add_argument("--meter", required=True)
    submit.add_argument("--file", type=Path, required=True)
    submit.add_argument(
        "--device-key",
        type=Path,
        required=True,
        help="the meter's device private key (PEM) that signs each batch",
    )
    submit.add_argument("--batch-size", type=int, default=96)

    readings = command("readings", cmd_readings, "show a household's readings in [start, end)")
    readings.add_argument("--household", required=True)
    readings.add_argument("--start", required=True)
    readings.add_argument("--end", required=True)

    bill = command("bill", cmd_bill, "show (or, for billing, --generate) a household's invoice")
    bill.add_argument("--household", required=True)
    bill.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    bill.add_argument("--end", required=True, help="day after the last, YYYY-MM-DD")
    bill.add_argument("--generate", action="store_true")

    clear = command("clear", cmd_clear, "clear a market interval (operator), optionally settle")
    clear.add_argument("--interval", required=True, help="e.g. 2026-03-01T12:00:00Z")
    clear.add_argument("--settle", action="store_true")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result = args.func(args)
    except (
        Forbidden,
        GatewayError,
        CommitError,
        CAError,
        WalletError,
        GreenButtonError,
        OSError,
        ValueError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0
