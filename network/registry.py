"""An org's own entry in the consortium's member registry, written by its own admin.

Every member registers itself once the consortium chaincode runs (`deploy` does it for
each org on this machine); a member recording another org's admission or removal must
be registered itself, so the registry never holds a record nobody vouches for.
"""

from __future__ import annotations

from typing import Any

from client import GatewayError
from client.facade import Caller, Ledger
from network.connect import PeerSession, peer_session
from network.console import NetworkError, info
from network.home import OrgHome

ADMIN = "admin"


def ledger_of(home: OrgHome, session: PeerSession) -> Ledger:
    """The domain facade as the org's admin, over `session`."""
    certificate = (home.identity_msp(ADMIN) / "signcerts" / "cert.pem").read_bytes()
    return Ledger(session.gateway(), Caller.from_certificate(home.org.msp_id, certificate))


def entry(ledger: Ledger, msp_id: str) -> dict[str, Any] | None:
    """The registry's record of `msp_id`, or None when it is not registered."""
    try:
        found: dict[str, Any] = ledger.member(msp_id)
    except GatewayError as exc:
        if f"member {msp_id} is not registered" in str(exc):
            return None
        raise
    return found


def register(home: OrgHome) -> dict[str, Any]:
    """Register the org under its display name, or bring the name back to it."""
    org = home.org
    with peer_session(home, ADMIN) as session:
        ledger = ledger_of(home, session)
        record = entry(ledger, org.msp_id)
        if record is None:
            record = ledger.register_member(org.msp_id, org.display_name, org.kind)
        elif record["name"] != org.display_name:
            record = ledger.update_member(org.msp_id, org.display_name)
    info(f"{org.msp_id}: in the member registry as {record['name']!r} ({record['status']})")
    return record


def require_registered(ledger: Ledger, msp_id: str) -> None:
    """Only a registered member may record another org's admission or removal."""
    if entry(ledger, msp_id) is None:
        raise NetworkError(
            f"{msp_id} is not in the member registry, so it cannot record a membership "
            f"change there: register it first (`python -m network register --org <org>`)"
        )
