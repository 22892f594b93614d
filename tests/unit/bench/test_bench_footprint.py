"""bench/footprint.py: what a run leaves on each peer, from files made here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.footprint import folder_bytes, growth, peers, rss_bytes
from network.home import OrgHome
from network.topology import COMMUNITY, UTILITY


def test_folder_bytes_adds_up_every_file_below(tmp_path):
    (tmp_path / "ledgersData" / "chains" / "community-sunnyside").mkdir(parents=True)
    (tmp_path / "ledgersData" / "chains" / "community-sunnyside" / "blockfile_000000").write_bytes(
        b"x" * 1000
    )
    (tmp_path / "ledgersData" / "stateLeveldb").mkdir()
    (tmp_path / "ledgersData" / "stateLeveldb" / "000001.log").write_bytes(b"y" * 234)
    (tmp_path / "LOCK").write_bytes(b"")
    assert folder_bytes(tmp_path) == 1234


def test_folder_bytes_of_an_empty_or_missing_folder_is_0(tmp_path):
    assert folder_bytes(tmp_path) == 0
    assert folder_bytes(tmp_path / "gone") == 0


def test_folder_bytes_skips_a_file_it_cannot_stat(tmp_path):
    (tmp_path / "kept").write_bytes(b"z" * 10)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert folder_bytes(tmp_path) == 10


def test_rss_bytes_of_this_process_and_of_none():
    status = Path(f"/proc/{os.getpid()}/status").read_text()
    assert "VmRSS:" in status
    assert rss_bytes(os.getpid()) > 10 * 2**20  # a Python with cryptography loaded
    assert rss_bytes(2**22 + 1) == 0  # above the kernel's largest pid


def test_growth_is_disk_bytes_per_item_and_the_memory_at_the_end():
    before = {
        "peer-utility": {"disk_bytes": 1_000_000, "rss_bytes": 100 * 2**20},
        "peer-community": {"disk_bytes": 500_000, "rss_bytes": 90 * 2**20},
    }
    after = {
        "peer-utility": {"disk_bytes": 4_000_000, "rss_bytes": 812 * 2**20 + 2**19},
        "peer-community": {"disk_bytes": 2_000_000, "rss_bytes": 700 * 2**20},
        "peer-regulator": {"disk_bytes": 12_345, "rss_bytes": 0},  # not there before
    }
    assert growth(before, after, 7_000) == {
        "peer-utility": {"disk_bytes_per_item": 428.6, "rss_mb": 812.5},
        "peer-community": {"disk_bytes_per_item": 214.3, "rss_mb": 700.0},
        "peer-regulator": {"disk_bytes_per_item": 1.8, "rss_mb": 0.0},
    }


def test_growth_without_items_is_per_one():
    before = {"peer-utility": {"disk_bytes": 100, "rss_bytes": 0}}
    after = {"peer-utility": {"disk_bytes": 150, "rss_bytes": 0}}
    assert growth(before, after, 0) == {
        "peer-utility": {"disk_bytes_per_item": 50.0, "rss_mb": 0.0}
    }
    assert growth(before, {}, 10) == {}


def test_peers_without_org_homes_is_empty():
    assert peers() == {}


@pytest.fixture
def two_homes():
    """The utility's home with a ledger and this process as its peer; the community's
    with a ledger and no peer running."""
    homes = []
    for org, size in ((UTILITY, 3000), (COMMUNITY, 700)):
        home = OrgHome.of(org.key)
        home.create(org)
        (home.peer / "data" / "ledgersData").mkdir(parents=True)
        (home.peer / "data" / "ledgersData" / "blockfile_000000").write_bytes(b"b" * size)
        (home.peer / "msp.pem").write_bytes(b"not the ledger")
        homes.append(home)
    homes[0].pids.mkdir()
    (homes[0].pids / "peer-utility.pid").write_text(f"{os.getpid()}\n")
    return homes


def test_peers_gives_each_running_peers_ledger_bytes_and_memory(two_homes):
    """The community's home has a ledger but no running peer (like an org that left):
    it is not a peer of the run."""
    found = peers()
    assert sorted(found) == ["peer-utility"]
    assert found["peer-utility"]["disk_bytes"] == 3000
    assert found["peer-utility"]["rss_bytes"] > 10 * 2**20
