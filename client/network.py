"""A channel seen through a gateway: the scope in which chaincode is called."""

from ._rpc import GatewayClient
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
