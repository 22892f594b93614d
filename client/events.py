"""Chaincode events: what a chaincode's transactions announced, block by block, as they commit.

A transaction function may set one event (a name and a payload); it is published only
if the transaction commits VALID. The gateway's `ChaincodeEvents` call streams, block
after block in ledger order, the events one chaincode's valid transactions set, and
goes on streaming as new blocks commit until the caller closes the stream.

Where the stream starts:

- no `start_block`: with the next block committed after the request (`SeekNextCommit`);
- `start_block`: with that block (`SeekSpecified`), replaying events already on the
  ledger, so a listener that remembered where it stopped misses nothing;
- `after_transaction_id`: every event up to and including that transaction's is
  skipped. The peer starts in the block that holds the transaction, if it has it
  (whatever `start_block` says), else at the start position. Resuming with
  `start_block=event.block_number, after_transaction_id=event.transaction_id` of the
  last event handled continues exactly after it.

The request is signed like every other, so `bytes()` and `digest()` are exposed for
offline signing. The async form is in `aio.py`; both build the request here.
"""

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from . import signing
from ._protos import ab_pb2, gateway_pb2
from ._rpc import GatewayClient
from .errors import ChaincodeEventsError, translate_rpc_errors

__all__ = ["ChaincodeEvent", "ChaincodeEvents", "ChaincodeEventsRequest", "events_in"]


@dataclass(frozen=True)
class ChaincodeEvent:
    """One event a committed transaction set."""

    block_number: int
    transaction_id: str
    chaincode_name: str
    event_name: str
    payload: bytes


class ChaincodeEventsRequest:
    """A signed request for `chaincode_name`'s events on `channel_name`; nothing is sent yet."""

    def __init__(
        self,
        client: GatewayClient,
        channel_name: str,
        chaincode_name: str,
        *,
        start_block: int | None = None,
        after_transaction_id: str | None = None,
    ) -> None:
        if start_block is not None and start_block < 0:
            raise ValueError(f"start_block must be a block number, not {start_block}")
        self._client = client
        self._description = f"events of chaincode {chaincode_name} on channel {channel_name}"
        if start_block is None:
            start = ab_pb2.SeekPosition(next_commit=ab_pb2.SeekNextCommit())
        else:
            start = ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start_block))
        request = gateway_pb2.ChaincodeEventsRequest(
            channel_id=channel_name,
            chaincode_id=chaincode_name,
            identity=client.creator(),
            start_position=start,
            after_transaction_id=after_transaction_id or "",
        )
        self._request: bytes = request.SerializeToString()
        self._signature: bytes | None = None

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return signing.digest(self._request)

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; the gateway's signer is then skipped."""
        self._signature = signature

    def signed(self) -> Any:
        """The `SignedChaincodeEventsRequest`, signed by the gateway's signer if not yet signed."""
        if self._signature is None:
            self._signature = self._client.sign(self.digest(), f"request for {self._description}")
        return gateway_pb2.SignedChaincodeEventsRequest(
            request=self._request, signature=self._signature
        )

    def events(self, *, timeout: float | None = None) -> "ChaincodeEvents":
        """Open the stream; it ends only when closed, or when `timeout` seconds (for the
        whole stream; None for no limit) have passed, with a ChaincodeEventsError."""
        return ChaincodeEvents(self._client.chaincode_events(self.signed(), timeout))

    # Last in the class on purpose: below it, `bytes` in an annotation would mean this method.
    def bytes(self) -> bytes:
        """The serialized `ChaincodeEventsRequest`: exactly what the signature covers."""
        return self._request


class ChaincodeEvents(Iterator[ChaincodeEvent]):
    """The events of an open stream, in ledger order, each read when it arrives.

    Iterating blocks until the next event commits. `close()` (or leaving a `with`
    block) cancels the stream, from any thread: iteration then ends. A failure raises
    ChaincodeEventsError from the iteration.
    """

    def __init__(self, call: Any) -> None:
        self._call = call
        self._pending: deque[ChaincodeEvent] = deque()
        self._closed = False

    def __next__(self) -> ChaincodeEvent:
        while not self._closed:
            if self._pending:
                return self._pending.popleft()
            try:
                with translate_rpc_errors(ChaincodeEventsError, None):
                    response = next(self._call)  # StopIteration if the peer ends the stream
            except ChaincodeEventsError:
                if self._closed:  # our own cancellation, seen as CANCELLED
                    break
                raise
            self._pending.extend(events_in(response))
        raise StopIteration

    def close(self) -> None:
        """Stop listening: cancel the stream. Events received but not yet read are dropped."""
        self._closed = True
        self._call.cancel()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def events_in(response: Any) -> list[ChaincodeEvent]:
    """The events of one `ChaincodeEventsResponse` (one block), in block order."""
    block_number = int(response.block_number)
    return [
        ChaincodeEvent(
            block_number=block_number,
            transaction_id=event.tx_id,
            chaincode_name=event.chaincode_id,
            event_name=event.event_name,
            payload=bytes(event.payload),
        )
        for event in response.events
    ]
