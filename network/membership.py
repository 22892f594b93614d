"""Admitting a community to this machine's consortium, and removing one, org by org.

The same choreography as founding (`network/local.py`): every step is one org's mode in
that org's own process, and only public files pass between them. To admit: the new
org brings up its own share and publishes its bundle; a member proposes it for
`consortium`; the members' admins sign at home until the policy is met; the proposer
submits; the utility founds the newcomer's channel with it and the regulator; each
joins; the chaincode is deployed. To remove: a member proposes taking it off its own
channel and off `consortium`, the others sign, the proposer submits, and the org
leaves (revokes its people at its CA and stops).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from gridspec.channels import CONSORTIUM_CHANNEL, community_channel
from network.console import NetworkError, elapsed, info, phase, step
from network.home import JOINING, LEFT, local_homes
from network.local import Consortium, here, msp_key
from network.runtime import started
from network.topology import FIRST_ADMITTED_PORT_BASE, FOUNDING, LAST_PORT_BASE


def next_port_base(consortium: Consortium) -> int:
    taken = {h.org.port_base for h in local_homes(consortium.homes)}
    base = FIRST_ADMITTED_PORT_BASE
    while base in taken:
        base += 1000
    if base > LAST_PORT_BASE:
        raise NetworkError("no free block of ports is left for another org on this machine")
    return base


def onboard(args: argparse.Namespace) -> None:
    names = {"name": args.name, "msp_id": args.msp_id}
    admit(here(), args.org, args.proposer, names, args.propose_only, args.admitted)


def admit(
    consortium: Consortium,
    key: str,
    proposer: str,
    names: dict[str, str | None] | None = None,
    propose_only: bool = False,
    admitted: bool = False,
) -> None:
    """Admit a new community: its own share comes up, the members sign it into consortium,
    its channel is founded with the utility and the regulator, and its chaincode deployed."""
    started = time.monotonic()
    members = [k for k in consortium.org_keys() if k != key]
    if proposer not in members:
        raise NetworkError(f"the proposer {proposer} is not a member here: {', '.join(members)}")
    home = consortium.home(key)
    if not home.exists():
        flags = [
            part
            for flag, value in (names or {}).items()
            if value
            for part in (f"--{flag.replace('_', '-')}", value)
        ]
        consortium.run(key, "init", "--port-base", str(next_port_base(consortium)), *flags)
    with phase(f"{key}: its own CA, orderer and peer; its bundle to the members"):
        consortium.run(key, "up")
        consortium.run(key, "export-bundle", "--out", str(consortium.bundle(key)))
        for member in members:
            consortium.run(member, "import-bundle", "--replace", str(consortium.bundle(key)))
            consortium.run(key, "import-bundle", "--replace", str(consortium.bundle(member)))
    if admitted:
        step(f"the members admitted {key} already (e.g. through their APIs)")
        found_community(consortium, key)
        start_api_like_the_members(consortium, key, members)
        info(f"{key} onboarded in {elapsed(started)}")
        return
    proposal = consortium.published(proposer, f"admit-{key}.proposal.json")
    with phase(f"{proposer} proposes {key} for {CONSORTIUM_CHANNEL}"):
        consortium.run(
            proposer,
            "propose",
            "admission",
            "--channel",
            CONSORTIUM_CHANNEL,
            "--bundle",
            str(consortium.bundle(key)),
            "--out",
            str(proposal),
        )
    if propose_only:
        step(f"proposed: {proposal}; the members' admins sign it (`sign`, or their APIs)")
        return
    with phase("the members' admins sign, each at home, until the policy is met"):
        signatures = consortium.collect_signatures(proposal, members, proposer)
    with phase(f"{proposer} submits the admission"):
        consortium.run(proposer, "submit", str(proposal), *signatures)
    found_community(consortium, key)
    start_api_like_the_members(consortium, key, members)
    info(f"{key} admitted in {elapsed(started)}")


def start_api_like_the_members(consortium: Consortium, key: str, members: Sequence[str]) -> None:
    """The newcomer's API, when the members here run theirs (as after `make run`)."""
    if any(started(consortium.home(m), f"api-{m}") for m in members):
        consortium.run(key, "api")


def found_community(consortium: Consortium, key: str) -> None:
    """The newcomer's own channel with the utility and the regulator, and its chaincode."""
    channel = community_channel(key)
    founders = ["utility", key, "regulator"]
    with phase(f"channel {channel}: {', '.join(founders)}"):
        consortium.found_channel("utility", channel, founders)
    with phase(f"{key} joins {CONSORTIUM_CHANNEL} with its genesis block"):
        genesis = consortium.channel_block("utility", CONSORTIUM_CHANNEL)
        consortium.run(key, "join-channel", str(genesis))
        consortium.run(key, "wait-channel", "--channel", CONSORTIUM_CHANNEL, "--peers", "1")
        consortium.wait_channel(channel, founders)
    with phase(f"chaincode: {key} on both channels, community on {channel}"):
        consortium.run(key, "deploy")
        for member in ("utility", "regulator"):
            consortium.run(member, "deploy", "--channel", channel)
        consortium.run("utility", "deploy", "--channel", channel, "--commit")


def offboard(args: argparse.Namespace) -> None:
    remove(here(), args.org, args.proposer)


def remove(consortium: Consortium, key: str, proposer: str) -> None:
    """Remove an admitted org: the members sign it off its channels, then it leaves."""
    started = time.monotonic()
    home = consortium.home(key)
    if not home.exists() or home.status == LEFT:
        raise NetworkError(f"{key} is not an org of this machine")
    if home.status == JOINING:
        step(f"{key} never joined: it stops and withdraws")
        consortium.run(key, "leave")
        return
    if key in [o.key for o in FOUNDING]:
        raise NetworkError(f"{key} is a founding member; only admitted orgs are removed here")
    members = [k for k in consortium.org_keys() if k != key]
    if proposer not in members:
        raise NetworkError(
            f"the proposer {proposer} must be another member here: {', '.join(members)}"
        )
    msp = msp_key(consortium, key)
    for channel in (community_channel(key), CONSORTIUM_CHANNEL):
        proposal = consortium.published(proposer, f"remove-{key}-{channel}.proposal.json")
        with phase(f"{proposer} proposes removing {msp} from {channel}"):
            consortium.run(
                proposer,
                "propose",
                "removal",
                "--channel",
                channel,
                "--msp-id",
                msp,
                "--out",
                str(proposal),
            )
        signatures = consortium.collect_signatures(proposal, members, proposer)
        with phase(f"{proposer} submits the removal from {channel}"):
            consortium.run(proposer, "submit", str(proposal), *signatures)
    with phase(f"{key} leaves: its identities revoked at its CA, its processes stopped"):
        consortium.run(key, "leave")
    info(f"{key} removed in {elapsed(started)}")
