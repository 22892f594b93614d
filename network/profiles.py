"""An org's connection profile, written into its home for its client and its API.

Generated from the org's own home: its peer and CA (with its CA certificate as their
TLS root), and every channel it joined with the orderers that order it (from the
channel's configuration, public). Rewritten whenever the org joins a channel, so a
running API sees a new community channel without a restart.
"""

from __future__ import annotations

from client.profile import CAEntry, ConnectionProfile, NodeEntry
from network.channelinfo import ChannelInfo
from network.channels import joined
from network.home import OrgHome, write_private


def profile(home: OrgHome) -> ConnectionProfile:
    org = home.org
    root = home.ca_cert.read_bytes()
    peer = NodeEntry(f"peer0.{org.key}", f"grpcs://{org.peer_address}", root)
    ca = CAEntry(org.ca_name, org.ca_url, root)
    orderers: dict[str, NodeEntry] = {}
    channels: dict[str, tuple[str, ...]] = {}
    for name in joined(home):
        info = ChannelInfo.load(home, name)
        names = []
        for orderer in info.orderers:
            key = f"orderer.{orderer.msp_id}.{orderer.address}"
            url = f"grpcs://{orderer.address}"
            orderers[key] = NodeEntry(key, url, orderer.tls_root.encode())
            names.append(key)
        channels[name] = tuple(names)
    return ConnectionProfile(
        org.key, org.msp_id, {peer.name: peer}, {ca.name: ca}, orderers, channels
    )


def write(home: OrgHome) -> ConnectionProfile:
    made = profile(home)
    write_private(home.profile, made.dumps())
    return made
