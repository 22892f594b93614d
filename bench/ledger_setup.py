"""What the benchmark puts on the ledger before it measures: a tariff.

The benchmark looks at the consortium from outside, like the integration tests: it acts
as each org in turn, from that org's home, to have a tariff in force for the invoices it
times (the utility's operator proposes, the regulator's auditor approves).
"""

from __future__ import annotations

import json

from client import GatewayError
from gridspec.channels import COMMUNITY_CHAINCODE
from network.connect import gateway
from network.demo import TARIFF
from network.topology import REGULATOR, SUNNYSIDE_CHANNEL, UTILITY


def approved_tariff() -> None:
    """The demo's tariff proposed (operator) and approved (regulator); nothing if it is."""
    with gateway(REGULATOR, "auditor1") as gw:
        tariffs = gw.get_network(SUNNYSIDE_CHANNEL).get_contract(
            COMMUNITY_CHAINCODE, "TariffContract"
        )
        try:
            if (
                json.loads(tariffs.evaluate("GetTariff", args=(TARIFF["tariff_id"],)))["status"]
                == "approved"
            ):
                return
        except GatewayError as exc:
            if "chaincode response 404" not in str(exc):
                raise
            with gateway(UTILITY, "operator1") as proposer:
                contract = proposer.get_network(SUNNYSIDE_CHANNEL).get_contract(
                    COMMUNITY_CHAINCODE, "TariffContract"
                )
                contract.submit("ProposeTariff", args=(json.dumps(TARIFF),))
        tariffs.submit("ApproveTariff", args=(TARIFF["tariff_id"],))
