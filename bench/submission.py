"""One transaction as the load generator submits it: Fabric's long form, no retries.

Endorse, submit and wait for the commit status without the client's retries, so that
every failure reaches the load generator and is counted by its kind; only a peer's
"not now" (its concurrency limit turned the call away unrun) is waited out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bench.loadgen import Refused
from client import AsyncContract, CommitError, GatewayError

# seconds before a job a peer turned away is offered again: the API's Retry-After. Each
# try sends the whole proposal before the peer can refuse it, so trying often costs
PEER_RETRY_AFTER = 1.0
# and before an endorsed transaction's submission or commit status request is sent again
RESEND_AFTER = 0.1

T = TypeVar("T")


@dataclass(frozen=True)
class Committed:
    """A transaction that committed VALID: where, and what the chaincode returned."""

    transaction_id: str
    block_number: int
    result: bytes


async def until_taken(call: Callable[[], Awaitable[T]]) -> T:
    """`await call()`, sent again after a wait each time a peer turns it away unrun."""
    while True:
        try:
            return await call()
        except GatewayError as exc:
            if not exc.turned_away:
                raise
        await asyncio.sleep(RESEND_AFTER)


async def submit_long_form(
    contract: AsyncContract,
    name: str,
    args: tuple[str, ...] = (),
    transient: dict[str, bytes] | None = None,
) -> Committed:
    """Endorse, submit and wait for the commit status, without the client's retries, so
    that every failure reaches the load generator and is counted by its kind. A peer
    that turns the endorsement away (its concurrency limit) took nothing: the load
    generator offers the job again after a wait. A submission or commit status request
    turned away is sent again as it is, so an endorsement is never thrown away."""
    proposal = contract.new_proposal(name, args=args, transient=transient)
    try:
        transaction = await proposal.endorse()
    except GatewayError as exc:
        if exc.turned_away:
            raise Refused(PEER_RETRY_AFTER) from exc
        raise
    committing = await until_taken(transaction.submit)
    status = await until_taken(committing.status)
    if not status.successful:
        raise CommitError(
            proposal.transaction_id, status.code, status.code_name, status.block_number
        )
    return Committed(proposal.transaction_id, status.block_number, transaction.result)
