"""Helpers the integration tests share for the consortium's member registry."""

from __future__ import annotations

import json

from client import Contract, Gateway, GatewayError
from gridspec.channels import CONSORTIUM_CHAINCODE, CONSORTIUM_CHANNEL
from network.connect import gateway
from network.topology import REGULATOR, UTILITY, Org


def members(gw: Gateway) -> Contract:
    return gw.get_network(CONSORTIUM_CHANNEL).get_contract(CONSORTIUM_CHAINCODE, "MemberContract")


def ensure_registered() -> None:
    """Register UtilityMSP unless an earlier run (or the demo) already did, under any name."""
    with gateway(UTILITY, "admin") as gw:
        try:
            members(gw).evaluate("GetMember", args=(UTILITY.msp_id,))
        except GatewayError as exc:
            assert "member UtilityMSP is not registered" in str(exc)
            members(gw).submit("RegisterMember", args=(UTILITY.msp_id, "GridCo", "utility"))


def utility_seen_by(peer_org: Org, *transaction_ids: str) -> dict:
    """UtilityMSP's record as `peer_org`'s peer has it, once it has committed the given txs."""
    with gateway(REGULATOR, "auditor1", peer_org=peer_org) as gw:
        network = gw.get_network(CONSORTIUM_CHANNEL)
        for transaction_id in transaction_ids:
            network.get_commit(transaction_id).status()
        return json.loads(members(gw).evaluate("GetMember", args=(UTILITY.msp_id,)))
