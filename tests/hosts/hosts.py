"""Separate hosts on one machine: a network namespace, an address and a Unix user per org.

`Hosts` makes a bridge with an address for this test process, and for each org a
network namespace joined to the bridge by a veth pair, with its own address and its
own loopback, and a system user that owns the org's home (0700) and its folder of
the exchange (0755: what it publishes). Only addresses inside these namespaces and
loopback are ever contacted. Everything is removed again by `close()`, the users too.

An org's commands run as `ip netns exec <ns> setpriv --reuid <user> ...`: in its
namespace, as its user, so reading another org's home fails with a permission error.
The users must reach the repository, its virtualenv and the interpreter behind it,
which may sit below folders only root may enter (/root, a CI run's mktemp folder);
those folders get the search bit (o+x: enter, never list) while the hosts exist, and
their modes are restored afterwards.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from network.local import Runner
from network.paths import REPO

SUBNETS = [ipaddress.ip_network(f"10.{a}.{b}.0/24") for a in (213, 214) for b in range(200, 250)]
HOST_PATH = "/usr/local/bin:/usr/bin:/bin"


class HostsUnavailable(RuntimeError):
    """This machine cannot make network namespaces or users: the message says what to do."""


def sh(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


def free_subnet() -> ipaddress.IPv4Network:
    """A /24 no route of this machine touches."""
    routes = sh("ip", "-4", "route", "show", "table", "all")
    used = []
    for line in routes.splitlines():
        word = line.split()[0] if line.split() else ""
        if word in ("local", "broadcast", "unreachable"):
            word = line.split()[1]
        try:
            used.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            continue
    for subnet in SUBNETS:
        if not any(subnet.overlaps(u) for u in used if u.prefixlen > 0):
            return subnet
    raise HostsUnavailable("no free 10.213-214.x.0/24 subnet for the test hosts")


@dataclass
class Host:
    """One org's host: its namespace, address and user, and where its files live."""

    org: str
    namespace: str
    address: str
    user: str
    home: Path
    exchange: Path

    def runner(self) -> Runner:
        prefix = (
            "ip", "netns", "exec", self.namespace,
            "setpriv", "--reuid", self.user, "--regid", self.user, "--clear-groups", "--",
        )  # fmt: skip
        env = {"PATH": HOST_PATH, "HOME": str(self.home), "LANG": "C.UTF-8"}
        return Runner(prefix, env)

    def run_python(self, code: str) -> subprocess.CompletedProcess[str]:
        """`python -c code` on this host, as its user."""
        runner = self.runner()
        argv = [*runner.prefix, sys.executable, "-c", code]
        return subprocess.run(
            argv, env=runner.env, cwd=REPO, capture_output=True, text=True, check=False
        )


@dataclass
class Hosts:
    """The bridge, the hosts and the search bits granted for them; `close()` undoes all."""

    base: Path
    orgs: tuple[str, ...]
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    hosts: dict[str, Host] = field(default_factory=dict)
    granted: dict[Path, int] = field(default_factory=dict)
    users_made: list[str] = field(default_factory=list)

    @property
    def bridge(self) -> str:
        return f"glbr{self.tag}"

    def open(self) -> Hosts:
        if os.geteuid() != 0:
            raise HostsUnavailable("the multi-host test makes network namespaces: run as root")
        subnet = free_subnet()
        addresses = list(subnet.hosts())
        self.grant_search()
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{addresses[-1]}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for index, org in enumerate(self.orgs, start=1):
            self.hosts[org] = self.add_host(org, index, str(addresses[index - 1]))
        return self

    def add_host(self, org: str, index: int, address: str) -> Host:
        namespace, outside, inside = (
            f"gl{self.tag}{org}",
            f"gh{self.tag}{index}",
            f"gn{self.tag}{index}",
        )
        sh("ip", "netns", "add", namespace)
        sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        sh("ip", "link", "set", inside, "netns", namespace)
        sh("ip", "link", "set", outside, "master", self.bridge, "up")
        inns = ("ip", "netns", "exec", namespace, "ip")
        sh(*inns, "addr", "add", f"{address}/24", "dev", inside)
        sh(*inns, "link", "set", inside, "up")
        sh(*inns, "link", "set", "lo", "up")
        user = self.user(org)
        home = self.owned(self.base / "homes" / org, user, 0o700)
        exchange = self.owned(self.base / "exchange" / org, user, 0o755)
        return Host(org, namespace, address, user, home, exchange)

    def user(self, org: str) -> str:
        name = f"gl{self.tag}{org}"[:31]
        sh("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name)
        self.users_made.append(name)
        return name

    def owned(self, folder: Path, user: str, mode: int) -> Path:
        folder.mkdir(parents=True)
        for parent in (folder.parent, folder.parent.parent):
            parent.chmod(0o755)
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        folder.chmod(mode)
        return folder

    def stop_everything_in(self, host: Host) -> None:
        """Whatever still runs in the host's namespace (its org's `down` stops it first)."""
        listed = subprocess.run(
            ["ip", "netns", "pids", host.namespace], capture_output=True, text=True, check=False
        )
        for pid in (int(p) for p in listed.stdout.split()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def grant_search(self) -> None:
        """o+x on every folder above the repository and the interpreter that lacks it."""
        for target in (REPO, Path(os.path.realpath(sys.executable)), self.base):
            for folder in [target, *target.parents]:
                if folder.is_dir() and not folder.stat().st_mode & stat.S_IXOTH:
                    self.granted.setdefault(folder, stat.S_IMODE(folder.stat().st_mode))
                    folder.chmod(self.granted[folder] | stat.S_IXOTH)

    def close(self) -> None:
        for host in self.hosts.values():
            self.stop_everything_in(host)
            subprocess.run(["ip", "netns", "del", host.namespace], check=False)
        subprocess.run(["ip", "link", "del", self.bridge], check=False, capture_output=True)
        for name in self.users_made:
            subprocess.run(["userdel", name], check=False, capture_output=True)
        for folder, mode in self.granted.items():
            folder.chmod(mode)
        shutil.rmtree(self.base, ignore_errors=True)
