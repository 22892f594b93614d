"""Errors a GridLedger chaincode raises.

The message of each error is what the client sees (the Contract API turns a
raised exception into a status-500 response carrying ``str(error)``), so every
message is lowercase, precise and names the id it is about.

    ChaincodeError
    ├── ValidationError   an argument is malformed       ("member kind 'bank' is not ...")
    ├── AccessDenied      the caller's role or org may not do this
    ├── NotFound          the record does not exist      ("member X is not registered")
    ├── Conflict          the record exists with other values
    ├── IdentityError     the caller's identity cannot be read
    ├── StateError        a stored value cannot be decoded
    └── PeerError         the peer answered a ledger request with ERROR
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "ChaincodeError",
    "Conflict",
    "IdentityError",
    "NotFound",
    "PeerError",
    "StateError",
    "ValidationError",
]


class ChaincodeError(Exception):
    """Base of every error our chaincode raises on purpose."""


class ValidationError(ChaincodeError):
    """An argument is malformed."""


class AccessDenied(ChaincodeError):
    """The caller's role or organisation may not perform this transaction."""


class NotFound(ChaincodeError):
    """The requested record does not exist."""


class Conflict(ChaincodeError):
    """The record already exists with different values."""


class IdentityError(ChaincodeError):
    """The caller's identity (creator) cannot be read."""


class StateError(ChaincodeError):
    """A value in the world state cannot be decoded."""


class PeerError(ChaincodeError):
    """The peer answered a ledger request (GET_STATE, PUT_STATE, ...) with ERROR."""
