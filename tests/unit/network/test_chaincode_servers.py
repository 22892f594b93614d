"""An org's chaincode server processes (`network/chaincode_servers.py`).

A deployment runs `python -m <module>` with its package id, address and the org's own
TLS files, from the org's home, and is recorded there so `up` restarts it.
"""

from __future__ import annotations

import json
import sys

import pytest
from network_builders import home_of

from network.chaincode_servers import Deployment, deployed, process
from network.paths import REPO
from network.topology import COMMUNITY, UTILITY

PACKAGE_ID = "community_1.0:" + "ab" * 32


@pytest.fixture
def homes(tmp_path):
    return {org.key: home_of(tmp_path, org) for org in (UTILITY, COMMUNITY)}


def deployment() -> Deployment:
    return Deployment(
        chaincode="community",
        module="chaincode.community",
        package_id=PACKAGE_ID,
        address="127.0.0.1:7101",
    )


def flags(home) -> tuple[str, ...]:
    tls = home.identity_tls("chaincode")
    return (
        "--chaincode-id",
        PACKAGE_ID,
        "--address",
        "127.0.0.1:7101",
        "--tls-cert",
        str(tls / "cert.pem"),
        "--tls-key",
        str(tls / "key.pem"),
        "--tls-client-root",
        str(home.ca_cert),
    )


def test_a_deployment_runs_its_python_module_from_the_orgs_home(homes, monkeypatch):
    monkeypatch.delenv("GRIDLEDGER_CC_LOG_LEVEL", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin")
    home = homes["utility"]

    proc = process(home, deployment())

    assert proc.argv == (sys.executable, "-m", "chaincode.community", *flags(home))
    assert proc.env == {"PATH": "/usr/bin", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    assert (proc.name, proc.folder) == ("chaincode-community-utility", home.path)
    assert proc.pid_file == home.path / "pids" / "chaincode-community-utility.pid"


def test_each_org_serves_with_its_own_tls_files(homes):
    proc = process(homes["community"], deployment())

    assert proc.argv[3:] == flags(homes["community"])
    assert proc.name == "chaincode-community-community"


def test_the_log_level_reaches_the_server(homes, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_CC_LOG_LEVEL", "DEBUG")

    assert process(homes["utility"], deployment()).env["GRIDLEDGER_CC_LOG_LEVEL"] == "DEBUG"


def test_a_deployment_record_round_trips_privately_in_its_home(homes):
    home, dep = homes["utility"], deployment()

    dep.save(home)

    assert dep.record(home) == home.chaincode / "community" / "server.json"
    assert json.loads(dep.record(home).read_text())["module"] == "chaincode.community"
    assert dep.record(home).stat().st_mode & 0o777 == 0o600
    assert deployed(home) == [dep]
    assert deployed(homes["community"]) == []
