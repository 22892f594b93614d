"""The private data collections of a community channel, and why each exists.

Only the utility and the community are members: their peers store the plaintext.
A transaction's endorsers always receive its private data; other member peers get it
by gossip push (``maxPeerCount``) or, if that fails, by pull reconciliation, so
``requiredPeerCount`` is 0: a reading endorsed by the utility alone must not fail
because the community's peer is briefly down.
The regulator's peer, on the channel but not a member, stores only the SHA-256 hash
of every private value, so it can verify a disclosed reading without ever holding
one. Readings are endorsed by the utility alone (their collection's own endorsement
policy); everything else on the channel needs the utility AND the community.

Retention: the time-based rule (readings are kept for 24 months, personal details
until the household leaves) is enforced by the operator's `PurgeHousehold`, which
leaves the hashes as evidence. `blockToLive` is the backstop that makes peers drop
what nobody purged: at the channel's 250 ms batch timeout even a steady load of four
blocks a second takes over 100 days to reach it, so it never cuts a live billing
period short.
"""

from __future__ import annotations

from typing import Any

READINGS = "readings"
HOUSEHOLDS = "households"
ORDERS = "orders"
BLOCK_TO_LIVE = 40_000_000


def collection(name: str, members: list[str], endorsers: list[str] | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "name": name,
        "policy": "OR({})".format(", ".join(f"'{m}.member'" for m in members)),
        "requiredPeerCount": 0,
        "maxPeerCount": len(members),
        "blockToLive": BLOCK_TO_LIVE,
        "memberOnlyRead": True,
        "memberOnlyWrite": True,
    }
    if endorsers:
        rule = "OR({})".format(", ".join(f"'{e}.peer'" for e in endorsers))
        config["endorsementPolicy"] = {"signaturePolicy": rule}
    return config


def collections_config(utility_msp: str, community_msp: str) -> list[dict[str, Any]]:
    """The collections config (`--collections-config` JSON) for one community channel."""
    members = [utility_msp, community_msp]
    return [
        collection(READINGS, members, endorsers=[utility_msp]),
        collection(HOUSEHOLDS, members, endorsers=None),
        collection(ORDERS, members, endorsers=None),
    ]
