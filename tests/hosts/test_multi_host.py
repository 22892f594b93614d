"""A consortium across hosts: each org on its own host, as its own user, from its own home.

Four hosts, made by the test (`hosts.py`): the utility, Sunnyside and the regulator
found the consortium; a fourth, the community `riverside`, is admitted later. Every
host uses the same block of ports (7xxx): only its address tells the nodes apart, so
nothing can work by reaching 127.0.0.1 by mistake. Each org's every command runs in its
host's network namespace as its own Unix user, from its own 0700 home, and the orgs pass
each other only public files, through their folders of the exchange: the same
choreography `make run` uses on one machine (`network/local.py`, `network/membership.py`).

On those hosts: the Raft cluster forms, both channels are founded from exchanged
bundles, the chaincode is deployed, every org's API runs, the demo day runs through the
APIs (readings, auction, settlement, invoices, the regulator's verification), riverside
is admitted by signatures gathered from the members' separate homes, its chaincode is
deployed, and its household reads its own readings through riverside's own API.
"""

from __future__ import annotations

import json
import os
import pwd
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fabric_protos.common import common_pb2
from hosts import Host, Hosts

from client._protos import etcdraft_configuration_pb2, orderer_configuration_pb2
from client.bundles import MeterKeys
from client.configblock import config_of_block
from client.orgconfig import anchor_peers
from network import local, membership
from network.api_server import login, request, service_keys
from network.channelinfo import ChannelInfo
from network.demo import demo_day, run_demo
from network.home import OrgHome
from network.local import Consortium
from network.procs import owned_pid
from network.scenario import community, day_readings, signed_days
from network.topology import FOUNDING, ORDERER_OFFSET, PEER_OFFSET

ORGS = ("utility", "community", "regulator", "riverside")
PORT_BASE = 7000
TIMINGS: dict[str, float] = {}


def timed(name: str, started: float) -> None:
    TIMINGS[name] = round(time.monotonic() - started, 1)
    print(f"multi-host: {name} took {TIMINGS[name]}s")


@pytest.fixture(scope="module")
def hosts() -> Iterator[dict[str, Host]]:
    made = Hosts(Path(tempfile.mkdtemp(prefix="gridledger-hosts-")), ORGS)
    try:
        yield made.open().hosts
    finally:
        consortium = Consortium(
            made.base / "homes",
            made.base / "exchange",
            {org: host.runner() for org, host in made.hosts.items()},
        )
        for key in consortium.org_keys():
            consortium.run(key, "down", check=False)
        made.close()


@pytest.fixture(scope="module")
def consortium(hosts: dict[str, Host]) -> Consortium:
    """Founded, deployed, the APIs up, the demo day run, riverside admitted."""
    base = next(iter(hosts.values())).home.parent.parent
    found = Consortium(
        base / "homes", base / "exchange", {org: host.runner() for org, host in hosts.items()}
    )
    started = time.monotonic()
    for org in FOUNDING:
        address = hosts[org.key].address
        found.run(org.key, "init", "--host", address, "--port-base", str(PORT_BASE))
    local.found(found)
    timed("founding (3 hosts: CAs, orderers, peers, both channels)", started)
    started = time.monotonic()
    local.deploy_all(found)
    local.start_apis(found)
    timed("chaincode on both channels and the three APIs", started)
    started = time.monotonic()
    run_demo(found)
    timed("the demo day through the APIs", started)
    started = time.monotonic()
    found.run("riverside", "init", "--host", hosts["riverside"].address,
              "--port-base", str(PORT_BASE))  # fmt: skip
    membership.admit(found, "riverside", "utility")
    timed("admitting riverside (its share, signatures, channel, chaincode, API)", started)
    return found


def home(consortium: Consortium, key: str) -> OrgHome:
    return consortium.home(key)


def test_nodes_advertise_their_hosts_address_and_the_raft_cluster_spans_the_hosts(
    consortium: Consortium, hosts: dict[str, Host]
) -> None:
    block = consortium.channel_block("utility", "consortium").read_bytes()
    info = ChannelInfo.from_block(block)
    founders = [org.key for org in FOUNDING]
    assert sorted(o.address for o in info.orderers) == sorted(
        f"{hosts[key].address}:{PORT_BASE + ORDERER_OFFSET}" for key in founders
    )
    config = config_of_block(common_pb2.Block.FromString(block))
    raft = {c.host for c in consenters(config)}
    assert raft == {hosts[key].address for key in founders}
    for org in FOUNDING:
        assert anchor_peers(config, org.msp_id) == [
            (hosts[org.key].address, PORT_BASE + PEER_OFFSET)
        ]


def consenters(config: Any) -> list[Any]:
    orderer = config.channel_group.groups["Orderer"]
    kind = orderer_configuration_pb2.ConsensusType.FromString(orderer.values["ConsensusType"].value)
    return list(etcdraft_configuration_pb2.ConfigMetadata.FromString(kind.metadata).consenters)


def test_every_org_runs_as_its_own_user_in_its_own_hosts_namespace(
    consortium: Consortium, hosts: dict[str, Host]
) -> None:
    for key in ORGS:
        host = hosts[key]
        own_net = os.stat(f"/run/netns/{host.namespace}").st_ino
        uid = pwd.getpwnam(host.user).pw_uid
        pids = [owned_pid(p) for p in home(consortium, key).pids.glob("*.pid")]
        assert len([p for p in pids if p]) >= 6, (key, pids)  # CA, orderer, peer, 2 cc, API
        for pid in filter(None, pids):
            status = Path(f"/proc/{pid}/status").read_text()
            real_uid = int(
                next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1]
            )
            assert real_uid == uid, (key, pid)
            assert os.stat(f"/proc/{pid}/ns/net").st_ino == own_net, (key, pid)


def test_an_org_cannot_read_another_orgs_keys(
    consortium: Consortium, hosts: dict[str, Host]
) -> None:
    utility_key = home(consortium, "utility").identity_msp("admin") / "keystore" / "key_sk"
    own_key = home(consortium, "community").identity_msp("admin") / "keystore" / "key_sk"
    theirs = hosts["community"].run_python(f"open({str(utility_key)!r}).read()")
    assert theirs.returncode == 1
    assert "PermissionError" in theirs.stderr
    mine = hosts["community"].run_python(f"print(len(open({str(own_key)!r}).read()))")
    assert mine.returncode == 0 and int(mine.stdout) > 100
    for key in ORGS:
        assert (home(consortium, key).path.stat().st_mode & 0o777) == 0o700


def test_no_secret_is_on_a_command_line_or_in_a_log(consortium: Consortium) -> None:
    secrets = {
        path.read_text().strip()
        for key in ORGS
        for path in home(consortium, key).secrets.iterdir()
        if path.is_file() and not path.name.endswith(".json")
    }
    assert len(secrets) > 20
    for key in ORGS:
        org_home = home(consortium, key)
        for pid_file in org_home.pids.glob("*.pid"):
            pid = owned_pid(pid_file)
            if pid:
                line = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                assert not [s for s in secrets if s in line], pid_file.stem
        for log in org_home.logs.glob("*.log"):
            text = log.read_text(errors="replace")
            assert not [s for s in secrets if s in text], log


def test_only_public_files_crossed_between_the_orgs(
    consortium: Consortium, hosts: dict[str, Host]
) -> None:
    crossed = sorted(p for p in consortium.exchange.rglob("*") if p.is_file())
    names = {p.relative_to(consortium.exchange).as_posix() for p in crossed}
    for key in ORGS:
        assert f"{key}/{key}.bundle.json" in names
    published = {
        "utility/consortium.block",
        "utility/community-sunnyside.block",
        "utility/community-riverside.block",
        "utility/admit-riverside.proposal.json",
    }
    assert published <= names
    signatures = [p for p in crossed if p.name.endswith(".signature.json")]
    assert signatures, names
    for signature in signatures:  # each made by its own org's user, at its own home
        org = signature.parent.name
        assert signature.stat().st_uid == pwd.getpwnam(hosts[org].user).pw_uid
        assert json.loads(signature.read_text())["msp_id"] in signature.name
    for path in crossed:
        assert b"PRIVATE KEY" not in path.read_bytes(), path


def test_the_demo_day_ran_across_the_hosts(consortium: Consortium) -> None:
    utility = home(consortium, "utility")
    key = {"X_API_Key": service_keys(utility)["billing1"]}
    day = demo_day()
    window = f"start={day}T00:00:00Z&end={day + timedelta(days=1)}T00:00:00Z&per_page=100"
    trades = request(utility, "GET", f"/communities/sunnyside/trades?{window}", **key)["items"]
    assert trades and {t["status"] for t in trades} <= {
        "delivered",
        "partially_delivered",
        "settled",
    }
    regulator = home(consortium, "regulator")
    token = {"Authorization": f"Bearer {login(regulator, 'auditor1')}"}
    members = request(regulator, "GET", "/members?per_page=100", **token)["items"]
    statuses = {m["msp_id"]: m["status"] for m in members}
    assert statuses == {
        "UtilityMSP": "active",
        "CommunityMSP": "active",
        "RegulatorMSP": "active",
        "RiversideMSP": "active",
    }


def test_the_admitted_orgs_household_reads_its_own_readings_at_its_own_api(
    consortium: Consortium,
) -> None:
    utility, riverside = home(consortium, "utility"), home(consortium, "riverside")
    household = replace(community()[2], household_id="h-riverside-001", meter_id="m-river-1")
    keys = MeterKeys(utility.meter_keys)  # the device keys the utility's head-end keeps
    operator = {"Authorization": f"Bearer {login(utility, 'operator1')}"}
    meter = {
        "meter_id": household.meter_id,
        "household_id": household.household_id,
        "feeder": household.feeder,
        "device_public_key": keys.public_pem(household.meter_id),
    }
    request(utility, "POST", "/communities/riverside/meters", meter, **operator)
    readings = day_readings(household, date(2026, 4, 1))[:8]
    headend = {"X_API_Key": service_keys(utility)["headend1"]}
    bundles = {"bundles": [b.wire() for b in signed_days(keys, household, readings)]}
    stored = request(utility, "POST", "/communities/riverside/readings", bundles, **headend)
    assert (stored["stored"], stored["duplicates"]) == (8, 0)
    assert stored["meter_days"] == [{"meter_id": household.meter_id, "day": "2026-04-01"}]

    token = {"Authorization": f"Bearer {login(riverside, 'household1')}"}
    query = "start=2026-04-01T00:00:00Z&end=2026-04-02T00:00:00Z"
    path = f"/communities/riverside/households/{household.household_id}/readings?{query}"
    items = request(riverside, "GET", path, **token)["items"]
    assert [r["import_wh"] for r in items] == [r["import_wh"] for r in readings]
    assert request(riverside, "GET", "/communities", **token)["communities"] == ["riverside"]
    print(f"multi-host timings: {json.dumps(TIMINGS)}")
