"""The `make run` demo: every org registers itself on `consortium`, then an auditor reads back.

Each org's admin submits `RegisterMember` through its own peer's Gateway (endorsed
by a majority of orgs, ordered by the Raft cluster, committed VALID), and the
regulator's auditor reads the registry through the regulator's peer, which proves
the transactions reached every ledger. Registration is idempotent, so re-running
the demo shows the records committed the first time.
"""

from __future__ import annotations

import json

from network.bringup import status
from network.chaincodes import CONSORTIUM
from network.connect import gateway
from network.console import NetworkError, info, step
from network.paths import logs_dir
from network.topology import ORGS, REGULATOR

CONTRACT = "MemberContract"


def register_members() -> None:
    for org in ORGS:
        with gateway(org, "admin") as gw:
            contract = gw.get_network(CONSORTIUM.channel).get_contract(CONSORTIUM.name, CONTRACT)
            proposal = contract.new_proposal(
                "RegisterMember", args=(org.msp_id, org.display_name, org.kind)
            )
            transaction = proposal.endorse()
            outcome = transaction.submit().status()
        if not outcome.successful:
            raise NetworkError(
                f"{org.msp_id}: transaction {proposal.transaction_id} "
                f"was not committed: {outcome.code_name}"
            )
        record = json.loads(transaction.result)
        if record["tx_id"] == proposal.transaction_id:
            info(f"{org.msp_id}: registered, committed VALID in tx {record['tx_id']}")
        else:
            info(f"{org.msp_id}: already registered at {record['registered_at']}")


def read_back() -> list[dict]:
    with gateway(REGULATOR, "auditor1") as gw:
        contract = gw.get_network(CONSORTIUM.channel).get_contract(CONSORTIUM.name, CONTRACT)
        return list(json.loads(contract.evaluate("ListMembers")))


def run_demo() -> None:
    step("demo: each org's admin registers its org in the consortium's member registry")
    register_members()
    step("demo: the regulator's auditor reads the registry through the regulator's peer")
    for member in read_back():
        print(
            f"    {member['msp_id']:14} {member['kind']:10} {member['name']:32} "
            f"tx {member['tx_id'][:16]}…  by {member['registered_by']}"
        )
    step("what is running")
    status()
    info(f"logs: {logs_dir()}   ports: python -m network ports   stop: make down")
