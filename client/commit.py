"""Waiting for a submitted transaction to be committed, and learning whether it is valid.

Ordering puts a transaction in a block, but each peer then validates it (endorsement
policy, read-set versions) and may mark it invalid; only a `VALID` code means the
ledger changed. The status request is signed like everything else, so `bytes()` and
`digest()` are exposed for offline signing.
"""

from dataclasses import dataclass

from . import signing
from ._protos import gateway_pb2, transaction_pb2
from ._rpc import GatewayClient

__all__ = ["Commit", "Status"]


@dataclass(frozen=True)
class Status:
    """How validation judged a committed transaction."""

    code: int
    code_name: str
    block_number: int
    successful: bool


class Commit:
    """A submitted transaction whose commit status can be asked for."""

    def __init__(self, client: GatewayClient, channel_name: str, transaction_id: str) -> None:
        self._client = client
        self._transaction_id = transaction_id
        request = gateway_pb2.CommitStatusRequest(
            transaction_id=transaction_id, channel_id=channel_name, identity=client.creator()
        )
        self._request: bytes = request.SerializeToString()
        self._signature: bytes | None = None

    @property
    def transaction_id(self) -> str:
        return self._transaction_id

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return signing.digest(self._request)

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; the gateway's signer is then skipped."""
        self._signature = signature

    def status(self) -> Status:
        """Block until the transaction is committed (or the deadline passes); return its status."""
        if self._signature is None:
            self._signature = self._client.sign(
                self.digest(), f"commit status request for {self._transaction_id}"
            )
        request = gateway_pb2.SignedCommitStatusRequest(
            request=self._request, signature=self._signature
        )
        response = self._client.commit_status(request, self._transaction_id)
        code = int(response.result)
        return Status(
            code=code,
            code_name=validation_code_name(code),
            block_number=int(response.block_number),
            successful=code == transaction_pb2.TxValidationCode.VALID,
        )

    # Last in the class on purpose: below it, `bytes` in an annotation would mean this method.
    def bytes(self) -> bytes:
        """The serialized `CommitStatusRequest`: exactly what the signature covers."""
        return self._request


def validation_code_name(code: int) -> str:
    """The `TxValidationCode` name of `code`, e.g. 10 → "ENDORSEMENT_POLICY_FAILURE"."""
    try:
        name: str = transaction_pb2.TxValidationCode.Name(code)
    except ValueError:
        return f"UNKNOWN_VALIDATION_CODE_{code}"
    return name
