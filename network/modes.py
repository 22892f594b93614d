"""The modes of `python -m network`: what each does as one org, and for every org here.

Each mode names its one-org function (given the org's home) and, where it makes sense
on one machine, its every-org function (`network/local.py`), which runs the one-org
mode in a process per org and passes only public files between them.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from network import (
    api_server,
    bringup,
    bundles,
    channels,
    compose_env,
    images,
    lifecycle,
    local,
    membership,
    profiles,
    registry,
    revocation,
    update_modes,
)
from network.chaincode_servers import reload
from network.chaincodes import for_channel
from network.channelinfo import ChannelInfo
from network.console import NetworkError, elapsed, info, step
from network.home import ACTIVE, JOINING, OrgHome
from network.keysalt import ensure_key_salt
from network.topology import CONTAINERS, LOOPBACK, founding, new_community

PerOrg = Callable[[OrgHome, argparse.Namespace], Any]
Local = Callable[[argparse.Namespace], Any]


def no_arguments(_: argparse.ArgumentParser) -> None:
    return None


@dataclass(frozen=True)
class Mode:
    """One mode: its help, its one-org and every-org functions, its own arguments."""

    help: str
    per_org: PerOrg | None
    local: Local | None
    arguments: Callable[[argparse.ArgumentParser], None] = no_arguments
    more: str = ""

    @property
    def description(self) -> str:
        scope = []
        if self.per_org is not None:
            scope.append(
                "With --org it acts as that org alone: it opens that org's home and the public"
                " files named on its command line, nothing of any other org."
            )
        if self.local is not None:
            scope.append("Without --org it does so for every org whose home is on this machine.")
        return " ".join([self.help[0].upper() + self.help[1:] + ".", self.more, *scope]).strip()


# ------------------------------------------------------------------------------ one org


def init(home: OrgHome, args: argparse.Namespace) -> None:
    if home.exists():
        info(f"{home.org.key}: home {home.path} already exists")
        return
    if not args.org:
        raise NetworkError("init needs --org: the new org's key")
    template = founding(args.org)
    if template is not None:
        org = dataclasses.replace(
            template,
            host=args.host or template.host,
            port_base=args.port_base or template.port_base,
        )
    else:
        if args.port_base is None:
            raise NetworkError(
                "a new org needs --port-base: a free block of 1000 ports, e.g. 10000"
            )
        names = {"msp_id": args.msp_id or "", "display_name": args.name or ""}
        org = new_community(args.org, args.port_base, args.host or LOOPBACK, **names)
    if args.containers:
        org = dataclasses.replace(org, runtime=CONTAINERS)
    home.create(org)
    if template is None:
        home.set_status(JOINING)
    step(f"{org.key}: home {home.path} for {org.msp_id} ({org.display_name}) on {org.host}")
    if args.containers:
        exchange = Path(args.exchange) if args.exchange else home.outbox
        env = compose_env.write(home, exchange, args.container_network)
        info(f"its services run in containers: compose reads {env} (docker/README.md)")


def init_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--host", help="the address its nodes listen on and advertise (127.0.0.1)")
    sub.add_argument("--port-base", type=int, help="its block of 1000 ports (founding: 7000-9000)")
    sub.add_argument("--msp-id", help="a new community's MSP id (default: <Org>MSP)")
    sub.add_argument("--name", help="a new community's display name")
    sub.add_argument(
        "--containers",
        action="store_true",
        help="its services run in containers (docker/compose.yaml): writes <home>/compose.env",
    )
    sub.add_argument(
        "--exchange",
        help="containers: the folder its public files come and go through (default: outbox)",
    )
    sub.add_argument(
        "--container-network",
        default=compose_env.DEFAULT_NETWORK,
        help="containers: the network docker/consortium-network.yaml joins (gridledger)",
    )


def export_bundle(home: OrgHome, args: argparse.Namespace) -> None:
    out = Path(args.out) if args.out else home.outbox / f"{home.org.key}.bundle.json"
    bundle = bundles.export(home, out)
    step(f"{bundle.msp_id}: bundle written to {out}")
    info(f"fingerprint {bundle.fingerprint()}: read it to the orgs that import it")


def import_bundle(home: OrgHome, args: argparse.Namespace) -> None:
    bundle = bundles.import_bundle(home, Path(args.file), replace=args.replace)
    step(f"{home.org.key}: imported the bundle of {bundle.msp_id} ({bundle.display_name})")
    info(f"fingerprint {bundle.fingerprint()}: check it with {bundle.key} before trusting it")


def create_channel(home: OrgHome, args: argparse.Namespace) -> None:
    members = args.members.split(",")
    orderers = args.orderers.split(",") if args.orderers else members
    out = Path(args.out) if args.out else home.outbox / f"{args.channel}.block"
    channels.create(home, args.channel, members, orderers, out)
    step(f"{home.org.key}: genesis block of {args.channel} written to {out}")
    info(f"members {', '.join(members)}; ordered by {', '.join(orderers)}")


def join_channel(home: OrgHome, args: argparse.Namespace) -> None:
    joined = channels.join(home, Path(args.block))
    profiles.write(home)
    if home.status == JOINING:
        home.set_status(ACTIVE)
    step(f"{home.org.key}: on {joined.name} (members {', '.join(joined.members)})")


def wait_channel(home: OrgHome, args: argparse.Namespace) -> None:
    members = ChannelInfo.load(home, args.channel).members
    channels.wait_gossip(home, args.channel, args.peers if args.peers else len(members) - 1)


def deploy(home: OrgHome, args: argparse.Namespace) -> None:
    names = [args.channel] if args.channel else channels.joined(home)
    for name in names:
        spec = for_channel(ChannelInfo.load(home, name))
        step(f"{home.org.key}: chaincode {spec.name} on {name} (policy {spec.policy})")
        lifecycle.prepare(home, spec)
        committed = args.commit and lifecycle.commit(home, spec)
        if committed or args.key_salt:
            ensure_key_salt(home, name)


def deploy_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--channel", help="only this channel (default: every channel it joined)")
    sub.add_argument(
        "--commit",
        action="store_true",
        help="also commit the definition and then set a community channel's key salt "
        "(one org does this)",
    )
    sub.add_argument(
        "--key-salt",
        action="store_true",
        help="set the community channel's key salt though the definition was committed "
        "before (when that first try failed); a salt set already is kept",
    )


def write_profile(home: OrgHome, _: argparse.Namespace) -> None:
    made = profiles.write(home)
    step(f"{home.org.key}: connection profile {home.profile}")
    info(f"channels: {', '.join(made.channels) or 'none yet'}")


def ports(home: OrgHome, _: argparse.Namespace) -> None:
    for name, address in home.org.ports().items():
        print(f"{home.org.key + '.' + name:34} {address}")


def demo_step(home: OrgHome, args: argparse.Namespace) -> None:
    from network.demo import run_step

    run_step(home, args.step, Path(args.file) if args.file else None)


def demo_step_arguments(sub: argparse.ArgumentParser) -> None:
    from network.demo import STEPS

    sub.add_argument("step", choices=list(STEPS))
    sub.add_argument("--file", help="disclose: where to write the reading; verify: the reading")


def status(home: OrgHome, _: argparse.Namespace) -> int:
    return 0 if bringup.status(home) else 1


def install(_: argparse.Namespace) -> None:
    from network.install import install as build

    started = time.monotonic()
    step("installing pinned Fabric and Fabric CA binaries")
    for command, version in build().items():
        info(f"{command:18} {version}")
    info(f"install finished in {elapsed(started)}")


MODES: dict[str, Mode] = {
    "install": Mode(
        "build the pinned Fabric and Fabric CA commands into .tools/bin", None, install
    ),
    "images": Mode(
        "build the container images of an org's share (docker/): nodes, chaincode, API, admin",
        None,
        images.images,
        images.images_arguments,
    ),
    "init": Mode(
        "make an org's home: its record, host and block of ports",
        init,
        None,
        init_arguments,
        "The founding orgs (utility, community, regulator) take their templates.",
    ),
    "up": Mode(
        "start CAs, orderers and peers (resumes ledgers); on this machine also found the channels",
        lambda home, _: bringup.up(home),
        local.up,
    ),
    "down": Mode(
        "stop exactly the org's processes by pid; ledgers are kept",
        lambda home, _: bringup.down(home),
        local.down,
    ),
    "clean": Mode(
        "stop everything and delete the org's home (keys, ledgers, logs)",
        lambda home, _: bringup.clean(home),
        local.clean,
    ),
    "status": Mode("health of every node from its operations endpoint", status, local.status),
    "export-bundle": Mode(
        "write the org's definition bundle (public) and print its fingerprint",
        export_bundle,
        None,
        lambda sub: sub.add_argument("--out", help="where to write it (default: <home>/outbox)"),
    ),
    "import-bundle": Mode(
        "keep another org's bundle in this org's home, printing its fingerprint",
        import_bundle,
        None,
        lambda sub: (
            sub.add_argument("file", help="the bundle file the other org sent"),
            sub.add_argument("--replace", action="store_true", help="replace a different one"),
        ),
    ),
    "create-channel": Mode(
        "write a channel's genesis block from the members' bundles",
        create_channel,
        None,
        lambda sub: (
            sub.add_argument("--channel", required=True),
            sub.add_argument("--members", required=True, help="org keys, comma separated"),
            sub.add_argument("--orderers", help="org keys running consenters (default: members)"),
            sub.add_argument("--out", help="where to write the block (default: <home>/outbox)"),
        ),
    ),
    "join-channel": Mode(
        "join the org's orderer (if a consenter) and peer to a channel with its genesis block",
        join_channel,
        None,
        lambda sub: sub.add_argument("block", help="the channel's genesis block file"),
    ),
    "wait-channel": Mode(
        "wait until the org's peer sees the channel's other peers through gossip",
        wait_channel,
        None,
        lambda sub: (
            sub.add_argument("--channel", required=True),
            sub.add_argument("--peers", type=int, help="how many others (default: all members)"),
        ),
    ),
    "deploy": Mode(
        "install, serve and approve the chaincode of the org's channels; --commit commits",
        deploy,
        local.deploy,
        deploy_arguments,
    ),
    "reload": Mode(
        "restart the org's chaincode servers so they run the current Python code",
        lambda home, _: reload(home),
        local.reload,
    ),
    "profile": Mode(
        "write the org's connection profile for its client and API", write_profile, None
    ),
    "api": Mode(
        "start the org's API and print its demo logins",
        lambda home, _: api_server.run_api(home),
        local.api,
    ),
    "ports": Mode("list every address the org's services listen on", ports, local.ports),
    "propose": Mode(
        "propose a config update of a channel as the org's admin (a public proposal file)",
        update_modes.propose,
        None,
        update_modes.propose_arguments,
    ),
    "sign": Mode(
        "sign a proposal with the org admin's own key (a public signature file)",
        update_modes.sign,
        None,
        lambda sub: (
            sub.add_argument("proposal", help="the proposal file"),
            sub.add_argument("--out", help="where to write the signature"),
        ),
    ),
    "submit": Mode(
        "submit a proposal with the admins' signatures; the orderer decides",
        update_modes.submit,
        None,
        lambda sub: (
            sub.add_argument("proposal", help="the proposal file"),
            sub.add_argument("signatures", nargs="*", help="signature files from other orgs"),
            sub.add_argument("--out", help="where to write the receipt"),
        ),
    ),
    "revoke": Mode(
        "revoke an identity at the org's CA and put its CRL on the org's channels",
        update_modes.revoke,
        None,
        lambda sub: (
            sub.add_argument("--id", required=True, help="the enrolment id to revoke"),
            sub.add_argument("--reason", default="unspecified", help="an RFC 5280 reason"),
        ),
    ),
    "register": Mode(
        "register the org in the consortium's member registry, as its own admin",
        lambda home, _: registry.register(home),
        local.register_all,
    ),
    "leave": Mode(
        "revoke everyone the org's CA issued and stop its processes (after its removal)",
        lambda home, _: revocation.leave(home),
        None,
    ),
    "onboard": Mode(
        "admit a new community: its share starts, members sign, its channel and chaincode",
        None,
        membership.onboard,
        update_modes.membership_arguments(onboarding=True),
    ),
    "offboard": Mode(
        "remove an admitted org by the members' signatures; it then leaves",
        None,
        membership.offboard,
        update_modes.membership_arguments(onboarding=False),
    ),
    "demo": Mode(
        "run the demo day through the orgs' APIs (every org registers, readings, market, bills)",
        None,
        local.demo,
    ),
    "demo-step": Mode(
        "one step of the demo day, taken by this org's people through its own API",
        demo_step,
        None,
        demo_step_arguments,
    ),
}
