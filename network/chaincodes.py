"""The chaincodes GridLedger deploys, each with its channel, endorsement policy and server port.

Endorsement policies are explicit, never the channel default: a chaincode states
which orgs' peers must endorse its transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaincode.community.collections import collections_config
from network.topology import CHANNELS, Channel, channels

MAJORITY_OF_MEMBERS = "OutOf(2, 'UtilityMSP.peer', 'CommunityMSP.peer', 'RegulatorMSP.peer')"

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


def utility_and_community(channel: Channel) -> str:
    """Both the utility's peer and the channel's community's peer endorse."""
    by_kind = {org.kind: org.msp_id for org in channel.orgs}
    return f"AND('{by_kind['utility']}.peer', '{by_kind['community']}.peer')"


def community_chaincode(channel: Channel) -> ChaincodeSpec:
    """The community chaincode of one `community-<name>` channel.

    Every community channel runs the same package, so each org's one server (index 1)
    serves all the community channels its peer is on.
    """
    return ChaincodeSpec(
        name="community",
        channel=channel.name,
        module="chaincode.community",
        server_index=1,
        policy=utility_and_community(channel),
        collections=community_collections,
    )


def _sunnyside() -> Channel:
    return next(c for c in CHANNELS if c.name == "community-sunnyside")


NODE_READINGS = ChaincodeSpec(
    name="readings-node",
    channel="community-sunnyside",
    module="node:bench/node/chaincode",
    server_index=2,
    policy=utility_and_community(_sunnyside()),
    collections=community_collections,
)
"""The benchmark's baseline: `MeterContract`'s meter registry and reading ingest on Node's
fabric-contract-api (`bench/node/chaincode`), with the community chaincode's policy and
collections on the same channel. Not in `chaincodes()`: only the benchmark deploys it,
with `lifecycle.deploy(NODE_READINGS, channel_by_name(NODE_READINGS.channel))`."""


def has_community(channel: Channel) -> bool:
    return channel.name.startswith("community-") and any(
        org.kind == "community" for org in channel.orgs
    )


def chaincodes() -> tuple[ChaincodeSpec, ...]:
    """Every deployment on the channels as they are now (a removed community's has none)."""
    return (CONSORTIUM, *(community_chaincode(c) for c in channels() if has_community(c)))


def by_name(name: str) -> list[ChaincodeSpec]:
    """Every deployment of the chaincode called `name` (one per channel it runs on)."""
    specs = [spec for spec in chaincodes() if spec.name == name]
    if not specs:
        known = ", ".join(sorted({c.name for c in chaincodes()}))
        raise KeyError(f"unknown chaincode {name!r}; known: {known}")
    return specs
