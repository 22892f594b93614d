"""The gRPC ``Chaincode`` service a peer connects to (chaincode-as-a-service).

The shim handles every peer message in its own asyncio task, and all of them
write to the one response stream. gRPC allows one outstanding write per call:
concurrent writes fail with ``GRPC_CALL_ERROR_TOO_MANY_OPERATIONS``, the reply
is lost and the peer times out. :class:`SerializedContext` admits one write at a
time; :class:`ChaincodeService` hands it to each stream's handler.

A peer's stream never ends by itself, so stopping the server would always wait out
the grace period and then cancel the stream mid-flight. ``close_streams`` instead
lets in-flight transactions finish, then closes each stream cleanly.
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
        self._streams: dict[asyncio.Task[Any], GridLedgerHandler] = {}
        self._closing = False

    async def Connect(self, request_iterator: AsyncIterable[Any], context: Any) -> None:
        LOG.info("peer %s connected", context.peer())
        handler = GridLedgerHandler(self._chaincode_id, self._chaincode)
        task = asyncio.current_task()
        assert task is not None
        self._streams[task] = handler
        try:
            await handler.chat_with_peer(request_iterator, SerializedContext(context))
        except asyncio.CancelledError:
            if not self._closing:
                raise
        finally:
            self._streams.pop(task, None)
            LOG.info("peer %s disconnected", context.peer())

    async def close_streams(self, grace: float) -> None:
        """Wait up to *grace* seconds for in-flight transactions, then end every stream."""
        self._closing = True
        in_flight = [t for h in self._streams.values() for t in h.in_flight()]
        if in_flight:
            await asyncio.wait(in_flight, timeout=grace)
        streams = list(self._streams)
        for task in streams:
            task.cancel()
        if streams:
            await asyncio.wait(streams, timeout=grace)
