"""The consortium's shape: organisations, their nodes, identities, channels and every port.

This is the one place where ports are listed. Each organisation owns a block of a
thousand ports (Utility 7xxx, Community 8xxx, Regulator 9xxx) and every service sits
at a fixed offset inside its block, so a port number alone tells which org and
which service it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOST = "127.0.0.1"

ORDERER_OFFSET = 50
PEER_OFFSET = 51
PEER_CHAINCODE_OFFSET = 52
ORDERER_ADMIN_OFFSET = 53
CA_OFFSET = 54
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
    """A channel and the orgs that are members of it."""

    name: str
    orgs: tuple[Org, ...]


CHANNELS: tuple[Channel, ...] = (
    Channel("consortium", ORGS),
    Channel("community-sunnyside", ORGS),
)


def org_by_key(key: str) -> Org:
    for org in ORGS:
        if org.key == key:
            return org
    raise KeyError(f"unknown org {key!r}; known: {', '.join(o.key for o in ORGS)}")


def org_by_msp(msp_id: str) -> Org:
    for org in ORGS:
        if org.msp_id == msp_id:
            return org
    raise KeyError(f"unknown MSP {msp_id!r}; known: {', '.join(o.msp_id for o in ORGS)}")


def all_ports() -> dict[str, int]:
    """Every listening port of the network, named `<org>.<service>`."""
    services = {
        "orderer": ORDERER_OFFSET,
        "orderer-admin": ORDERER_ADMIN_OFFSET,
        "orderer-operations": ORDERER_OPERATIONS_OFFSET,
        "peer": PEER_OFFSET,
        "peer-chaincode": PEER_CHAINCODE_OFFSET,
        "peer-operations": PEER_OPERATIONS_OFFSET,
        "ca": CA_OFFSET,
        "ca-operations": CA_OPERATIONS_OFFSET,
    }
    return {f"{org.key}.{name}": org.port(off) for org in ORGS for name, off in services.items()}
