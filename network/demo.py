"""The `make run` demo: every org registers itself on `consortium`, then an auditor reads back.

Each org's admin submits `RegisterMember` through its own peer's Gateway (endorsed
by a majority of orgs, ordered by the Raft cluster, committed VALID), and the
regulator's auditor reads the registry through the regulator's peer, which proves
the transactions reached every ledger. Registration is idempotent: a re-run commits
only what differs from network/topology.py and shows the records already there.
"""

from __future__ import annotations

import json

from client import Contract, GatewayError
from network.bringup import status
from network.chaincodes import CONSORTIUM
from network.community_demo import run_community_day
from network.connect import gateway
from network.console import NetworkError, info, step
from network.paths import logs_dir
from network.topology import ORGS, REGULATOR

CONTRACT = "MemberContract"


def commit(contract: Contract, function: str, *args: str) -> str:
    """Submit `function`, wait for its commit and return its transaction id."""
    proposal = contract.new_proposal(function, args=args)
    transaction = proposal.endorse()
    outcome = transaction.submit().status()
    if not outcome.successful:
        raise NetworkError(
            f"{function} in transaction {proposal.transaction_id} was not committed: "
            f"{outcome.code_name}"
        )
    return proposal.transaction_id


def current_record(contract: Contract, msp_id: str) -> dict | None:
    try:
        return json.loads(contract.evaluate("GetMember", args=(msp_id,)))
    except GatewayError as exc:
        if f"member {msp_id} is not registered" in str(exc):
            return None
        raise


def register_members() -> list[str]:
    """Register every org under its name in network/topology.py, or bring its name back to it.

    Returns the ids of the transactions committed.
    """
    committed = []
    for org in ORGS:
        with gateway(org, "admin") as gw:
            contract = gw.get_network(CONSORTIUM.channel).get_contract(CONSORTIUM.name, CONTRACT)
            record = current_record(contract, org.msp_id)
            if record is None:
                tx_id = commit(contract, "RegisterMember", org.msp_id, org.display_name, org.kind)
                committed.append(tx_id)
                info(f"{org.msp_id}: registered, committed VALID in tx {tx_id}")
            elif record["name"] != org.display_name:
                tx_id = commit(contract, "UpdateMember", org.msp_id, org.display_name)
                committed.append(tx_id)
                info(f"{org.msp_id}: name restored, committed VALID in tx {tx_id}")
            else:
                info(f"{org.msp_id}: already registered at {record['registered_at']}")
    return committed


def read_back(committed: list[str]) -> list[dict]:
    """The registry as the regulator's peer has it, once it has committed `committed` too."""
    with gateway(REGULATOR, "auditor1") as gw:
        network = gw.get_network(CONSORTIUM.channel)
        for tx_id in committed:
            network.get_commit(tx_id).status()
        return list(
            json.loads(network.get_contract(CONSORTIUM.name, CONTRACT).evaluate("ListMembers"))
        )


def run_demo() -> None:
    step("demo: each org's admin registers its org in the consortium's member registry")
    committed = register_members()
    step("demo: the regulator's auditor reads the registry through the regulator's peer")
    for member in read_back(committed):
        print(
            f"    {member['msp_id']:14} {member['kind']:10} {member['name']:32} "
            f"tx {member['tx_id'][:16]}…  by {member['registered_by']}"
        )
    run_community_day()
    step("what is running")
    status()
    info(f"logs: {logs_dir()}   ports: python -m network ports   stop: make down")
