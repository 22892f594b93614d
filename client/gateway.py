"""The entry point: an identity connected to a peer's Fabric Gateway service.

The caller owns the gRPC channel, so one channel (and its TLS session) can serve many
gateways, e.g. one per user of a web API; a `Gateway` borrows it and never closes it.
"""

import grpc

from ._protos import gateway_pb2_grpc
from ._rpc import DEFAULT_DEADLINES, Deadlines, GatewayClient
from .identity import Identity, Sign
from .network import Network
from .retry import DEFAULT_RETRY, RetryPolicy

__all__ = ["Gateway", "connect", "tls_channel_settings"]


class Gateway:
    """An identity and its signer, talking to the gateway over a borrowed channel.

    Timeouts are in seconds: each kind of call's default deadline, which a call's own
    `timeout` replaces. `sign` may be None when every proposal, transaction and commit
    status request is signed offline (`set_signature` on each before sending).
    `retry` says how `evaluate` and `submit` retry where Fabric says it is safe
    (`client.retry`); `RetryPolicy(max_attempts=1)` turns retries off.
    """

    def __init__(
        self,
        identity: Identity,
        sign: Sign | None,
        channel: grpc.Channel,
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

    def get_network(self, name: str) -> Network:
        """The channel called `name`."""
        return Network(self._client, name)


def connect(
    endpoint: str,
    *,
    tls_root_cert: bytes,
    client_cert: bytes | None,
    client_key: bytes | None,
    server_name: str | None = None,
) -> grpc.Channel:
    """Open a TLS channel to a peer at `endpoint` ("host:port"); the caller closes it.

    With `client_cert` and `client_key` (PEM) the channel uses mutual TLS, which our
    peers require. `server_name` overrides the name checked against the peer's
    certificate, for when the address differs from it (e.g. "localhost").
    """
    credentials, options = tls_channel_settings(tls_root_cert, client_cert, client_key, server_name)
    return grpc.secure_channel(endpoint, credentials, options=options)


def tls_channel_settings(
    tls_root_cert: bytes,
    client_cert: bytes | None,
    client_key: bytes | None,
    server_name: str | None,
) -> tuple[grpc.ChannelCredentials, list[tuple[str, str]]]:
    """The credentials and options of `connect`'s channel; `connect_async` uses them too."""
    if (client_cert is None) != (client_key is None):
        raise ValueError("client_cert and client_key must be given together")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=tls_root_cert, private_key=client_key, certificate_chain=client_cert
    )
    options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
    return credentials, options
