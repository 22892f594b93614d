"""GridLedger's Fabric Gateway client: Gateway → Network → Contract → Proposal →
Transaction → Commit, over the peers' Gateway gRPC service, with chaincode events
(`Network.chaincode_events`), safe retries (`RetryPolicy`) and the same over `grpc.aio`
(`AsyncGateway`); and blocks, with the private data the caller may read, from the
peers' Deliver service (`deliver_blocks`), and the audit of a channel's blocks (`verify_chain`,
`config_history`, `key_history`)."""

from .aio import (
    AsyncChaincodeEvents,
    AsyncChaincodeEventsRequest,
    AsyncCommit,
    AsyncContract,
    AsyncGateway,
    AsyncNetwork,
    AsyncProposal,
    AsyncTransaction,
    connect_async,
)
from .audit import (
    ChainBreak,
    ChainReport,
    ConfigChange,
    ConfigDelta,
    KeyWrite,
    block_data_hash,
    block_header_hash,
    config_history,
    fetch_channel,
    key_history,
    newest_block_number,
    verify_chain,
)
from .ca import CAClient, CAError, CAErrorDetail, Enrollment, certificate_attributes
from .commit import Commit, Status
from .contract import Contract
from .deliver import DeliverRequest, certificate_hash, deliver_blocks, find_private_writes
from .errors import (
    ChaincodeEventsError,
    CommitError,
    CommitStatusError,
    DeliverError,
    EndorseError,
    ErrorDetail,
    GatewayError,
    SubmitError,
)
from .events import ChaincodeEvent, ChaincodeEvents, ChaincodeEventsRequest
from .gateway import Gateway, connect
from .identity import Identity, Sign, load_identity, load_private_key, new_private_key_signer
from .network import Network
from .proposal import Proposal
from .retry import RetryPolicy
from .signing import digest
from .transaction import Transaction
from .wallet import FileWallet, WalletEntry, WalletError

__all__ = [
    "AsyncChaincodeEvents",
    "AsyncChaincodeEventsRequest",
    "AsyncCommit",
    "AsyncContract",
    "AsyncGateway",
    "AsyncNetwork",
    "AsyncProposal",
    "AsyncTransaction",
    "CAClient",
    "CAError",
    "CAErrorDetail",
    "ChainBreak",
    "ChainReport",
    "ChaincodeEvent",
    "ChaincodeEvents",
    "ChaincodeEventsError",
    "ChaincodeEventsRequest",
    "Commit",
    "CommitError",
    "CommitStatusError",
    "ConfigChange",
    "ConfigDelta",
    "Contract",
    "DeliverError",
    "DeliverRequest",
    "EndorseError",
    "Enrollment",
    "ErrorDetail",
    "FileWallet",
    "Gateway",
    "GatewayError",
    "Identity",
    "KeyWrite",
    "Network",
    "Proposal",
    "RetryPolicy",
    "Sign",
    "Status",
    "SubmitError",
    "Transaction",
    "WalletEntry",
    "WalletError",
    "block_data_hash",
    "block_header_hash",
    "certificate_attributes",
    "certificate_hash",
    "config_history",
    "connect",
    "connect_async",
    "deliver_blocks",
    "digest",
    "fetch_channel",
    "find_private_writes",
    "key_history",
    "load_identity",
    "load_private_key",
    "new_private_key_signer",
    "newest_block_number",
    "verify_chain",
]
