"""Fixtures for the client tests: a session-wide fake gateway server and a user."""

from collections.abc import Iterator

import grpc
import pytest
from client_fakes import FakeGateway, User, in_process_channel, make_certificate
from cryptography.hazmat.primitives.asymmetric import ec
from fabric_protos.gateway import gateway_pb2_grpc

from client import Identity


@pytest.fixture(scope="session")
def user() -> User:
    key = ec.generate_private_key(ec.SECP256R1())
    return User(Identity("Org1MSP", make_certificate(key, "household-17")), key)


@pytest.fixture(scope="session")
def gateway_server() -> Iterator[tuple[FakeGateway, grpc.Channel]]:
    servicer = FakeGateway()
    with in_process_channel(gateway_pb2_grpc.add_GatewayServicer_to_server, servicer) as channel:
        yield servicer, channel


@pytest.fixture
def fake_gateway(gateway_server: tuple[FakeGateway, grpc.Channel]) -> FakeGateway:
    servicer, _ = gateway_server
    servicer.reset()
    return servicer


@pytest.fixture
def channel(gateway_server: tuple[FakeGateway, grpc.Channel]) -> grpc.Channel:
    return gateway_server[1]
