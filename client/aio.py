"""The same client over `grpc.aio`, for many calls in flight from one event loop.

`AsyncGateway` → `AsyncNetwork` → `AsyncContract` → `AsyncProposal` → `AsyncTransaction`
→ `AsyncCommit` mirror the sync classes one for one; what goes over the network is
awaited, nothing else is (`new_proposal` only builds a message). Each async object wraps
its sync counterpart, which builds the message to sign (proposal, endorsed envelope and
its result, commit status request); deadlines and error translation are the `*_async`
calls of the shared `GatewayClient`, retry decisions the shared `client.retry`. Only the
outer gateway requests that carry a signature (`EndorseRequest`, `EvaluateRequest`,
`SubmitRequest`, `SignedCommitStatusRequest`) are put together here, as the sync
classes do inside their own send methods.

The caller owns the channel, as with `Gateway`: open one `grpc.aio` channel per peer
with `connect_async`, in the event loop that will use it, share it between every
`AsyncGateway` and call (it multiplexes them all over one HTTP/2 connection), and close
it when done; a gateway borrows it and never closes it.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Self

import grpc

from ._protos import common_pb2, gateway_pb2, gateway_pb2_grpc, proposal_pb2, transaction_pb2
from ._rpc import DEFAULT_DEADLINES, Deadlines, GatewayClient
from .commit import Commit, Status, validation_code_name
from .contract import Contract
from .errors import ChaincodeEventsError, CommitError, translate_rpc_errors
from .events import ChaincodeEvent, ChaincodeEventsRequest, events_in
from .gateway import tls_channel_settings
from .identity import Identity, Sign
from .proposal import Proposal
from .retry import DEFAULT_RETRY, Attempts, RetryPolicy, retry_call_async
from .transaction import Transaction

__all__ = [
    "AsyncChaincodeEvents",
    "AsyncChaincodeEventsRequest",
    "AsyncCommit",
    "AsyncContract",
    "AsyncGateway",
    "AsyncNetwork",
    "AsyncProposal",
    "AsyncTransaction",
    "connect_async",
]


def connect_async(
    endpoint: str,
    *,
    tls_root_cert: bytes,
    client_cert: bytes | None,
    client_key: bytes | None,
    server_name: str | None = None,
) -> grpc.aio.Channel:
    """Open a `grpc.aio` TLS channel to a peer, as `connect` does; the caller closes it
    (`await channel.close()`, or `async with channel`)."""
    credentials, options = tls_channel_settings(tls_root_cert, client_cert, client_key, server_name)
    return grpc.aio.secure_channel(endpoint, credentials, options=options)


class AsyncGateway:
    """`Gateway` over a borrowed `grpc.aio` channel; the same settings, the same defaults."""

    def __init__(
        self,
        identity: Identity,
        sign: Sign | None,
        channel: grpc.aio.Channel,
        *,
        evaluate_timeout: float = DEFAULT_DEADLINES.evaluate,
        endorse_timeout: float = DEFAULT_DEADLINES.endorse,
        submit_timeout: float = DEFAULT_DEADLINES.submit,
        commit_status_timeout: float = DEFAULT_DEADLINES.commit_status,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.identity = identity
        self._client = GatewayClient(
            stub=gateway_pb2_grpc.GatewayStub(channel),
            identity=identity,
            signer=sign,
            deadlines=Deadlines(
                evaluate=evaluate_timeout,
                endorse=endorse_timeout,
                submit=submit_timeout,
                commit_status=commit_status_timeout,
            ),
            retry=retry,
        )

    def get_network(self, name: str) -> "AsyncNetwork":
        """The channel called `name`."""
        return AsyncNetwork(self._client, name)


class AsyncNetwork:
    """`Network` whose contracts, commits and chaincode events are awaited."""

    def __init__(self, client: GatewayClient, name: str) -> None:
        self._client = client
        self.name = name

    def get_contract(
        self, chaincode_name: str, contract_name: str | None = None
    ) -> "AsyncContract":
        """The contract `contract_name` of `chaincode_name`, or its default contract if None."""
        return AsyncContract(self._client, self.name, chaincode_name, contract_name)

    def get_commit(self, transaction_id: str) -> "AsyncCommit":
        """The commit of a transaction submitted earlier; see `Network.get_commit`."""
        return AsyncCommit(self._client, Commit(self._client, self.name, transaction_id))

    def new_chaincode_events_request(
        self,
        chaincode_name: str,
        *,
        start_block: int | None = None,
        after_transaction_id: str | None = None,
    ) -> "AsyncChaincodeEventsRequest":
        """A request for `chaincode_name`'s events, to sign offline before `events()`."""
        request = ChaincodeEventsRequest(
            self._client,
            self.name,
            chaincode_name,
            start_block=start_block,
            after_transaction_id=after_transaction_id,
        )
        return AsyncChaincodeEventsRequest(self._client, request)

    def chaincode_events(
        self,
        chaincode_name: str,
        *,
        start_block: int | None = None,
        after_transaction_id: str | None = None,
        timeout: float | None = None,
    ) -> "AsyncChaincodeEvents":
        """Listen to `chaincode_name`'s events with `async for`; close the result (or use
        it in an `async with` block) to stop. See `Network.chaincode_events`."""
        request = self.new_chaincode_events_request(
            chaincode_name, start_block=start_block, after_transaction_id=after_transaction_id
        )
        return request.events(timeout=timeout)


class AsyncContract:
    """`Contract` with awaitable `evaluate` and `submit`, which retry by the same rules."""

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
    ) -> "AsyncProposal":
        """Build a proposal for transaction function `name`; nothing is sent yet."""
        return self._new_proposal(self._client, name, args, transient, endorsing_organizations)

    async def evaluate(
        self,
        name: str,
        args: Sequence[str | bytes] = (),
        transient: Mapping[str, bytes] | None = None,
        endorsing_organizations: Sequence[str] | None = None,
        *,
        timeout: float | None = None,
    ) -> bytes:
        """Run a read-only function and return its result; see `Contract.evaluate`.

        Same as `await contract.new_proposal(name, args, ...).evaluate()`, with the
        retries and `timeout` of `Contract.evaluate`.
        """
        client = self._client.for_call(timeout)
        proposal = self._new_proposal(client, name, args, transient, endorsing_organizations)
        attempts = Attempts(client.retry, client.deadline)
        return await retry_call_async(attempts, "evaluate", proposal.evaluate)

    async def submit(
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

            transaction = await contract.new_proposal(name, args, ...).endorse()
            status = await (await transaction.submit()).status()
            if not status.successful:
                raise CommitError(...)
            return transaction.result

        Retries exactly as `Contract.submit` does: the same proposal again after endorse
        fails with UNAVAILABLE, a new proposal (new transaction id) after an
        MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT, nothing else; `timeout` bounds the
        whole call. Raises what `Contract.submit` raises.
        """
        client = self._client.for_call(timeout)
        attempts = Attempts(client.retry, client.deadline)
        new_proposal = partial(
            self._new_proposal, client, name, args, transient, endorsing_organizations
        )
        proposal = new_proposal()
        while True:
            transaction = await retry_call_async(attempts, "endorse", proposal.endorse)
            submitted = await retry_call_async(attempts, "submit", transaction.submit)
            status = await retry_call_async(attempts, "commit status", submitted.status)
            if status.successful:
                return transaction.result
            again = attempts.after_commit(status, transaction.transaction_id, new_proposal)
            if again is None:
                raise CommitError(
                    transaction.transaction_id, status.code, status.code_name, status.block_number
                )
            proposal, delay = again
            await asyncio.sleep(delay)

    def _new_proposal(
        self,
        client: GatewayClient,
        name: str,
        args: Sequence[str | bytes],
        transient: Mapping[str, bytes] | None,
        endorsing_organizations: Sequence[str] | None,
    ) -> "AsyncProposal":
        contract = Contract(client, self.channel_name, self.chaincode_name, self.contract_name)
        proposal = contract.new_proposal(name, args, transient, endorsing_organizations)
        return AsyncProposal(client, self.channel_name, proposal, endorsing_organizations or ())


class AsyncProposal:
    """`Proposal` whose `endorse` and `evaluate` are awaited; the same bytes to sign."""

    def __init__(
        self,
        client: GatewayClient,
        channel_name: str,
        proposal: Proposal,
        endorsing_organizations: Sequence[str] = (),
    ) -> None:
        self._client = client
        self._channel_name = channel_name
        self._proposal = proposal
        self._endorsing_organizations = list(endorsing_organizations)
        self._signature: bytes | None = None

    @property
    def transaction_id(self) -> str:
        return self._proposal.transaction_id

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return self._proposal.digest()

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; the gateway's signer is then skipped."""
        self._signature = signature

    async def endorse(self) -> "AsyncTransaction":
        """Have the gateway collect endorsements; returns the transaction to submit."""
        request = gateway_pb2.EndorseRequest(
            transaction_id=self.transaction_id,
            channel_id=self._channel_name,
            proposed_transaction=self._signed(),
            endorsing_organizations=self._endorsing_organizations,
        )
        response = await self._client.endorse_async(request, self.transaction_id)
        transaction = Transaction(
            self._client, self._channel_name, self.transaction_id, response.prepared_transaction
        )
        return AsyncTransaction(self._client, self._channel_name, transaction)

    async def evaluate(self) -> bytes:
        """Run the function on one peer without touching the ledger; returns its result."""
        request = gateway_pb2.EvaluateRequest(
            transaction_id=self.transaction_id,
            channel_id=self._channel_name,
            proposed_transaction=self._signed(),
            target_organizations=self._endorsing_organizations,
        )
        response = await self._client.evaluate_async(request, self.transaction_id)
        result: bytes = response.result.payload
        return result

    def _signed(self) -> Any:
        if self._signature is None:
            self._signature = self._client.sign(self.digest(), f"proposal {self.transaction_id}")
        return proposal_pb2.SignedProposal(proposal_bytes=self.bytes(), signature=self._signature)

    # Last in the class on purpose: below it, `bytes` in an annotation would mean this method.
    def bytes(self) -> bytes:
        """The serialized `peer.Proposal`: exactly what the signature covers."""
        return self._proposal.bytes()


class AsyncTransaction:
    """`Transaction` whose `submit` is awaited; the same result and bytes to sign."""

    def __init__(self, client: GatewayClient, channel_name: str, transaction: Transaction) -> None:
        self._client = client
        self._channel_name = channel_name
        self._transaction = transaction
        self._signature: bytes | None = None

    @property
    def transaction_id(self) -> str:
        return self._transaction.transaction_id

    @property
    def result(self) -> bytes:
        """The chaincode's response payload, as endorsed; it counts once the commit is VALID."""
        return self._transaction.result

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return self._transaction.digest()

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; the gateway's signer is then skipped."""
        self._signature = signature

    async def submit(self) -> "AsyncCommit":
        """Send the signed transaction for ordering; returns without waiting for the commit."""
        if self._signature is None:
            self._signature = self._client.sign(self.digest(), f"transaction {self.transaction_id}")
        request = gateway_pb2.SubmitRequest(
            transaction_id=self.transaction_id,
            channel_id=self._channel_name,
            prepared_transaction=common_pb2.Envelope(
                payload=self.bytes(), signature=self._signature
            ),
        )
        await self._client.submit_async(request, self.transaction_id)
        commit = Commit(self._client, self._channel_name, self.transaction_id)
        return AsyncCommit(self._client, commit)

    # Last in the class on purpose: below it, `bytes` in an annotation would mean this method.
    def bytes(self) -> bytes:
        """The envelope payload: exactly what the signature covers."""
        return self._transaction.bytes()


class AsyncCommit:
    """`Commit` whose `status` is awaited; the same request bytes to sign."""

    def __init__(self, client: GatewayClient, commit: Commit) -> None:
        self._client = client
        self._commit = commit
        self._signature: bytes | None = None

    @property
    def transaction_id(self) -> str:
        return self._commit.transaction_id

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return self._commit.digest()

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; the gateway's signer is then skipped."""
        self._signature = signature

    async def status(self) -> Status:
        """Wait until the transaction is committed (or the deadline passes); return its status."""
        if self._signature is None:
            self._signature = self._client.sign(
                self.digest(), f"commit status request for {self.transaction_id}"
            )
        request = gateway_pb2.SignedCommitStatusRequest(
            request=self.bytes(), signature=self._signature
        )
        response = await self._client.commit_status_async(request, self.transaction_id)
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
        return self._commit.bytes()


class AsyncChaincodeEventsRequest:
    """`ChaincodeEventsRequest` whose `events()` are read with `async for`."""

    def __init__(self, client: GatewayClient, request: ChaincodeEventsRequest) -> None:
        self._client = client
        self._request = request

    def digest(self) -> bytes:
        """The SHA-256 digest of `bytes()`, for a signer outside this process."""
        return self._request.digest()

    def set_signature(self, signature: bytes) -> None:
        """Attach a signature made offline over `digest()`; the gateway's signer is then skipped."""
        self._request.set_signature(signature)

    def events(self, *, timeout: float | None = None) -> "AsyncChaincodeEvents":
        """Open the stream; see `ChaincodeEventsRequest.events`."""
        return AsyncChaincodeEvents(self._client.chaincode_events(self._request.signed(), timeout))

    # Last in the class on purpose: below it, `bytes` in an annotation would mean this method.
    def bytes(self) -> bytes:
        """The serialized `ChaincodeEventsRequest`: exactly what the signature covers."""
        return self._request.bytes()


class AsyncChaincodeEvents(AsyncIterator[ChaincodeEvent]):
    """`ChaincodeEvents` read with `async for`: each event as it arrives, until closed.

    `close()` (or leaving an `async with` block) cancels the stream, from any task;
    iteration then ends. A failure raises ChaincodeEventsError from the iteration.
    """

    def __init__(self, call: Any) -> None:
        self._call = call
        self._pending: deque[ChaincodeEvent] = deque()
        self._closed = False

    async def __anext__(self) -> ChaincodeEvent:
        while not self._closed:
            if self._pending:
                return self._pending.popleft()
            try:
                with translate_rpc_errors(ChaincodeEventsError, None):
                    response = await self._call.read()
            except (asyncio.CancelledError, ChaincodeEventsError):
                # `close()` cancels the call under a pending read; anything else goes on.
                if self._closed and not _task_is_cancelled():
                    break
                raise
            if response is grpc.aio.EOF:  # the peer ended the stream
                break
            self._pending.extend(events_in(response))
        raise StopAsyncIteration

    def close(self) -> None:
        """Stop listening: cancel the stream. Events received but not yet read are dropped."""
        self._closed = True
        self._call.cancel()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _task_is_cancelled() -> bool:
    """Whether the running task itself is being cancelled (not just a call it awaited)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
