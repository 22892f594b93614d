"""The regulator audits the `consortium` channel from its own peer, on the real network.

auditor1 (RegulatorMSP) pulls every block through the regulator's peer and checks the
chain's hashes, the configuration history and the writes of UtilityMSP's member record,
after the utility's admin renames the org and renames it back, so that the record has
a history of this run. Tampering is shown on a deep copy of the blocks, never on the
ledger. Then the same through the API, which lets regulators in and no one else.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from api_client import ROLES, Api, Role, api_session, assert_error
from fabric_protos.common import common_pb2
from member_registry import ensure_registered, members

from client import (
    ChainBreak,
    ConfigDelta,
    config_history,
    key_history,
    verify_chain,
)
from client.audit import block_data_hash, block_header_hash
from network.connect import PeerSession, gateway, peer_session
from network.topology import ORGS, REGULATOR, UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")

CHANNEL = NAMESPACE = "consortium"
KEY = f"member~{UTILITY.msp_id}"
MSP_IDS = tuple(sorted(org.msp_id for org in ORGS))
TRANSACTIONS_FILTER, SIGNATURES = 2, 0


def auditor_reader(peer: Org) -> AbstractContextManager[PeerSession]:
    """auditor1 of the regulator at `peer`'s peer; its enrolment certificate is its TLS one."""
    return peer_session(REGULATOR, "auditor1", peer)


@pytest.fixture(scope="module")
def regulator_peer() -> Iterator[PeerSession]:
    with auditor_reader(REGULATOR) as reader:
        yield reader


@dataclass(frozen=True)
class Renames:
    """The utility admin's two UpdateMember transactions of this run: away and back."""

    names: tuple[str, str]
    transaction_ids: tuple[str, str]
    block_number: int


@pytest.fixture(scope="module")
def renames() -> Renames:
    ensure_registered()
    with gateway(UTILITY, "admin") as gw:
        registry = members(gw)
        original = json.loads(registry.evaluate("GetMember", args=(UTILITY.msp_id,)))["name"]
        names = (f"GridCo Audit {uuid.uuid4().hex[:8]}", original)
        transaction_ids, block_number = [], 0
        for name in names:
            endorsed = registry.new_proposal("UpdateMember", args=(UTILITY.msp_id, name)).endorse()
            status = endorsed.submit().status()
            assert status.successful, status.code_name
            transaction_ids.append(endorsed.transaction_id)
            block_number = status.block_number
    return Renames(names, (transaction_ids[0], transaction_ids[1]), block_number)


@pytest.fixture(scope="module")
def blocks(regulator_peer: PeerSession, renames: Renames) -> list[Any]:
    """The whole channel as the regulator's peer has it, once it holds the renames."""
    regulator_peer.blocks(CHANNEL, renames.block_number, renames.block_number)  # waits for it
    return regulator_peer.whole_channel(CHANNEL)


# -- the chain -------------------------------------------------------------------------------


def test_the_whole_consortium_chain_verifies(blocks: list[Any], renames: Renames) -> None:
    report = verify_chain(blocks)

    assert report.ok, report.first_break
    assert report.blocks_checked == len(blocks) > renames.block_number
    assert (report.first_block, report.last_block) == (0, len(blocks) - 1)
    assert report.head_hash == block_header_hash(blocks[-1].header).hex()


def test_the_utilitys_peer_holds_the_same_chain_head(blocks: list[Any]) -> None:
    number = len(blocks) - 1
    with auditor_reader(UTILITY) as reader:
        [theirs] = reader.blocks(CHANNEL, number, number)

    assert block_header_hash(theirs.header) == block_header_hash(blocks[-1].header)


def test_one_corrupted_byte_in_a_copy_of_block_2_is_reported_at_block_2(
    blocks: list[Any], regulator_peer: PeerSession
) -> None:
    copies = copy.deepcopy(blocks)
    transaction = bytearray(copies[2].data.data[0])
    transaction[len(transaction) // 2] ^= 0xFF
    copies[2].data.data[0] = bytes(transaction)

    report = verify_chain(copies)

    assert not report.ok
    assert report.first_break == ChainBreak(
        2,
        "data_hash",
        expected=block_data_hash(copies[2].data).hex(),
        found=blocks[2].header.data_hash.hex(),
    )
    assert report.blocks_checked == 3
    assert verify_chain(blocks).ok
    [live] = regulator_peer.blocks(CHANNEL, 2, 2)
    assert live.SerializeToString() == blocks[2].SerializeToString()


# -- the configuration -----------------------------------------------------------------------


def test_the_config_history_starts_with_the_genesis_block_and_its_orgs(blocks: list[Any]) -> None:
    history = config_history(blocks)
    genesis = history[0]

    assert (genesis.block_number, genesis.sequence, genesis.signers) == (0, 0, ())
    assert genesis.orgs == MSP_IDS
    for msp_id in MSP_IDS:
        assert ConfigDelta(f"Channel/Application/{msp_id}", "group", "added") in genesis.changes
        assert (
            ConfigDelta(f"Channel/Application/{msp_id}/AnchorPeers", "value", "added")
            in genesis.changes
        )
    # config updates since, if any: signed by members of the config they changed
    for before, change in itertools.pairwise(history):
        assert change.signers and change.changes, change
        assert set(change.signers) <= set(before.orgs), change
    assert [c.sequence for c in history] == list(range(len(history)))


def test_every_block_names_the_last_config_block_the_history_found(blocks: list[Any]) -> None:
    config_blocks = [change.block_number for change in config_history(blocks)]
    for block in blocks[1:]:
        number = block.header.number
        signatures = common_pb2.Metadata.FromString(block.metadata.metadata[SIGNATURES])
        orderer = common_pb2.OrdererBlockMetadata.FromString(signatures.value)
        latest = max(n for n in config_blocks if n <= number)
        assert orderer.last_config.index == latest, number


# -- the member record's writes --------------------------------------------------------------


def test_the_key_history_lists_this_runs_renames_by_the_utility_admin(
    blocks: list[Any], renames: Renames
) -> None:
    writes = key_history(blocks, NAMESPACE, KEY)
    records = [json.loads(write.value) for write in writes]
    ids = [write.transaction_id for write in writes]

    mine = [ids.index(transaction_id) for transaction_id in renames.transaction_ids]
    assert mine == sorted(mine)
    assert [records[i]["name"] for i in mine] == list(renames.names)
    assert {(w.creator_msp_id, w.creator_common_name, w.is_delete) for w in writes} == {
        (UTILITY.msp_id, "admin", False)
    }
    registered = records[0]
    assert "updated_at" not in registered  # the first write is RegisterMember
    assert registered["registered_at"] == writes[0].timestamp
    for write, record in zip(writes, records, strict=True):
        assert record["tx_id"] == write.transaction_id
        assert record["registered_at"] == registered["registered_at"]
        assert record.get("updated_at", write.timestamp) == write.timestamp
    assert [w.block_number for w in writes] == sorted(w.block_number for w in writes)


def test_transactions_marked_invalid_are_not_in_the_key_history(blocks: list[Any]) -> None:
    writes = key_history(blocks, NAMESPACE, KEY)
    for write in writes:
        assert (
            blocks[write.block_number].metadata.metadata[TRANSACTIONS_FILTER][
                write.transaction_index
            ]
            == 0
        )
    all_valid = copy.deepcopy(blocks)
    for block in all_valid:
        block.metadata.metadata[TRANSACTIONS_FILTER] = bytes(len(block.data.data))
    attempted = key_history(all_valid, NAMESPACE, KEY)
    assert set(writes) <= set(attempted)
    for extra in set(attempted) - set(writes):  # e.g. renames that lost an MVCC race
        assert (
            blocks[extra.block_number].metadata.metadata[TRANSACTIONS_FILTER][
                extra.transaction_index
            ]
            != 0
        )


# -- the API ---------------------------------------------------------------------------------

AUDITOR = ROLES["regulator"]
ENDPOINTS = (
    f"/audit/channels/{CHANNEL}/verification",
    f"/audit/channels/{CHANNEL}/config-history",
    f"/audit/channels/{CHANNEL}/keys?namespace={NAMESPACE}&key={KEY}",
)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


def test_the_api_verifies_the_chain_for_the_regulator(api: Api, blocks: list[Any]) -> None:
    body = api.ok("GET", ENDPOINTS[0], AUDITOR, 200)

    assert body["channel"] == CHANNEL
    assert body["ok"] is True and body["first_break"] is None
    assert body["first_block"] == 0
    assert body["blocks_checked"] == body["last_block"] + 1 >= len(blocks)
    if body["last_block"] == len(blocks) - 1:
        assert body["head_hash"] == block_header_hash(blocks[-1].header).hex()


def test_the_api_lists_the_config_history(api: Api) -> None:
    body = api.ok("GET", ENDPOINTS[1], AUDITOR, 200)
    genesis = body["items"][0]

    assert (genesis["block_number"], genesis["signers"], genesis["orgs"]) == (0, [], list(MSP_IDS))
    assert {"path": "Channel/Application/UtilityMSP", "element": "group", "change": "added"} in (
        genesis["changes"]
    )


def test_the_api_lists_the_key_history(api: Api, renames: Renames) -> None:
    body = api.ok("GET", ENDPOINTS[2] + "&per_page=500", AUDITOR, 200)
    by_id = {item["transaction_id"]: item for item in body["items"]}

    assert body["total"] == len(body["items"])
    for transaction_id, name in zip(renames.transaction_ids, renames.names, strict=True):
        item = by_id[transaction_id]
        assert (item["creator_msp_id"], item["creator_common_name"]) == (UTILITY.msp_id, "admin")
        assert json.loads(item["value"])["name"] == name
        assert base64.b64decode(item["value_base64"]).decode() == item["value"]
        assert item["is_delete"] is False


REFUSED = [ROLES[key] for key in ("household", "operator", "meter", "admin", "third_party")]


@pytest.mark.parametrize("path", ENDPOINTS, ids=("verification", "config-history", "keys"))
@pytest.mark.parametrize("role", REFUSED, ids=lambda role: role.key)
def test_the_api_lets_no_one_but_a_regulator_audit(api: Api, role: Role, path: str) -> None:
    body = assert_error(api.get(path, role), 403)

    assert body["message"] == (
        f"caller role '{role.role}' may not audit channels; allowed: regulator"
    )


def test_the_api_answers_404_for_a_channel_the_peer_does_not_have(api: Api) -> None:
    body = assert_error(api.get("/audit/channels/nosuch/verification", AUDITOR), 404)

    assert body["message"] == "channel nosuch does not exist on the RegulatorMSP peer"


def test_the_api_needs_a_namespace_and_a_key(api: Api) -> None:
    assert_error(api.get(f"/audit/channels/{CHANNEL}/keys", AUDITOR), 422, "namespace", "key")


def test_the_api_needs_a_login(api: Api) -> None:
    assert_error(api.get(ENDPOINTS[0]), 401)
