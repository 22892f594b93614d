"""Open a connection to a peer as one of an org's enrolled identities, from the org's home.

The bridge between an org's home (where its CA put each identity's certificate and
key) and the client library: used by the operator's own steps as its org's admin, and
by the integration and fault tests and the benchmark, which look at every org from
outside. The user's enrolment certificate doubles as its TLS client certificate,
which the peers' mutual TLS accepts (its org's CA issues both); a deliver request is
bound to that certificate by its hash. A peer of another org is reached with that
org's TLS root from its home or the bundle the caller's org imported.
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
from client.configblock import ConfigBlock, latest_config
from network.ca import private_key
from network.home import OrgHome
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

    def config(self, channel_name: str) -> ConfigBlock:
        """The channel's current configuration, as this peer has it."""
        return latest_config(
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


def home_of(org: Org | OrgHome) -> OrgHome:
    """An org's home: given, or the embedded default's for an Org."""
    return org if isinstance(org, OrgHome) else OrgHome.of(org.key)


@contextmanager
def peer_session(
    org: Org | OrgHome, user: str, peer_org: Org | OrgHome | None = None
) -> Iterator[PeerSession]:
    """`user` of `org` connected to `peer_org`'s peer (default: its own); closed on exit."""
    home = home_of(org)
    target = home_of(peer_org) if peer_org is not None else home
    msp = home.identity_msp(user)
    cert = msp / "signcerts" / "cert.pem"
    key = private_key(msp)
    channel = connect(
        target.org.peer_address,
        tls_root_cert=target.ca_cert.read_bytes(),
        client_cert=cert.read_bytes(),
        client_key=key.read_bytes(),
    )
    try:
        yield PeerSession(
            channel,
            load_identity(home.org.msp_id, cert),
            new_private_key_signer(load_private_key(key)),
            certificate_hash(cert.read_bytes()),
        )
    finally:
        channel.close()


@contextmanager
def gateway(
    org: Org | OrgHome, user: str, peer_org: Org | OrgHome | None = None
) -> Iterator[Gateway]:
    """A Gateway for `user` of `org`, talking to `peer_org`'s peer (default: its own)."""
    with peer_session(org, user, peer_org) as session:
        yield session.gateway()
