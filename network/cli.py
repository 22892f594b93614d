"""gridnet: run a GridLedger organisation's share of the consortium, or all of this machine's.

Every mode with `--org` acts as that one organisation: it opens that org's home
(`run/orgs/<org>`, or `--home`) and the public files it is given, nothing else. The
modes that also work without `--org` run the same step for every org whose home is on
this machine, each in its own process, passing only public files between them
(`run/exchange/`): the embedded default. `python -m network MODE --help` explains each.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from client import CAError, CommitError, GatewayError
from network.console import NetworkError
from network.home import OrgHome
from network.modes import MODES, Mode


def home_of(args: argparse.Namespace) -> OrgHome:
    return OrgHome(Path(args.home)) if args.home else OrgHome.of(args.org)


def add_org_arguments(sub: argparse.ArgumentParser, mode: Mode) -> None:
    what = "act as this org" if mode.local is None else "act as this org only (default: all here)"
    sub.add_argument("--org", help=what)
    sub.add_argument(
        "--home",
        help="the org's home folder (default: run/orgs/<org>); it holds everything the org owns",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="gridnet", description=__doc__.splitlines()[0])
    modes = top.add_subparsers(dest="mode", required=True, metavar="MODE")
    for name, mode in MODES.items():
        sub = modes.add_parser(name, help=mode.help, description=mode.description)
        sub.set_defaults(mode_of=mode)
        if mode.per_org is not None:
            add_org_arguments(sub, mode)
        mode.arguments(sub)
    return top


def dispatch(args: argparse.Namespace) -> int:
    """One org's mode when the mode is per org and an org is named, else every org's."""
    mode: Mode = args.mode_of
    acting = getattr(args, "org", None) or getattr(args, "home", None)
    if mode.per_org is not None and (acting or mode.local is None):
        if not acting:
            raise NetworkError(f"{args.mode} acts as one org: give --org (or --home)")
        os.umask(0o077)  # everything an org's command writes is its operator's alone
        return exit_code(mode.per_org(home_of(args), args))
    assert mode.local is not None
    return exit_code(mode.local(args))


def exit_code(result: object) -> int:
    """A mode's exit status: the int it returned (status modes), else 0."""
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return dispatch(args)
    except (NetworkError, GatewayError, CommitError, CAError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
