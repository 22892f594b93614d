"""The API's way to the ledger: one gRPC channel per peer, a Gateway per caller.

The channels are made once per process and shared by every request (no TLS
handshake per call); each request borrows one through a Gateway that signs with the
caller's own key from the wallet, so the ledger sees the real caller. The TLS client
certificate of the channels is the org admin's; identity on the ledger comes from
the signature, not from TLS.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import grpc
from flask import Flask, current_app, g

from client import CAClient, FileWallet, Gateway, connect
from client.facade import Caller, Ledger
from network.ca import OrgCA
from network.topology import Org, org_by_key, orgs

EXTENSION = "gridledger"


@dataclass
class User:
    """An authenticated API user: the wallet label of its identity and its org."""

    label: str
    org: str


class LedgerAccess:
    """Per-process state: peer channels, the wallet, the CAs. Stored in app.extensions."""

    def __init__(self, app: Flask) -> None:
        paths = app.config["PATHS"]
        self.wallet = FileWallet(paths.wallet, app.config["WALLET_PASSPHRASE"].encode())
        self.timeout = float(app.config["LEDGER_TIMEOUT_SECONDS"])
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()

    def channel(self, org: Org) -> grpc.Channel:
        with self._lock:
            if org.key not in self._channels:
                tls = OrgCA(org).tls("admin")
                self._channels[org.key] = connect(
                    org.peer_address,
                    tls_root_cert=OrgCA(org).ca_cert.read_bytes(),
                    client_cert=self.tls_certificate(org),
                    client_key=(tls / "key.pem").read_bytes(),
                )
            return self._channels[org.key]

    def tls_certificate(self, org: Org) -> bytes:
        """The client certificate of the channel to `org`'s peer (deliver requests bind to it)."""
        return (OrgCA(org).tls("admin") / "cert.pem").read_bytes()

    def ca(self, org: Org) -> CAClient:
        return CAClient(org.ca_url, org.ca_name, OrgCA(org).ca_cert.read_bytes())

    def ledger_for(self, user: User, community: str) -> Ledger:
        entry = self.wallet.get(user.label)
        org = org_by_key(user.org)
        gateway = Gateway(
            entry.identity(),
            entry.signer(),
            self.channel(org),
            evaluate_timeout=self.timeout,
            endorse_timeout=self.timeout,
            submit_timeout=self.timeout,
            commit_status_timeout=self.timeout * 4,
        )
        caller = Caller.from_certificate(entry.msp_id, entry.certificate)
        return Ledger(gateway, caller, community=community)

    def ready(self) -> dict[str, str]:
        """Each peer channel's connectivity: 'ok' or why not."""
        states = {}
        for org in orgs():
            try:
                grpc.channel_ready_future(self.channel(org)).result(timeout=2)
                states[org.key] = "ok"
            except (grpc.FutureTimeoutError, OSError) as exc:
                states[org.key] = f"unreachable ({type(exc).__name__})"
        return states

    def close(self) -> None:
        with self._lock:
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = LedgerAccess(app)


def access() -> LedgerAccess:
    extension: LedgerAccess = current_app.extensions[EXTENSION]
    return extension


def ledger() -> Ledger:
    """The current request's Ledger, made once per request for the authenticated user."""
    if "ledger" not in g:
        g.ledger = access().ledger_for(g.user, current_app.config["COMMUNITY"])
    found: Ledger = g.ledger
    return found
