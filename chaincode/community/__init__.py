"""The chaincode of the ``community-<name>`` channels.

Contracts: ``MeterContract`` (meter registry and erasure), ``ReadingContract``
(signed meter-day bundles in a private collection, reading queries, disclosures
with Merkle proofs, retention), ``ConsentContract`` (households'
consents to third parties), ``TariffContract`` (time-of-use tariffs approved by the
regulator), ``MarketContract`` (sealed orders, clearing, settlement), ``AgentContract``
(households' delegations to bidding agents),
``BillingContract`` (invoices),
``GridEventContract`` (the append-only log of grid incidents),
``DemandResponseContract`` (OpenADR 3 events and every revision of them), ``AccessContract`` (the
record every read of a household's data by someone else leaves, :mod:`.access_records`)
and ``KeySaltContract`` (the salt that keys private-data names, :mod:`.keyed`). Access
is decided by the role table of :mod:`gridspec.roles`, enforced by
:mod:`chaincode.access`; private data lives in the collections of :mod:`gridspec.collections`.
Run the server with ``python -m chaincode.community --help``.
"""

from fabric_chaincode_python.fabric_contract_api import ContractChaincode

from .accesses import AccessContract
from .agents import AgentContract
from .billing import BillingContract
from .certificates import CertificateContract
from .consent import ConsentContract
from .demand_response import DemandResponseContract
from .events import GridEventContract
from .keyed import KeySaltContract
from .market import MarketContract
from .meters import MeterContract
from .readings import ReadingContract
from .tariffs import TariffContract

__all__ = [
    "AccessContract",
    "AgentContract",
    "BillingContract",
    "CertificateContract",
    "ConsentContract",
    "DemandResponseContract",
    "GridEventContract",
    "KeySaltContract",
    "MarketContract",
    "MeterContract",
    "ReadingContract",
    "TariffContract",
    "build_chaincode",
]


def build_chaincode() -> ContractChaincode:
    """A fresh chaincode with every community contract."""
    return ContractChaincode.new_chaincode(
        MeterContract(),
        ReadingContract(),
        ConsentContract(),
        TariffContract(),
        MarketContract(),
        AgentContract(),
        BillingContract(),
        GridEventContract(),
        DemandResponseContract(),
        AccessContract(),
        CertificateContract(),
        KeySaltContract(),
    )
