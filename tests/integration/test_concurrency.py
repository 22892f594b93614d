"""Many transactions at once through one chaincode server stream (the shim's weak spot)."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from member_registry import ensure_registered, members, utility_seen_by

from network.connect import gateway
from network.topology import REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")


def test_two_hundred_concurrent_evaluations_all_answer_the_same():
    ensure_registered()
    with gateway(REGULATOR, "auditor1") as gw, ThreadPoolExecutor(max_workers=32) as pool:
        contract = members(gw)
        answers = list(pool.map(lambda _: contract.evaluate("ListMembers"), range(200)))

    registry = json.loads(answers[0])
    assert "UtilityMSP" in {m["msp_id"] for m in registry}
    assert all(answer == answers[0] for answer in answers)


def test_concurrent_renames_commit_or_conflict_and_the_ledger_keeps_a_winner():
    ensure_registered()
    names = [f"GridCo {uuid.uuid4().hex[:6]} #{i}" for i in range(8)]
    with gateway(UTILITY, "admin") as gw, ThreadPoolExecutor(max_workers=len(names)) as pool:
        contract = members(gw)

        def rename(name: str) -> tuple[str, str, str]:
            proposal = contract.new_proposal("UpdateMember", args=(UTILITY.msp_id, name))
            status = proposal.endorse().submit().status()
            return name, proposal.transaction_id, status.code_name

        outcomes = list(pool.map(rename, names))

    codes = {code for _, _, code in outcomes}
    winners = [name for name, _, code in outcomes if code == "VALID"]
    assert codes <= {"VALID", "MVCC_READ_CONFLICT"}, outcomes
    assert winners, outcomes
    record = utility_seen_by(REGULATOR, *(tx for _, tx, _ in outcomes))
    assert record["name"] in winners
