"""A channel seen through a gateway: the scope in which chaincode is called."""

from ._rpc import GatewayClient
from .commit import Commit
from .contract import Contract

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
