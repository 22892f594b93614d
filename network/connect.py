"""Open a connection to a peer as one of the network's enrolled identities.

The bridge between the run folder (where the CA put each identity's certificate and
key) and the client library: used by the demo, the integration and fault tests and
scripts. The user's enrollment certificate doubles as its TLS client certificate,
which the peers' mutual TLS accepts because one CA per org issues both; a deliver
request is bound to that certificate by its hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from client import (
    Gateway,
    certificate_hash,
    connect,
    deliver_blocks,
    fetch_channel,
    load_identity,
    load_private_key,
    new_private_key_signer,
    newest_block_number,
)
from network.ca import OrgCA, private_key
from network.topology import Org


@dataclass(frozen=True)
class PeerSession:
    """One identity's mutual-TLS channel to one peer, and what calls over it need."""

    channel: Any
    identity: Any
    sign: Any
    tls_certificate_hash: bytes

    def gateway(self, **timeouts: float) -> Gateway:
        return Gateway(self.identity, self.sign, self.channel, **timeouts)

    def blocks(self, channel_name: str, start: int, stop: int, timeout: float = 30) -> list[Any]:
        """Blocks `start` to `stop` of `channel_name`, waiting for those not cut yet."""
        return deliver_blocks(
            self.channel,
            self.identity,
            self.sign,
            channel_name,
            start,
            stop,
            tls_certificate_hash=self.tls_certificate_hash,
            timeout=timeout,
        )

    def newest(self, channel_name: str) -> int:
        return newest_block_number(
            self.channel,
            self.identity,
            self.sign,
            channel_name,
            tls_certificate_hash=self.tls_certificate_hash,
        )

    def whole_channel(self, channel_name: str) -> list[Any]:
        return fetch_channel(
            self.channel,
            self.identity,
            self.sign,
            channel_name,
            tls_certificate_hash=self.tls_certificate_hash,
        )


@contextmanager
def peer_session(org: Org, user: str, peer_org: Org | None = None) -> Iterator[PeerSession]:
    """`user` of `org` connected to `peer_org`'s peer (default: its own); closed on exit."""
    target = peer_org or org
    msp = OrgCA(org).msp(user)
    cert = msp / "signcerts" / "cert.pem"
    key = private_key(msp)
    channel = connect(
        target.peer_address,
        tls_root_cert=OrgCA(target).ca_cert.read_bytes(),
        client_cert=cert.read_bytes(),
        client_key=key.read_bytes(),
    )
    try:
        yield PeerSession(
            channel,
            load_identity(org.msp_id, cert),
            new_private_key_signer(load_private_key(key)),
            certificate_hash(cert.read_bytes()),
        )
    finally:
        channel.close()


@contextmanager
def gateway(org: Org, user: str, peer_org: Org | None = None) -> Iterator[Gateway]:
    """A Gateway for `user` of `org`, talking to `peer_org`'s peer (default: its own)."""
    with peer_session(org, user, peer_org) as session:
        yield session.gateway()
