"""The modes of `python -m network` that change channels and membership, as one org.

`propose`, `sign` and `submit` pass a config update round the admins as files, each
acting at its own home; `revoke` is an org changing its own MSP (its CRL) alone; the
onboarding and offboarding modes (every org here) share their arguments from here.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gridspec.channels import CONSORTIUM_CHANNEL
from gridspec.revoked import REVOCATIONS_FILE, Revocations
from network import bundles, proposals, revocation
from network.console import NetworkError, info, step
from network.home import OrgHome, write_public


def outbox(home: OrgHome, args: argparse.Namespace, name: str) -> Path:
    return Path(args.out) if args.out else home.outbox / name


def propose(home: OrgHome, args: argparse.Namespace) -> None:
    params: dict[str, Any] = {"description": args.description}
    if args.kind == "admission":
        if not args.bundle:
            raise NetworkError("an admission needs --bundle: the new org's bundle file")
        params["bundle"] = bundles.read(Path(args.bundle))
    elif args.kind == "removal":
        if not args.msp_id:
            raise NetworkError("a removal needs --msp-id: the org to remove")
        params["msp_id"] = args.msp_id
    elif args.kind == "batch-timeout":
        params["timeout"] = args.timeout
    else:
        raise NetworkError(f"{args.kind} is proposed by `revoke`, which also signs and submits")
    proposal = proposals.propose(home, args.channel, args.kind, **params)
    out = outbox(home, args, f"{proposal.id}.proposal.json")
    write_public(out, json.dumps(proposal.to_json(), indent=2) + "\n")
    step(f"{home.org.msp_id} proposes update {proposal.id} of {proposal.channel}: {out}")
    for need in proposal.needs:
        info(f"needs {need.needed} admin(s) of {', '.join(need.orgs)} for {need.policy}")


def propose_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("kind", choices=("admission", "removal", "batch-timeout"))
    sub.add_argument("--channel", default=CONSORTIUM_CHANNEL, help="default: consortium")
    sub.add_argument("--bundle", help="admission: the new org's bundle file")
    sub.add_argument("--msp-id", help="removal: the MSP id of the org to remove")
    sub.add_argument("--timeout", default="250ms", help="batch-timeout: e.g. 300ms")
    sub.add_argument("--description", help="what the admins read (default: made from the change)")
    sub.add_argument("--out", help="where to write the proposal (default: <home>/outbox)")


def sign(home: OrgHome, args: argparse.Namespace) -> None:
    signature = proposals.sign(home, Path(args.proposal))
    name = f"{signature.update_id}.{signature.msp_id}.signature.json"
    out = outbox(home, args, name)
    write_public(out, json.dumps(signature.to_json(), indent=2) + "\n")
    step(f"{signature.msp_id}'s admin signed update {signature.update_id}: {out}")


def submit(home: OrgHome, args: argparse.Namespace) -> None:
    receipt = proposals.submit(home, Path(args.proposal), [Path(p) for p in args.signatures])
    out = outbox(home, args, f"{receipt.update_id}.receipt.json")
    write_public(out, json.dumps(receipt.to_json(), indent=2) + "\n")
    signers = ", ".join(m for m, _ in receipt.signatures)
    step(f"update {receipt.update_id} is config block {receipt.block} of {receipt.channel}")
    info(f"signed by {signers}; receipt {out}")


def revoke(home: OrgHome, args: argparse.Namespace) -> None:
    step(f"{home.org.msp_id}: revoking {args.id} at {home.org.ca_name}")
    crl = revocation.revoke(home, args.id, args.reason)
    Revocations(home.api / REVOCATIONS_FILE).revoke_identity(args.id, args.reason, "operator")
    info(f"{home.org.msp_id}: its API refuses {args.id} from now on")
    step(f"{home.org.msp_id}: its CRL onto its channels")
    for channel, block in revocation.publish_crl(home, crl).items():
        print(f"{channel:28} config block {block}")


def membership_arguments(onboarding: bool) -> Callable[[argparse.ArgumentParser], None]:
    def add(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--org", required=True, help="the org's key, e.g. riverside")
        sub.add_argument("--proposer", default="utility", help="the member who proposes")
        if onboarding:
            sub.add_argument("--name", help="its display name")
            sub.add_argument("--msp-id", help="its MSP id (default: <Org>MSP)")
            sub.add_argument(
                "--propose-only", action="store_true", help="stop once proposed (admins sign)"
            )
            sub.add_argument(
                "--admitted",
                action="store_true",
                help="the admins admitted it already (e.g. through their APIs): found its "
                "channel, join it to consortium and deploy its chaincode",
            )

    return add
