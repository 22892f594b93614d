"""Calling one smart contract: `evaluate` to read, `submit` to change the ledger.

Both are thin layers over the long form (`new_proposal` → `endorse` → `submit` →
`status`), which stays available for callers that sign offline or want to submit
without waiting for the commit. Only the short forms retry, and only where Fabric says
a retry is safe (`client.retry`); only they take a per-call `timeout`.
"""

import time
from collections.abc import Mapping, Sequence
from functools import partial

from ._rpc import GatewayClient
from .errors import CommitError
from .proposal import Proposal, build_proposal
from .retry import Attempts, retry_call

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
        return self._new_proposal(self._client, name, args, transient, endorsing_organizations)

    def evaluate(
        self,
        name: str,
        args: Sequence[str | bytes] = (),
        transient: Mapping[str, bytes] | None = None,
        endorsing_organizations: Sequence[str] | None = None,
        *,
        timeout: float | None = None,
    ) -> bytes:
        """Run a read-only function and return its result; the ledger is not changed.

        Same as `contract.new_proposal(name, args, ...).evaluate()`, sent again (up to the
        gateway's `RetryPolicy.max_attempts` in all) while the gateway answers
        UNAVAILABLE. `timeout` (seconds) bounds the whole call, retries included, in
        place of the gateway's evaluate deadline.
        """
        client = self._client.for_call(timeout)
        proposal = self._new_proposal(client, name, args, transient, endorsing_organizations)
        return retry_call(Attempts(client.retry, client.deadline), "evaluate", proposal.evaluate)

    def submit(
        self,
        name: str,
        args: Sequence[str | bytes] = (),
        transient: Mapping[str, bytes] | None = None,
        endorsing_organizations: Sequence[str] | None = None,
        *,
        timeout: float | None = None,
    ) -> bytes:
        """Endorse, order and commit a transaction; return the chaincode's result.

        The long form, which this is a thin layer over::

            transaction = contract.new_proposal(name, args, ...).endorse()
            status = transaction.submit().status()
            if not status.successful:
                raise CommitError(...)
            return transaction.result

        Retries, within the gateway's `RetryPolicy` (at most `max_attempts` endorsements
        in all, with exponential backoff), happen in exactly two cases:

        - endorse fails with gRPC UNAVAILABLE: the same proposal is endorsed again
          (nothing was sent for ordering yet);
        - the commit is invalid with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT: a new
          proposal, with a new transaction id, is endorsed and submitted in its place.
          The same transaction is never submitted twice.

        Never retried: a failed submit or commit status call, whatever the code (after
        DEADLINE_EXCEEDED there the outcome is unknown), ENDORSEMENT_POLICY_FAILURE and
        every other validation code, and chaincode errors. Retries are logged at INFO
        with the transaction ids.

        `timeout` (seconds) bounds the whole call (every gateway call, retries and
        backoff included) in place of the gateway's per-kind deadlines.

        Raises EndorseError, SubmitError or CommitStatusError when a gateway call fails,
        and CommitError when the (last) transaction committed but was marked invalid.
        """
        client = self._client.for_call(timeout)
        attempts = Attempts(client.retry, client.deadline)
        new_proposal = partial(
            self._new_proposal, client, name, args, transient, endorsing_organizations
        )
        proposal = new_proposal()
        while True:
            transaction = retry_call(attempts, "endorse", proposal.endorse)
            submitted = retry_call(attempts, "submit", transaction.submit)
            status = retry_call(attempts, "commit status", submitted.status)
            if status.successful:
                return transaction.result
            again = attempts.after_commit(status, transaction.transaction_id, new_proposal)
            if again is None:
                raise CommitError(
                    transaction.transaction_id, status.code, status.code_name, status.block_number
                )
            proposal, delay = again
            time.sleep(delay)

    def _new_proposal(
        self,
        client: GatewayClient,
        name: str,
        args: Sequence[str | bytes],
        transient: Mapping[str, bytes] | None,
        endorsing_organizations: Sequence[str] | None,
    ) -> Proposal:
        return build_proposal(
            client,
            self.channel_name,
            self.chaincode_name,
            self._function_name(name),
            args,
            transient,
            endorsing_organizations,
        )

    def _function_name(self, name: str) -> str:
        return f"{self.contract_name}:{name}" if self.contract_name else name
