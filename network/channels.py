"""Channels through the channel participation API: genesis block, orderer joins, peer joins.

There is no system channel. configtxgen writes each channel's genesis block (with
anchor peers already declared), every orderer joins it with `osnadmin`, then every
member peer joins with `peer channel join`. Each step checks first and skips what
is already done, so `up` on an existing network is a no-op here.
"""

from __future__ import annotations

import json
from pathlib import Path

from network import admin
from network.configtx import write_configtx
from network.console import NetworkError, info
from network.health import metric, orderer_endpoint, peer_endpoint
from network.paths import channels_dir, tool
from network.procs import wait_until
from network.topology import Channel, Org, channels


def genesis_block(channel: Channel) -> Path:
    """Write (once) and return the channel's genesis block."""
    block = channels_dir() / f"{channel.name}.block"
    if block.exists():
        return block
    config_dir = channels_dir() / "config"
    write_configtx(channels(), config_dir)
    admin.run(
        [
            str(tool("configtxgen")),
            "-profile",
            channel.name,
            "-channelID",
            channel.name,
            "-outputBlock",
            str(block),
            "-configPath",
            str(config_dir),
        ],
        None,
        f"configtxgen for channel {channel.name}",
    )
    return block


def orderer_channels(org: Org) -> set[str]:
    out = admin.osnadmin(org, "channel", "list", what=f"list channels of orderer-{org.key}")
    listing = json.loads(out[out.index("{") :]) if "{" in out else {}
    return {c["name"] for c in listing.get("channels") or []}


def join_orderers(channel: Channel, block: Path) -> None:
    for org in channel.orderer_orgs:
        if channel.name in orderer_channels(org):
            continue
        admin.osnadmin(
            org,
            "channel",
            "join",
            "--channelID",
            channel.name,
            "--config-block",
            str(block),
            what=f"orderer-{org.key} joining {channel.name}",
        )
        info(f"orderer-{org.key} joined {channel.name}")


def has_leader(channel: Channel) -> bool:
    leaders = 0.0
    for org in channel.orderer_orgs:
        endpoint = orderer_endpoint(org)
        leaders += metric(endpoint, "consensus_etcdraft_is_leader", {"channel": channel.name}) or 0
    return leaders >= 1


def peer_channels(org: Org) -> set[str]:
    out = admin.peer(org, "channel", "list", what=f"list channels of peer-{org.key}")
    lines = out.splitlines()
    return {line.strip() for line in lines[1:] if line.strip()}


def join_peers(channel: Channel, block: Path) -> None:
    for org in channel.orgs:
        if channel.name in peer_channels(org):
            continue
        admin.peer(
            org, "channel", "join", "-b", str(block), what=f"peer-{org.key} joining {channel.name}"
        )
        info(f"peer-{org.key} joined {channel.name}")


def peers_see_each_other(channel: Channel) -> bool:
    """Every member peer knows all the others through gossip (discovery needs this)."""
    want = len(channel.orgs) - 1
    for org in channel.orgs:
        labels = {"channel": channel.name}
        known = metric(peer_endpoint(org), "gossip_membership_total_peers_known", labels)
        if (known or 0) < want:
            return False
    return True


def create(channel: Channel) -> None:
    block = genesis_block(channel)
    join_orderers(channel, block)
    wait_until(lambda: has_leader(channel), f"a Raft leader on {channel.name}", timeout=60)
    join_peers(channel, block)


def wait_gossip(channel: Channel, timeout: float = 60) -> None:
    try:
        wait_until(
            lambda: peers_see_each_other(channel),
            f"the peers of {channel.name} to discover each other",
            timeout,
        )
    except NetworkError as exc:
        raise NetworkError(f"{exc}; check the peers' logs in run/logs") from exc
