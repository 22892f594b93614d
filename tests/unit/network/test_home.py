"""An org's home (`network/home.py`): made private, holding one org, listed by its ports."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from network_builders import home_of

from network.console import NetworkError
from network.home import OrgHome, local_homes, write_private
from network.paths import homes_dir
from network.topology import COMMUNITY, REGULATOR, UTILITY, new_community


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual umask, which would leave files world-readable unless made private."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_is_the_operators_alone_and_holds_the_orgs_record(tmp_path):
    org = dataclasses.replace(UTILITY, host="10.0.0.5")
    home = OrgHome(tmp_path / "utility")

    home.create(org)

    assert home.exists()
    assert home.org == org
    assert (mode(home.path), mode(home.path / "org.json")) == (0o700, 0o600)


def test_a_home_made_on_an_existing_open_folder_is_closed(tmp_path):
    folder = tmp_path / "utility"
    folder.mkdir(mode=0o755)

    OrgHome(folder).create(UTILITY)

    assert mode(folder) == 0o700


def test_creating_the_same_org_again_rewrites_its_record(tmp_path):
    home = home_of(tmp_path, UTILITY)
    moved = dataclasses.replace(UTILITY, host="10.0.0.9")

    home.create(moved)

    assert home.org == moved


def test_a_home_refuses_another_org(tmp_path):
    home = home_of(tmp_path, UTILITY)

    with pytest.raises(NetworkError) as caught:
        home.create(REGULATOR)

    assert str(caught.value) == f"{home.path} is already the home of utility"
    assert home.org == UTILITY


def test_a_folder_without_a_record_is_no_home(tmp_path):
    home = OrgHome(tmp_path / "nobody")

    assert not home.exists()
    with pytest.raises(NetworkError) as caught:
        _ = home.org
    assert str(caught.value) == f"{home.path} is not an org's home (no org.json): run `init` first"


@pytest.mark.parametrize("text", ["hello", b"\x00\xffbytes"], ids=["text", "bytes"])
def test_write_private_writes_0600_whatever_the_umask_and_leaves_no_temporary(tmp_path, text):
    path = tmp_path / "secrets" / "token"

    write_private(path, text)

    assert path.read_bytes() == (text.encode() if isinstance(text, str) else text)
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)
    assert sorted(p.name for p in path.parent.iterdir()) == ["token"]


def test_write_private_replaces_an_open_file_with_a_private_one(tmp_path):
    path = tmp_path / "shared.txt"
    path.write_text("old")
    path.chmod(0o644)

    write_private(path, "new")

    assert (path.read_text(), mode(path)) == ("new", 0o600)


def test_a_founding_members_status_is_active_by_default(tmp_path):
    home = home_of(tmp_path, COMMUNITY)

    assert home.status == "active"
    assert not (home.path / "status").exists()


@pytest.mark.parametrize("status", ["joining", "active", "left"])
def test_a_status_is_kept_privately(tmp_path, status):
    home = home_of(tmp_path, COMMUNITY)

    home.set_status(status)

    assert home.status == status
    assert mode(home.path / "status") == 0o600


@pytest.mark.parametrize("status", ["removed", "Active", ""])
def test_an_unknown_status_is_refused(tmp_path, status):
    home = home_of(tmp_path, COMMUNITY)

    with pytest.raises(ValueError) as caught:
        home.set_status(status)

    assert str(caught.value) == f"status {status!r} is not one of joining, active, left"
    assert home.status == "active"


def test_a_secret_is_made_once_privately_and_read_back_the_same(tmp_path):
    home = home_of(tmp_path, UTILITY)

    first = home.secret("api-token-key")

    assert len(first) >= 32
    assert home.secret("api-token-key") == first
    assert home.secret("api-wallet-passphrase") != first
    assert (mode(home.secret_file("api-token-key")), mode(home.secrets)) == (0o600, 0o700)


def test_the_places_in_a_home_are_under_it(tmp_path):
    home = home_of(tmp_path, UTILITY)

    assert home.profile == home.path / "connection-utility.json"
    assert home.ca_cert == home.path / "ca" / "ca-cert.pem"
    assert home.identity_msp("peer0") == home.path / "identities" / "peer0" / "msp"
    assert home.identity_tls("admin") == home.path / "identities" / "admin" / "tls"
    assert home.bundles == home.path / "bundles"
    assert home.updates == home.path / "updates"


def test_the_embedded_defaults_home_is_in_the_run_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path))

    assert OrgHome.of("utility").path == tmp_path / "orgs" / "utility"
    assert homes_dir() == tmp_path / "orgs"


def test_local_homes_are_listed_in_order_of_their_ports(tmp_path):
    home_of(tmp_path, new_community("lakeside", 11000))
    home_of(tmp_path, REGULATOR)
    home_of(tmp_path, UTILITY)
    home_of(tmp_path, new_community("aaa", 10000))
    (tmp_path / "stray").mkdir()  # no org.json: not a home
    (tmp_path / "notes.txt").write_text("not a home either")

    keys = [h.org.key for h in local_homes(tmp_path)]

    assert keys == ["utility", "regulator", "aaa", "lakeside"]


def test_no_folder_means_no_local_homes(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path))

    assert local_homes(tmp_path / "absent") == []
    assert local_homes() == []
