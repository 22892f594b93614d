"""Calling one smart contract: `evaluate` to read, `submit` to change the ledger.

Both are thin layers over the long form (`new_proposal` → `endorse` → `submit` →
`status`), which stays available for callers that sign offline or want to submit
without waiting for the commit.
"""

from collections.abc import Mapping, Sequence

from ._rpc import GatewayClient
from .errors import CommitError
from .proposal import Proposal, build_proposal

__all__ = ["Contract"]


class Contract:
    """A chaincode on a channel, optionally narrowed to one of its named contracts."""

    def __init__(
        self,
        client: GatewayClient,
        channel_name: str,
        chaincode_name: str,
        contract_name: str | None = None,
    ) -> None:
        self._client = client
        self.channel_name = channel_name
        self.chaincode_name = chaincode_name
        self.contract_name = contract_name

    def new_proposal(
        self,
        name: str,
        args: Sequence[str | bytes] = (),
        transient: Mapping[str, bytes] | None = None,
        endorsing_organizations: Sequence[str] | None = None,
    ) -> Proposal:
        """Build a proposal for transaction function `name`; nothing is sent yet.

        `endorsing_organizations` (MSP ids) limits which organizations' peers are asked
        to endorse (or, for evaluate, to answer); private data calls need it.
        """
        return build_proposal(
            self._client,
            self.channel_name,
            self.chaincode_name,
            self._function_name(name),
            args,
            transient,
            endorsing_organizations,
        )

    def evaluate(
        self,
        name: str,
        args: Sequence[str | bytes] = (),
        transient: Mapping[str, bytes] | None = None,
        endorsing_organizations: Sequence[str] | None = None,
    ) -> bytes:
        """Run a read-only function and return its result; the ledger is not changed.

        Same as `contract.new_proposal(name, args, ...).evaluate()`.
        """
        return self.new_proposal(name, args, transient, endorsing_organizations).evaluate()

    def submit(
        self,
        name: str,
        args: Sequence[str | bytes] = (),
        transient: Mapping[str, bytes] | None = None,
        endorsing_organizations: Sequence[str] | None = None,
    ) -> bytes:
        """Endorse, order and commit a transaction; return the chaincode's result.

        The long form, which this is a thin layer over::

            transaction = contract.new_proposal(name, args, ...).endorse()
            status = transaction.submit().status()
            if not status.successful:
                raise CommitError(...)
            return transaction.result

        Raises EndorseError, SubmitError or CommitStatusError when a gateway call fails,
        and CommitError when the transaction committed but was marked invalid.
        """
        transaction = self.new_proposal(name, args, transient, endorsing_organizations).endorse()
        status = transaction.submit().status()
        if not status.successful:
            raise CommitError(
                transaction.transaction_id, status.code, status.code_name, status.block_number
            )
        return transaction.result

    def _function_name(self, name: str) -> str:
        return f"{self.contract_name}:{name}" if self.contract_name else name
