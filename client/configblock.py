"""A channel's current configuration, read from its blocks.

Fabric keeps a channel's configuration in its config blocks, and the orderer writes into
every block's SIGNATURES metadata the number of the last config block at or before it.
So the current configuration is one hop from the newest block; the long form of
`latest_config(channel, identity, sign, name)` is

    newest = newest_block_number(channel, identity, sign, name)
    [block] = deliver_blocks(channel, identity, sign, name, newest, newest)
    index = the last-config index in block's metadata
    [config] = deliver_blocks(channel, identity, sign, name, index, index)
    ConfigBlock(index, config_of_block(config))

(`peer channel fetch config`, without the binary). `config_of_block` reads a block
already in hand, such as a genesis block file.
"""

from dataclasses import dataclass
from typing import Any

import grpc

from ._decoding import decode as _decode
from ._decoding import last_config_index as _last_config_index
from ._decoding import payload as _payload
from ._protos import common_pb2, configtx_pb2
from .audit import newest_block_number
from .deliver import deliver_blocks
from .identity import Identity, Sign

__all__ = ["ConfigBlock", "config_of_block", "latest_config"]

_CONFIG = common_pb2.HeaderType.CONFIG


@dataclass(frozen=True)
class ConfigBlock:
    """A config block's number and the `common.Config` it sets."""

    number: int
    config: Any


def latest_config(
    channel: grpc.Channel,
    identity: Identity,
    sign: Sign,
    channel_name: str,
    *,
    tls_certificate_hash: bytes = b"",
    timeout: float = 30,
) -> ConfigBlock:
    """The current configuration of `channel_name`, from the peer at the end of `channel`.

    Raises DeliverError as `deliver_blocks` does, and ValueError when the newest block
    names no last config block or that block holds no configuration.
    """
    options: dict[str, Any] = {"tls_certificate_hash": tls_certificate_hash, "timeout": timeout}
    newest = newest_block_number(channel, identity, sign, channel_name, **options)
    [block] = deliver_blocks(channel, identity, sign, channel_name, newest, newest, **options)
    index = _last_config_index(block)
    if index is None:
        raise ValueError(f"block {newest} of channel {channel_name} names no last config block")
    if index > newest:
        raise ValueError(
            f"block {newest} of channel {channel_name} names block {index} as its last config"
        )
    if index != newest:
        [block] = deliver_blocks(channel, identity, sign, channel_name, index, index, **options)
    return ConfigBlock(index, config_of_block(block))


def config_of_block(block: Any) -> Any:
    """The `common.Config` a config block sets; ValueError when `block` is not one."""
    number = int(block.header.number)
    if len(block.data.data) != 1:
        raise ValueError(
            f"block {number} holds {len(block.data.data)} transactions, not the 1 of a config block"
        )
    payload, channel_header = _payload(block.data.data[0], number, 0)
    if channel_header.type != _CONFIG:
        raise ValueError(
            f"block {number} is not a config block: its transaction has header type "
            f"{channel_header.type}, not CONFIG"
        )
    envelope = _decode(configtx_pb2.ConfigEnvelope, payload.data, f"the config of block {number}")
    if not envelope.HasField("config"):
        raise ValueError(f"config block {number} carries no config")
    return envelope.config
