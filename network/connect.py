"""Open a Fabric Gateway connection as one of the network's enrolled identities.

The bridge between the run folder (where the CA put each identity's certificate and
key) and the client library: used by the demo, the integration tests and scripts.
The user's enrollment certificate doubles as its TLS client certificate, which the
peers' mutual TLS accepts because one CA per org issues both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from client import Gateway, connect, load_identity, load_private_key, new_private_key_signer
from network.ca import OrgCA, private_key
from network.topology import Org


@contextmanager
def gateway(org: Org, user: str, peer_org: Org | None = None) -> Iterator[Gateway]:
    """A Gateway for `user` of `org`, talking to `peer_org`'s peer (default: its own)."""
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
        identity = load_identity(org.msp_id, cert)
        yield Gateway(identity, new_private_key_signer(load_private_key(key)), channel)
    finally:
        channel.close()
