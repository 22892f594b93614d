"""The consortium in containers: each org's share a compose project, on one container network.

The images are built here (`python -m network images --local`: Fabric's own from the
pinned binaries, GridLedger's on top, as docker/ builds them on the official ones).
The utility, Sunnyside and the regulator each run docker/compose.yaml as their own
project, with their own address on a podman network the test creates, all on the same
block of ports: only the address tells them apart. Each org's operator tool runs in
its admin container, as the uid that owns its home, and the orgs pass each other only
public files through the exchange: the same choreography as `make run`
(`network/local.py`). On those containers the Raft cluster forms, both channels are
founded, the chaincode is deployed, the APIs start and the demo day runs; then the
community's peer is killed, its restart policy brings it back, and nothing is lost.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pods import PORT_BASE, Pod, Pods, sh

from network import admin, local, membership
from network.api_server import login, request, service_keys
from network.channelinfo import ChannelInfo
from network.demo import demo_day, run_demo
from network.home import OrgHome
from network.images import gridledger
from network.local import Consortium
from network.procs import wait_until
from network.topology import FOUNDING, ORDERER_OFFSET

ORGS = tuple(org.key for org in FOUNDING)
SERVICES = ("admin", "ca", "orderer", "peer", "chaincode-consortium", "chaincode-community", "api")
HEALTH_CHECKED = ("ca", "orderer", "peer", "api")
TIMINGS: dict[str, float] = {}
# every file under /opt/gridledger (what GridLedger adds to an image) holding a PEM block
PEM_SCAN = """
import pathlib, re
pem = re.compile(rb"-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----\\s+[A-Za-z0-9+/=]{64}")
for path in pathlib.Path("/opt/gridledger").rglob("*"):
    if path.is_file() and pem.search(path.read_bytes()):
        print(path)
"""


def timed(name: str, started: float) -> None:
    TIMINGS[name] = round(time.monotonic() - started, 1)
    print(f"containers: {name} took {TIMINGS[name]}s")


@pytest.fixture(scope="module")
def pods() -> Iterator[Pods]:
    started = time.monotonic()
    made = Pods(Path(tempfile.mkdtemp(prefix="gridledger-pods-")), ORGS)
    try:
        made.open()
        timed("images and three compose projects", started)
        yield made
    finally:
        made.close()
        leftover = sh("podman", "ps", "-a", "--format", "{{.Names}}", check=False)
        networks = sh("podman", "network", "ls", "--format", "{{.Name}}", check=False)
        print(f"containers: timings {json.dumps(TIMINGS)}")
        assert not [n for n in leftover.split() if n.startswith("gridledger-")], leftover
        assert made.network not in networks.split()


@pytest.fixture(scope="module")
def consortium(pods: Pods) -> Consortium:
    """Founded, deployed, the APIs up and the demo day run, every step in containers."""
    found = pods.consortium()
    started = time.monotonic()
    local.found(found)
    timed("founding (CAs, orderers, peers, both channels)", started)
    started = time.monotonic()
    local.deploy_all(found)
    local.start_apis(found)
    timed("chaincode on both channels and the three APIs", started)
    started = time.monotonic()
    run_demo(found)
    timed("the demo day through the APIs", started)
    started = time.monotonic()
    found.runners["riverside"] = pods.add("riverside").runner()
    membership.admit(found, "riverside", "utility")
    timed("admitting riverside (its project, signatures, channel, chaincode, API)", started)
    return found


def test_every_service_runs_in_its_own_container_as_the_homes_owner(
    consortium: Consortium, pods: Pods
) -> None:
    for org, pod in pods.pods.items():
        owner = pod.home.stat()
        for service in SERVICES:
            found = pod.inspect(service)
            assert found["State"]["Status"] == "running", (org, service)
            assert found["Config"]["User"] == f"{owner.st_uid}:{owner.st_gid}", (org, service)
            mounts = {m["Source"] for m in found["Mounts"]}
            wanted = {str(pod.home)} | ({str(pods.exchange)} if service == "admin" else set())
            assert mounts == wanted, (org, service, mounts)
        for service in HEALTH_CHECKED:
            assert pod.healthy(service), (org, service, pod.health_log(service))
        report = consortium.run(org, "status")  # the operator's view, from its admin container
        assert report.count(" OK") == 4 and report.count(" running") == 2, report


@pytest.mark.parametrize("image", ["chaincode", "api", "admin", "peer", "orderer", "ca"])
def test_gridledgers_images_run_as_no_one_in_particular_and_carry_no_key(pods: Pods, image):
    name = gridledger(image)
    user = json.loads(sh("podman", "image", "inspect", name))[0]["Config"]["User"]
    assert user == "10001:10001"
    found = sh(  # as root: a key no one but root could read would be found too
        "podman", "run", "--rm", "--user", "0", "--entrypoint", "python3", name, "-c", PEM_SCAN
    )
    assert found.strip() == "", found


def test_the_nodes_advertise_their_containers_address(consortium: Consortium, pods: Pods) -> None:
    block = consortium.channel_block("utility", "consortium").read_bytes()
    orderers = sorted(o.address for o in ChannelInfo.from_block(block).orderers)
    wanted = [f"{pods.pods[key].address}:{PORT_BASE + ORDERER_OFFSET}" for key in ORGS]
    assert orderers == sorted(wanted)


def test_no_secret_is_in_a_launch_file_a_container_command_or_a_log(
    consortium: Consortium, pods: Pods
) -> None:
    secrets = {
        path.read_text().strip()
        for pod in pods.pods.values()
        for path in OrgHome(pod.home).secrets.iterdir()
        if path.is_file() and not path.name.endswith(".json")
    }
    assert len(secrets) > 15
    for pod in pods.pods.values():
        for launch in (pod.home / "launch").glob("*.json"):
            assert not [s for s in secrets if s in launch.read_text()], launch
        for service in SERVICES:
            found = pod.inspect(service)
            command = " ".join([*found["Config"]["Cmd"], *found["Config"].get("Env", [])])
            assert not [s for s in secrets if s in command], (pod.org, service)
            logs = sh("podman", "logs", pod.container(service), check=False)
            assert not [s for s in secrets if s in logs], (pod.org, service)


def test_the_demo_day_ran_in_the_containers(consortium: Consortium) -> None:
    utility = consortium.home("utility")
    key = {"X_API_Key": service_keys(utility)["billing1"]}
    day = demo_day()
    window = f"start={day}T00:00:00Z&end={day + timedelta(days=1)}T00:00:00Z&per_page=100"
    trades = request(utility, "GET", f"/communities/sunnyside/trades?{window}", **key)["items"]
    assert trades and {t["status"] for t in trades} <= {
        "delivered",
        "partially_delivered",
        "settled",
    }


def test_the_admitted_community_runs_in_its_own_project_and_the_members_see_it(
    consortium: Consortium, pods: Pods
) -> None:
    riverside, regulator = consortium.home("riverside"), consortium.home("regulator")
    token = {"Authorization": f"Bearer {login(riverside, 'household1')}"}
    assert request(riverside, "GET", "/communities", **token)["communities"] == ["riverside"]
    auditor = {"Authorization": f"Bearer {login(regulator, 'auditor1')}"}
    members = request(regulator, "GET", "/members?per_page=100", **auditor)["items"]
    assert {m["msp_id"]: m["status"] for m in members}["RiversideMSP"] == "active"
    assert pods.pods["riverside"].inspect("peer")["State"]["Status"] == "running"


def test_a_killed_peer_is_restarted_by_its_policy_and_nothing_is_lost(
    consortium: Consortium, pods: Pods
) -> None:
    community, utility = consortium.home("community"), consortium.home("utility")
    readings = household_readings(community)
    assert readings, "the demo day stored h-001's readings"
    pod = pods.pods["community"]
    before = pod.inspect("peer")
    height = chain_height(community)
    sh("kill", "-KILL", str(before["State"]["Pid"]))
    restarted = wait_until(
        lambda: restarted_and_healthy(pod, before["RestartCount"]), "the peer's restart", 120
    )
    assert restarted["State"]["Pid"] != before["State"]["Pid"]
    wait_until(lambda: chain_height(community) >= height, "the restarted peer's chain", 60)
    assert household_readings(community) == readings
    operator = {"Authorization": f"Bearer {login(utility, 'operator1')}"}
    event = {
        "event_id": f"restart-{int(time.time())}",
        "event_type": "OUTAGE",
        "feeder": "F1",
        "start": "2026-04-01T10:00:00Z",
    }
    made = wait_until(  # endorsed by the community's peer too: it serves again
        lambda: request(utility, "POST", "/communities/sunnyside/grid-events", event, **operator),
        "a new event",
        60,
    )
    assert made["event_id"] == event["event_id"]
    homes = [consortium.home(key) for key in ORGS]
    wait_until(  # the restarted peer has the new block, and every peer the same chain
        lambda: len({chain_head(h) for h in homes}) == 1 and chain_height(community) > height,
        "every peer on one head with the new event",
        60,
    )


def restarted_and_healthy(pod: Pod, restarts: int) -> dict[str, Any] | None:
    found = pod.inspect("peer")
    if found["RestartCount"] > restarts and pod.healthy("peer"):
        return found
    return None


def chain_info(home: OrgHome) -> dict[str, Any]:
    """`peer channel getinfo` of the org's peer on the community channel."""
    out = admin.peer(home, "channel", "getinfo", "-c", "community-sunnyside", what="getinfo")
    return dict(json.loads(out[out.index("{") :]))


def chain_height(home: OrgHome) -> int:
    return int(chain_info(home)["height"])


def chain_head(home: OrgHome) -> tuple[int, str]:
    found = chain_info(home)
    return int(found["height"]), str(found["currentBlockHash"])


def household_readings(community: OrgHome) -> list[dict[str, Any]]:
    day = demo_day()
    token = {"Authorization": f"Bearer {login(community, 'household1')}"}
    query = f"start={day}T00:00:00Z&end={day + timedelta(days=1)}T00:00:00Z&per_page=100"
    path = f"/communities/sunnyside/households/h-001/readings?{query}"
    return list(request(community, "GET", path, **token)["items"])
