"""Trying a call again, only where Fabric says it is safe.

`Contract.evaluate` and `Contract.submit` (and their async forms) try again in exactly
two cases:

- **gRPC UNAVAILABLE or RESOURCE_EXHAUSTED from evaluate or endorse**: the gateway
  peer, or every peer it could ask, was unreachable (down, restarting, reconnecting),
  or refused the call for now (over its `peer.limits.concurrency` limit: back-pressure).
  Nothing was sent for ordering, so sending the same signed proposal again cannot
  change the ledger twice. A submit or commit status call the peer's concurrency limit
  turned away (`GatewayError.turned_away`) is sent again too: it never ran.
- **A commit invalidated with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT**: another
  transaction changed what this one read between its endorsement and its commit. The
  invalid transaction stays in its block under its id for good, so it is never sent
  again; a *new* proposal (a new transaction id) is endorsed against the current state
  and submitted in its place.

Nothing else is retried: a failed submit or commit status call (DEADLINE_EXCEEDED
there means the transaction may yet commit: its outcome is unknown and a second one
could apply it twice), ENDORSEMENT_POLICY_FAILURE or any other validation code, and
chaincode errors (they would fail the same way again). Every retry is logged at INFO
on the `client.retry` logger, with the transaction ids.

The long form (`new_proposal` → `endorse` → `submit` → `status`) never retries: its
caller decides.
"""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

import grpc

from ._protos import transaction_pb2
from .errors import GatewayError

if TYPE_CHECKING:
    from .commit import Status

__all__ = ["DEFAULT_RETRY", "Attempts", "RetryPolicy", "retry_call", "retry_call_async"]

_logger = logging.getLogger(__name__)

_CONFLICTS = frozenset(
    {
        transaction_pb2.TxValidationCode.MVCC_READ_CONFLICT,
        transaction_pb2.TxValidationCode.PHANTOM_READ_CONFLICT,
    }
)

# the peer could not take the call now: nothing was endorsed or ordered
_BUSY = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})

T = TypeVar("T")


class _HasTransactionId(Protocol):
    @property
    def transaction_id(self) -> str: ...


P = TypeVar("P", bound=_HasTransactionId)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a call may be tried in all, and how long to wait in between.

    The wait before retry n (1 for the first) is `initial_backoff * 2 ** (n - 1)` seconds,
    at most `max_backoff`; with `jitter`, a uniformly random part of it between half
    and all, so that clients failed by the same outage do not all come back at once.
    `RetryPolicy(max_attempts=1)` turns retries off.
    """

    max_attempts: int = 3
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if not 0 <= self.initial_backoff <= self.max_backoff:
            raise ValueError(
                f"backoff must satisfy 0 <= initial_backoff <= max_backoff, not "
                f"{self.initial_backoff} and {self.max_backoff}"
            )

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        delay = min(self.max_backoff, self.initial_backoff * 2 ** (retry - 1))
        return random.uniform(delay / 2, delay) if self.jitter else delay


DEFAULT_RETRY = RetryPolicy()


class Attempts:
    """One evaluate or submit call's attempts: the policy's budget, and the call's deadline.

    No retry starts once `max_attempts` tries have been made, nor when its backoff would
    end after `deadline` (a `time.monotonic()` value).
    """

    def __init__(self, policy: RetryPolicy, deadline: float | None) -> None:
        self._policy = policy
        self._deadline = deadline
        self._attempt = 1

    def after_call_error(self, call: str, error: GatewayError) -> float | None:
        """Seconds to wait before sending the same `call` ("evaluate", "endorse", "submit",
        "commit status") again, or None when `error` is not worth another try or none is
        left."""
        before_ordering = call in ("evaluate", "endorse") and error.grpc_code in _BUSY
        if not (before_ordering or error.turned_away):
            return None
        delay = self._next_delay()
        if delay is not None:
            _logger.info(
                "%s of transaction %s failed with %s (%s); trying again in %.2f s,"
                " attempt %d of %d",
                call,
                error.transaction_id,
                error.grpc_code.name if error.grpc_code else "?",
                error.message,
                delay,
                self._attempt,
                self._policy.max_attempts,
            )
        return delay

    def after_commit(
        self, status: "Status", transaction_id: str, new_proposal: Callable[[], P]
    ) -> tuple[P, float] | None:
        """A new proposal to submit in place of the invalidated `transaction_id`, and the
        seconds to wait first; None when `status` is not a read conflict or no try is left."""
        if status.code not in _CONFLICTS:
            return None
        delay = self._next_delay()
        if delay is None:
            return None
        proposal = new_proposal()
        _logger.info(
            "transaction %s was invalidated with %s in block %d; submitting new transaction %s"
            " in %.2f s, attempt %d of %d",
            transaction_id,
            status.code_name,
            status.block_number,
            proposal.transaction_id,
            delay,
            self._attempt,
            self._policy.max_attempts,
        )
        return proposal, delay

    def _next_delay(self) -> float | None:
        if self._attempt >= self._policy.max_attempts:
            return None
        delay = self._policy.backoff(self._attempt)
        if self._deadline is not None and time.monotonic() + delay >= self._deadline:
            return None
        self._attempt += 1
        return delay


def retry_call(attempts: Attempts, call: str, send: Callable[[], T]) -> T:
    """`send()`, sent again after each failure that `attempts` says is worth a retry."""
    while True:
        try:
            return send()
        except GatewayError as error:
            delay = attempts.after_call_error(call, error)
            if delay is None:
                raise
        time.sleep(delay)


async def retry_call_async(attempts: Attempts, call: str, send: Callable[[], Awaitable[T]]) -> T:
    """`await send()`, like `retry_call`, waiting without blocking the event loop."""
    while True:
        try:
            return await send()
        except GatewayError as error:
            delay = attempts.after_call_error(call, error)
            if delay is None:
                raise
        await asyncio.sleep(delay)
