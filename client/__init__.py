"""GridLedger's Fabric Gateway client: Gateway → Network → Contract → Proposal →
Transaction → Commit, over the peers' Gateway gRPC service."""

from .commit import Commit, Status
from .contract import Contract
from .errors import (
    CommitError,
    CommitStatusError,
    EndorseError,
    ErrorDetail,
    GatewayError,
    SubmitError,
)
from .gateway import Gateway, connect
from .identity import Identity, Sign, load_identity, load_private_key, new_private_key_signer
from .network import Network
from .proposal import Proposal
from .signing import digest
from .transaction import Transaction

__all__ = [
    "Commit",
    "CommitError",
    "CommitStatusError",
    "Contract",
    "EndorseError",
    "ErrorDetail",
    "Gateway",
    "GatewayError",
    "Identity",
    "Network",
    "Proposal",
    "Sign",
    "Status",
    "SubmitError",
    "Transaction",
    "connect",
    "digest",
    "load_identity",
    "load_private_key",
    "new_private_key_signer",
]
