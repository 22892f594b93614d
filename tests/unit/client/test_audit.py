"""The audit of a channel's blocks, on real protobuf blocks built here.

Blocks are made the way an orderer makes them (data hash over the envelopes, each header
naming the hash of the one before) and the peer's TRANSACTIONS_FILTER is set by hand, so
each test can break exactly one thing. The hashes are also checked against values read
from a real Fabric 3.1 network, and `fetch_channel` against an in-process fake of a
peer's Deliver service.
"""

import copy
import hashlib
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import grpc
import pytest
from client_fakes import in_process_channel, make_certificate
from cryptography.hazmat.primitives.asymmetric import ec
from fabric_protos.common import common_pb2, configtx_pb2, policies_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.msp import identities_pb2, msp_config_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import (
    events_pb2_grpc,
    proposal_pb2,
    proposal_response_pb2,
    transaction_pb2,
)
from ledger_fakes import FakePeer

from client import (
    ChainBreak,
    ChainReport,
    ConfigChange,
    ConfigDelta,
    DeliverError,
    KeyWrite,
    block_data_hash,
    block_header_hash,
    config_history,
    fetch_channel,
    key_history,
    newest_block_number,
    verify_chain,
)

VALID, MVCC_READ_CONFLICT = 0, 11
NAMESPACE, KEY = "consortium", "member~UtilityMSP"
CHANNEL = "consortium"
TLS_HASH = hashlib.sha256(b"client tls certificate").digest()


# -- building blocks -------------------------------------------------------------------------


@cache
def creator(msp_id: str, common_name: str) -> bytes:
    """A serialized identity with a real certificate of `common_name`."""
    certificate = make_certificate(ec.generate_private_key(ec.SECP256R1()), common_name)
    return identities_pb2.SerializedIdentity(mspid=msp_id, id_bytes=certificate).SerializeToString()


def envelope(header_type: int, tx_id: str, seconds: int, author: bytes, data: bytes) -> bytes:
    channel_header = common_pb2.ChannelHeader(
        type=header_type, channel_id=CHANNEL, tx_id=tx_id, timestamp={"seconds": seconds}
    )
    payload = common_pb2.Payload(
        header=common_pb2.Header(
            channel_header=channel_header.SerializeToString(),
            signature_header=common_pb2.SignatureHeader(
                creator=author, nonce=b"nonce"
            ).SerializeToString(),
        ),
        data=data,
    )
    return common_pb2.Envelope(
        payload=payload.SerializeToString(), signature=b"signature"
    ).SerializeToString()


def transaction(
    tx_id: str, seconds: int, author: bytes, writes: dict[str, list[tuple[str, bytes | None]]]
) -> bytes:
    """An endorser transaction whose one action writes {namespace: [(key, value or None)]}."""
    results = rwset_pb2.TxReadWriteSet(
        data_model=rwset_pb2.TxReadWriteSet.DataModel.KV,
        ns_rwset=[
            rwset_pb2.NsReadWriteSet(
                namespace=namespace,
                rwset=kv_rwset_pb2.KVRWSet(
                    writes=[
                        kv_rwset_pb2.KVWrite(key=key, value=value or b"", is_delete=value is None)
                        for key, value in kv
                    ]
                ).SerializeToString(),
            )
            for namespace, kv in writes.items()
        ],
    )
    action = proposal_pb2.ChaincodeAction(results=results.SerializeToString())
    response = proposal_response_pb2.ProposalResponsePayload(
        proposal_hash=b"hash", extension=action.SerializeToString()
    )
    action_payload = transaction_pb2.ChaincodeActionPayload(
        action=transaction_pb2.ChaincodeEndorsedAction(
            proposal_response_payload=response.SerializeToString()
        )
    )
    body = transaction_pb2.Transaction(
        actions=[transaction_pb2.TransactionAction(payload=action_payload.SerializeToString())]
    )
    return envelope(
        common_pb2.HeaderType.ENDORSER_TRANSACTION, tx_id, seconds, author, body.SerializeToString()
    )


def config_transaction(config: Any, seconds: int, signers: Sequence[bytes] = ()) -> bytes:
    """A CONFIG envelope setting `config`; with `signers`, made by a signed config update."""
    config_envelope = configtx_pb2.ConfigEnvelope(config=config)
    if signers:
        update = configtx_pb2.ConfigUpdateEnvelope(
            config_update=b"update",
            signatures=[
                configtx_pb2.ConfigSignature(
                    signature_header=common_pb2.SignatureHeader(
                        creator=signer, nonce=b"n"
                    ).SerializeToString(),
                    signature=b"s",
                )
                for signer in signers
            ],
        )
        config_envelope.last_update.CopyFrom(
            common_pb2.Envelope(
                payload=common_pb2.Payload(data=update.SerializeToString()).SerializeToString()
            )
        )
    return envelope(
        common_pb2.HeaderType.CONFIG,
        f"config-{seconds}",
        seconds,
        b"",
        config_envelope.SerializeToString(),
    )


def chain(*blocks_data: list[bytes], codes: dict[int, list[int]] | None = None) -> list[Any]:
    """Correctly hashed blocks 0.. holding `blocks_data`, every transaction valid unless
    `codes` gives a block's validation codes."""
    blocks: list[Any] = []
    for number, data in enumerate(blocks_data):
        header = common_pb2.BlockHeader(
            number=number,
            previous_hash=block_header_hash(blocks[-1].header) if blocks else b"",
            data_hash=hashlib.sha256(b"".join(data)).digest(),
        )
        filter_ = bytes((codes or {}).get(number, [VALID] * len(data)))
        blocks.append(
            common_pb2.Block(
                header=header,
                data=common_pb2.BlockData(data=data),
                metadata=common_pb2.BlockMetadata(metadata=[b"", b"", filter_, b"", b""]),
            )
        )
    return blocks


def rehash(block: Any) -> None:
    """What a forger does after editing a block's data: make its header agree again."""
    block.header.data_hash = block_data_hash(block.data)


UTILITY_ADMIN = creator("UtilityMSP", "admin")
COMMUNITY_ADMIN = creator("CommunityMSP", "admin")


def three_blocks() -> list[Any]:
    return chain(
        [b"genesis"],
        [
            transaction("t1", 100, UTILITY_ADMIN, {NAMESPACE: [(KEY, b"one")]}),
            transaction("t2", 101, UTILITY_ADMIN, {NAMESPACE: [(KEY, b"two")]}),
        ],
        [transaction("t3", 102, UTILITY_ADMIN, {NAMESPACE: [("other", b"x")]})],
    )


# -- the hashes ------------------------------------------------------------------------------


def test_a_header_hash_is_the_sha256_of_its_der_sequence() -> None:
    data_hash = bytes(range(32))
    header = common_pb2.BlockHeader(number=0, data_hash=data_hash)
    encoded = bytes.fromhex("302702010004000420") + data_hash

    assert block_header_hash(header) == hashlib.sha256(encoded).digest()


@pytest.mark.parametrize(
    ("number", "integer"),
    [
        (1, "020101"),
        (127, "02017f"),
        (128, "02020080"),
        (255, "020200ff"),
        (256, "02020100"),
        (2**63, "0209008000000000000000"),
        (2**64 - 1, "020900ffffffffffffffff"),
    ],
)
def test_a_block_number_is_a_minimal_der_integer(number: int, integer: str) -> None:
    header = common_pb2.BlockHeader(number=number, previous_hash=b"p", data_hash=b"d")
    content = bytes.fromhex(integer) + bytes.fromhex("040170040164")

    expected = hashlib.sha256(b"\x30" + bytes([len(content)]) + content).digest()
    assert block_header_hash(header) == expected


def test_a_long_hash_field_takes_a_long_form_der_length() -> None:
    header = common_pb2.BlockHeader(number=5, previous_hash=b"\x01" * 200, data_hash=b"")
    content = bytes.fromhex("0201050481c8") + b"\x01" * 200 + bytes.fromhex("0400")

    expected = hashlib.sha256(bytes.fromhex("3081d0") + content).digest()
    assert len(content) == 0xD0
    assert block_header_hash(header) == expected


def test_the_hashes_agree_with_a_real_fabric_3_1_chain() -> None:
    """Blocks 0-2 of a `consortium` channel: each header's previous_hash as the peer stored it."""
    block0 = common_pb2.BlockHeader(
        number=0,
        data_hash=bytes.fromhex("f58027b69f59507ff888daca76025767a12dc262df3954f1e75f39abc634783c"),
    )
    block1 = common_pb2.BlockHeader(
        number=1,
        previous_hash=bytes.fromhex(
            "200d38a6d2cd5dc3cbde1cdb9a1c5286fc5de806ce9f879db57b29b21dfd693f"
        ),
        data_hash=bytes.fromhex("e1958c79c3a999680a905d2c1438751aba0f762e60840f2dada7ce6148d280d1"),
    )

    assert block_header_hash(block0) == block1.previous_hash
    assert block_header_hash(block1).hex() == (
        "856a059a7865e65e3ffdf91d2fa7738fa34a9c64520cea794132b08816d427c6"
    )


def test_the_data_hash_is_over_the_entries_concatenated() -> None:
    data = common_pb2.BlockData(data=[b"ab", b"", b"cd"])

    assert block_data_hash(data) == hashlib.sha256(b"abcd").digest()


# -- the chain -------------------------------------------------------------------------------


def test_a_correctly_hashed_chain_verifies() -> None:
    blocks = three_blocks()

    report = verify_chain(blocks)

    assert report.ok
    assert (report.blocks_checked, report.first_block, report.last_block) == (3, 0, 2)
    assert report.head_hash == block_header_hash(blocks[2].header).hex()
    assert report.first_break is None


def test_one_flipped_byte_in_a_transaction_breaks_that_blocks_data_hash() -> None:
    blocks = three_blocks()
    corrupted = copy.deepcopy(blocks[1])
    entry = bytearray(corrupted.data.data[1])
    entry[40] ^= 0x01
    corrupted.data.data[1] = bytes(entry)

    report = verify_chain([blocks[0], corrupted, blocks[2]])

    assert not report.ok
    assert report.blocks_checked == 2
    assert report.first_break == ChainBreak(
        1,
        "data_hash",
        expected=block_data_hash(corrupted.data).hex(),
        found=blocks[1].header.data_hash.hex(),
    )
    assert verify_chain(blocks).ok  # the original is untouched


def test_a_wrong_previous_hash_breaks_the_chain_at_that_block() -> None:
    blocks = three_blocks()
    blocks[2].header.previous_hash = b"\x00" * 32

    report = verify_chain(blocks)

    assert report.first_break == ChainBreak(
        2, "previous_hash", expected=block_header_hash(blocks[1].header).hex(), found="00" * 32
    )
    assert report.blocks_checked == 3


def test_a_forged_block_with_a_recomputed_data_hash_breaks_the_next_block() -> None:
    blocks = three_blocks()
    original = block_header_hash(blocks[1].header)
    blocks[1].data.data[0] = transaction("t1", 100, UTILITY_ADMIN, {NAMESPACE: [(KEY, b"ONE")]})
    rehash(blocks[1])

    report = verify_chain(blocks)

    assert report.first_break == ChainBreak(
        2,
        "previous_hash",
        expected=block_header_hash(blocks[1].header).hex(),
        found=original.hex(),
    )


def test_a_missing_block_breaks_the_numbering() -> None:
    blocks = three_blocks()

    report = verify_chain([blocks[0], blocks[2]])

    assert report.first_break == ChainBreak(2, "number", expected="1", found="2")


def test_a_chain_may_start_after_block_zero_and_an_empty_one_is_ok() -> None:
    blocks = three_blocks()

    assert verify_chain(blocks[1:]).ok
    assert verify_chain([]) == ChainReport(True, 0, None, None, None, None)


# -- the configuration -----------------------------------------------------------------------


def msp_value(msp_id: str) -> Any:
    fabric = msp_config_pb2.FabricMSPConfig(name=msp_id)
    msp = msp_config_pb2.MSPConfig(type=0, config=fabric.SerializeToString())
    return configtx_pb2.ConfigValue(value=msp.SerializeToString(), mod_policy="Admins")


def signature_policy(rule: str) -> Any:
    return configtx_pb2.ConfigPolicy(
        policy=policies_pb2.Policy(type=1, value=rule.encode()), mod_policy="Admins"
    )


def org_group(msp_id: str, anchor: bytes | None = None) -> Any:
    group = configtx_pb2.ConfigGroup(mod_policy="Admins")
    group.values["MSP"].CopyFrom(msp_value(msp_id))
    group.policies["Admins"].CopyFrom(signature_policy(f"{msp_id}.admin"))
    if anchor is not None:
        group.values["AnchorPeers"].CopyFrom(configtx_pb2.ConfigValue(value=anchor))
    return group


def genesis_config() -> Any:
    config = configtx_pb2.Config(sequence=0)
    channel = config.channel_group
    channel.mod_policy = "Admins"
    channel.values["HashingAlgorithm"].CopyFrom(configtx_pb2.ConfigValue(value=b"SHA256"))
    channel.values["Consortium"].CopyFrom(configtx_pb2.ConfigValue(value=b"old"))
    channel.policies["Admins"].CopyFrom(signature_policy("MAJORITY Admins"))
    application = channel.groups["Application"]
    application.mod_policy = "Admins"
    application.policies["Admins"].CopyFrom(signature_policy("MAJORITY Admins"))
    application.groups["UtilityMSP"].CopyFrom(org_group("UtilityMSP"))
    application.groups["CommunityMSP"].CopyFrom(org_group("CommunityMSP", anchor=b"peer:8051"))
    return config


def updated_config() -> Any:
    """The regulator joins, the community moves its anchor peer, one value goes, one policy's
    modification policy changes."""
    config = genesis_config()
    config.sequence = 1
    channel = config.channel_group
    del channel.values["Consortium"]
    application = channel.groups["Application"]
    application.groups["CommunityMSP"].values["AnchorPeers"].value = b"peer:8151"
    application.groups["RegulatorMSP"].CopyFrom(org_group("RegulatorMSP"))
    application.policies["Admins"].mod_policy = "Writers"
    return config


def config_chain() -> list[Any]:
    blocks = chain(
        [config_transaction(genesis_config(), 1_700_000_000)],
        [transaction("t1", 1_700_000_100, UTILITY_ADMIN, {NAMESPACE: [(KEY, b"one")]})],
        [
            config_transaction(
                updated_config(),
                1_700_000_200,
                signers=[UTILITY_ADMIN, COMMUNITY_ADMIN, UTILITY_ADMIN],
            )
        ],
    )
    return blocks


def test_the_config_history_lists_the_genesis_and_each_config_update() -> None:
    genesis, update = config_history(config_chain())

    assert (genesis.block_number, genesis.timestamp, genesis.sequence, genesis.signers) == (
        0,
        "2023-11-14T22:13:20Z",
        0,
        (),
    )
    assert genesis.orgs == ("CommunityMSP", "UtilityMSP")
    assert [(d.path, d.element, d.change) for d in genesis.changes] == [
        ("Channel", "group", "added"),
        ("Channel/Consortium", "value", "added"),
        ("Channel/HashingAlgorithm", "value", "added"),
        ("Channel/Admins", "policy", "added"),
        ("Channel/Application", "group", "added"),
        ("Channel/Application/Admins", "policy", "added"),
        ("Channel/Application/CommunityMSP", "group", "added"),
        ("Channel/Application/CommunityMSP/AnchorPeers", "value", "added"),
        ("Channel/Application/CommunityMSP/MSP", "value", "added"),
        ("Channel/Application/CommunityMSP/Admins", "policy", "added"),
        ("Channel/Application/UtilityMSP", "group", "added"),
        ("Channel/Application/UtilityMSP/MSP", "value", "added"),
        ("Channel/Application/UtilityMSP/Admins", "policy", "added"),
    ]
    assert update == ConfigChange(
        block_number=2,
        timestamp="2023-11-14T22:16:40Z",
        sequence=1,
        signers=("UtilityMSP", "CommunityMSP"),
        orgs=("CommunityMSP", "RegulatorMSP", "UtilityMSP"),
        changes=(
            ConfigDelta("Channel/Consortium", "value", "removed"),
            ConfigDelta("Channel/Application/Admins", "policy", "modified"),
            ConfigDelta("Channel/Application/CommunityMSP/AnchorPeers", "value", "modified"),
            ConfigDelta("Channel/Application/RegulatorMSP", "group", "added"),
            ConfigDelta("Channel/Application/RegulatorMSP/MSP", "value", "added"),
            ConfigDelta("Channel/Application/RegulatorMSP/Admins", "policy", "added"),
        ),
    )


def test_a_config_block_is_also_known_by_its_last_config_index() -> None:
    blocks = config_chain()
    orderer = common_pb2.OrdererBlockMetadata(last_config=common_pb2.LastConfig(index=1))
    signatures = common_pb2.Metadata(value=orderer.SerializeToString())
    blocks[1].metadata.metadata[0] = signatures.SerializeToString()

    with pytest.raises(ValueError) as refused:
        config_history(blocks)

    assert str(refused.value) == ("config block 1 holds a transaction of type 3, not CONFIG")


def test_an_undecodable_config_is_an_error() -> None:
    blocks = chain([envelope(common_pb2.HeaderType.CONFIG, "c", 1, b"", b"\xff\xff")])

    with pytest.raises(ValueError, match=r"^config of block 0 is not a common.ConfigEnvelope: "):
        config_history(blocks)


# -- a key's writes --------------------------------------------------------------------------


def key_chain() -> list[Any]:
    operator = creator("UtilityMSP", "operator1")
    return chain(
        [config_transaction(genesis_config(), 1_700_000_000)],
        [
            transaction("t-register", 1_700_000_100, UTILITY_ADMIN, {NAMESPACE: [(KEY, b"v1")]}),
            transaction("t-conflict", 1_700_000_101, UTILITY_ADMIN, {NAMESPACE: [(KEY, b"lost")]}),
            transaction("t-other", 1_700_000_102, operator, {NAMESPACE: [("member~X", b"x")]}),
        ],
        [
            transaction(
                "t-both",
                1_700_000_200,
                COMMUNITY_ADMIN,
                {"community": [(KEY, b"elsewhere")], NAMESPACE: [("a", b"1"), (KEY, None)]},
            )
        ],
        codes={1: [VALID, MVCC_READ_CONFLICT, VALID]},
    )


def test_the_key_history_lists_the_valid_writes_and_skips_an_invalid_transaction() -> None:
    writes = key_history(key_chain(), NAMESPACE, KEY)

    assert writes == [
        KeyWrite(1, 0, "t-register", "2023-11-14T22:15:00Z", "UtilityMSP", "admin", b"v1", False),
        KeyWrite(2, 0, "t-both", "2023-11-14T22:16:40Z", "CommunityMSP", "admin", b"", True),
    ]


def test_another_namespace_or_key_has_its_own_history() -> None:
    blocks = key_chain()

    assert [w.value for w in key_history(blocks, "community", KEY)] == [b"elsewhere"]
    assert [
        (w.transaction_id, w.creator_common_name)
        for w in key_history(blocks, NAMESPACE, "member~X")
    ] == [("t-other", "operator1")]
    assert key_history(blocks, NAMESPACE, "nobody") == []


def test_a_block_without_validation_codes_is_an_error() -> None:
    blocks = key_chain()
    blocks[2].metadata.metadata[2] = b""

    with pytest.raises(ValueError) as refused:
        key_history(blocks, NAMESPACE, KEY)

    assert str(refused.value) == (
        "block 2 has 0 validation codes for 1 transactions: it was not validated by a peer"
    )


def test_an_undecodable_valid_transaction_is_an_error_and_an_invalid_one_is_skipped() -> None:
    blocks = key_chain()
    blocks[1].data.data[1] = b"\xff\xff not an envelope"

    assert len(key_history(blocks, NAMESPACE, KEY)) == 2  # marked invalid: never decoded
    blocks[1].metadata.metadata[2] = bytes([VALID] * 3)
    with pytest.raises(ValueError, match=r"^transaction 1 of block 1 is not a common.Envelope: "):
        key_history(blocks, NAMESPACE, KEY)


# -- fetching from a peer --------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain_server() -> Iterator[tuple[FakePeer, grpc.Channel]]:
    servicer = FakePeer()
    with in_process_channel(events_pb2_grpc.add_DeliverServicer_to_server, servicer) as channel:
        yield servicer, channel


@pytest.fixture
def chain_peer(chain_server: tuple[FakePeer, grpc.Channel]) -> FakePeer:
    servicer = chain_server[0]
    servicer.blocks = key_chain()
    servicer.status = common_pb2.Status.SUCCESS
    servicer.seeks.clear()
    return servicer


def test_fetch_channel_learns_the_newest_block_then_fetches_them_all(
    chain_peer: FakePeer, chain_server: tuple[FakePeer, grpc.Channel], user: Any
) -> None:
    channel = chain_server[1]

    blocks = fetch_channel(
        channel, user.identity, user.sign, CHANNEL, tls_certificate_hash=TLS_HASH
    )

    assert blocks == chain_peer.blocks
    assert verify_chain(blocks).ok
    (newest, newest_hash), (everything, everything_hash) = chain_peer.seeks
    assert newest.start.HasField("newest") and newest.stop.HasField("newest")
    assert (everything.start.specified.number, everything.stop.specified.number) == (0, 2)
    assert newest_hash == everything_hash == TLS_HASH


def test_fetch_channel_up_to_a_given_block_asks_for_it_directly(
    chain_peer: FakePeer, chain_server: tuple[FakePeer, grpc.Channel], user: Any
) -> None:
    blocks = fetch_channel(chain_server[1], user.identity, user.sign, CHANNEL, stop=1)

    assert [b.header.number for b in blocks] == [0, 1]
    [(seek, _)] = chain_peer.seeks
    assert seek.behavior == ab_pb2.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY


def test_a_peer_refusing_the_newest_block_is_a_deliver_error(
    chain_peer: FakePeer, chain_server: tuple[FakePeer, grpc.Channel], user: Any
) -> None:
    chain_peer.status = common_pb2.Status.FORBIDDEN

    with pytest.raises(DeliverError) as refused:
        newest_block_number(chain_server[1], user.identity, user.sign, CHANNEL)

    assert refused.value.status == common_pb2.Status.FORBIDDEN
    assert str(refused.value) == (
        f"the newest block of channel {CHANNEL}: the peer answered with status 403 (FORBIDDEN)"
    )
