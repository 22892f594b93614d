"""The embedded default: every org of this machine, side by side, as separate hosts would run.

Each step runs `python -m network MODE --org <org>` in a process of its own, which
opens that org's home and nothing else; the steps pass each other only public files,
through `run/exchange/<org>/` (what an org publishes, or mails): bundles, genesis
blocks, config update proposals and signatures. No process here holds two orgs' keys.

A `Runner` says how to start an org's process: on this host as this user (the
default), inside the org's own network namespace as its own Unix user (what the
multi-host test does), or in the org's admin container (docker/), so the same
choreography founds a consortium on one machine, on several hosts or in containers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from gridspec.updates import UpdateProposal
from network.channelinfo import ChannelInfo
from network.console import NetworkError, elapsed, info, phase, step
from network.home import LEFT, OrgHome, local_homes
from network.paths import REPO, exchange_dir, homes_dir, run_dir
from network.topology import FOUNDING, FOUNDING_CHANNELS


@dataclass(frozen=True)
class Runner:
    """How to run a network mode as one org: a command prefix (namespace, user, container),
    the Python that runs the tool there, and the environment."""

    prefix: tuple[str, ...] = ()
    env: dict[str, str] | None = None
    python: str = sys.executable

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the mode; its progress (stderr) shows as it goes, its stdout is returned."""
        argv = [*self.prefix, self.python, "-m", "network", *args]
        result = subprocess.run(
            argv, cwd=REPO, env=self.env, stdout=subprocess.PIPE, text=True, check=False
        )
        if check and result.returncode != 0:
            raise NetworkError(f"`network {' '.join(args)}` failed (exit {result.returncode})")
        return result


@dataclass
class Consortium:
    """This machine's orgs (their homes), the exchange folder, and how to run each org."""

    homes: Path = field(default_factory=homes_dir)
    exchange: Path = field(default_factory=exchange_dir)
    runners: dict[str, Runner] = field(default_factory=dict)

    def home(self, key: str) -> OrgHome:
        return OrgHome(self.homes / key)

    def run(self, key: str, mode: str, *args: str, check: bool = True) -> str:
        runner = self.runners.get(key, Runner())
        home = str(self.home(key).path)
        return runner.run(mode, "--home", home, "--org", key, *args, check=check).stdout

    def each(self, keys: Sequence[str], work: Callable[[str], object]) -> None:
        """`work(key)` for every org at once, one thread each; the first failure is raised."""
        with ThreadPoolExecutor(max_workers=max(1, len(keys))) as pool:
            for future in [pool.submit(work, key) for key in keys]:
                future.result()

    def published(self, key: str, name: str) -> Path:
        """Where org `key` publishes a public file for the others."""
        folder = self.exchange / key
        if not folder.is_dir():
            folder.mkdir(parents=True)
            for made in (self.exchange, folder):
                made.chmod(0o755)  # public: every org reads what the others publish
        return folder / name

    def bundle(self, key: str) -> Path:
        return self.published(key, f"{key}.bundle.json")

    def org_keys(self) -> list[str]:
        """Every org here that has not left, in order of their ports."""
        return [h.org.key for h in local_homes(self.homes) if h.status != LEFT]

    # ------------------------------------------------------------------------- founding

    def init_founding(self) -> list[str]:
        for org in FOUNDING:
            if not self.home(org.key).exists():
                self.run(org.key, "init")
        return [org.key for org in FOUNDING]

    def exchange_bundles(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.run(key, "export-bundle", "--out", str(self.bundle(key)))
        for key in keys:
            for other in keys:
                if other != key:
                    self.run(key, "import-bundle", "--replace", str(self.bundle(other)))

    def channel_block(self, creator: str, channel: str) -> Path:
        return self.published(creator, f"{channel}.block")

    def found_channel(self, creator: str, channel: str, members: Sequence[str]) -> Path:
        block = self.channel_block(creator, channel)
        if not block.exists():
            self.run(
                creator,
                "create-channel",
                "--channel",
                channel,
                "--members",
                ",".join(members),
                "--out",
                str(block),
            )
        self.each(members, lambda key: self.run(key, "join-channel", str(block)))
        return block

    def wait_channel(self, channel: str, members: Sequence[str]) -> None:
        """Until each of `members` (the channel's orgs still here) sees the others' peers."""
        others = str(len(members) - 1)
        self.each(
            members,
            lambda key: self.run(key, "wait-channel", "--channel", channel, "--peers", others),
        )

    def blocks(self) -> dict[str, ChannelInfo]:
        """Every channel whose genesis block was published here, by name."""
        found = {}
        for path in sorted(self.exchange.glob("*/*.block")):
            info_ = ChannelInfo.from_block(path.read_bytes())
            found[info_.name] = info_
        return found

    def collect_signatures(
        self, proposal: Path, signers: Sequence[str], submitter: str
    ) -> list[str]:
        """Members' admins sign in turn, each at home, until the proposal's needs are met."""
        document = UpdateProposal.from_json(json.loads(proposal.read_text()))
        signed: list[str] = []
        files: list[str] = []
        for key in signers:
            msp = msp_key(self, key)
            missing = document.outstanding([*signed, msp_key(self, submitter)])
            if not missing:
                break
            wanted = [n for n in document.needs if n.policy in missing and msp in n.orgs]
            if key == submitter or not wanted:
                continue
            out = self.published(key, f"{document.id}.{msp}.signature.json")
            self.run(key, "sign", str(proposal), "--out", str(out))
            signed.append(msp)
            files.append(str(out))
        return files


def here() -> Consortium:
    return Consortium()


# ----------------------------------------------------------------------------- modes


def up(_: argparse.Namespace) -> None:
    found(here())


def found(consortium: Consortium) -> None:
    """Bring every org here up and, the first time, found the consortium's channels."""
    started = time.monotonic()
    keys = consortium.org_keys() or consortium.init_founding()
    with phase(f"every org starts its own CA, orderer and peer: {', '.join(keys)}"):
        consortium.each(keys, lambda key: consortium.run(key, "up"))
    founders = [org.key for org in FOUNDING]
    with phase("bundles: each org publishes its own and imports the others'"):
        consortium.exchange_bundles(founders)
    for channel in FOUNDING_CHANNELS:
        with phase(f"channel {channel.name}: genesis block by {founders[0]}, each org joins"):
            consortium.found_channel(founders[0], channel.name, channel.orgs)
    with phase("gossip: every peer sees the others on every channel"):
        for name, channel in consortium.blocks().items():
            members = [k for k in keys if msp_key(consortium, k) in channel.members]
            consortium.wait_channel(name, members)
    info(f"consortium up in {elapsed(started)}; homes in {consortium.homes}")


def msp_key(consortium: Consortium, key: str) -> str:
    """The MSP id org `key` published in its bundle."""
    return str(json.loads(consortium.bundle(key).read_text())["msp_id"])


def down(_: argparse.Namespace) -> None:
    consortium = here()
    for key in reversed(consortium.org_keys()):
        consortium.run(key, "down")


def clean(_: argparse.Namespace) -> None:
    consortium = here()
    for home in local_homes(consortium.homes):
        consortium.run(home.org.key, "clean")
    step(f"removing the run folder {run_dir()} (the exchange and what tests left)")
    shutil.rmtree(run_dir(), ignore_errors=True)


def status(_: argparse.Namespace) -> int:
    consortium = here()
    healthy = True
    for key in consortium.org_keys():
        runner = consortium.runners.get(key, Runner())
        result = runner.run("status", "--home", str(consortium.home(key).path), check=False)
        print(result.stdout, end="")
        healthy &= result.returncode == 0
    return 0 if healthy else 1


def deploy(_: argparse.Namespace) -> None:
    deploy_all(here())


def deploy_all(consortium: Consortium) -> None:
    """Every org's part of every chaincode here, then one member commits each definition."""
    keys = consortium.org_keys()
    with phase("every org installs, serves and approves the chaincode of its channels"):
        consortium.each(keys, lambda key: consortium.run(key, "deploy"))
    for name, channel in consortium.blocks().items():
        committer = next(k for k in keys if msp_key(consortium, k) in channel.members)
        with phase(f"{committer} commits the chaincode definition on {name}"):
            consortium.run(committer, "deploy", "--channel", name, "--commit")
    with phase("every org registers itself in the member registry"):
        registered(consortium)


def register_all(_: argparse.Namespace) -> None:
    registered(here())


def registered(consortium: Consortium) -> None:
    for key in consortium.org_keys():
        consortium.run(key, "register")


def reload(_: argparse.Namespace) -> None:
    consortium = here()
    for key in consortium.org_keys():
        consortium.run(key, "reload")


def api(_: argparse.Namespace) -> None:
    start_apis(here())


def start_apis(consortium: Consortium) -> None:
    for key in consortium.org_keys():
        consortium.run(key, "api")


def ports(_: argparse.Namespace) -> None:
    consortium = here()
    for key in consortium.org_keys():
        print(consortium.run(key, "ports"), end="")


def demo(args: argparse.Namespace) -> None:
    from network.demo import run_demo

    consortium = here()
    run_demo(consortium)
    step("what is running: every org's nodes, chaincode servers and API")
    status(args)
    for home in local_homes(consortium.homes):
        if home.status != LEFT:
            url = home.org.api_url
            info(f"{home.org.key:10} API {url}/docs   dashboard {url}/ui/   home {home.path}")
    info("logins: `make api` prints them; stop with `make down`, start over with `make clean`")
