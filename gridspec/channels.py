"""The consortium's channel naming rules, shared by the chaincode, the API and the operator.

Every member is on ``consortium``; each community has its own channel
``community-<name>`` with the utility and the regulator. The first community's name is
``sunnyside``; a community admitted later is named by its org key (``riverside``).
"""

from __future__ import annotations

import re

__all__ = [
    "COMMUNITY_CHAINCODE",
    "COMMUNITY_PREFIX",
    "CONSORTIUM_CHAINCODE",
    "CONSORTIUM_CHANNEL",
    "NAME",
    "community_channel",
    "community_name",
]

CONSORTIUM_CHANNEL = "consortium"
COMMUNITY_PREFIX = "community-"
CONSORTIUM_CHAINCODE = "consortium"
COMMUNITY_CHAINCODE = "community"
# a community's name, an org key: 2-31 lowercase letters or digits, starting with a letter
NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")


def community_channel(name: str) -> str:
    """The channel of community `name`; a ValueError names what is wrong with the name."""
    if not NAME.match(name):
        raise ValueError(
            f"community name {name[:40]!r} must be 2-31 lowercase letters or digits, "
            "starting with a letter"
        )
    return COMMUNITY_PREFIX + name


def community_name(channel: str) -> str | None:
    """The community whose channel `channel` is, or None for any other channel."""
    if not channel.startswith(COMMUNITY_PREFIX):
        return None
    name = channel.removeprefix(COMMUNITY_PREFIX)
    return name if NAME.match(name) else None
