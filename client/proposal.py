"""A signed request for peers to run a chaincode function: the first step of a transaction.

A proposal is built once and its bytes never change, so the same `digest()` can be
signed offline and attached with `set_signature()` before `endorse()` or `evaluate()`.
"""

import os
from collections.abc import Mapping, Sequence
from typing import Any

from . import signing
from ._protos import chaincode_pb2, common_pb2, gateway_pb2, proposal_pb2
from ._rpc import GatewayClient
from .transaction import Transaction

__all__ = ["Proposal", "build_proposal", "new_header"]

_NONCE_SIZE = 24


class Proposal:
    """A chaincode invocation ready to be endorsed (for a submit) or evaluated (a query)."""

    def __init__(
        self,
        client: GatewayClient,
        channel_name: str,
        transaction_id: str,
        proposal_bytes: bytes,
        endorsing_organizations: Sequence[str] = (),
    ) -> None:
        self._client = client
        self._channel_name = channel_name
        self._transaction_id = transaction_id
        self._bytes = proposal_bytes
        self._endorsing_organizations = list(endorsing_organizations)
        self._signature: bytes | None = None

    @property
    def transaction_id(self) -> str:
        return self._transaction_id

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return signing.digest(self._bytes)

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; the gateway's signer is then skipped."""
        self._signature = signature

    def endorse(self) -> Transaction:
        """Have the gateway collect endorsements; returns the transaction to submit."""
        request = gateway_pb2.EndorseRequest(
            transaction_id=self._transaction_id,
            channel_id=self._channel_name,
            proposed_transaction=self._signed(),
            endorsing_organizations=self._endorsing_organizations,
        )
        response = self._client.endorse(request, self._transaction_id)
        return Transaction(
            self._client, self._channel_name, self._transaction_id, response.prepared_transaction
        )

    def evaluate(self) -> bytes:
        """Run the function on one peer without touching the ledger; returns its result."""
        request = gateway_pb2.EvaluateRequest(
            transaction_id=self._transaction_id,
            channel_id=self._channel_name,
            proposed_transaction=self._signed(),
            target_organizations=self._endorsing_organizations,
        )
        response = self._client.evaluate(request, self._transaction_id)
        result: bytes = response.result.payload
        return result

    def _signed(self) -> Any:
        if self._signature is None:
            self._signature = self._client.sign(self.digest(), f"proposal {self._transaction_id}")
        return proposal_pb2.SignedProposal(proposal_bytes=self._bytes, signature=self._signature)

    # Last in the class on purpose: below it, `bytes` in an annotation would mean this method.
    def bytes(self) -> bytes:
        """The serialized `peer.Proposal`: exactly what the signature covers."""
        return self._bytes


def build_proposal(
    client: GatewayClient,
    channel_name: str,
    chaincode_name: str,
    function: str,
    args: Sequence[str | bytes] = (),
    transient: Mapping[str, bytes] | None = None,
    endorsing_organizations: Sequence[str] | None = None,
) -> Proposal:
    """Build the proposal to call `function(*args)` of `chaincode_name` on `channel_name`.

    Strings in `args` are sent UTF-8 encoded; `transient` data reaches the chaincode but
    is never written to the ledger (private data travels this way).
    """
    if isinstance(args, str | bytes):
        raise TypeError("args must be a sequence of arguments, not a single str or bytes")
    extension = proposal_pb2.ChaincodeHeaderExtension(
        chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode_name)
    )
    transaction_id, header = new_header(
        common_pb2.HeaderType.ENDORSER_TRANSACTION,
        channel_name,
        client.creator(),
        extension=extension.SerializeToString(),
    )
    proposal = proposal_pb2.Proposal(
        header=header.SerializeToString(),
        payload=_chaincode_payload(chaincode_name, [function, *args], transient or {}),
    )
    return Proposal(
        client,
        channel_name,
        transaction_id,
        proposal.SerializeToString(),
        endorsing_organizations or (),
    )


def new_header(
    header_type: int,
    channel_name: str,
    creator: bytes,
    *,
    extension: bytes = b"",
    tls_certificate_hash: bytes = b"",
) -> tuple[str, Any]:
    """A `common.Header` for a new signed message from `creator`, and its transaction id.

    The signature header carries a fresh nonce, and the transaction id is the hex
    SHA-256 of nonce + creator, as Fabric recomputes it; the channel header is stamped
    with the current time. Proposals and deliver requests both start here.
    """
    nonce = os.urandom(_NONCE_SIZE)
    transaction_id = signing.digest(nonce + creator).hex()
    channel_header = common_pb2.ChannelHeader(
        type=header_type,
        channel_id=channel_name,
        tx_id=transaction_id,
        extension=extension,
        tls_cert_hash=tls_certificate_hash,
    )
    channel_header.timestamp.GetCurrentTime()
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(
            creator=creator, nonce=nonce
        ).SerializeToString(),
    )
    return transaction_id, header


def _chaincode_payload(
    chaincode_name: str, args: Sequence[str | bytes], transient: Mapping[str, bytes]
) -> bytes:
    spec = chaincode_pb2.ChaincodeSpec(
        chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode_name),
        input=chaincode_pb2.ChaincodeInput(args=[_as_bytes(arg) for arg in args]),
    )
    payload = proposal_pb2.ChaincodeProposalPayload(
        input=chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=spec).SerializeToString(),
        TransientMap=dict(transient),  # sic: the field is capitalized in proposal.proto
    )
    data: bytes = payload.SerializeToString()
    return data


def _as_bytes(arg: str | bytes) -> bytes:
    return arg.encode("utf-8") if isinstance(arg, str) else arg
