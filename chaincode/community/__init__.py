"""The chaincode of the ``community-<name>`` channels.

Contracts: ``MeterContract`` (meter registry, signed readings in a private
collection, reading queries, hashes and erasure), ``ConsentContract`` (households'
consents to third parties), ``GridEventContract`` (the append-only grid event log);
the P2P market and billing join them as they are built. Access is decided by one
role table, :mod:`.access`; private data lives in the collections of
:mod:`.collections`. Run the server with ``python -m chaincode.community --help``.
"""

from fabric_chaincode_python.fabric_contract_api import ContractChaincode

from .consent import ConsentContract
from .events import GridEventContract
from .meters import MeterContract

__all__ = ["ConsentContract", "GridEventContract", "MeterContract", "build_chaincode"]


def build_chaincode() -> ContractChaincode:
    """A fresh chaincode with every community contract."""
    return ContractChaincode.new_chaincode(MeterContract(), ConsentContract(), GridEventContract())
