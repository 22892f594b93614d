"""An endorsed transaction: the peers' signed result, waiting to be sent for ordering.

The chaincode's return value is read from the endorsed envelope, so `result` is known
before the transaction is submitted; it only counts once the commit is `VALID`.
"""

from typing import Any

from . import signing
from ._protos import (
    DecodeError,
    common_pb2,
    gateway_pb2,
    proposal_pb2,
    proposal_response_pb2,
    transaction_pb2,
)
from ._rpc import GatewayClient
from .commit import Commit
from .errors import EndorseError

__all__ = ["Transaction"]


class Transaction:
    """The gateway's prepared transaction envelope, to be signed and submitted."""

    def __init__(
        self, client: GatewayClient, channel_name: str, transaction_id: str, envelope: Any
    ) -> None:
        self._client = client
        self._channel_name = channel_name
        self._transaction_id = transaction_id
        self._payload: bytes = envelope.payload
        self._signature: bytes | None = None
        self._result = _chaincode_result(self._payload, transaction_id)

    @property
    def transaction_id(self) -> str:
        return self._transaction_id

    @property
    def result(self) -> bytes:
        """The chaincode's response payload, as endorsed; it counts once the commit is VALID."""
        return self._result

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return signing.digest(self._payload)

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; the gateway's signer is then skipped."""
        self._signature = signature

    def submit(self) -> Commit:
        """Send the signed transaction for ordering; returns without waiting for the commit."""
        if self._signature is None:
            self._signature = self._client.sign(
                self.digest(), f"transaction {self._transaction_id}"
            )
        request = gateway_pb2.SubmitRequest(
            transaction_id=self._transaction_id,
            channel_id=self._channel_name,
            prepared_transaction=common_pb2.Envelope(
                payload=self._payload, signature=self._signature
            ),
        )
        self._client.submit(request, self._transaction_id)
        return Commit(self._client, self._channel_name, self._transaction_id)

    # Last in the class on purpose: below it, `bytes` in an annotation would mean this method.
    def bytes(self) -> bytes:
        """The envelope payload: exactly what the signature covers."""
        return self._payload


def _chaincode_result(payload: bytes, transaction_id: str) -> bytes:
    """Follow Payload → Transaction → ChaincodeActionPayload → ProposalResponsePayload
    → ChaincodeAction to the chaincode's response payload."""
    try:
        transaction = transaction_pb2.Transaction.FromString(
            common_pb2.Payload.FromString(payload).data
        )
        if not transaction.actions:
            raise ValueError("it has no actions")
        action_payload = transaction_pb2.ChaincodeActionPayload.FromString(
            transaction.actions[0].payload
        )
        response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
            action_payload.action.proposal_response_payload
        )
        action = proposal_pb2.ChaincodeAction.FromString(response_payload.extension)
    except (DecodeError, ValueError) as exc:
        raise EndorseError(
            f"endorsed transaction has no readable chaincode result: {exc}",
            transaction_id=transaction_id,
        ) from exc
    result: bytes = action.response.payload
    return result
