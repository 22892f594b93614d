"""A channel's current config, from an in-process fake of a peer's Deliver service.

The fake peer holds a small ledger: configtxgen's genesis block, ordinary blocks, and a
later config block, each with the last-config index in its SIGNATURES metadata as an
orderer writes it. It serves specified and newest positions, checks every request's
signature as a peer would, and logs the seeks.
"""

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from client_fakes import in_process_channel
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.peer import events_pb2_grpc
from fabric_tools import CHANNEL, founders, genesis_block, genesis_config
from ledger_fakes import FakePeer

from client import (
    ConfigBlock,
    DeliverError,
    batch_timeout,
    config_of_block,
    latest_config,
    set_batch_timeout,
)

TLS_HASH = b"\x07" * 32


def metadata(last_config: int | None) -> Any:
    """Block metadata whose SIGNATURES entry names `last_config` (none when None)."""
    signatures = b""
    if last_config is not None:
        orderer = common_pb2.OrdererBlockMetadata(
            last_config=common_pb2.LastConfig(index=last_config)
        )
        signatures = common_pb2.Metadata(value=orderer.SerializeToString()).SerializeToString()
    return common_pb2.BlockMetadata(metadata=[signatures, b"", b"", b"", b""])


def envelope(header_type: int, data: bytes) -> bytes:
    header = common_pb2.ChannelHeader(type=header_type, channel_id=CHANNEL)
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()), data=data
    )
    return common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()


def block(number: int, last_config: int | None, *transactions: bytes) -> Any:
    return common_pb2.Block(
        header=common_pb2.BlockHeader(number=number),
        data=common_pb2.BlockData(data=list(transactions)),
        metadata=metadata(last_config),
    )


def ordinary(number: int, last_config: int | None) -> Any:
    return block(number, last_config, envelope(common_pb2.HeaderType.ENDORSER_TRANSACTION, b"tx"))


def slower() -> Any:
    """The config after an update slowing the orderers: sequence 1, batch timeout 2s."""
    config = set_batch_timeout(genesis_config(founders()), "2s")
    config.sequence = 1
    return config


def config_block(number: int, config: Any) -> Any:
    data = configtx_pb2.ConfigEnvelope(config=config).SerializeToString()
    return block(number, number, envelope(common_pb2.HeaderType.CONFIG, data))


def genesis() -> Any:
    return common_pb2.Block.FromString(genesis_block(tuple(o.bundle for o in founders())))


def ledger() -> list[Any]:
    """Genesis, two ordinary blocks, the config block 3, an ordinary block after it."""
    return [genesis(), ordinary(1, 0), ordinary(2, 0), config_block(3, slower()), ordinary(4, 3)]


@pytest.fixture(scope="module")
def peer_server() -> Iterator[tuple[FakePeer, grpc.Channel]]:
    servicer = FakePeer(channel=CHANNEL)
    with in_process_channel(events_pb2_grpc.add_DeliverServicer_to_server, servicer) as channel:
        yield servicer, channel


@pytest.fixture
def peer(peer_server: tuple[FakePeer, grpc.Channel]) -> FakePeer:
    servicer = peer_server[0]
    servicer.blocks = ledger()
    servicer.status = common_pb2.Status.SUCCESS
    servicer.seeks.clear()
    return servicer


@pytest.fixture
def peer_channel(peer_server: tuple[FakePeer, grpc.Channel]) -> grpc.Channel:
    return peer_server[1]


def seeks(peer: FakePeer) -> list[str | int]:
    """Each request's start position: "newest" or a block number."""
    return [
        "newest" if seek.start.HasField("newest") else seek.start.specified.number
        for seek, _ in peer.seeks
    ]


def test_the_latest_config_is_the_one_the_newest_block_points_at(peer, peer_channel, user) -> None:
    found = latest_config(
        peer_channel, user.identity, user.sign, CHANNEL, tls_certificate_hash=TLS_HASH
    )

    assert found == ConfigBlock(3, slower())
    assert batch_timeout(found.config) == "2s"
    assert seeks(peer) == ["newest", 4, 3]
    assert {tls_hash for _, tls_hash in peer.seeks} == {TLS_HASH}


def test_a_newest_block_that_is_the_config_block_is_fetched_once(peer, peer_channel, user) -> None:
    peer.blocks = peer.blocks[:4]

    assert latest_config(peer_channel, user.identity, user.sign, CHANNEL) == ConfigBlock(
        3, slower()
    )
    assert seeks(peer) == ["newest", 3]


def test_a_new_channels_config_is_its_genesis_config(peer, peer_channel, user) -> None:
    peer.blocks = peer.blocks[:3]

    found = latest_config(peer_channel, user.identity, user.sign, CHANNEL)

    assert found == ConfigBlock(0, genesis_config(founders()))
    assert seeks(peer) == ["newest", 2, 0]


@pytest.mark.parametrize(
    ("newest", "message"),
    [
        (ordinary(4, None), f"block 4 of channel {CHANNEL} names no last config block"),
        (ordinary(4, 9), f"block 4 of channel {CHANNEL} names block 9 as its last config"),
        (
            ordinary(4, 2),
            "block 2 is not a config block: its transaction has header type 3, not CONFIG",
        ),
    ],
    ids=["no-index", "future-index", "not-a-config-block"],
)
def test_a_last_config_index_that_leads_nowhere_is_an_error(
    peer, peer_channel, user, newest, message
) -> None:
    peer.blocks[4] = newest

    with pytest.raises(ValueError) as caught:
        latest_config(peer_channel, user.identity, user.sign, CHANNEL)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("status", "channel"),
    [(common_pb2.Status.FORBIDDEN, CHANNEL), (common_pb2.Status.SUCCESS, "consortium")],
    ids=["forbidden", "unknown-channel"],
)
def test_a_peer_refusing_the_request_is_a_deliver_error(
    peer, peer_channel, user, status, channel
) -> None:
    peer.status = status

    with pytest.raises(DeliverError) as caught:
        latest_config(peer_channel, user.identity, user.sign, channel)

    expected = common_pb2.Status.NOT_FOUND if channel != CHANNEL else status
    assert caught.value.status == expected
    assert seeks(peer) == ["newest"]


def test_the_config_of_a_genesis_block_file() -> None:
    assert config_of_block(genesis()) == genesis_config(founders())


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        (ordinary(5, 3), "block 5 is not a config block: its transaction has header type 3"),
        (block(6, 6), "block 6 holds 0 transactions, not the 1 of a config block"),
        (
            block(7, 7, envelope(common_pb2.HeaderType.CONFIG, b"\xff\xff")),
            "the config of block 7 is not a common.ConfigEnvelope",
        ),
        (
            block(8, 8, envelope(common_pb2.HeaderType.CONFIG, b"")),
            "config block 8 carries no config",
        ),
    ],
    ids=["transaction", "empty", "undecodable", "no-config"],
)
def test_a_block_that_is_not_a_config_block_has_no_config(candidate, message) -> None:
    with pytest.raises(ValueError) as caught:
        config_of_block(candidate)
    assert str(caught.value).startswith(message)
