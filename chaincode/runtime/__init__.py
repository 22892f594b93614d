"""Runtime shared by every GridLedger chaincode, around ``fabric-chaincode-python``.

- :mod:`.identity` — the caller (MSP id, certificate, CN, Fabric CA attributes) and
  the access checks ``require_role`` / ``require_msp``.
- :mod:`.state` — canonical JSON state, transaction time, events.
- :mod:`.private` — private data collections (values, hashes, purge, ranges), the
  transient map and key-level endorsement policies: the shim has none of them.
- :mod:`.errors` — the errors a chaincode raises; their messages reach the client.
- :mod:`.server` — ``serve()`` and the command line ``main()`` (chaincode-as-a-service),
  built on :mod:`.service` (serialised stream writes), :mod:`.handler` (the shim's
  handler, fixed) and :mod:`.logs`.
"""

from .errors import (
    AccessDenied,
    ChaincodeError,
    Conflict,
    IdentityError,
    NotFound,
    PeerError,
    StateError,
    ValidationError,
)
from .identity import Caller, caller, require_msp, require_role
from .private import (
    delete_private,
    get_key_endorsement,
    get_private,
    get_private_hash,
    get_private_json,
    get_private_many,
    list_private,
    list_private_json,
    purge_private,
    put_private,
    put_private_json,
    set_key_endorsement,
    signature_policy,
    transient,
)
from .state import (
    canonical_bytes,
    canonical_json,
    emit_event,
    get_json,
    list_json,
    prefix_range,
    put_json,
    tx_timestamp,
)

__all__ = [
    "AccessDenied",
    "Caller",
    "ChaincodeError",
    "Conflict",
    "IdentityError",
    "NotFound",
    "PeerError",
    "StateError",
    "ValidationError",
    "caller",
    "canonical_bytes",
    "canonical_json",
    "delete_private",
    "emit_event",
    "get_json",
    "get_key_endorsement",
    "get_private",
    "get_private_hash",
    "get_private_json",
    "get_private_many",
    "list_json",
    "list_private",
    "list_private_json",
    "prefix_range",
    "purge_private",
    "put_json",
    "put_private",
    "put_private_json",
    "require_msp",
    "require_role",
    "set_key_endorsement",
    "signature_policy",
    "transient",
    "tx_timestamp",
]
