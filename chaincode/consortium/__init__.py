"""The chaincode of the ``consortium`` channel.

Contracts: ``MemberContract`` (the member registry), ``AggregateContract``
(k-anonymous per-community aggregates per interval) and ``FundingContract`` (households'
pledges for shared grid infrastructure, held in escrow until a milestone is approved).
Tariffs are not here: each community channel records its own regulator-approved
tariff, which its billing reads (see chaincode/community/tariffs.py for why).

``build_chaincode()`` is the factory tests and the server use; run the server with
``python -m chaincode.consortium --help``.
"""

from fabric_chaincode_python.fabric_contract_api import ContractChaincode

from .aggregates import AggregateContract
from .funding import FundingContract
from .members import MemberContract

__all__ = ["AggregateContract", "FundingContract", "MemberContract", "build_chaincode"]


def build_chaincode() -> ContractChaincode:
    """A fresh chaincode with every consortium contract."""
    return ContractChaincode.new_chaincode(MemberContract(), AggregateContract(), FundingContract())
