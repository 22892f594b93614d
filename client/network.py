"""A channel seen through a gateway: the scope in which chaincode is called."""

from ._rpc import GatewayClient
from .commit import Commit
from .contract import Contract
from .events import ChaincodeEvents, ChaincodeEventsRequest

__all__ = ["Network"]


class Network:
    """One channel; hands out contracts for the chaincode deployed on it."""

    def __init__(self, client: GatewayClient, name: str) -> None:
        self._client = client
        self.name = name

    def get_contract(self, chaincode_name: str, contract_name: str | None = None) -> Contract:
        """The contract `contract_name` of `chaincode_name`, or its default contract if None."""
        return Contract(self._client, self.name, chaincode_name, contract_name)

    def get_commit(self, transaction_id: str) -> Commit:
        """The commit of a transaction submitted earlier, possibly through another peer.

        `status()` waits until this gateway's peer has committed the transaction, so it
        is how a reader knows its own peer has caught up with someone else's write.
        """
        return Commit(self._client, self.name, transaction_id)

    def new_chaincode_events_request(
        self,
        chaincode_name: str,
        *,
        start_block: int | None = None,
        after_transaction_id: str | None = None,
    ) -> ChaincodeEventsRequest:
        """A request for `chaincode_name`'s events, to sign offline before `events()`.

        Without `start_block` the events start with the next block committed; see
        `client.events` for `after_transaction_id`.
        """
        return ChaincodeEventsRequest(
            self._client,
            self.name,
            chaincode_name,
            start_block=start_block,
            after_transaction_id=after_transaction_id,
        )

    def chaincode_events(
        self,
        chaincode_name: str,
        *,
        start_block: int | None = None,
        after_transaction_id: str | None = None,
        timeout: float | None = None,
    ) -> ChaincodeEvents:
        """Listen to `chaincode_name`'s events; close the result (or use it in a `with`
        block) to stop. `timeout` bounds the whole stream; None listens until closed.

        Same as `network.new_chaincode_events_request(chaincode_name, start_block=...,
        after_transaction_id=...).events(timeout=timeout)`.
        """
        request = self.new_chaincode_events_request(
            chaincode_name, start_block=start_block, after_transaction_id=after_transaction_id
        )
        return request.events(timeout=timeout)
