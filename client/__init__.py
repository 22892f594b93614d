"""GridLedger's Fabric Gateway client: Gateway → Network → Contract → Proposal →
Transaction → Commit, over the peers' Gateway gRPC service, with chaincode events
(`Network.chaincode_events`), safe retries (`RetryPolicy`) and the same over `grpc.aio`
(`AsyncGateway`); and blocks, with the private data the caller may read, from the
peers' Deliver service (`deliver_blocks`), and the audit of a channel's blocks (`verify_chain`,
`config_history`, `key_history`); and channel config updates on Fabric's own messages: the
current config (`latest_config`), edits (`org_group`, `add_application_org`, ...), the update
(`compute_update`), who must sign it (`requirements`), the admins' signatures
(`config_signature`, `with_signatures`) and its submission to an orderer (`broadcast`)."""

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
from .broadcast import BroadcastError, broadcast
from .ca import CAClient, CAError, CAErrorDetail, Enrollment, certificate_attributes
from .commit import Commit, Status
from .configblock import ConfigBlock, config_of_block, latest_config
from .configpolicy import Requirement, orderers_unable_to_write, requirements, satisfied
from .configupdate import (
    compute_update,
    config_signature,
    config_signature_from,
    read_update_envelope,
    signature_digest,
    signature_header,
    signed_for_submission,
    signers,
    update_envelope,
    with_signatures,
)
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
from .orgconfig import (
    add_application_org,
    anchor_peers,
    application_msps,
    batch_timeout,
    orderer_msps,
    org_group,
    remove_org,
    revocation_list,
    set_anchor_peers,
    set_batch_timeout,
    set_revocation_list,
)
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
    "BroadcastError",
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
    "ConfigBlock",
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
    "Requirement",
    "RetryPolicy",
    "Sign",
    "Status",
    "SubmitError",
    "Transaction",
    "WalletEntry",
    "WalletError",
    "add_application_org",
    "anchor_peers",
    "application_msps",
    "batch_timeout",
    "block_data_hash",
    "block_header_hash",
    "broadcast",
    "certificate_attributes",
    "certificate_hash",
    "compute_update",
    "config_history",
    "config_of_block",
    "config_signature",
    "config_signature_from",
    "connect",
    "connect_async",
    "deliver_blocks",
    "digest",
    "fetch_channel",
    "find_private_writes",
    "key_history",
    "latest_config",
    "load_identity",
    "load_private_key",
    "new_private_key_signer",
    "newest_block_number",
    "orderer_msps",
    "orderers_unable_to_write",
    "org_group",
    "read_update_envelope",
    "remove_org",
    "requirements",
    "revocation_list",
    "satisfied",
    "set_anchor_peers",
    "set_batch_timeout",
    "set_revocation_list",
    "signature_digest",
    "signature_header",
    "signed_for_submission",
    "signers",
    "update_envelope",
    "verify_chain",
    "with_signatures",
]
