"""An organisation's shape: its MSP, its people, its host and every port its services use.

This is the one place where ports are listed. Each org owns a block of a thousand
ports (the founding members: Utility 7xxx, Community 8xxx, Regulator 9xxx; orgs
admitted later 10xxx, 11xxx, ...) and every service sits at a fixed offset inside
its block, so a port number alone tells which service it is. On separate hosts every
org may use the same block: the host tells them apart.

An org's record lives in its own home (`org.json`, see `network/home.py`); the
templates below are what `init` writes for the three founding members of the
embedded default, and `FOUNDING_CHANNELS` the channels they create together.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from gridspec.channels import CONSORTIUM_CHANNEL, community_channel

LOOPBACK = "127.0.0.1"
ANY_ADDRESS = "0.0.0.0"
# how an org runs its services: as processes the operator tool starts, or in containers
# compose keeps running (`network/runtime.py`)
NATIVE, CONTAINERS = "native", "containers"
RUNTIMES = (NATIVE, CONTAINERS)

ORDERER_OFFSET = 50
PEER_OFFSET = 51
PEER_CHAINCODE_OFFSET = 52
ORDERER_ADMIN_OFFSET = 53
CA_OFFSET = 54
PEER_PROFILE_OFFSET = 60
CHAINCODE_SERVER_OFFSET = 100
PEER_OPERATIONS_OFFSET = 443
ORDERER_OPERATIONS_OFFSET = 444
CA_OPERATIONS_OFFSET = 445
API_OFFSET = 800

# which address each service listens on: the host's (reached by other orgs) or loopback
PUBLIC_SERVICES = {
    "orderer": ORDERER_OFFSET,
    "peer": PEER_OFFSET,
    "ca": CA_OFFSET,
    "api": API_OFFSET,
}
LOCAL_SERVICES = {
    "orderer-admin": ORDERER_ADMIN_OFFSET,
    "orderer-operations": ORDERER_OPERATIONS_OFFSET,
    "peer-chaincode": PEER_CHAINCODE_OFFSET,
    "peer-operations": PEER_OPERATIONS_OFFSET,
    "peer-profile": PEER_PROFILE_OFFSET,
    "ca-operations": CA_OPERATIONS_OFFSET,
    "chaincode-consortium": CHAINCODE_SERVER_OFFSET,
    "chaincode-community": CHAINCODE_SERVER_OFFSET + 1,
}
ORG_FORMAT = "gridledger/org/1"
ORG_KEY = re.compile(r"^[a-z][a-z0-9]{1,30}$")
FIRST_ADMITTED_PORT_BASE = 10000
LAST_PORT_BASE = 60000


@dataclass(frozen=True)
class User:
    """A person or service account its org's CA enrols at bring-up, with its ABAC attributes."""

    name: str
    role: str
    attributes: dict[str, str] = field(default_factory=dict)


ADMIN_USER = User("admin", "admin")


@dataclass(frozen=True)
class Org:
    """One organisation as its own operator sees it: MSP, host, port block and people."""

    key: str
    msp_id: str
    display_name: str
    kind: str
    port_base: int
    host: str = LOOPBACK
    users: tuple[User, ...] = ()
    runtime: str = NATIVE

    def port(self, offset: int) -> int:
        return self.port_base + offset

    @property
    def listen_host(self) -> str:
        """Where its public services listen: the host's address, or, in containers, every
        address of the org's pod (the host's address is outside it; compose publishes)."""
        return ANY_ADDRESS if self.runtime == CONTAINERS else self.host

    @property
    def peer_address(self) -> str:
        return f"{self.host}:{self.port(PEER_OFFSET)}"

    @property
    def orderer_address(self) -> str:
        return f"{self.host}:{self.port(ORDERER_OFFSET)}"

    @property
    def orderer_admin_address(self) -> str:
        return f"{LOOPBACK}:{self.port(ORDERER_ADMIN_OFFSET)}"

    @property
    def ca_url(self) -> str:
        return f"https://{self.host}:{self.port(CA_OFFSET)}"

    @property
    def ca_name(self) -> str:
        return f"ca-{self.key}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port(API_OFFSET)}"

    def chaincode_address(self, index: int) -> str:
        return f"{LOOPBACK}:{self.port(CHAINCODE_SERVER_OFFSET + index)}"

    def ports(self) -> dict[str, str]:
        """Every address this org's services listen on, named by service."""
        public = {n: f"{self.host}:{self.port(o)}" for n, o in PUBLIC_SERVICES.items()}
        local = {n: f"{LOOPBACK}:{self.port(o)}" for n, o in LOCAL_SERVICES.items()}
        return public | local

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["users"] = [asdict(u) for u in self.users]
        return {"format": ORG_FORMAT, **record}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Org:
        if record.get("format") != ORG_FORMAT:
            raise ValueError(f"not a {ORG_FORMAT} record")
        fields = {k: v for k, v in record.items() if k != "format"}
        fields["users"] = tuple(User(**u) for u in fields.get("users", ()))
        return cls(**fields)


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
        # the cooperative's demand-response aggregator: an OpenADR 3 VEN of the VTN
        User("ven1", "ven"),
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
FOUNDING: tuple[Org, ...] = (UTILITY, COMMUNITY, REGULATOR)
ORGS = FOUNDING
SUNNYSIDE_CHANNEL = community_channel("sunnyside")


@dataclass(frozen=True)
class Channel:
    """A channel of the embedded default: its member orgs and the orgs whose orderers order it.

    `orderers` empty means every member runs one of the channel's Raft consenters.
    """

    name: str
    orgs: tuple[str, ...]
    orderers: tuple[str, ...] = ()

    @property
    def orderer_orgs(self) -> tuple[str, ...]:
        return self.orderers or self.orgs


FOUNDING_CHANNELS: tuple[Channel, ...] = (
    Channel(CONSORTIUM_CHANNEL, tuple(o.key for o in FOUNDING)),
    Channel(SUNNYSIDE_CHANNEL, tuple(o.key for o in FOUNDING)),
)


def founding(key: str) -> Org | None:
    return next((o for o in FOUNDING if o.key == key), None)


def new_community(key: str, port_base: int, host: str = LOOPBACK, **names: str) -> Org:
    """A community org admitted later, with two households to start with."""
    if not ORG_KEY.match(key):
        raise ValueError(f"org key {key!r} must be 2-31 lowercase letters or digits")
    return Org(
        key=key,
        msp_id=names.get("msp_id") or f"{key.capitalize()}MSP",
        display_name=names.get("display_name") or f"{key.capitalize()} Energy Cooperative",
        kind="community",
        port_base=port_base,
        host=host,
        users=(
            User("household1", "household", {"household_id": f"h-{key}-001"}),
            User("household2", "household", {"household_id": f"h-{key}-002"}),
        ),
    )
