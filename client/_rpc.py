"""The gateway's four unary calls, each with its deadline and its error type.

Proposals, transactions and commits hold one `GatewayClient` rather than the whole
`Gateway`: it is everything they need to sign a message and send it.
"""

from dataclasses import dataclass
from typing import Any

from .errors import (
    CommitStatusError,
    EndorseError,
    GatewayError,
    SubmitError,
    translate_rpc_errors,
)
from .identity import Identity, Sign

__all__ = ["Deadlines", "GatewayClient"]


@dataclass(frozen=True)
class Deadlines:
    """Seconds each kind of gateway call may take before gRPC gives up on it."""

    evaluate: float
    endorse: float
    submit: float
    commit_status: float


@dataclass(frozen=True)
class GatewayClient:
    """A gateway stub bound to the identity that signs what goes through it."""

    stub: Any
    identity: Identity
    signer: Sign | None
    deadlines: Deadlines

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
            return self.stub.Evaluate(request, timeout=self.deadlines.evaluate)

    def endorse(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(EndorseError, transaction_id):
            return self.stub.Endorse(request, timeout=self.deadlines.endorse)

    def submit(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(SubmitError, transaction_id):
            return self.stub.Submit(request, timeout=self.deadlines.submit)

    def commit_status(self, request: Any, transaction_id: str) -> Any:
        with translate_rpc_errors(CommitStatusError, transaction_id):
            return self.stub.CommitStatus(request, timeout=self.deadlines.commit_status)
