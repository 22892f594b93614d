"""The API's way to the ledger: its org's connection profile, one gRPC channel to its peer.

An API serves one organisation: its people log in at that org's CA and every call goes
to that org's own peer, which is on every channel the org is on. The channel is made
once per process and shared by every request (no TLS handshake per call); each request
borrows it through a Gateway that signs with the caller's own key from the wallet, so
the ledger sees the real caller. The channel's TLS client certificate is the API's
own (`TLS_CERT`); identity on the ledger comes from the signature, not from TLS.

The profile is read again when its file changes, so a community channel the org joins
while the API runs is served without a restart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import grpc
from flask import Flask, current_app, g

from api.credentials import ApiKeys
from api.logins import LoginGuard
from client import CAClient, FileWallet, Gateway, connect
from client.facade import Caller, Ledger
from client.profile import ConnectionProfile, NodeEntry
from gridspec.channels import community_name
from gridspec.revoked import REVOCATIONS_FILE, Revocations

EXTENSION = "gridledger"


@dataclass
class User:
    """An authenticated API user: the wallet label of its identity."""

    label: str


class LedgerAccess:
    """Per-process state: the profile, the peer channel, the wallet. In app.extensions."""

    def __init__(self, app: Flask) -> None:
        self.profile_path = Path(app.config["PROFILE"])
        api_dir = Path(app.config["API_DIR"])
        self.wallet = FileWallet(api_dir / "wallet", app.config["WALLET_PASSPHRASE"].encode())
        self.api_keys = ApiKeys(api_dir / "api-keys.json", int(app.config["API_KEY_TTL_DAYS"]))
        self.revocations = Revocations(api_dir / REVOCATIONS_FILE)
        self.logins = LoginGuard(api_dir / "logins.json")
        self.updates_dir = api_dir / "config-updates"
        self.timeout = float(app.config["LEDGER_TIMEOUT_SECONDS"])
        self.tls_cert = Path(app.config["TLS_CERT"]).read_bytes()
        self._tls_key = Path(app.config["TLS_KEY"]).read_bytes()
        self._lock = threading.Lock()
        self._profile_stamp: float | None = None
        self._profile = self.profile
        self._channels: dict[str, grpc.Channel] = {}

    @property
    def profile(self) -> ConnectionProfile:
        """The org's connection profile, as its file says now."""
        stamp = self.profile_path.stat().st_mtime
        with self._lock:
            if stamp != self._profile_stamp:
                self._profile = ConnectionProfile.load(self.profile_path)
                self._profile_stamp = stamp
            return self._profile

    @property
    def org(self) -> str:
        return self.profile.organization

    @property
    def msp_id(self) -> str:
        return self.profile.msp_id

    def communities(self) -> list[str]:
        """The communities whose channels the org is on."""
        names = (community_name(c) for c in self.profile.channels)
        return sorted(n for n in names if n is not None)

    def connection(self, node: NodeEntry) -> grpc.Channel:
        """The shared channel to a peer or orderer of the profile (mutual TLS as the API)."""
        with self._lock:
            if node.url not in self._channels:
                self._channels[node.url] = connect(
                    node.address,
                    tls_root_cert=node.tls_root,
                    client_cert=self.tls_cert,
                    client_key=self._tls_key,
                )
            return self._channels[node.url]

    def channel(self) -> grpc.Channel:
        """The channel to the org's own peer."""
        return self.connection(self.profile.peer)

    def ca(self) -> CAClient:
        ca = self.profile.ca
        return CAClient(ca.url, ca.name, ca.tls_root)

    def gateway(self, label: str) -> Gateway:
        entry = self.wallet.get(label)
        return Gateway(
            entry.identity(),
            entry.signer(),
            self.channel(),
            evaluate_timeout=self.timeout,
            endorse_timeout=self.timeout,
            submit_timeout=self.timeout,
            commit_status_timeout=self.timeout * 4,
        )

    def ledger_for(self, user: User, community: str | None) -> Ledger:
        entry = self.wallet.get(user.label)
        caller = Caller.from_certificate(entry.msp_id, entry.certificate)
        return Ledger(self.gateway(user.label), caller, community=community)

    def ready(self) -> dict[str, str]:
        """The peer channel's connectivity: 'ok' or why not."""
        peer = self.profile.peer
        try:
            grpc.channel_ready_future(self.channel()).result(timeout=2)
        except (grpc.FutureTimeoutError, OSError) as exc:
            return {peer.name: f"unreachable ({type(exc).__name__})"}
        return {peer.name: "ok"}

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
    """The current request's Ledger, made once per request for the authenticated user.

    Its community is the one the request's path names (`/communities/<name>/...`).
    """
    if "ledger" not in g:
        g.ledger = access().ledger_for(g.user, g.get("community"))
    found: Ledger = g.ledger
    return found
