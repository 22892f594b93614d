"""Errors a GridLedger chaincode raises.

The message of each error is what the client sees, so every message is lowercase,
precise and names the id it is about. The Contract API turns a raised exception
into a status-500 response carrying ``str(error)``; the server's handler then gives
the response the error's own ``status`` (HTTP-like, all >= 400 so peers still refuse
to endorse), which a client can map without parsing messages:

    ChaincodeError (500)
    ├── ValidationError (400)  an argument is malformed       ("member kind 'bank' is not ...")
    ├── AccessDenied (403)     the caller's role or org may not do this
    ├── NotFound (404)         the record does not exist      ("member X is not registered")
    ├── Conflict (409)         the record exists with other values
    ├── IdentityError (401)    the caller's identity cannot be read
    ├── StateError (500)       a stored value cannot be decoded
    └── PeerError (502)        the peer answered a ledger request with ERROR
"""

from __future__ import annotations

import contextvars

__all__ = [
    "LAST_ERROR",
    "AccessDenied",
    "ChaincodeError",
    "Conflict",
    "IdentityError",
    "NotFound",
    "PeerError",
    "StateError",
    "ValidationError",
]


# The last error raised in the running transaction: each transaction runs in its own
# asyncio task, so its context holds only its own error.
LAST_ERROR: contextvars.ContextVar[ChaincodeError | None] = contextvars.ContextVar(
    "gridledger_last_error", default=None
)


class ChaincodeError(Exception):
    """Base of every error our chaincode raises on purpose."""

    status = 500

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        LAST_ERROR.set(self)


class ValidationError(ChaincodeError):
    """An argument is malformed."""

    status = 400


class AccessDenied(ChaincodeError):
    """The caller's role or organisation may not perform this transaction."""

    status = 403


class NotFound(ChaincodeError):
    """The requested record does not exist."""

    status = 404


class Conflict(ChaincodeError):
    """The record already exists with different values."""

    status = 409


class IdentityError(ChaincodeError):
    """The caller's identity (creator) cannot be read."""

    status = 401


class StateError(ChaincodeError):
    """A value in the world state cannot be decoded."""


class PeerError(ChaincodeError):
    """The peer answered a ledger request (GET_STATE, PUT_STATE, ...) with ERROR."""

    status = 502
