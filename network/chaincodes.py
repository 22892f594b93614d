"""The chaincodes GridLedger deploys, each with its channel, endorsement policy and server port.

Endorsement policies are explicit, never the channel default: a chaincode states
which orgs' peers must endorse its transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaincode.community.collections import collections_config
from network.topology import CHANNELS, Channel

MAJORITY_OF_MEMBERS = "OutOf(2, 'UtilityMSP.peer', 'CommunityMSP.peer', 'RegulatorMSP.peer')"
UTILITY_AND_COMMUNITY = "AND('UtilityMSP.peer', 'CommunityMSP.peer')"

Collections = Callable[[Channel], list[dict[str, Any]]]


@dataclass(frozen=True)
class ChaincodeSpec:
    """A chaincode deployment: where it runs, who must endorse, how it is served."""

    name: str
    channel: str
    module: str
    server_index: int
    policy: str
    version: str = "1.0"
    sequence: int = 1
    collections: Collections | None = None

    @property
    def label(self) -> str:
        return f"{self.name}_{self.version}"


CONSORTIUM = ChaincodeSpec(
    name="consortium",
    channel="consortium",
    module="chaincode.consortium",
    server_index=0,
    policy=MAJORITY_OF_MEMBERS,
)


def community_collections(channel: Channel) -> list[dict[str, Any]]:
    by_kind = {org.kind: org.msp_id for org in channel.orgs}
    return collections_config(by_kind["utility"], by_kind["community"])


def community_chaincode(channel: Channel) -> ChaincodeSpec:
    """The community chaincode of one `community-<name>` channel."""
    return ChaincodeSpec(
        name="community",
        channel=channel.name,
        module="chaincode.community",
        server_index=1,
        policy=UTILITY_AND_COMMUNITY,
        collections=community_collections,
    )


COMMUNITY_CHANNELS = tuple(c for c in CHANNELS if c.name.startswith("community-"))

CHAINCODES: tuple[ChaincodeSpec, ...] = (
    CONSORTIUM,
    *(community_chaincode(c) for c in COMMUNITY_CHANNELS),
)


def by_name(name: str) -> list[ChaincodeSpec]:
    """Every deployment of the chaincode called `name` (one per channel it runs on)."""
    specs = [spec for spec in CHAINCODES if spec.name == name]
    if not specs:
        known = ", ".join(sorted({c.name for c in CHAINCODES}))
        raise KeyError(f"unknown chaincode {name!r}; known: {known}")
    return specs
