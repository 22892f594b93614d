"""An organisation's home: the one folder holding everything the org owns.

    <home>/                      0700, the org's operator only
      org.json                   who the org is: MSP id, kind, host, port block, people
      status                     joining / active / left (absent: a founding member)
      ca/                        its fabric-ca-server (database, CA and issuer keys)
      identities/<name>/         each enrolled identity: msp/ (cert, key) and tls/
      msp/                       the org's MSP as channels know it (public)
      secrets/                   enrolment secrets, the API's wallet passphrase and token key
      bundles/<org>.json         bundles imported from other orgs (public)
      channels/<channel>.block   the genesis block of each channel it joined (public)
      updates/                   config update proposals and signatures it made or received
      peer/  orderer/            its nodes' configuration and ledgers
      chaincode/                 chaincode packages and its chaincode servers' records
      api/                       its API's wallet and API key digests
      connection-<org>.json      its connection profile: what its client and API read
      logs/  pids/               its processes' logs and pid files
      outbox/                    public files it made, to mail or publish

Every operator command acts as one org: it opens that org's home and the public files
it is given, nothing else. A home is made with mode 0700 and every file the tool
writes in it is private to the org's operator (the process umask is 0077).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from network.console import NetworkError
from network.paths import homes_dir
from network.topology import Org

ORG_FILE = "org.json"
JOINING, ACTIVE, LEFT = "joining", "active", "left"
STATUSES = (JOINING, ACTIVE, LEFT)


@dataclass(frozen=True)
class OrgHome:
    """The home folder of one organisation and where each thing sits in it."""

    path: Path

    @classmethod
    def of(cls, key: str) -> OrgHome:
        """The embedded default's home of org `key` (`run/orgs/<key>`)."""
        return cls(homes_dir() / key)

    @property
    def org(self) -> Org:
        try:
            return Org.from_json(json.loads((self.path / ORG_FILE).read_text()))
        except FileNotFoundError:
            raise NetworkError(
                f"{self.path} is not an org's home (no {ORG_FILE}): run `init` first"
            ) from None

    def exists(self) -> bool:
        return (self.path / ORG_FILE).is_file()

    def create(self, org: Org) -> None:
        """Make the home (0700) and write the org's record; refuse to overwrite another org."""
        if self.exists() and self.org.key != org.key:
            raise NetworkError(f"{self.path} is already the home of {self.org.key}")
        self.path.mkdir(parents=True, exist_ok=True)
        self.path.chmod(0o700)
        write_private(self.path / ORG_FILE, json.dumps(org.to_json(), indent=2) + "\n")

    # -------------------------------------------------------------------- status

    @property
    def status(self) -> str:
        """joining (admitted orgs, until a channel has them), active, or left."""
        path = self.path / "status"
        return path.read_text().strip() if path.exists() else ACTIVE

    def set_status(self, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        write_private(self.path / "status", status + "\n")

    # -------------------------------------------------------------------- folders

    def sub(self, *parts: str) -> Path:
        return self.path.joinpath(*parts)

    @property
    def ca_server(self) -> Path:
        return self.sub("ca")

    @property
    def ca_cert(self) -> Path:
        return self.ca_server / "ca-cert.pem"

    @property
    def msp(self) -> Path:
        return self.sub("msp")

    def identity(self, name: str) -> Path:
        return self.sub("identities", name)

    def identity_msp(self, name: str) -> Path:
        return self.identity(name) / "msp"

    def identity_tls(self, name: str) -> Path:
        return self.identity(name) / "tls"

    @property
    def secrets(self) -> Path:
        return self.sub("secrets")

    @property
    def bundles(self) -> Path:
        return self.sub("bundles")

    @property
    def channels(self) -> Path:
        return self.sub("channels")

    @property
    def updates(self) -> Path:
        return self.sub("updates")

    @property
    def peer(self) -> Path:
        return self.sub("peer")

    @property
    def orderer(self) -> Path:
        return self.sub("orderer")

    @property
    def chaincode(self) -> Path:
        return self.sub("chaincode")

    @property
    def api(self) -> Path:
        return self.sub("api")

    @property
    def meter_keys(self) -> Path:
        """The device keys of the meters this org's head-end serves (the utility's)."""
        return self.sub("headend", "meter-keys")

    @property
    def logs(self) -> Path:
        return self.sub("logs")

    @property
    def pids(self) -> Path:
        return self.sub("pids")

    @property
    def outbox(self) -> Path:
        return self.sub("outbox")

    @property
    def profile(self) -> Path:
        return self.sub(f"connection-{self.org.key}.json")

    # -------------------------------------------------------------------- secrets

    def secret(self, name: str) -> str:
        """A secret of the org (created on first use, 0600 in the 0700 secrets folder)."""
        path = self.secret_file(name)
        if not path.exists():
            write_private(path, secrets.token_urlsafe(24))
        return path.read_text().strip()

    def secret_file(self, name: str) -> Path:
        return self.secrets / name


def write_private(path: Path, text: str | bytes) -> None:
    """Write `path` atomically, readable and writable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(text.encode() if isinstance(text, str) else text)
    tmp.replace(path)


def write_public(path: Path, text: str | bytes) -> None:
    """Write a public file (a bundle, a genesis block, a proposal, a signature): readable
    by whoever it is handed to, whatever the umask of the org's process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(text.encode() if isinstance(text, str) else text)
    tmp.chmod(0o644)
    tmp.replace(path)


def local_homes(folder: Path | None = None) -> list[OrgHome]:
    """Every org home under `folder` (default: this machine's), in order of their ports."""
    folder = folder or homes_dir()
    found = [OrgHome(p) for p in sorted(folder.iterdir())] if folder.is_dir() else []
    homes = [h for h in found if h.exists()]
    return sorted(homes, key=lambda h: h.org.port_base)
