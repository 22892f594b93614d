"""The gateway's four unary calls, each with its deadline and its error type.

Proposals, transactions and commits hold one `GatewayClient` rather than the whole
`Gateway`: it is everything they need to sign a message and send it. Each call exists
twice, once for a stub on a `grpc.Channel` and once (`*_async`) for a stub on a
`grpc.aio.Channel`, with the same deadlines and the same error translation.
"""

import time
from dataclasses import dataclass, replace
from typing import Any

from .errors import (
    CommitStatusError,
    EndorseError,
    GatewayError,
    SubmitError,
    translate_rpc_errors,
)
from .identity import Identity, Sign
from .retry import DEFAULT_RETRY, RetryPolicy

__all__ = ["DEFAULT_DEADLINES", "Deadlines", "GatewayClient"]


@dataclass(frozen=True)
class Deadlines:
    """Seconds each kind of gateway call may take before gRPC gives up on it."""

    evaluate: float
    endorse: float
    submit: float
    commit_status: float


DEFAULT_DEADLINES = Deadlines(evaluate=5, endorse=15, submit=5, commit_status=60)


@dataclass(frozen=True)
class GatewayClient:
    """A gateway stub bound to the identity that signs what goes through it.

    `deadline`, when set (by `for_call`), is the `time.monotonic()` by which the whole
    current call must be done: every gateway call then gets the time left instead of
    its kind's default in `deadlines`.
    """

    stub: Any
    identity: Identity
    signer: Sign | None
    deadlines: Deadlines
    retry: RetryPolicy = DEFAULT_RETRY
    deadline: float | None = None

    def for_call(self, timeout: float | None) -> "GatewayClient":
        """This client with a deadline `timeout` seconds from now; itself when None."""
        if timeout is None:
            return self
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        return replace(self, deadline=time.monotonic() + timeout)

    def timeout(self, default: float) -> float:
        """Seconds the next gateway call may take: the time left, or `default`."""
        if self.deadline is None:
            return default
        return max(0.0, self.deadline - time.monotonic())

    def creator(self) -> bytes:
        """The serialized identity that Fabric records as the creator of a request."""
        return self.identity.serialize()

    def sign(self, digest: bytes, what: str) -> bytes:
        """Sign `digest` with the gateway's signer; `what` names the message for errors."""
        if self.signer is None:
            raise ValueError(f"{what} has no signature and the gateway has no signer")
        return self.signer(digest)

    def evaluate(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(GatewayError, transaction_id):
            return self.stub.Evaluate(request, timeout=self.timeout(self.deadlines.evaluate))

    def endorse(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(EndorseError, transaction_id):
            return self.stub.Endorse(request, timeout=self.timeout(self.deadlines.endorse))

    def submit(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(SubmitError, transaction_id):
            return self.stub.Submit(request, timeout=self.timeout(self.deadlines.submit))

    def commit_status(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(CommitStatusError, transaction_id):
            return self.stub.CommitStatus(
                request, timeout=self.timeout(self.deadlines.commit_status)
            )

    async def evaluate_async(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(GatewayError, transaction_id):
            return await self.stub.Evaluate(request, timeout=self.timeout(self.deadlines.evaluate))

    async def endorse_async(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(EndorseError, transaction_id):
            return await self.stub.Endorse(request, timeout=self.timeout(self.deadlines.endorse))

    async def submit_async(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(SubmitError, transaction_id):
            return await self.stub.Submit(request, timeout=self.timeout(self.deadlines.submit))

    async def commit_status_async(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(CommitStatusError, transaction_id):
            return await self.stub.CommitStatus(
                request, timeout=self.timeout(self.deadlines.commit_status)
            )

    def chaincode_events(self, request: Any, timeout: float | None) -> Any:
        """Open the `ChaincodeEvents` stream (sync or grpc.aio alike); it fails, if it
        does, while being read, so its reader translates the errors."""
        return self.stub.ChaincodeEvents(request, timeout=timeout)
