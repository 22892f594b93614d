"""The chaincode of the ``consortium`` channel: member registry (more contracts to come).

``build_chaincode()`` is the factory tests and the server use; run the server with
``python -m chaincode.consortium --help``.
"""

from fabric_chaincode_python.fabric_contract_api import ContractChaincode

from .members import MemberContract

__all__ = ["MemberContract", "build_chaincode"]


def build_chaincode() -> ContractChaincode:
    """A fresh chaincode with every consortium contract."""
    return ContractChaincode.new_chaincode(MemberContract())
