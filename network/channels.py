"""Channels through the channel participation API: genesis block, then each org joins itself.

There is no system channel. One founding org writes a channel's genesis block from
the members' bundles (`create`) and publishes it; every member then joins its own
orderer (when the block names it a consenter, with `osnadmin`) and its own peer
(`peer channel join`) from its own home (`join`). An org admitted to a channel later
joins its peer with the same genesis block: the peer replays the channel's config
updates and finds itself admitted. Each step checks first and skips what is done.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from network import admin, bundles
from network.channelinfo import ChannelInfo
from network.configtx import write_configtx
from network.console import NetworkError, info
from network.health import metric, orderer_endpoint, peer_endpoint
from network.home import OrgHome, write_private
from network.procs import wait_until


def create(home: OrgHome, channel: str, members: list[str], orderers: list[str], out: Path) -> Path:
    """Write `channel`'s genesis block from the bundles of `members` (keys) into `out`.

    `orderers` are the members whose orderers are the channel's Raft consenters.
    """
    if out.exists():
        raise NetworkError(f"{out} exists: a channel's genesis block is made once")
    if home.org.key not in members:
        raise NetworkError(f"{home.org.key} cannot create {channel} without being a member")
    if not set(orderers) <= set(members):
        raise NetworkError(f"the orderers of {channel} must be members of it")
    member_bundles = [bundles.known(home, key) for key in members]
    orderer_bundles = [b for b in member_bundles if b.key in orderers]
    with tempfile.TemporaryDirectory(prefix="gridledger-configtx-") as tmp:
        folder = Path(tmp)
        write_configtx(channel, member_bundles, orderer_bundles, folder)
        out.parent.mkdir(parents=True, exist_ok=True)
        admin.configtxgen(
            "-profile",
            channel,
            "-channelID",
            channel,
            "-outputBlock",
            str(out),
            config_dir=folder,
            what=f"configtxgen for channel {channel}",
        )
    out.chmod(0o644)  # public: every member joins with it
    return out


def orderer_channels(home: OrgHome) -> set[str]:
    out = admin.osnadmin(home, "channel", "list", what=f"list channels of orderer-{home.org.key}")
    listing = json.loads(out[out.index("{") :]) if "{" in out else {}
    return {c["name"] for c in listing.get("channels") or []}


def peer_channels(home: OrgHome) -> set[str]:
    out = admin.peer(home, "channel", "list", what=f"list channels of peer-{home.org.key}")
    lines = out.splitlines()
    return {line.strip() for line in lines[1:] if line.strip()}


def join(home: OrgHome, block: Path) -> ChannelInfo:
    """Join the org's own orderer (if the block makes it a consenter) and peer to the channel."""
    data = block.read_bytes()
    info_ = ChannelInfo.from_block(data)
    org = home.org
    kept = home.channels / f"{info_.name}.block"
    if kept.exists() and kept.read_bytes() != data:
        raise NetworkError(f"{org.key} joined {info_.name} with another genesis block")
    write_private(kept, data)
    own_orderer = any(o.msp_id == org.msp_id for o in info_.orderers)
    if own_orderer and info_.name not in orderer_channels(home):
        admin.osnadmin(
            home,
            "channel",
            "join",
            "--channelID",
            info_.name,
            "--config-block",
            str(kept),
            what=f"orderer-{org.key} joining {info_.name}",
        )
        info(f"orderer-{org.key} joined {info_.name}")
    info_.save(home)
    if info_.name not in peer_channels(home):
        admin.peer(
            home, "channel", "join", "-b", str(kept), what=f"peer-{org.key} joining {info_.name}"
        )
        info(f"peer-{org.key} joined {info_.name}")
    return info_


def joined(home: OrgHome) -> list[str]:
    """The channels the org joined, as its home records them."""
    folder = home.channels
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def has_leader(home: OrgHome, channel: str) -> bool:
    """The org's own orderer knows a Raft leader for `channel` (itself or another)."""
    endpoint = orderer_endpoint(home)
    state = metric(endpoint, "consensus_etcdraft_cluster_size", {"channel": channel})
    leader = metric(endpoint, "consensus_etcdraft_leader_changes", {"channel": channel})
    return bool(state) and bool(leader)


def peers_known(home: OrgHome, channel: str) -> int:
    """How many other peers of `channel` the org's peer knows through gossip."""
    labels = {"channel": channel}
    return int(metric(peer_endpoint(home), "gossip_membership_total_peers_known", labels) or 0)


def wait_gossip(home: OrgHome, channel: str, others: int, timeout: float = 60) -> None:
    """Until the org's peer sees `others` peers of `channel` (discovery needs this)."""
    wait_until(
        lambda: peers_known(home, channel) >= others,
        f"peer-{home.org.key} to see {others} other peers on {channel}; check the peers' logs",
        timeout,
    )
