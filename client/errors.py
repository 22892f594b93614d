"""Every error the client raises, in one tree.

    Exception
    ├── GatewayError              a call to the Fabric gateway failed (evaluate fails with it)
    │   ├── EndorseError          endorsement failed; nothing was sent for ordering
    │   ├── SubmitError           the orderer did not accept the endorsed transaction
    │   ├── CommitStatusError     the commit status could not be read; the outcome is unknown
    │   ├── ChaincodeEventsError  the chaincode events stream could not be opened or broke off
    │   └── DeliverError          a peer's Deliver service refused or broke off a block request
    ├── CommitError               the transaction is in a block but was marked invalid
    └── Forbidden                 the role table refuses the call before it is sent

A `GatewayError` carries the gateway's message, the transaction id, the gRPC status code
and one `ErrorDetail` per peer or orderer that the gateway reports as having failed.
A peer over its concurrency limit (`peer.limits.concurrency.*`) turns a call away before
it runs with a plain error (gRPC UNKNOWN); the client reports it as what it is,
RESOURCE_EXHAUSTED, with `turned_away` set: nothing was endorsed, ordered or read.
A `ChaincodeEventsError` has no transaction. Nor has a `DeliverError`; when the peer
answered rather than the call failing, it carries the peer's `common.Status` code
instead of a gRPC one.
`CommitError` is not a gRPC failure: every call succeeded, the ledger just refused the
transaction, and it carries the validation code instead.

gRPC exceptions, from `grpc` and from `grpc.aio` alike, are translated here and nowhere
else, by `translate_rpc_errors`.
"""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

import grpc

from ._protos import DecodeError, gateway_pb2
from ._rpc_status import STATUS_DETAILS_KEY, status_details

__all__ = [
    "ChaincodeEventsError",
    "CommitError",
    "CommitStatusError",
    "DeliverError",
    "EndorseError",
    "ErrorDetail",
    "Forbidden",
    "GatewayError",
    "SubmitError",
    "translate_rpc_errors",
]

_ERROR_DETAIL_TYPE = gateway_pb2.ErrorDetail.DESCRIPTOR.full_name
# Fabric's grpc_limiters.go, word for word, before the call's handler runs
_OVER_LIMIT = re.compile(r"too many requests for /[\w.]+, exceeding concurrency limit \(\d+\)")


@dataclass(frozen=True)
class ErrorDetail:
    """What one peer or orderer said when the gateway's request to it failed."""

    address: str
    msp_id: str
    message: str


class GatewayError(Exception):
    """A call to the Fabric gateway failed."""

    def __init__(
        self,
        message: str,
        *,
        transaction_id: str | None = None,
        grpc_code: grpc.StatusCode | None = None,
        details: Sequence[ErrorDetail] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transaction_id = transaction_id
        self.grpc_code = grpc_code
        self.details = list(details)
        self.turned_away = False

    @classmethod
    def from_rpc_error(cls, exc: grpc.RpcError, transaction_id: str | None) -> Self:
        """Build the error from a failed gRPC call, decoding the gateway's per-peer details."""
        call: Any = exc if isinstance(exc, grpc.Call | grpc.aio.AioRpcError) else None
        message = (call.details() if call is not None else None) or str(exc) or type(exc).__name__
        details, problem = _error_details(call.trailing_metadata() if call is not None else None)
        code = call.code() if call is not None else None
        turned_away = code == grpc.StatusCode.UNKNOWN and _OVER_LIMIT.fullmatch(message)
        error = cls(
            message,
            transaction_id=transaction_id,
            grpc_code=grpc.StatusCode.RESOURCE_EXHAUSTED if turned_away else code,
            details=details,
        )
        error.turned_away = bool(turned_away)
        if problem:
            error.add_note(problem)
        return error

    def __str__(self) -> str:
        context = [f"transaction {self.transaction_id}"] if self.transaction_id else []
        if self.grpc_code is not None:
            context.append(f"gRPC status {self.grpc_code.name}")
        text = f"{self.message} ({', '.join(context)})" if context else self.message
        lines = [f"\n  - {d.address} ({d.msp_id}): {d.message}" for d in self.details]
        return text + "".join(lines)


class EndorseError(GatewayError):
    """Endorsement failed, so the transaction was never sent for ordering."""


class SubmitError(GatewayError):
    """The endorsed transaction was not accepted for ordering."""


class CommitStatusError(GatewayError):
    """The commit status could not be read: the transaction may or may not have committed."""


class ChaincodeEventsError(GatewayError):
    """The chaincode events stream could not be opened, or broke off.

    `grpc_code` says why: e.g. PERMISSION_DENIED when the identity may not read the
    channel's events, DEADLINE_EXCEEDED when the stream's `timeout` has passed,
    UNAVAILABLE when the peer went away.
    """


class DeliverError(GatewayError):
    """A peer's Deliver service did not deliver the blocks asked for.

    Either the gRPC call failed (`grpc_code` is set: the peer is unreachable, or the
    blocks did not come before the deadline), or the peer ended the request with a
    `common.Status` other than SUCCESS (`status`, e.g. 403 when the identity may not
    read the channel, 404 for an unknown channel), or what the peer sent is not what
    was asked for or cannot be decoded (neither is set).
    """

    def __init__(
        self,
        message: str,
        *,
        transaction_id: str | None = None,
        grpc_code: grpc.StatusCode | None = None,
        details: Sequence[ErrorDetail] = (),
        status: int | None = None,
    ) -> None:
        super().__init__(
            message, transaction_id=transaction_id, grpc_code=grpc_code, details=details
        )
        self.status = status


class CommitError(Exception):
    """The transaction was ordered into a block, but validation marked it invalid."""

    def __init__(self, transaction_id: str, code: int, code_name: str, block_number: int) -> None:
        super().__init__(
            f"transaction {transaction_id} failed to commit with status code {code} ({code_name})"
        )
        self.transaction_id = transaction_id
        self.code = code
        self.code_name = code_name
        self.block_number = block_number


@contextmanager
def translate_rpc_errors(
    error_type: type[GatewayError], transaction_id: str | None
) -> Iterator[None]:
    """Turn a `grpc.RpcError` raised inside the block into `error_type`, chained to it."""
    try:
        yield
    except grpc.RpcError as exc:
        raise error_type.from_rpc_error(exc, transaction_id) from exc


def _error_details(metadata: Any) -> tuple[list[ErrorDetail], str | None]:
    """Decode the `gateway.ErrorDetail`s in the trailers; a failure is returned, not hidden."""
    raw = [value for key, value in metadata or () if key == STATUS_DETAILS_KEY]
    if not raw or not isinstance(raw[0], bytes):
        return [], None
    try:
        return [
            _error_detail(packed.value)
            for packed in status_details(raw[0])
            if packed.type_url.rpartition("/")[2] == _ERROR_DETAIL_TYPE
        ], None
    except (ValueError, DecodeError) as exc:
        return [], f"could not decode the gateway's error details: {exc}"


def _error_detail(data: bytes) -> ErrorDetail:
    detail = gateway_pb2.ErrorDetail.FromString(data)
    return ErrorDetail(address=detail.address, msp_id=detail.msp_id, message=detail.message)


class Forbidden(Exception):
    """The role table refuses the call; nothing was sent to the network."""

    def __init__(self, transaction: str, reason: str) -> None:
        super().__init__(reason)
        self.transaction = transaction
        self.reason = reason
