"""The Node baseline chaincode's server process and deployment (`node:` modules).

A `node:<folder>` deployment runs `node <repo>/<folder>/server.js` with the flags a
Python chaincode server gets, from the org's own home; a Python deployment is started as
before. The benchmark's `node_readings` mirrors the community chaincode of a community
channel and is never what `deploy` picks for a channel.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from network_builders import home_of

from network import chaincode_servers
from network.chaincode_servers import Deployment, check_runnable, deployed, process
from network.chaincodes import (
    community_chaincode,
    consortium_chaincode,
    for_channel,
    node_readings,
)
from network.channelinfo import ChannelInfo
from network.console import NetworkError
from network.paths import REPO
from network.topology import COMMUNITY, UTILITY

PACKAGE_ID = "readings-node_1.0:" + "ab" * 32
SUNNYSIDE = ChannelInfo("community-sunnyside", ("CommunityMSP", "RegulatorMSP", "UtilityMSP"), ())
CONSORTIUM = ChannelInfo("consortium", ("CommunityMSP", "RegulatorMSP", "UtilityMSP"), ())


@pytest.fixture
def homes(tmp_path):
    return {org.key: home_of(tmp_path, org) for org in (UTILITY, COMMUNITY)}


def deployment(module: str = "node:bench/node/chaincode") -> Deployment:
    return Deployment(
        chaincode="readings-node", module=module, package_id=PACKAGE_ID, address="127.0.0.1:7102"
    )


def flags(home) -> tuple[str, ...]:
    tls = home.identity_tls("chaincode")
    return (
        "--chaincode-id",
        PACKAGE_ID,
        "--address",
        "127.0.0.1:7102",
        "--tls-cert",
        str(tls / "cert.pem"),
        "--tls-key",
        str(tls / "key.pem"),
        "--tls-client-root",
        str(home.ca_cert),
    )


def test_a_node_deployment_runs_the_folders_server_with_the_python_servers_flags(
    homes, monkeypatch
):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: f"/opt/node/bin/{name}")
    home = homes["utility"]

    proc = process(home, deployment())

    entry = REPO / "bench" / "node" / "chaincode" / "server.js"
    assert proc.argv == ("/opt/node/bin/node", str(entry), *flags(home))
    assert (proc.name, proc.folder) == ("chaincode-readings-node-utility", home.path)
    assert proc.pid_file == home.path / "pids" / "chaincode-readings-node-utility.pid"


def test_each_org_serves_with_its_own_tls_files(homes, monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: "/usr/bin/node")

    proc = process(homes["community"], deployment())

    assert proc.argv[2:] == flags(homes["community"])
    assert proc.name == "chaincode-readings-node-community"


def test_a_node_server_gets_no_python_environment(homes, monkeypatch):
    monkeypatch.delenv("GRIDLEDGER_CC_LOG_LEVEL", raising=False)
    monkeypatch.setenv("PATH", "/opt/node/bin:/usr/bin")

    assert process(homes["utility"], deployment()).env == {"PATH": "/opt/node/bin:/usr/bin"}


def test_the_log_level_reaches_node_and_python_servers_alike(homes, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_CC_LOG_LEVEL", "DEBUG")
    home = homes["utility"]

    assert process(home, deployment()).env["GRIDLEDGER_CC_LOG_LEVEL"] == "DEBUG"
    python = process(home, deployment(module="chaincode.community"))
    assert python.env["GRIDLEDGER_CC_LOG_LEVEL"] == "DEBUG"


def test_a_python_deployment_is_started_as_before(homes, monkeypatch):
    monkeypatch.delenv("GRIDLEDGER_CC_LOG_LEVEL", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin")
    home = homes["utility"]

    proc = process(home, deployment(module="chaincode.community"))

    assert proc.argv == (sys.executable, "-m", "chaincode.community", *flags(home))
    assert proc.env == {"PATH": "/usr/bin", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


def test_without_node_modules_a_node_server_fails_with_what_to_run(monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: "/usr/bin/node")
    missing = re.escape("node_modules is missing; run bench/node/install.sh")

    with pytest.raises(NetworkError, match=missing):
        check_runnable(deployment(module="node:bench/node/no-such-folder"))


def test_without_node_a_node_server_fails_before_writing_its_record(homes, monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: None)
    home, dep = homes["utility"], deployment()

    with pytest.raises(NetworkError) as caught:
        chaincode_servers.serve(home, dep)

    assert str(caught.value) == "chaincode readings-node needs Node.js: `node` is not on PATH"
    assert not dep.record(home).exists()
    assert deployed(home) == []


def test_python_deployments_need_no_node(monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: None)

    check_runnable(deployment(module="chaincode.community"))


def test_a_deployment_record_round_trips_privately_in_its_home(homes):
    home, dep = homes["utility"], deployment()

    dep.save(home)

    assert dep.record(home) == home.chaincode / "readings-node" / "server.json"
    assert json.loads(dep.record(home).read_text())["module"] == "node:bench/node/chaincode"
    assert dep.record(home).stat().st_mode & 0o777 == 0o600
    assert deployed(home) == [dep]
    assert deployed(homes["community"]) == []


@pytest.mark.parametrize(
    ("info", "name"),
    [(CONSORTIUM, "consortium"), (SUNNYSIDE, "community")],
    ids=["consortium", "community"],
)
def test_the_node_chaincode_is_never_what_a_channel_deploys(info, name):
    spec = for_channel(info)

    assert spec.name == name
    assert spec.name != node_readings(SUNNYSIDE).name


def test_a_channel_gridledger_runs_nothing_on_is_refused():
    with pytest.raises(NetworkError) as caught:
        for_channel(ChannelInfo("testchannel", SUNNYSIDE.members, ()))
    assert str(caught.value) == "GridLedger runs no chaincode on channel testchannel"


def test_the_node_chaincode_mirrors_the_community_chaincode_of_its_channel():
    python, node = community_chaincode(SUNNYSIDE), node_readings(SUNNYSIDE)

    assert (node.name, node.channel, node.module) == (
        "readings-node",
        "community-sunnyside",
        "node:bench/node/chaincode",
    )
    assert node.policy == python.policy == "AND('UtilityMSP.peer', 'CommunityMSP.peer')"
    assert node.collections is not None and node.collections == python.collections
    assert (node.version, node.sequence) == (python.version, python.sequence)


def test_the_node_chaincode_has_its_own_server_port_in_each_org():
    used = {
        consortium_chaincode(CONSORTIUM).server_index,
        community_chaincode(SUNNYSIDE).server_index,
    }

    assert node_readings(SUNNYSIDE).server_index == 2
    assert used == {0, 1}
    assert UTILITY.chaincode_address(2) == "127.0.0.1:7102"
    assert COMMUNITY.chaincode_address(2) == "127.0.0.1:8102"


def test_the_node_packages_are_pinned_by_committed_lock_files():
    for folder in ("client", "chaincode"):
        base = REPO / "bench" / "node" / folder
        manifest = json.loads((base / "package.json").read_text())
        lock = json.loads((base / "package-lock.json").read_text())
        for name, version in manifest["dependencies"].items():
            assert version[0].isdigit(), f"{folder}: {name} {version} is not an exact version"
            assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert (REPO / "bench" / "node" / "chaincode" / chaincode_servers.NODE_ENTRY).is_file()
