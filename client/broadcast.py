"""Sending one envelope to an orderer's AtomicBroadcast service, as `peer channel update` does.

A config update does not go through the Gateway, which only submits endorsed
transactions: it goes straight to an orderer's Broadcast stream. The orderer checks the
envelope's signature against the channel's Writers policy and the update against the
mod_policy of everything it changes, then answers with a `BroadcastResponse`: SUCCESS
once it has accepted the envelope for ordering (not yet a block: look for the new
config block with `configblock.latest_config`), or a `common.Status` and its reason.

`BroadcastError` is a `GatewayError`, like every failed call of this client: `status`
and `info` when the orderer answered and refused, `grpc_code` when the call itself
failed (UNAVAILABLE when the orderer is unreachable, DEADLINE_EXCEEDED after `timeout`).
"""

from collections.abc import Sequence
from typing import Any

import grpc

from ._protos import DecodeError, ab_pb2_grpc, common_pb2
from .deliver import _status_name
from .errors import ErrorDetail, GatewayError, translate_rpc_errors

__all__ = ["BroadcastError", "broadcast"]


class BroadcastError(GatewayError):
    """The orderer did not accept an envelope for ordering.

    When it answered, `status` is the `common.Status` name (FORBIDDEN when signatures are
    missing, BAD_REQUEST for an update that does not apply) and `info` its reason, e.g.
    "implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy
    requires 2 of the 'Admins' sub-policies to be satisfied". When the call failed,
    `status` is None and `grpc_code` says why.
    """

    def __init__(
        self,
        message: str,
        *,
        transaction_id: str | None = None,
        grpc_code: grpc.StatusCode | None = None,
        details: Sequence[ErrorDetail] = (),
        status: str | None = None,
        info: str = "",
    ) -> None:
        super().__init__(
            message, transaction_id=transaction_id, grpc_code=grpc_code, details=details
        )
        self.status = status
        self.info = info


def broadcast(channel: grpc.Channel, envelope: bytes, *, timeout: float = 30) -> None:
    """Send `envelope` (a signed `common.Envelope`) to the orderer at the end of `channel`
    and return once it has accepted it; raise BroadcastError when it does not."""
    try:
        message = common_pb2.Envelope.FromString(envelope)
    except DecodeError as exc:
        raise ValueError(f"the envelope is not a common.Envelope: {exc}") from exc
    what = _describe(message)
    stub = ab_pb2_grpc.AtomicBroadcastStub(channel)
    with translate_rpc_errors(BroadcastError, None):
        responses = stub.Broadcast(iter([message]), timeout=timeout)
        try:
            response = next(responses, None)
        finally:
            responses.cancel()  # a no-op once the orderer has closed the stream
    if response is None:
        raise BroadcastError(f"the orderer closed the stream without answering the {what}")
    if response.status != common_pb2.Status.SUCCESS:
        status = _status_name(int(response.status))
        reason = str(response.info) or "no reason given"
        raise BroadcastError(
            f"the orderer refused the {what} with status {status}: {reason}",
            status=status,
            info=str(response.info),
        )


def _describe(envelope: Any) -> str:
    """``CONFIG_UPDATE envelope for channel c``, as far as the envelope can be read."""
    try:
        payload = common_pb2.Payload.FromString(envelope.payload)
        header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
        kind = common_pb2.HeaderType.Name(header.type)
    except (DecodeError, ValueError):
        return "envelope"
    return f"{kind} envelope for channel {header.channel_id or '(none)'}"
