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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gridspec.channels import community_name
from gridspec.disclosure import verify as verify_disclosure
from gridspec.readings import ReadingError
from gridspec.signed_bundle import MAX_BUNDLES, SignedBundle

from ._protos import common_pb2
from .bundles import load_device_key, sign_readings
from .ca import CAClient, CAError
from .cli_market import add_market_commands, progress
from .disclosures import verify_in_block
from .errors import CommitError, GatewayError
from .facade import Caller, Forbidden, Ledger
from .gateway import Gateway, connect
from .greenbutton import GreenButtonError, import_readings, meter_mapping
from .profile import ConnectionProfile
from .wallet import FileWallet, WalletError

__all__ = ["main"]


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


@dataclass(frozen=True)
class MeterReadings:
    """One meter's readings from the input file, and its LocalTimeParameters if known."""

    meter_id: str
    readings: list[dict[str, Any]]
    local_time: dict[str, Any] | None = None


def read_meters(path: Path, meters: list[str], ignore_cost: bool) -> list[MeterReadings]:
    """Readings per meter from a Green Button feed (``.xml``) or a JSON list of readings."""
    raw = path.read_bytes()
    mapping = meter_mapping(meters)
    if path.suffix.lower() == ".xml":
        return [
            MeterReadings(found.meter_id, found.readings, found.local_time)
            for found in import_readings(raw, mapping, ignore_cost=ignore_cost)
        ]
    if not isinstance(mapping, str):
        raise ValueError("a JSON file holds one meter's readings: give --meter METER_ID")
    readings = json.loads(raw)
    if not isinstance(readings, list) or not all(isinstance(r, dict) for r in readings):
        raise ValueError(f"{path} must hold a JSON list of readings")
    others = sorted({str(r["meter_id"]) for r in readings if r.get("meter_id", mapping) != mapping})
    if others:
        raise ValueError(
            f"{path} holds readings of other meters ({', '.join(others)}), not {mapping}"
        )
    return [MeterReadings(mapping, readings)]


def device_keys(
    args: argparse.Namespace, meter_ids: list[str]
) -> dict[str, ec.EllipticCurvePrivateKey]:
    """Each meter's device key: --device-key (one meter), else <meter_id>.pem in --keys."""
    if args.device_key is not None:
        if len(meter_ids) > 1:
            raise ValueError(
                f"the file holds {len(meter_ids)} meters ({', '.join(meter_ids)}): give "
                "--keys DIR with one <meter_id>.pem each"
            )
        return {meter_ids[0]: load_device_key(args.device_key)}
    missing = [m for m in meter_ids if not (args.keys / f"{m}.pem").is_file()]
    if missing:
        raise ValueError(
            f"{args.keys} has no device key for {', '.join(m + '.pem' for m in missing)}"
        )
    return {m: load_device_key(args.keys / f"{m}.pem") for m in meter_ids}


def sign_meters(
    meters: list[MeterReadings], keys: dict[str, ec.EllipticCurvePrivateKey]
) -> list[SignedBundle]:
    """One signed bundle per meter and UTC day, in the file's order of meters."""
    return [
        bundle
        for meter in meters
        for bundle in sign_readings(
            keys[meter.meter_id], meter.meter_id, meter.readings, meter.local_time
        )
    ]


def submit_in_transactions(
    ledger: Ledger, bundles: list[SignedBundle], per_tx: int
) -> dict[str, int]:
    """Submit *bundles* *per_tx* at a time (one transaction each), the signed bytes unchanged."""
    stored = duplicates = 0
    total = -(-len(bundles) // per_tx)
    for number, start in enumerate(range(0, len(bundles), per_tx), start=1):
        chunk = bundles[start : start + per_tx]
        result = ledger.submit_bundles(chunk)
        stored += result["stored"]
        duplicates += result["duplicates"]
        progress(
            f"transaction {number}/{total}: {len(chunk)} bundles, {result['stored']} readings "
            f"stored, {result['duplicates']} already there"
        )
    return {
        "transactions": total,
        "bundles": len(bundles),
        "stored": stored,
        "duplicates": duplicates,
    }


def cmd_submit(args: argparse.Namespace) -> Any:
    if not 1 <= args.bundles_per_tx <= MAX_BUNDLES:
        raise ValueError(f"--bundles-per-tx must be from 1 to {MAX_BUNDLES}")
    meters = read_meters(args.file, args.meter, args.ignore_cost)
    keys = device_keys(args, [m.meter_id for m in meters])
    bundles = sign_meters(meters, keys)
    if not bundles:
        raise ValueError(f"{args.file} holds no readings")
    summary = submit_in_transactions(open_ledger(args), bundles, args.bundles_per_tx)
    return {
        "meters": [m.meter_id for m in meters],
        "readings": sum(len(m.readings) for m in meters),
        **summary,
    }


def cmd_readings(args: argparse.Namespace) -> Any:
    return open_ledger(args).readings(args.household, args.start, args.end)


def cmd_disclose(args: argparse.Namespace) -> Any:
    disclosure = open_ledger(args).disclosure(args.meter, args.interval)
    if args.out:
        args.out.write_text(json.dumps(disclosure, indent=2) + "\n")
        progress(f"wrote {args.out}: hand it to whoever should see this one reading")
    return disclosure


def cmd_verify(args: argparse.Namespace) -> Any:
    """Check a disclosure offline (a commitment hash, a block file) or on the ledger."""
    disclosure = json.loads(args.file.read_text())
    if args.block:
        block = common_pb2.Block.FromString(args.block.read_bytes())
        verdict = {
            "verified": verify_in_block(disclosure, block),
            "against": f"block {block.header.number}",
        }
    elif args.commitment:
        verified = verify_disclosure(disclosure, args.commitment)
        verdict = {"verified": verified, "against": f"commitment {args.commitment}"}
    elif args.as_label:
        verdict = open_ledger(args).verify_disclosure(disclosure)
    else:
        raise ValueError("give --commitment HASH, --block FILE, or --as LABEL to ask the ledger")
    if not verdict["verified"]:
        reason = verdict.get("reason", "it does not match")
        raise ValueError(f"{args.file} is NOT proven: {reason}")
    return verdict


def cmd_bill(args: argparse.Namespace) -> Any:
    ledger = open_ledger(args)
    if args.generate:
        return ledger.generate_invoice(args.household, args.start, args.end)
    return ledger.invoice(args.household, args.start, args.end)


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
        "sign and submit meters' readings from a JSON list or a Green Button XML file",
    )
    submit.description = (
        "Groups the readings per meter and UTC day, signs each day's bundle with the "
        "meter's device key and submits the bundles, --bundles-per-tx per transaction. "
        "Prints progress per transaction on stderr and a JSON summary on stdout."
    )
    submit.add_argument(
        "--file",
        type=Path,
        required=True,
        help="a JSON list of readings, or a Green Button feed (.xml) of one or more UsagePoints",
    )
    submit.add_argument(
        "--meter",
        action="append",
        required=True,
        metavar="METER_ID | USAGE_POINT=METER_ID",
        help="the meter the readings are from; for a feed of several UsagePoints, map each "
        "one (its id, self link or title) to its meter, repeating --meter",
    )
    keys = submit.add_mutually_exclusive_group(required=True)
    keys.add_argument("--device-key", type=Path, help="the one meter's device private key (PEM)")
    keys.add_argument(
        "--keys",
        type=Path,
        metavar="DIR",
        help="a head-end's folder of device keys, <meter_id>.pem per meter",
    )
    submit.add_argument(
        "--ignore-cost",
        action="store_true",
        help="import a Green Button feed whose IntervalReadings carry a cost (not stored)",
    )
    submit.add_argument(
        "--bundles-per-tx",
        type=int,
        default=100,
        help=f"meter-day bundles per transaction, 1 to {MAX_BUNDLES} (default 100)",
    )

    readings = command("readings", cmd_readings, "show a household's readings in [start, end)")
    readings.add_argument("--household", required=True)
    readings.add_argument("--start", required=True)
    readings.add_argument("--end", required=True)

    disclose = command(
        "disclose", cmd_disclose, "one reading with its Merkle proof, to hand to anyone"
    )
    disclose.add_argument("--meter", required=True)
    disclose.add_argument("--interval", required=True, help="its start, e.g. 2026-03-01T12:00:00Z")
    disclose.add_argument("--out", type=Path, help="also write it to this file")

    verify = command(
        "verify-disclosure",
        cmd_verify,
        "check a disclosed reading: against a commitment hash or a block file (offline, "
        "no ledger needed), or against the ledger (--as)",
        acting=False,
    )
    verify.add_argument("file", type=Path, help="the disclosure (JSON)")
    verify.add_argument("--commitment", help="the meter-day's commitment hash (hex)")
    verify.add_argument(
        "--block", type=Path, help="the block that wrote it, as `peer channel fetch` saves it"
    )
    verify.add_argument("--as", dest="as_label", help="wallet label, to ask the ledger instead")

    bill = command("bill", cmd_bill, "show (or, for billing, --generate) a household's invoice")
    bill.add_argument("--household", required=True)
    bill.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
    bill.add_argument("--end", required=True, help="day after the last, YYYY-MM-DD")
    bill.add_argument("--generate", action="store_true")

    add_market_commands(command, open_ledger)
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
        ReadingError,
        OSError,
        ValueError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0
