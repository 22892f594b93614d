"""The chaincode a channel runs, with its endorsement policy and server port, from its members.

Every member derives the same definition from the same public facts (the channel's
member MSPs, as its genesis block names them), so their approvals match without
anyone sending a definition around. Endorsement policies are explicit, never the
channel default: a chaincode states which orgs' peers must endorse its transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gridspec.channels import (
    COMMUNITY_CHAINCODE,
    CONSORTIUM_CHAINCODE,
    CONSORTIUM_CHANNEL,
    community_name,
)
from gridspec.collections import collections_config
from gridspec.roles import COMMUNITY, UTILITY, org_kind
from network.channelinfo import ChannelInfo
from network.console import NetworkError

Collections = Callable[[ChannelInfo], list[dict[str, Any]]]


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
    collections: list[dict[str, Any]] | None = None

    @property
    def label(self) -> str:
        return f"{self.name}_{self.version}"


def majority_of(members: tuple[str, ...]) -> str:
    peers = ", ".join(f"'{msp}.peer'" for msp in sorted(members))
    return f"OutOf({len(members) // 2 + 1}, {peers})"


def by_kind(info: ChannelInfo) -> dict[str, str]:
    """The channel's utility and community MSP ids (the regulator holds no private data)."""
    kinds = {org_kind(msp): msp for msp in info.members}
    if UTILITY not in kinds or COMMUNITY not in kinds:
        raise NetworkError(f"{info.name} needs a utility and a community member")
    return kinds


def consortium_chaincode(info: ChannelInfo) -> ChaincodeSpec:
    """The registry, aggregates and funding, endorsed by a majority of the founding members."""
    return ChaincodeSpec(
        name=CONSORTIUM_CHAINCODE,
        channel=info.name,
        module="chaincode.consortium",
        server_index=0,
        policy=majority_of(info.members),
    )


def community_chaincode(info: ChannelInfo) -> ChaincodeSpec:
    """The community chaincode of one `community-<name>` channel.

    Every community channel runs the same package, so each org's one server (index 1)
    serves all the community channels its peer is on.
    """
    kinds = by_kind(info)
    return ChaincodeSpec(
        name=COMMUNITY_CHAINCODE,
        channel=info.name,
        module="chaincode.community",
        server_index=1,
        policy=f"AND('{kinds[UTILITY]}.peer', '{kinds[COMMUNITY]}.peer')",
        collections=collections_config(kinds[UTILITY], kinds[COMMUNITY]),
    )


def for_channel(info: ChannelInfo) -> ChaincodeSpec:
    """The chaincode GridLedger runs on a channel: by its name's kind."""
    if info.name == CONSORTIUM_CHANNEL:
        return consortium_chaincode(info)
    if community_name(info.name) is not None:
        return community_chaincode(info)
    raise NetworkError(f"GridLedger runs no chaincode on channel {info.name}")
