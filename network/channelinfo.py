"""What an org knows of a channel it joined: its members and the orderers that order it.

Read from a channel configuration (the genesis block an org joins with, or the latest
config block its peer holds) and kept in the org's home as `channels/<name>.json`. It
holds only public facts: MSP ids, orderer addresses and the TLS roots those orderers'
certificates chain to, which is what an admin needs to reach an orderer of a channel
its own orderer does not order.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fabric_protos.common import common_pb2, configtx_pb2, configuration_pb2
from fabric_protos.msp import msp_config_pb2

from network.console import NetworkError
from network.home import OrgHome, write_private


@dataclass(frozen=True)
class OrdererEndpoint:
    """One orderer of a channel: its org, address and the TLS root of its certificate."""

    msp_id: str
    address: str
    tls_root: str

    def tls_root_file(self, home: OrgHome) -> Path:
        path = home.channels / "orderers" / f"{self.msp_id}.pem"
        if not path.exists() or path.read_text() != self.tls_root:
            write_private(path, self.tls_root)
        return path


@dataclass(frozen=True)
class ChannelInfo:
    """A channel's member MSPs (application orgs) and its orderers."""

    name: str
    members: tuple[str, ...]
    orderers: tuple[OrdererEndpoint, ...]

    def orderer_for(self, msp_id: str) -> OrdererEndpoint:
        """The org's own orderer when it orders this channel, else the first one listed."""
        if not self.orderers:
            raise NetworkError(f"channel {self.name} lists no orderer")
        own = [o for o in self.orderers if o.msp_id == msp_id]
        return (own or list(self.orderers))[0]

    def save(self, home: OrgHome) -> None:
        record = {"name": self.name, "members": list(self.members)}
        record["orderers"] = [asdict(o) for o in self.orderers]
        write_private(home.channels / f"{self.name}.json", json.dumps(record, indent=2) + "\n")

    @classmethod
    def load(cls, home: OrgHome, name: str) -> ChannelInfo:
        path = home.channels / f"{name}.json"
        if not path.exists():
            raise NetworkError(f"{home.org.key} has not joined channel {name}")
        record = json.loads(path.read_text())
        orderers = tuple(OrdererEndpoint(**o) for o in record["orderers"])
        return cls(record["name"], tuple(record["members"]), orderers)

    @classmethod
    def from_config(cls, name: str, config: Any) -> ChannelInfo:
        groups = config.channel_group.groups
        members = tuple(sorted(msp_name(g) for g in groups["Application"].groups.values()))
        orderers = []
        for group in groups["Orderer"].groups.values():
            if "Endpoints" not in group.values:
                continue
            addresses = configuration_pb2.OrdererAddresses.FromString(
                group.values["Endpoints"].value
            ).addresses
            msp = fabric_msp(group)
            root = msp.tls_root_certs[0].decode() if msp.tls_root_certs else ""
            orderers += [OrdererEndpoint(msp.name, a, root) for a in addresses]
        return cls(name, members, tuple(orderers))

    @classmethod
    def from_block(cls, block_bytes: bytes) -> ChannelInfo:
        channel, config = block_config(block_bytes)
        return cls.from_config(channel, config)


def fabric_msp(group: Any) -> Any:
    msp = msp_config_pb2.MSPConfig.FromString(group.values["MSP"].value)
    return msp_config_pb2.FabricMSPConfig.FromString(msp.config)


def msp_name(group: Any) -> str:
    return str(fabric_msp(group).name)


def block_config(block_bytes: bytes) -> tuple[str, Any]:
    """(channel id, config) of a config block, e.g. a genesis block file."""
    block = common_pb2.Block.FromString(block_bytes)
    if len(block.data.data) != 1:
        count = len(block.data.data)
        raise NetworkError(f"not a config block: it holds {count} transactions, not 1")
    envelope = common_pb2.Envelope.FromString(block.data.data[0])
    payload = common_pb2.Payload.FromString(envelope.payload)
    header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    if header.type != common_pb2.HeaderType.CONFIG:
        raise NetworkError(
            f"block {block.header.number} of {header.channel_id} is not a config block"
        )
    return header.channel_id, configtx_pb2.ConfigEnvelope.FromString(payload.data).config
