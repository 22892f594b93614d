"""The chaincode of the ``consortium`` channel.

Contracts: ``MemberContract`` (the member registry) and ``AggregateContract``
(k-anonymous per-community aggregates per interval). Tariffs are not here: each
community channel records its own regulator-approved tariff, which its billing reads
(see chaincode/community/tariffs.py for why).

``build_chaincode()`` is the factory tests and the server use; run the server with
``python -m chaincode.consortium --help``.
"""

from fabric_chaincode_python.fabric_contract_api import ContractChaincode

from .aggregates import AggregateContract
from .members import MemberContract

__all__ = ["AggregateContract", "MemberContract", "build_chaincode"]


def build_chaincode() -> ContractChaincode:
    """A fresh chaincode with every consortium contract."""
    return ContractChaincode.new_chaincode(MemberContract(), AggregateContract())
