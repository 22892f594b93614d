"""The Node baseline chaincode's server process and deployment (`node:` modules).

A `node:<folder>` deployment runs `node <repo>/<folder>/server.js` with the flags a
Python chaincode server gets; a Python deployment is started as before. The benchmark's
`NODE_READINGS` mirrors the community chaincode of `community-sunnyside` and is never
deployed by `make deploy`.
"""

from __future__ import annotations

import json
import re
import sys

import pytest

from network import chaincode_servers
from network.ca import OrgCA
from network.chaincode_servers import Deployment, check_runnable, process
from network.chaincodes import NODE_READINGS, chaincodes, community_chaincode
from network.console import NetworkError
from network.paths import REPO
from network.topology import COMMUNITY, UTILITY, channel_by_name

PACKAGE_ID = "readings-node_1.0:" + "ab" * 32


def deployment(module: str = NODE_READINGS.module, org: str = "utility") -> Deployment:
    return Deployment(
        chaincode="readings-node",
        module=module,
        org=org,
        package_id=PACKAGE_ID,
        address="127.0.0.1:7102",
    )


def flags(org=UTILITY) -> tuple[str, ...]:
    tls = OrgCA(org).tls("chaincode")
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
        str(OrgCA(org).ca_cert),
    )


def test_a_node_deployment_runs_the_folders_server_with_the_python_servers_flags(monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: f"/opt/node/bin/{name}")
    proc = process(deployment())
    entry = REPO / "bench" / "node" / "chaincode" / "server.js"
    assert proc.argv == ("/opt/node/bin/node", str(entry), *flags())
    assert proc.name == "chaincode-readings-node-utility"


def test_each_org_serves_with_its_own_tls_files(monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: "/usr/bin/node")
    proc = process(deployment(org="community"))
    assert proc.argv[2:] == flags(COMMUNITY)
    assert proc.name == "chaincode-readings-node-community"


def test_a_node_server_gets_no_python_environment(monkeypatch):
    monkeypatch.delenv("GRIDLEDGER_CC_LOG_LEVEL", raising=False)
    monkeypatch.setenv("PATH", "/opt/node/bin:/usr/bin")
    assert process(deployment()).env == {"PATH": "/opt/node/bin:/usr/bin"}


def test_the_log_level_reaches_node_and_python_servers_alike(monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_CC_LOG_LEVEL", "DEBUG")
    assert process(deployment()).env["GRIDLEDGER_CC_LOG_LEVEL"] == "DEBUG"
    python = process(deployment(module="chaincode.community"))
    assert python.env["GRIDLEDGER_CC_LOG_LEVEL"] == "DEBUG"


def test_a_python_deployment_is_started_as_before(monkeypatch):
    monkeypatch.delenv("GRIDLEDGER_CC_LOG_LEVEL", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin")
    proc = process(deployment(module="chaincode.community"))
    assert proc.argv == (sys.executable, "-m", "chaincode.community", *flags())
    assert proc.env == {"PATH": "/usr/bin", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


def test_without_node_modules_a_node_server_fails_with_what_to_run(monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: "/usr/bin/node")
    missing = re.escape("node_modules is missing; run bench/node/install.sh")
    with pytest.raises(NetworkError, match=missing):
        check_runnable(deployment(module="node:bench/node/no-such-folder"))


def test_without_node_a_node_server_fails_before_writing_its_record(monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: None)
    dep = deployment()
    with pytest.raises(NetworkError, match=re.escape("needs Node.js: `node` is not on PATH")):
        chaincode_servers.serve(dep)
    assert not dep.record.exists()


def test_python_deployments_need_no_node(monkeypatch):
    monkeypatch.setattr(chaincode_servers.shutil, "which", lambda name: None)
    check_runnable(deployment(module="chaincode.community"))


def test_a_node_deployment_record_round_trips():
    dep = deployment()
    dep.save()
    assert json.loads(dep.record.read_text())["module"] == "node:bench/node/chaincode"
    assert chaincode_servers.deployed() == [dep]


def test_the_node_chaincode_is_not_deployed_by_make_deploy():
    assert NODE_READINGS not in chaincodes()
    assert "readings-node" not in {spec.name for spec in chaincodes()}


def test_the_node_chaincode_mirrors_the_community_chaincode_of_sunnyside():
    sunnyside = channel_by_name("community-sunnyside")
    python = community_chaincode(sunnyside)
    assert (NODE_READINGS.name, NODE_READINGS.channel) == ("readings-node", sunnyside.name)
    assert NODE_READINGS.module == "node:bench/node/chaincode"
    assert NODE_READINGS.policy == python.policy == "AND('UtilityMSP.peer', 'CommunityMSP.peer')"
    assert NODE_READINGS.collections is not None and python.collections is not None
    assert NODE_READINGS.collections(sunnyside) == python.collections(sunnyside)
    assert (NODE_READINGS.version, NODE_READINGS.sequence) == (python.version, python.sequence)


def test_the_node_chaincode_has_its_own_server_port_in_each_org():
    assert NODE_READINGS.server_index == 2
    used = {spec.server_index for spec in chaincodes()}
    assert NODE_READINGS.server_index not in used
    assert UTILITY.chaincode_address(NODE_READINGS.server_index) == "127.0.0.1:7102"
    assert COMMUNITY.chaincode_address(NODE_READINGS.server_index) == "127.0.0.1:8102"


def test_the_node_packages_are_pinned_by_committed_lock_files():
    for folder in ("client", "chaincode"):
        base = REPO / "bench" / "node" / folder
        manifest = json.loads((base / "package.json").read_text())
        lock = json.loads((base / "package-lock.json").read_text())
        for name, version in manifest["dependencies"].items():
            assert version[0].isdigit(), f"{folder}: {name} {version} is not an exact version"
            assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert (REPO / "bench" / "node" / "chaincode" / chaincode_servers.NODE_ENTRY).is_file()
