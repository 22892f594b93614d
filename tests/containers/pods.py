"""Organisations as compose projects on one container network, made and removed by the test.

`Pods` builds the images (`python -m network images --local`: no registry is reached),
creates a podman network (podman picks a free subnet), and for each org: a system user
that owns the org's home (0700) and its folder of the exchange (0755), the home made by
`init --containers` in a one-off admin container as that user, and the org's compose
project (docker/compose.yaml with docker/consortium-network.yaml) started with `up -d`.
Each org's admin container is its host: its operator tool runs there
(`podman exec gridledger-<org>-admin python3 -m network ...`), as the uid that owns
the home. `close()` takes every project down and removes the network, the users and
the folders; only the project's own images stay, to speed up the next run.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from network.images import gridledger
from network.local import Consortium, Runner
from network.paths import REPO

DOCKER = REPO / "docker"
CONF = DOCKER / "containers.conf"
PORT_BASE = 7000


def sh(*argv: str, check: bool = True) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=engine_env())
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def engine_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(CONF))}


def compose_command() -> list[str]:
    return [str(Path(sys.executable).parent / "podman-compose")]


@dataclass
class Pod:
    """One org's compose project: its user, home, address and containers."""

    org: str
    user: str
    home: Path
    address: str

    @property
    def env_file(self) -> Path:
        return self.home / "compose.env"

    def container(self, service: str) -> str:
        return f"gridledger-{self.org}-{service}"

    def compose(self, *args: str) -> None:
        files = ("-f", str(DOCKER / "compose.yaml"), "-f", str(DOCKER / "consortium-network.yaml"))
        argv = [*compose_command(), "--env-file", str(self.env_file), *files, *args]
        sh(*argv)

    def runner(self) -> Runner:
        return Runner(("podman", "exec", self.container("admin")), engine_env(), "python3")

    def inspect(self, service: str) -> dict:
        return dict(json.loads(sh("podman", "inspect", self.container(service)))[0])

    def healthy(self, service: str) -> bool:
        """The service's own health check, run now (podman schedules none without systemd)."""
        done = subprocess.run(
            ["podman", "healthcheck", "run", self.container(service)],
            capture_output=True,
            env=engine_env(),
            check=False,
        )
        return done.returncode == 0

    def health_log(self, service: str) -> str:
        """What the service's last health checks said."""
        state = self.inspect(service)["State"]
        checks = (state.get("Health") or state.get("Healthcheck") or {}).get("Log") or []
        return " | ".join(str(c.get("Output", "")).strip() for c in checks[-2:])


@dataclass
class Pods:
    """The network, the users and the compose projects; `close()` removes them all."""

    base: Path
    orgs: tuple[str, ...]
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    pods: dict[str, Pod] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)

    @property
    def network(self) -> str:
        return f"gridledger-test-{self.tag}"

    @property
    def exchange(self) -> Path:
        return self.base / "exchange"

    def open(self) -> Pods:
        subprocess.run([sys.executable, "-m", "network", "images", "--local"], check=True,
                       env=engine_env())  # fmt: skip
        sh("podman", "network", "create", self.network)
        subnet = json.loads(sh("podman", "network", "inspect", self.network))[0]["subnets"][0]
        self.addresses = [str(a) for a in ipaddress.ip_network(subnet["subnet"]).hosts()][10:]
        for org in self.orgs:
            self.add(org)
        return self

    def add(self, org: str) -> Pod:
        """The org's user and folders, its home made by `init --containers`, its project up."""
        address = self.addresses[len(self.pods)]
        user = f"glc{self.tag}{org}"[:31]
        sh("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user)
        self.users.append(user)
        entry = pwd.getpwnam(user)
        home = self.owned(self.base / "homes" / org, entry, 0o700)
        self.owned(self.exchange / org, entry, 0o755)
        init = ("init", "--org", org, "--home", str(home), "--host", address,
                "--port-base", str(PORT_BASE), "--containers", "--exchange", str(self.exchange),
                "--container-network", self.network)  # fmt: skip
        mounts = ("-v", f"{home}:{home}", "-v", f"{self.exchange}:{self.exchange}")
        user_flag = f"{entry.pw_uid}:{entry.pw_gid}"
        sh("podman", "run", "--rm", "--user", user_flag, *mounts, gridledger("admin"),
           "python3", "-m", "network", *init)  # fmt: skip
        pod = Pod(org, user, home, address)
        self.pods[org] = pod
        pod.compose("up", "-d")
        return pod

    def owned(self, folder: Path, entry: pwd.struct_passwd, mode: int) -> Path:
        folder.mkdir(parents=True)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        folder.chmod(mode)
        return folder

    def consortium(self) -> Consortium:
        """The orgs as `network/local.py` drives them, each through its admin container."""
        runners = {org: pod.runner() for org, pod in self.pods.items()}
        return Consortium(self.base / "homes", self.exchange, runners)

    def close(self) -> None:
        for pod in self.pods.values():
            with contextlib.suppress(RuntimeError):
                pod.compose("down", "-t", "5")
        sh("podman", "network", "rm", "-f", self.network, check=False)
        for user in self.users:
            subprocess.run(["userdel", user], check=False, capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)
