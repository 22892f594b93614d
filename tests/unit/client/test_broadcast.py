"""Sending an envelope to an in-process fake of an orderer's AtomicBroadcast service.

The fake checks the envelope's signature against its creator's certificate, as the
orderer's signature filter does, then answers as scripted: SUCCESS, a refusal with the
orderer's reason, a gRPC error, silence or slowness.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from client_fakes import in_process_channel, in_process_server, verify
from cryptography.exceptions import InvalidSignature
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.orderer import ab_pb2, ab_pb2_grpc

from client import (
    BroadcastError,
    GatewayError,
    broadcast,
    signed_for_submission,
    update_envelope,
)

CHANNEL = "community-sunnyside"
POLICY_REASON = (
    "implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy "
    "requires 2 of the 'Admins' sub-policies to be satisfied"
)


@dataclass
class FakeOrderer(ab_pb2_grpc.AtomicBroadcastServicer):
    """Answers each envelope with (`status`, `info`) once its signature checks out.

    `abort` fails the call with (code, message) instead; `silent` ends the stream without
    an answer; `delay` holds the answer back. `received` logs every envelope.
    """

    status: int = common_pb2.Status.SUCCESS
    info: str = ""
    abort: tuple[grpc.StatusCode, str] | None = None
    silent: bool = False
    delay: float = 0
    received: list[Any] = field(default_factory=list)

    def Broadcast(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:
        for envelope in request_iterator:
            self.received.append(envelope)
            if self.abort is not None:
                context.abort(*self.abort)
            if self.silent:
                return
            time.sleep(self.delay)
            payload = common_pb2.Payload.FromString(envelope.payload)
            header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
            try:
                verify(envelope.signature, envelope.payload, header.creator)
            except InvalidSignature:
                yield ab_pb2.BroadcastResponse(
                    status=common_pb2.Status.FORBIDDEN, info="the signature is invalid"
                )
                continue
            yield ab_pb2.BroadcastResponse(status=self.status, info=self.info)


@pytest.fixture(scope="module")
def orderer_server() -> Iterator[tuple[FakeOrderer, grpc.Channel]]:
    servicer = FakeOrderer()
    register = ab_pb2_grpc.add_AtomicBroadcastServicer_to_server
    with in_process_channel(register, servicer) as channel:
        yield servicer, channel


@pytest.fixture
def orderer(orderer_server: tuple[FakeOrderer, grpc.Channel]) -> FakeOrderer:
    servicer = orderer_server[0]
    servicer.status, servicer.info = common_pb2.Status.SUCCESS, ""
    servicer.abort, servicer.silent, servicer.delay = None, False, 0
    servicer.received.clear()
    return servicer


@pytest.fixture
def orderer_channel(orderer_server: tuple[FakeOrderer, grpc.Channel]) -> grpc.Channel:
    return orderer_server[1]


@pytest.fixture
def envelope(user: Any) -> bytes:
    """A config update as `peer channel update` sends it, signed by the test user."""
    update = configtx_pb2.ConfigUpdate(channel_id=CHANNEL)
    update.write_set.groups["Orderer"].values["BatchTimeout"].version = 1
    unsigned = update_envelope(CHANNEL, update.SerializeToString())
    return signed_for_submission(unsigned, user.identity, user.sign)


def test_an_accepted_envelope_is_sent_once_as_it_is(orderer, orderer_channel, envelope) -> None:
    assert broadcast(orderer_channel, envelope) is None

    assert [e.SerializeToString() for e in orderer.received] == [envelope]


@pytest.mark.parametrize(
    ("status", "info", "message"),
    [
        (
            common_pb2.Status.FORBIDDEN,
            POLICY_REASON,
            f"with status FORBIDDEN: {POLICY_REASON}",
        ),
        (common_pb2.Status.BAD_REQUEST, "", "with status BAD_REQUEST: no reason given"),
    ],
    ids=["forbidden", "no-reason"],
)
def test_a_refusal_carries_the_orderers_status_and_reason(
    orderer, orderer_channel, envelope, status, info, message
) -> None:
    orderer.status, orderer.info = status, info

    with pytest.raises(BroadcastError) as caught:
        broadcast(orderer_channel, envelope)

    error = caught.value
    assert isinstance(error, GatewayError)
    assert (error.status, error.info, error.grpc_code) == (
        common_pb2.Status.Name(status),
        info,
        None,
    )
    assert str(error) == (
        f"the orderer refused the CONFIG_UPDATE envelope for channel {CHANNEL} {message}"
    )


def test_an_envelope_with_a_bad_signature_is_refused_by_the_fake(
    orderer, orderer_channel, envelope, user
) -> None:
    outer = common_pb2.Envelope.FromString(envelope)
    outer.signature = user.sign(b"\x00" * 32)

    with pytest.raises(BroadcastError) as caught:
        broadcast(orderer_channel, outer.SerializeToString())

    assert (caught.value.status, caught.value.info) == ("FORBIDDEN", "the signature is invalid")


def test_a_failed_call_is_a_broadcast_error_with_the_grpc_status(
    orderer, orderer_channel, envelope
) -> None:
    orderer.abort = (grpc.StatusCode.UNAVAILABLE, "orderer is shutting down")

    with pytest.raises(BroadcastError) as caught:
        broadcast(orderer_channel, envelope)

    error = caught.value
    assert (error.grpc_code, error.status, error.info) == (grpc.StatusCode.UNAVAILABLE, None, "")
    assert str(error) == "orderer is shutting down (gRPC status UNAVAILABLE)"
    assert isinstance(error.__cause__, grpc.RpcError)


def test_an_orderer_that_is_not_there_is_unavailable(envelope) -> None:
    register = ab_pb2_grpc.add_AtomicBroadcastServicer_to_server
    with in_process_server(register, FakeOrderer()) as address:
        pass  # the port was just freed: nothing listens there now
    with grpc.insecure_channel(address) as channel, pytest.raises(BroadcastError) as caught:
        broadcast(channel, envelope, timeout=5)

    assert caught.value.grpc_code == grpc.StatusCode.UNAVAILABLE


def test_an_orderer_hanging_up_without_an_answer_is_an_error(
    orderer, orderer_channel, envelope
) -> None:
    orderer.silent = True

    with pytest.raises(BroadcastError) as caught:
        broadcast(orderer_channel, envelope)

    assert str(caught.value) == (
        f"the orderer closed the stream without answering the CONFIG_UPDATE envelope "
        f"for channel {CHANNEL}"
    )


def test_an_answer_later_than_the_timeout_is_a_deadline_error(
    orderer, orderer_channel, envelope
) -> None:
    orderer.delay = 1

    with pytest.raises(BroadcastError) as caught:
        broadcast(orderer_channel, envelope, timeout=0.2)

    assert caught.value.grpc_code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_bytes_that_are_no_envelope_are_refused_before_sending(orderer, orderer_channel) -> None:
    with pytest.raises(ValueError, match=r"^the envelope is not a common\.Envelope: "):
        broadcast(orderer_channel, b"\xff\xff not protobuf")
    assert orderer.received == []
