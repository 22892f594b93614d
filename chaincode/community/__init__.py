"""The chaincode of the ``community-<name>`` channels.

Contracts: ``GridEventContract`` (the append-only grid event log); meters and
readings, consent, the P2P market and billing join it as they are built. Access is
decided by one role table, :mod:`.access`; private data lives in the collections of
:mod:`.collections`. Run the server with ``python -m chaincode.community --help``.
"""

from fabric_chaincode_python.fabric_contract_api import ContractChaincode

from .events import GridEventContract

__all__ = ["GridEventContract", "build_chaincode"]


def build_chaincode() -> ContractChaincode:
    """A fresh chaincode with every community contract."""
    return ContractChaincode.new_chaincode(GridEventContract())
