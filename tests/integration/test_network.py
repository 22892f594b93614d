"""The consortium end to end, through real peers, orderers and chaincode servers."""

from __future__ import annotations

import json
import uuid

import pytest
from gridnet_cli import gridnet
from member_registry import ensure_registered, members, utility_seen_by

from client import CommitError
from network.connect import gateway
from network.home import local_homes
from network.procs import owned_pid
from network.topology import COMMUNITY, REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")


def test_submitted_transaction_commits_valid_and_reads_back_through_another_orgs_peer():
    ensure_registered()
    new_name = f"GridCo Distribution {uuid.uuid4().hex[:8]}"
    with gateway(UTILITY, "admin") as gw:
        transaction = members(gw).new_proposal("UpdateMember", args=(UTILITY.msp_id, new_name))
        endorsed = transaction.endorse()
        status = endorsed.submit().status()

    assert status.successful
    assert status.code_name == "VALID"
    record = utility_seen_by(REGULATOR, transaction.transaction_id)
    assert record["name"] == new_name
    assert record["tx_id"] == transaction.transaction_id


def test_too_few_endorsements_are_invalid_at_commit_and_change_nothing():
    ensure_registered()
    with gateway(UTILITY, "admin") as gw:
        before = json.loads(members(gw).evaluate("GetMember", args=(UTILITY.msp_id,)))
        with pytest.raises(CommitError) as failure:
            members(gw).submit(
                "UpdateMember",
                args=(UTILITY.msp_id, "a name only the utility endorsed"),
                endorsing_organizations=[UTILITY.msp_id],
            )

    assert failure.value.code_name == "ENDORSEMENT_POLICY_FAILURE"
    assert utility_seen_by(COMMUNITY, failure.value.transaction_id) == before


def running_pids() -> dict[str, int]:
    """Every live process of every org's home on this machine, by name."""
    files = [p for home in local_homes() for p in home.pids.glob("*.pid")]
    return {p.stem: pid for p in files if (pid := owned_pid(p))}


def test_down_then_up_keeps_the_ledger_and_stops_every_process():
    ensure_registered()
    with gateway(COMMUNITY, "admin") as gw:
        before = json.loads(members(gw).evaluate("GetMember", args=(UTILITY.msp_id,)))
    pids = running_pids()
    assert len(pids) >= 12, f"expected CAs, orderers, peers and chaincode servers, got {pids}"

    gridnet("down")
    alive = [name for name, pid in pids.items() if _alive(pid)]
    assert alive == [], f"still running after down: {alive}"

    gridnet("up")
    with gateway(COMMUNITY, "admin") as gw:
        after = json.loads(members(gw).evaluate("GetMember", args=(UTILITY.msp_id,)))
    assert after == before
    apis = [name for name in pids if name.startswith("api-")]
    for name in apis:
        gridnet("api", "--org", name.removeprefix("api-"))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return False
