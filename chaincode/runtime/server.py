"""Serve a chaincode to its peers over gRPC (chaincode-as-a-service).

Everything comes from explicit arguments. Unlike the shim's ``start()``, nothing is
read from ``CHAINCODE_ID``, ``CHAINCODE_SERVER_ADDRESS`` or ``CORE_TLS_CLIENT_*``,
which a process may inherit without anyone noticing::

    python -m chaincode.consortium --chaincode-id consortium_1.0:<sha256> \\
        --address 0.0.0.0:9999 --tls-cert server.crt --tls-key server.key \\
        --tls-client-root peer-tls-ca.crt

``serve()`` runs until SIGINT/SIGTERM; ``start_server()`` is the same server for tests.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from fabric_chaincode_python.fabric_shim.interfaces import Chaincode
from fabric_protos.peer import chaincode_shim_pb2_grpc

from .logs import ENV_VAR, configure_logging
from .service import ChaincodeService

__all__ = [
    "SERVER_OPTIONS",
    "RunningServer",
    "ServerError",
    "TLSConfig",
    "build_parser",
    "main",
    "serve",
    "start_server",
]

LOG = logging.getLogger(__name__)
GRACE_SECONDS = 5.0
MAX_MESSAGE_BYTES = 100 * 1024 * 1024  # the peer's own gRPC limit
SERVER_OPTIONS = (
    # grpc-python binds with SO_REUSEPORT by default: a second server on a busy port
    # would start and silently take half the connections. Fail loudly instead.
    ("grpc.so_reuseport", 0),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    # The peer pings its chaincode connection every 60 s; gRPC's server default (at most
    # one ping per 5 min) would answer with GOAWAY "too_many_pings" and drop the stream.
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 30_000),
)
PACKAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*:[0-9a-f]{64}")
ADDRESS = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})")


class ServerError(Exception):
    """The server cannot start: unreadable TLS files, a busy or invalid address."""


@dataclass(frozen=True)
class TLSConfig:
    """Server TLS; with ``client_root``, clients must present a certificate it issued."""

    certificate: bytes
    private_key: bytes
    client_root: bytes | None = None

    @classmethod
    def from_files(
        cls, certificate: str | Path, private_key: str | Path, client_root: str | Path | None = None
    ) -> TLSConfig:
        return cls(
            certificate=_read_pem("--tls-cert", certificate),
            private_key=_read_pem("--tls-key", private_key),
            client_root=None
            if client_root is None
            else _read_pem("--tls-client-root", client_root),
        )

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate)],
            root_certificates=self.client_root,
            require_client_auth=self.client_root is not None,
        )


@dataclass(frozen=True)
class RunningServer:
    """A started chaincode server: its port, and the way to stop it cleanly."""

    server: grpc.aio.Server
    service: ChaincodeService
    port: int

    async def stop(self, grace: float = GRACE_SECONDS) -> None:
        """Let in-flight transactions finish, close the peers' streams, then stop."""
        await self.service.close_streams(grace)
        await self.server.stop(grace)


async def start_server(
    chaincode: Chaincode, *, chaincode_id: str, address: str, tls: TLSConfig | None = None
) -> RunningServer:
    """A started server for *chaincode* (address port 0 picks a free port)."""
    server = grpc.aio.server(options=SERVER_OPTIONS)
    service = ChaincodeService(chaincode_id, chaincode)
    chaincode_shim_pb2_grpc.add_ChaincodeServicer_to_server(service, server)
    try:
        if tls is None:
            port = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, tls.credentials())
    except RuntimeError as exc:
        await server.stop(None)
        raise ServerError(f"cannot listen on {address}: is the port already in use?") from exc
    await server.start()
    return RunningServer(server, service, port)


async def serve(
    chaincode: Chaincode, *, chaincode_id: str, address: str, tls: TLSConfig | None = None
) -> None:
    """Serve *chaincode* on *address* until SIGINT or SIGTERM, then stop gracefully."""
    running = await start_server(chaincode, chaincode_id=chaincode_id, address=address, tls=tls)
    host = address.rpartition(":")[0]
    mode = "insecure" if tls is None else "tls" if tls.client_root is None else "mutual tls"
    LOG.info("chaincode %s listening on %s:%d (%s)", chaincode_id, host, running.port, mode)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        LOG.info("stopping chaincode %s", chaincode_id)
        await running.stop()


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve this chaincode to Fabric peers (chaincode-as-a-service).",
        epilog=f"Log levels: {ENV_VAR}=DEBUG (ours) or e.g. 'INFO,asyncio=INFO' (the shim's).",
    )
    parser.add_argument(
        "--chaincode-id",
        required=True,
        type=_package_id,
        help="the installed package id, '<label>:<sha256>' (peer lifecycle chaincode "
        "calculatepackageid); the peer only accepts this exact id",
    )
    parser.add_argument(
        "--address", required=True, type=_address, help="host:port to listen on, e.g. 0.0.0.0:9999"
    )
    parser.add_argument("--tls-cert", type=Path, help="server TLS certificate (PEM)")
    parser.add_argument("--tls-key", type=Path, help="server TLS private key (PEM)")
    parser.add_argument(
        "--tls-client-root",
        type=Path,
        help="CA (PEM) of the peers' client certificates: enables mutual TLS, "
        "clients without a certificate it issued are refused",
    )
    parser.add_argument(
        "--insecure", action="store_true", help="plain-text gRPC, for local tests only"
    )
    return parser


def main(
    build_chaincode: Callable[[], Chaincode],
    argv: Sequence[str] | None = None,
    *,
    prog: str | None = None,
) -> int:
    """Command-line entry point: parse flags, configure logging, serve; the exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    tls_flags = (args.tls_cert, args.tls_key, args.tls_client_root)
    if args.insecure and any(tls_flags):
        parser.error(
            "--insecure cannot be combined with --tls-cert, --tls-key or --tls-client-root"
        )
    if not args.insecure and (args.tls_cert is None or args.tls_key is None):
        parser.error("--tls-cert and --tls-key are required (or --insecure for a local test)")
    try:
        configure_logging()
    except ValueError as exc:
        parser.error(str(exc))
    try:
        tls = None if args.insecure else TLSConfig.from_files(*tls_flags)
        chaincode = build_chaincode()
        asyncio.run(serve(chaincode, chaincode_id=args.chaincode_id, address=args.address, tls=tls))
    except ServerError as exc:
        LOG.error("%s", exc)
        return 1
    return 0


def _read_pem(flag: str, path: str | Path) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ServerError(f"cannot read {flag} {path}: {exc.strerror}") from exc
    if b"-----BEGIN " not in data:
        raise ServerError(f"{flag} {path} is not a PEM file")
    return data


def _package_id(text: str) -> str:
    if not PACKAGE_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a package id '<label>:<sha256 hex>'")
    return text


def _address(text: str) -> str:
    match = ADDRESS.fullmatch(text)
    if not match or int(match["port"]) > 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not host:port")
    return text
