"""The consortium's shape: organisations, their nodes, identities, channels and every port.

This is the one place where ports are listed. Each organisation owns a block of a
thousand ports (Utility 7xxx, Community 8xxx, Regulator 9xxx) and every service sits
at a fixed offset inside its block, so a port number alone tells which org and
which service it belongs to.

The founding members (utility, Sunnyside, regulator) are fixed here. Orgs admitted at
run time (`python -m network onboard`) are recorded in the run folder, one file each
under `run/members/`, and `orgs()` / `channels()` return the consortium as it is now:
an admitted org gets the next free block of ports (10xxx, 11xxx, ...) and its own
`community-<key>` channel with the utility and the regulator.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from network.paths import run_dir

HOST = "127.0.0.1"

ORDERER_OFFSET = 50
PEER_OFFSET = 51
PEER_CHAINCODE_OFFSET = 52
ORDERER_ADMIN_OFFSET = 53
CA_OFFSET = 54
PEER_PROFILE_OFFSET = 60
PEER_OPERATIONS_OFFSET = 443
ORDERER_OPERATIONS_OFFSET = 444
CA_OPERATIONS_OFFSET = 445
CHAINCODE_SERVER_OFFSET = 100


@dataclass(frozen=True)
class User:
    """A person or service account enrolled at its org's CA, with its ABAC attributes."""

    name: str
    role: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Org:
    """One consortium member: its MSP, CA, peer, orderer and the users it enrolls."""

    key: str
    msp_id: str
    display_name: str
    kind: str
    port_base: int
    users: tuple[User, ...] = ()

    def port(self, offset: int) -> int:
        return self.port_base + offset

    @property
    def peer_address(self) -> str:
        return f"{HOST}:{self.port(PEER_OFFSET)}"

    @property
    def orderer_address(self) -> str:
        return f"{HOST}:{self.port(ORDERER_OFFSET)}"

    @property
    def orderer_admin_address(self) -> str:
        return f"{HOST}:{self.port(ORDERER_ADMIN_OFFSET)}"

    @property
    def ca_url(self) -> str:
        return f"https://localhost:{self.port(CA_OFFSET)}"

    @property
    def ca_name(self) -> str:
        return f"ca-{self.key}"

    def chaincode_address(self, index: int) -> str:
        return f"{HOST}:{self.port(CHAINCODE_SERVER_OFFSET + index)}"


UTILITY = Org(
    key="utility",
    msp_id="UtilityMSP",
    display_name="GridCo Distribution Utility",
    kind="utility",
    port_base=7000,
    users=(
        User("operator1", "operator"),
        User("billing1", "billing"),
        User("headend1", "meter"),
    ),
)
COMMUNITY = Org(
    key="community",
    msp_id="CommunityMSP",
    display_name="Sunnyside Energy Cooperative",
    kind="community",
    port_base=8000,
    users=(
        User("household1", "household", {"household_id": "h-001"}),
        User("household2", "household", {"household_id": "h-002"}),
        User("household9", "household", {"household_id": "h-009"}),
        User("household10", "household", {"household_id": "h-010"}),
        User("advisor1", "third_party"),
    ),
)
REGULATOR = Org(
    key="regulator",
    msp_id="RegulatorMSP",
    display_name="Energy Regulatory Authority",
    kind="regulator",
    port_base=9000,
    users=(User("auditor1", "regulator"),),
)

ORGS: tuple[Org, ...] = (UTILITY, COMMUNITY, REGULATOR)

ADMIN_USER = User("admin", "admin")


@dataclass(frozen=True)
class Channel:
    """A channel, the orgs that are its members and the orgs whose orderers order it.

    `orderers` empty means every member runs one of the channel's Raft consenters.
    """

    name: str
    orgs: tuple[Org, ...]
    orderers: tuple[Org, ...] = ()

    @property
    def orderer_orgs(self) -> tuple[Org, ...]:
        return self.orderers or self.orgs


CHANNELS: tuple[Channel, ...] = (
    Channel("consortium", ORGS),
    Channel("community-sunnyside", ORGS),
)
CONSORTIUM_CHANNEL = CHANNELS[0].name

# ---------------------------------------------------------------- orgs admitted at run time

ADMISSION_FORMAT = "gridledger/member/1"
JOINING, ACTIVE, REMOVED, WITHDRAWN = "joining", "active", "removed", "withdrawn"
ORG_KEY = re.compile(r"^[a-z][a-z0-9]{1,30}$")
FIRST_ADMITTED_PORT_BASE = 10000
LAST_PORT_BASE = 60000


@dataclass(frozen=True)
class Admission:
    """An org admitted at run time and where it stands: joining, active, removed, withdrawn.

    joining: its nodes run, the consortium has not admitted it yet; active: it is a
    member of `consortium` and of its own community channel; removed: its MSP is out
    of every channel config and its nodes are stopped; withdrawn: its admission was
    abandoned before it joined anything, its nodes are stopped.
    """

    org: Org
    status: str

    @property
    def community_channel(self) -> str:
        return f"community-{self.org.key}"

    def to_json(self) -> dict[str, Any]:
        org = asdict(self.org)
        org["users"] = [asdict(u) for u in self.org.users]
        return {"format": ADMISSION_FORMAT, "org": org, "status": self.status}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Admission:
        if record.get("format") != ADMISSION_FORMAT:
            raise ValueError(f"not a {ADMISSION_FORMAT} record")
        org = dict(record["org"])
        org["users"] = tuple(User(**u) for u in org["users"])
        return cls(Org(**org), record["status"])


def admissions_dir() -> Path:
    return run_dir() / "members"


def admissions() -> tuple[Admission, ...]:
    """Every org admitted at run time, removed ones included, in order of their ports."""
    folder = admissions_dir()
    files = sorted(folder.glob("*.json")) if folder.exists() else []
    found = [Admission.from_json(json.loads(f.read_text())) for f in files]
    return tuple(sorted(found, key=lambda a: a.org.port_base))


def save_admission(admission: Admission) -> None:
    folder = admissions_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{admission.org.key}.json"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(admission.to_json(), indent=2) + "\n")
    tmp.replace(target)


def admission(key: str) -> Admission | None:
    return next((a for a in admissions() if a.org.key == key), None)


def next_port_base() -> int:
    """The first free block of a thousand ports after the founding members' and admitted orgs'."""
    taken = {org.port_base for org in ORGS} | {a.org.port_base for a in admissions()}
    base = FIRST_ADMITTED_PORT_BASE
    while base in taken:
        base += 1000
    if base > LAST_PORT_BASE:
        raise ValueError("no free block of ports is left for another org")
    return base


def orgs() -> tuple[Org, ...]:
    """Every org whose nodes run: the founding members, then those joining or active."""
    return ORGS + tuple(a.org for a in admissions() if a.status in (JOINING, ACTIVE))


def channels() -> tuple[Channel, ...]:
    """The channels as they are now: consortium with its active members, one per community."""
    active = tuple(a for a in admissions() if a.status == ACTIVE)
    removed = tuple(a for a in admissions() if a.status == REMOVED)
    consortium = Channel(CONSORTIUM_CHANNEL, ORGS + tuple(a.org for a in active), ORGS)
    return (
        consortium,
        *CHANNELS[1:],
        *(community_channel(a.org) for a in active),
        *(Channel(a.community_channel, (UTILITY, REGULATOR)) for a in removed),
    )


def community_channel(org: Org) -> Channel:
    """An admitted community's own channel: its members and orderers are the utility,
    the community and the regulator (never another community, whose orderer could
    otherwise read it)."""
    members = (UTILITY, org, REGULATOR)
    return Channel(f"community-{org.key}", members, members)


def channel_by_name(name: str) -> Channel:
    for channel in channels():
        if channel.name == name:
            return channel
    known = ", ".join(c.name for c in channels())
    raise KeyError(f"unknown channel {name!r}; known: {known}")


def org_by_key(key: str) -> Org:
    for org in orgs():
        if org.key == key:
            return org
    raise KeyError(f"unknown org {key!r}; known: {', '.join(o.key for o in orgs())}")


def org_by_msp(msp_id: str) -> Org:
    for org in orgs():
        if org.msp_id == msp_id:
            return org
    raise KeyError(f"unknown MSP {msp_id!r}; known: {', '.join(o.msp_id for o in orgs())}")


def all_ports() -> dict[str, int]:
    """Every listening port of the network, named `<org>.<service>`."""
    services = {
        "orderer": ORDERER_OFFSET,
        "orderer-admin": ORDERER_ADMIN_OFFSET,
        "orderer-operations": ORDERER_OPERATIONS_OFFSET,
        "peer": PEER_OFFSET,
        "peer-chaincode": PEER_CHAINCODE_OFFSET,
        "peer-operations": PEER_OPERATIONS_OFFSET,
        "peer-profile": PEER_PROFILE_OFFSET,
        "ca": CA_OFFSET,
        "ca-operations": CA_OPERATIONS_OFFSET,
    }
    return {f"{org.key}.{name}": org.port(off) for org in orgs() for name, off in services.items()}
