"""A community channel's key salt, set once by a member's admin right after the commit.

The community chaincode keys the private-data names that would say who did what
(consents, orders, invoices) with a salt only the collections' members hold
(`chaincode/community/keyed.py`). A chaincode cannot draw random bytes, so the org
that commits the definition draws 32 here and sends them in the transient map: they
never appear on a command line, in a log or in a block.
"""

from __future__ import annotations

import secrets
import time

from client import GatewayError
from client.facade import Caller, Ledger
from gridspec.channels import community_name
from network.connect import peer_session
from network.console import NetworkError, info
from network.home import OrgHome

ADMIN = "admin"
# the peers may take a moment to run a definition they just committed
READY_TIMEOUT = 60.0


def ensure_key_salt(home: OrgHome, channel: str) -> None:
    """Set the salt of community channel `channel`, unless it is set already."""
    name = community_name(channel)
    if name is None:
        return
    certificate = (home.identity_msp(ADMIN) / "signcerts" / "cert.pem").read_bytes()
    with peer_session(home, ADMIN) as session:
        caller = Caller.from_certificate(home.org.msp_id, certificate)
        ledger = Ledger(session.gateway(), caller, community=name)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                ledger.set_key_salt(secrets.token_bytes(32))
                info(f"{channel}: key salt set; private-data names are keyed with it")
                return
            except GatewayError as exc:
                if "key salt is already set" in str(exc):
                    info(f"{channel}: key salt already set")
                    return
                if time.monotonic() > deadline:
                    raise NetworkError(
                        f"{channel}: could not set the key salt: {exc}; once the peers run "
                        f"the chaincode: python -m network deploy --org {home.org.key} "
                        f"--channel {channel} --key-salt"
                    ) from exc
                time.sleep(2)
