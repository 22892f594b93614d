"""Erasure reaches the ledger's history: after PurgeHousehold, the peers no longer deliver
the plaintext of the block that stored the readings, though the block is unchanged.

A reading's plaintext is never in a block: the block holds the hashes of the private
writes' keys and values (the meter-day's signed bundle and its roots), and each member
peer keeps the plaintext beside it in its private data store, from where
`DeliverWithPrivateData` hands it out with the block. One day of readings of a fresh
household is followed through that path, on the utility's and the community's peers
(members of the `readings` collection) and on the regulator's (not a member), before
and after the purge; the day's commitment outlives the purge, and a reading disclosed
before it is still proven by the block alone.

Fabric 2.5+ hides a purged key's history from the moment the purge commits: the private
data store filters it out on every read (the records themselves are deleted later, by
the purger that runs every `ledger.pvtdataStore.purgeInterval` blocks), so no waiting
beyond the commit is needed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from community_fixtures import (
    CHANNEL,
    DAY,
    contract,
    fresh_household,
    read_recorded,
    register,
    signed,
)
from homes import ca_cert, msp_dir

from client import (
    certificate_hash,
    connect,
    deliver_blocks,
    find_private_writes,
    load_identity,
    load_private_key,
    new_private_key_signer,
)
from client.accesses import disclosure_access
from client.disclosures import hashed_writes, verify_in_block
from gridspec.reading_bundle import ReadingBundle, commitment_key
from gridspec.signed_bundle import SignedBundle
from network.ca import private_key
from network.connect import gateway
from network.scenario import day_readings
from network.topology import COMMUNITY, REGULATOR, UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")

NAMESPACE, COLLECTION = "community", "readings"
MEMBERS = (UTILITY, COMMUNITY)
PEERS = (*MEMBERS, REGULATOR)
# A member peer that missed the gossip push pulls the private data by reconciliation,
# which runs once a minute by default.
ARRIVAL_TIMEOUT = 90


@contextmanager
def deliver_as(org: Org, user: str, peer: Org) -> Iterator[Any]:
    """A function fetching one block with private data from `peer`, as `user` of `org`.

    Like `network.connect.gateway`, but the deliver request also needs the hash of the TLS
    client certificate (the enrollment certificate doubles as it), since the peers
    require mutual TLS and bind each deliver request to its TLS session.
    """
    msp = msp_dir(org, user)
    cert = (msp / "signcerts" / "cert.pem").read_bytes()
    key = private_key(msp)
    channel = connect(
        peer.peer_address,
        tls_root_cert=ca_cert(peer).read_bytes(),
        client_cert=cert,
        client_key=key.read_bytes(),
    )
    identity = load_identity(org.msp_id, msp / "signcerts" / "cert.pem")
    sign = new_private_key_signer(load_private_key(key))

    def fetch(number: int) -> Any:
        [block] = deliver_blocks(
            channel,
            identity,
            sign,
            CHANNEL,
            number,
            number,
            private_data=True,
            tls_certificate_hash=certificate_hash(cert),
        )
        return block

    try:
        yield fetch
    finally:
        channel.close()


def fetch_block(peer: Org, number: int) -> Any:
    """Block `number` and the private data the utility's operator may read, from `peer`."""
    with deliver_as(UTILITY, "operator1", peer) as fetch:
        return fetch(number)


def stored_writes(meter_id: str, bundles: bytes) -> dict[str, bytes]:
    """What SubmitReadings stores of one meter-day, as the chaincode documents it: the
    signed bundle as sent, and its Merkle root."""
    [signed] = SignedBundle.list_from_wire(json.loads(bundles))
    day = DAY.isoformat()
    return {
        f"meterday~{meter_id}~{day}": SignedBundle.frames([signed]),
        commitment_key(meter_id, day): ReadingBundle.parse(signed.payload).root(),
    }


def of_meter(writes: dict[str, bytes], meter_id: str) -> dict[str, bytes]:
    """The writes under a meter's keys."""
    return {key: value for key, value in writes.items() if key.split("~")[1:2] == [meter_id]}


def plaintext_in(delivered: Any, readings: dict[str, bytes]) -> list[str]:
    """The readings whose stored bytes appear anywhere in what a peer delivered."""
    raw = delivered.SerializeToString()
    return [key for key, value in readings.items() if value in raw]


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@dataclass(frozen=True)
class History:
    """What each peer delivered of the readings' block, before and after the purge."""

    meter_id: str
    readings: dict[str, bytes]
    salts: list[str]
    disclosure: dict[str, Any]
    block_number: int
    submit_tx: str
    before: dict[str, Any]
    after: dict[str, Any]


def fetch_until_delivered(peer: Org, number: int, keys: set[str]) -> Any:
    """The block from `peer`, once its private data holds `keys` (or the last try)."""
    deadline = time.monotonic() + ARRIVAL_TIMEOUT
    while True:
        block = fetch_block(peer, number)
        found = find_private_writes(block, NAMESPACE, COLLECTION)
        if keys <= found.keys() or time.monotonic() > deadline:
            return block
        time.sleep(1)


@pytest.fixture(scope="module")
def history() -> History:
    household = fresh_household()
    register(household)
    bundles = signed(household, day_readings(household, DAY))
    readings = stored_writes(household.meter_id, bundles)
    [bundle] = SignedBundle.list_from_wire(json.loads(bundles))
    salts = [r.salt for r in ReadingBundle.parse(bundle.payload).readings()]

    with gateway(UTILITY, "headend1") as gw:
        proposal = contract(gw, "ReadingContract").new_proposal(
            "SubmitReadings", transient={"bundles": bundles}
        )
        submitted = proposal.endorse()
        status = submitted.submit().status()
    assert status.successful, status.code_name
    assert json.loads(submitted.result)["stored"] == 96
    noon = (household.meter_id, f"{DAY.isoformat()}T12:00:00Z")
    with gateway(UTILITY, "operator1") as gw:
        access = disclosure_access(*noon)
        disclosure = read_recorded(gw, "ReadingContract", "DiscloseReading", noon, access)

    number = status.block_number
    before = {peer.key: fetch_until_delivered(peer, number, set(readings)) for peer in MEMBERS}
    before[REGULATOR.key] = fetch_block(REGULATOR, number)

    with gateway(UTILITY, "operator1") as gw:
        purge = contract(gw, "MeterContract").new_proposal(
            "PurgeHousehold", args=(household.household_id, "household request")
        )
        purged = purge.endorse()
        assert purged.submit().status().successful
    assert json.loads(purged.result)["meter_days_purged"] == 1
    for peer in PEERS:
        with gateway(UTILITY, "operator1", peer_org=peer) as gw:
            committed = gw.get_network(CHANNEL).get_commit(purged.transaction_id).status()
        assert committed.successful, (peer.key, committed.code_name)

    after = {peer.key: fetch_block(peer, number) for peer in PEERS}
    return History(
        household.meter_id,
        readings,
        salts,
        disclosure,
        number,
        submitted.transaction_id,
        before,
        after,
    )


@pytest.mark.parametrize("peer", MEMBERS, ids=lambda peer: peer.key)
def test_a_member_peer_delivers_the_readings_plaintext_with_their_block(history, peer):
    writes = find_private_writes(history.before[peer.key], NAMESPACE, COLLECTION)
    mine = of_meter(writes, history.meter_id)
    assert mine == history.readings
    assert plaintext_in(history.before[peer.key], history.readings) == list(history.readings)


@pytest.mark.parametrize("peer", MEMBERS, ids=lambda peer: peer.key)
def test_after_the_purge_a_member_peer_delivers_that_block_with_the_roots_only(history, peer):
    delivered = history.after[peer.key]
    roots = commitment_key(history.meter_id, DAY.isoformat())
    kept = of_meter(find_private_writes(delivered, NAMESPACE, COLLECTION), history.meter_id)
    assert kept == {roots: history.readings[roots]}
    day = f"meterday~{history.meter_id}~{DAY.isoformat()}"
    assert plaintext_in(delivered, {day: history.readings[day]}) == []


@pytest.mark.parametrize("peer", PEERS, ids=lambda peer: peer.key)
def test_the_block_itself_is_unchanged_and_keeps_the_readings_hashes(history, peer):
    before, after = history.before[peer.key].block, history.after[peer.key].block
    assert after.SerializeToString() == before.SerializeToString()
    assert after.header.number == history.block_number
    hashes = dict(hashed_writes(after, NAMESPACE, COLLECTION))
    expected = {sha256(key.encode()): sha256(value) for key, value in history.readings.items()}
    assert {key: hashes.get(key) for key in expected} == expected
    raw = after.SerializeToString()
    assert not [salt for salt in history.salts if salt.encode() in raw]


@pytest.mark.parametrize("peer", PEERS, ids=lambda peer: peer.key)
def test_a_reading_disclosed_before_the_purge_is_proven_by_the_block_alone(history, peer):
    block = history.after[peer.key].block
    assert verify_in_block(history.disclosure, block)
    forged = {**history.disclosure, "reading": {**history.disclosure["reading"], "import_wh": 7}}
    assert not verify_in_block(forged, block)


def test_every_peer_holds_the_same_block(history):
    blocks = [history.after[peer.key].block for peer in PEERS]
    assert len({(b.header.SerializeToString(), b.data.SerializeToString()) for b in blocks}) == 1


def test_the_regulators_peer_never_delivers_private_data_for_that_block(history):
    for moment in (history.before, history.after):
        delivered = moment[REGULATOR.key]
        assert dict(delivered.private_data_map) == {}
        assert not plaintext_in(delivered, history.readings)
