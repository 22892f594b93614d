"""The shim's peer-stream handler with its defects fixed.

``fabric_chaincode_python``'s :class:`Handler` is reused for its state machine,
its message queue and its request builders (``handle_get_state`` ...). This
subclass changes these things:

* :meth:`handle_stub_interaction` attaches the transaction's chaincode event (the
  last one set: Fabric allows one) to the COMPLETED message, as the Go shim does;
  the shim's version drops it. A chaincode that raises is answered with an ERROR
  message instead of leaving the peer waiting for its 30 s timeout.
* Every ledger request checks the peer's answer: ERROR raises :class:`PeerError`.
  The shim returned an ERROR's payload (the error text) as if it were the value.
* :meth:`handle_message` echoes KEEPALIVE (as the Go shim does) and no longer logs
  a warning for every message.
* :meth:`chat_with_peer` logs no payloads, and when the stream ends it cancels
  the transactions still waiting for the peer instead of waiting for ever.
* An error's message is cut to ``MAX_ERROR_MESSAGE`` characters: it travels back to the
  client in gRPC metadata, which a message echoing a long argument would overflow
  (the client would see a transport error instead of the refusal).
* Where the peer offers it (Fabric 3, see :mod:`chaincode.runtime.batching`), a
  transaction's writes go to the peer in WRITE_BATCH_STATE messages, the last one
  just before COMPLETED, instead of one round trip each.

Writes to the stream must still be serialised by the caller: see
:mod:`chaincode.runtime.service`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable
from typing import Any

from fabric_chaincode_python.fabric_shim.handler import STATES, Handler
from fabric_chaincode_python.fabric_shim.msg_queue_handler import MsgQueueHandler, QueueMessage
from fabric_chaincode_python.fabric_shim.response import ResponseCode, new_error_msg
from fabric_chaincode_python.fabric_shim.stub import ChaincodeStub
from fabric_protos.peer import chaincode_event_pb2, chaincode_pb2, proposal_response_pb2
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb2

from .batching import WRITES, PeerParams, write_record
from .errors import LAST_ERROR, PeerError

__all__ = ["GridLedgerHandler"]

LOG = logging.getLogger(__name__)
Message = shim_pb2.ChaincodeMessage
MAX_ERROR_MESSAGE = 1000


def bounded(message: str) -> str:
    """*message*, cut to MAX_ERROR_MESSAGE characters with a note of how much was cut."""
    if len(message) <= MAX_ERROR_MESSAGE:
        return message
    cut = len(message) - MAX_ERROR_MESSAGE
    return f"{message[:MAX_ERROR_MESSAGE]}... ({cut} more characters)"


class GridLedgerHandler(Handler):
    """One peer stream: handshake, then transactions, each in its own task."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.peer_params = PeerParams()
        self._writes: dict[tuple[str, str], list[Any]] = {}

    async def chat_with_peer(self, stream: AsyncIterable[Any], context: Any) -> None:
        self.state = STATES.CREATED
        self.context = context
        self.msg_queue_handler = MsgQueueHandler(self)
        register = Message(type=Message.REGISTER, payload=self.chaincode_id.SerializeToString())
        register.timestamp.GetCurrentTime()
        await context.write(register)
        try:
            async for message in stream:
                self._track_task(self.handle_message(message))
        finally:
            pending = list(self._pending_tasks)
            for task in pending:
                task.cancel()
            if pending:
                LOG.warning("peer stream ended with %d transaction(s) in flight", len(pending))
                await asyncio.gather(*pending, return_exceptions=True)

    def in_flight(self) -> list[asyncio.Task[Any]]:
        """The tasks of the transactions this stream is still handling."""
        return list(self._pending_tasks)

    async def handle_message(self, msg: Any) -> None:
        if msg.type == Message.KEEPALIVE:
            await self.context.write(msg)
        elif self.state == STATES.ESTABLISHED and msg.type == Message.READY:
            self.peer_params = PeerParams.parse(msg.payload)
            self.state = STATES.READY
        elif self.state == STATES.READY:
            await self.handle_message_ready(msg)
        elif self.state == STATES.ESTABLISHED:
            await self.handle_message_established(msg)
        elif self.state == STATES.CREATED:
            await self.handle_message_created(msg)
        else:
            await self.context.write(new_error_msg(msg, self.state))

    async def handle_stub_interaction(self, msg: Any, action: str = "Invoke") -> None:
        LAST_ERROR.set(None)
        tx = (msg.channel_id, msg.txid)
        self._writes[tx] = []
        try:
            cc_input = chaincode_pb2.ChaincodeInput.FromString(msg.payload)
            stub = ChaincodeStub(self, msg.channel_id, msg.txid, cc_input, msg.proposal)
            if action.lower() == "init":
                response = await self.chaincode.init(stub)
            else:
                response = await self.chaincode.invoke(stub)
            if response is not None and 0 < response.status < ResponseCode.ERRORTHRESHOLD:
                response = await self._flushed(tx, response)
        except Exception as exc:
            LOG.exception("[%s-%s] %s failed", msg.channel_id, msg.txid, action)
            await self.context.write(
                Message(
                    type=Message.ERROR,
                    payload=bounded(f"{action} failed: {exc}").encode(),
                    txid=msg.txid,
                    channel_id=msg.channel_id,
                )
            )
            return
        finally:
            self._writes.pop(tx, None)
        if response is None or not response.status:
            response = proposal_response_pb2.Response(
                status=ResponseCode.ERROR,
                message=f"chaincode {action} returned neither success nor error",
            )
        error = LAST_ERROR.get()
        if error is not None and response.status == ResponseCode.ERROR:
            # the Contract API answers every exception with 500; give ours its own status
            response.status = error.status if response.message == str(error) else response.status
        response.message = bounded(response.message)
        completed = Message(
            type=Message.COMPLETED,
            payload=response.SerializeToString(),
            txid=msg.txid,
            channel_id=msg.channel_id,
        )
        events = stub.get_events()
        if events:
            last = events[-1]
            completed.chaincode_event.CopyFrom(
                chaincode_event_pb2.ChaincodeEvent(event_name=last.event_name, payload=last.payload)
            )
        LOG.debug("[%s-%s] %s status %d", msg.channel_id, msg.txid, action, response.status)
        await self.context.write(completed)

    # The shim sends every ledger request through this private method and returns the
    # peer's reply without looking at its type; overriding it by its mangled name fixes
    # all request kinds at once. tests/unit/chaincode pin that the name still exists.
    async def _Handler__ask_peer_and_listen(self, msg: Any, action: str) -> Any:
        pending = self._writes.get((msg.channel_id, msg.txid))
        if msg.type in WRITES and pending is not None and self.peer_params.use_write_batch:
            pending.append(write_record(msg))
            if len(pending) >= max(1, self.peer_params.max_write_batch):
                await self._flush((msg.channel_id, msg.txid))
            return Message(type=Message.RESPONSE, txid=msg.txid, channel_id=msg.channel_id)
        return await self._ask(msg, action)

    async def _flushed(self, tx: tuple[str, str], response: Any) -> Any:
        """`response`, or the peer's refusal of the buffered writes as a 502 like any other."""
        try:
            await self._flush(tx)
        except PeerError as exc:
            return proposal_response_pb2.Response(status=exc.status, message=str(exc))
        return response

    async def _flush(self, tx: tuple[str, str]) -> None:
        """Send the transaction's buffered writes, in order, in as few messages as allowed."""
        pending = self._writes.get(tx) or []
        size = max(1, self.peer_params.max_write_batch)
        while pending:
            records, pending[:] = pending[:size], pending[size:]
            batch = shim_pb2.WriteBatchState(rec=records)
            message = Message(
                type=Message.WRITE_BATCH_STATE,
                payload=batch.SerializeToString(),
                txid=tx[1],
                channel_id=tx[0],
            )
            await self._ask(message, "WriteBatchState")

    async def _ask(self, msg: Any, action: str) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        await self.msg_queue_handler.queue_msg(QueueMessage(msg, action, future))
        reply = await future
        if reply.type == Message.RESPONSE:
            return reply
        text = reply.payload.decode("utf-8", errors="replace")
        if reply.type == Message.ERROR:
            raise PeerError(f"peer refused {action}: {text}")
        raise PeerError(f"peer answered {action} with unexpected message type {reply.type}")
