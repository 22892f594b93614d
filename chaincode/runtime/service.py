"""The gRPC ``Chaincode`` service a peer connects to (chaincode-as-a-service).

The shim handles every peer message in its own asyncio task, and all of them
write to the one response stream. gRPC allows one outstanding write per call:
concurrent writes fail with ``GRPC_CALL_ERROR_TOO_MANY_OPERATIONS``, the reply
is lost and the peer times out. :class:`SerializedContext` admits one write at a
time; :class:`ChaincodeService` hands it to each stream's handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable
from typing import Any

from fabric_chaincode_python.fabric_shim.interfaces import Chaincode
from fabric_protos.peer import chaincode_shim_pb2_grpc

from .handler import GridLedgerHandler

__all__ = ["ChaincodeService", "SerializedContext"]

LOG = logging.getLogger(__name__)


class SerializedContext:
    """A gRPC servicer context whose ``write`` sends one message at a time."""

    def __init__(self, context: Any) -> None:
        self._context = context
        self._lock = asyncio.Lock()

    async def write(self, message: Any) -> None:
        async with self._lock:
            await self._context.write(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class ChaincodeService(chaincode_shim_pb2_grpc.ChaincodeServicer):
    """Serves one chaincode to every peer stream opened with ``Chaincode.Connect``."""

    def __init__(self, chaincode_id: str, chaincode: Chaincode) -> None:
        self._chaincode_id = chaincode_id
        self._chaincode = chaincode

    async def Connect(self, request_iterator: AsyncIterable[Any], context: Any) -> None:
        LOG.info("peer %s connected", context.peer())
        handler = GridLedgerHandler(self._chaincode_id, self._chaincode)
        try:
            await handler.chat_with_peer(request_iterator, SerializedContext(context))
        finally:
            LOG.info("peer %s disconnected", context.peer())
