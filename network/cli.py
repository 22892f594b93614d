"""gridnet: run GridLedger's Fabric consortium on this machine.

One entry point with a mode per job; `python -m network MODE --help` explains each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from client import CommitError, GatewayError
from network.console import NetworkError, elapsed, step
from network.topology import ORGS, orgs


def cmd_install(_: argparse.Namespace) -> int:
    from network.install import install

    started = time.monotonic()
    step("installing pinned Fabric and Fabric CA binaries")
    for command, version in install().items():
        print(f"    {command:18} {version}", file=sys.stderr)
    print(f"    install finished in {elapsed(started)}", file=sys.stderr)
    return 0


def cmd_up(_: argparse.Namespace) -> int:
    from network.bringup import up

    up()
    return 0


def cmd_down(_: argparse.Namespace) -> int:
    from network.bringup import down

    down()
    return 0


def cmd_clean(_: argparse.Namespace) -> int:
    from network.bringup import clean

    clean()
    return 0


def cmd_status(_: argparse.Namespace) -> int:
    from network.bringup import status

    return 0 if status() else 1


def cmd_deploy(args: argparse.Namespace) -> int:
    from network.chaincodes import by_name, chaincodes
    from network.lifecycle import deploy
    from network.topology import channel_by_name

    specs = [s for n in args.chaincode for s in by_name(n)] if args.chaincode else chaincodes()
    for spec in specs:
        deploy(spec, channel_by_name(spec.channel))
    return 0


def cmd_reload(_: argparse.Namespace) -> int:
    from network.chaincode_servers import reload

    reload()
    return 0


def cmd_api(_: argparse.Namespace) -> int:
    from network.api_server import run_api

    run_api()
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    from network.demo import run_demo

    run_demo()
    return 0


def cmd_ports(_: argparse.Namespace) -> int:
    from network.topology import all_ports

    for name, port in all_ports().items():
        print(f"{name:28} {port}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from client import CAError
    from network.revocation import propagate_crl, revoke
    from network.topology import org_by_key

    org = org_by_key(args.org)
    step(f"revoking {args.id} at {org.ca_name} as the {org.msp_id} admin")
    try:
        crl = revoke(org, args.id, reason=args.reason)
    except (CAError, ValueError) as exc:
        raise NetworkError(str(exc)) from exc
    step(f"setting the CRL of {org.msp_id} on its channels")
    for channel, block in propagate_crl(org, crl).items():
        print(f"{channel:28} config block {block}")
    return 0


def print_change(change, started: float) -> None:
    for channel, proposal_id in change.proposals.items():
        print(f"{channel:28} update {proposal_id}")
    for name, value in change.result.items():
        print(f"{name:28} {json.dumps(value) if isinstance(value, dict | list) else value}")
    print(f"{'change':28} {change.id} ({change.status})")
    print(f"{'took':28} {elapsed(started)}")


def run_change(change, args: argparse.Namespace, started: float) -> int:
    """Collect a majority of the existing members' signatures and finish, unless told not to."""
    from network.onboarding import complete, sign_by_majority
    from network.topology import org_by_key

    if args.propose_only:
        step(f"proposed {change.kind} {change.id}; admins sign it through the API")
        print_change(change, started)
        return 0
    step("the existing members' admins sign until a majority has")
    sign_by_majority(change)
    complete(change, org_by_key(args.proposer))
    print_change(change, started)
    return 0


def cmd_onboard(args: argparse.Namespace) -> int:
    from network.onboarding import admit, new_org
    from network.topology import org_by_key

    started = time.monotonic()
    org = new_org(args.org, args.name, args.msp_id)
    step(f"onboarding {org.msp_id} ({org.display_name}) on ports {org.port_base}+")
    return run_change(admit(org, org_by_key(args.proposer)), args, started)


def cmd_offboard(args: argparse.Namespace) -> int:
    from network.onboarding import remove, withdraw
    from network.topology import JOINING, admission, org_by_key

    started = time.monotonic()
    joining = admission(args.org)
    if joining is not None and joining.status == JOINING:
        step(f"{args.org} never joined: stopping its nodes and withdrawing its admission")
        withdraw(args.org)
        return 0
    step(f"removing {args.org} from the consortium")
    return run_change(remove(args.org, org_by_key(args.proposer)), args, started)


MODES = {
    "install": (cmd_install, "build the pinned Fabric and Fabric CA commands into .tools/bin"),
    "up": (cmd_up, "start CAs, orderers and peers; create and join channels (resumes ledgers)"),
    "down": (cmd_down, "stop exactly GridLedger's processes by pid; ledgers are kept"),
    "clean": (cmd_clean, "stop everything and delete the run folder (keys, ledgers, logs)"),
    "status": (cmd_status, "health of every node from its operations endpoint (/healthz)"),
    "deploy": (cmd_deploy, "package, install, approve and commit chaincode; start its servers"),
    "reload": (cmd_reload, "restart the chaincode servers so they run the current Python code"),
    "demo": (cmd_demo, "register the members, then read them back through another org's peer"),
    "api": (cmd_api, "start the HTTP API beside the network and print demo logins per role"),
    "revoke": (cmd_revoke, "revoke an identity at its org's CA and put the CRL on its channels"),
    "ports": (cmd_ports, "list every port the network listens on"),
    "onboard": (
        cmd_onboard,
        "admit a community org: its CA, orderer and peer, its MSP on consortium by a majority"
        " of admins, its own community-<org> channel and chaincode",
    ),
    "offboard": (
        cmd_offboard,
        "remove an admitted org by a majority of admins: revoke its identities, take its MSP"
        " off its channels, stop its nodes",
    ),
}


def add_membership_arguments(sub: argparse.ArgumentParser, onboard: bool) -> None:
    founding = [org.key for org in ORGS]
    sub.add_argument(
        "--org",
        required=True,
        help="the org's key: 2-31 lowercase letters or digits (e.g. riverside)",
    )
    if onboard:
        sub.add_argument("--name", help="its display name (default: '<Org> Energy Cooperative')")
        sub.add_argument("--msp-id", help="its MSP id (default: <Org>MSP)")
    sub.add_argument(
        "--proposer",
        default="utility",
        choices=founding,
        help="the member whose admin proposes and submits (default: utility)",
    )
    sub.add_argument(
        "--propose-only",
        action="store_true",
        help="stop once proposed; the admins then sign and complete it through the API",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="gridnet", description=__doc__.splitlines()[0])
    modes = top.add_subparsers(dest="mode", required=True, metavar="MODE")
    for name, (func, help_text) in MODES.items():
        sub = modes.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(func=func)
        if name == "deploy":
            sub.add_argument(
                "--chaincode",
                action="append",
                help="deploy only this chaincode (repeatable); default: all",
            )
        if name == "revoke":
            keys = [org.key for org in orgs()]
            sub.add_argument("--org", required=True, choices=keys, help="the org of the identity")
            sub.add_argument("--id", required=True, help="the enrollment id to revoke")
            sub.add_argument("--reason", default="unspecified", help="an RFC 5280 reason")
        if name in ("onboard", "offboard"):
            add_membership_arguments(sub, onboard=name == "onboard")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (NetworkError, GatewayError, CommitError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
