"""Nodes die under a steady reading load; nothing acknowledged is lost, and they catch up.

Each test starts a head-end load, kills one process with SIGKILL, restarts it the way
an operator does (`python -m network up` restarts what is not running), and checks:
every acknowledged reading is on the ledger exactly once, the restarted node has the
same chain as the others, and (for a peer) the private data it missed has been
reconciled. How long the load took to make progress again is noted in
run/faults/recovery.json and printed, never asserted.
"""

from __future__ import annotations

import time

import pytest
from faultload import (
    ReadingLoad,
    kill,
    on_ledger_once,
    raft_leader,
    recovered,
    restart_network,
    same_chain_on_every_orderer,
    same_chain_on_every_peer,
)

from network.topology import COMMUNITY

pytestmark = pytest.mark.usefixtures("fabric_network")


def test_a_killed_chaincode_server_is_restarted_and_no_reading_is_lost():
    load = ReadingLoad()
    load.start()
    try:
        load.wait_for_more(than=8)
        kill("chaincode-community-utility")
        started = time.monotonic()
        restart_network()
        load.wait_for_more(than=load.count())
        recovered("chaincode server", time.monotonic() - started)
    finally:
        load.stop()
    on_ledger_once(load)
    same_chain_on_every_peer()


def test_the_raft_leader_dies_a_new_one_takes_over_and_the_old_one_catches_up():
    load = ReadingLoad()
    load.start()
    try:
        load.wait_for_more(than=8)
        leader = raft_leader()
        kill(f"orderer-{leader.key}")
        started = time.monotonic()
        load.wait_for_more(than=load.count(), timeout=90)
        recovered("Raft leader (two orderers left)", time.monotonic() - started)
        assert raft_leader() != leader
        restart_network()
        load.wait_for_more(than=load.count())
    finally:
        load.stop()
    on_ledger_once(load)
    same_chain_on_every_orderer()
    same_chain_on_every_peer()


def test_a_killed_peer_comes_back_with_the_blocks_and_the_private_readings_it_missed():
    load = ReadingLoad()
    load.start()
    try:
        load.wait_for_more(than=8)
        kill(f"peer-{COMMUNITY.key}")
        missed_from = load.count()
        load.wait_for_more(than=missed_from + 16)
        started = time.monotonic()
        restart_network()
        recovered("peer restart", time.monotonic() - started)
    finally:
        load.stop()
    assert load.count() > missed_from, "readings were acknowledged while the peer was down"
    same_chain_on_every_peer()
    started = time.monotonic()
    on_ledger_once(load, peer_org=COMMUNITY, timeout=120)
    recovered("private data reconciliation", time.monotonic() - started)
