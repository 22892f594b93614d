"""Revoking identities so that the peers refuse them, not only the org's CA; leaving.

A Fabric CA's revocation stops re-enrolment, but peers and orderers check certificates
against the CRLs in each org's MSP definition in the channel configurations. So an
org's operator revokes in two steps, after Fabric's "Membership Service Providers"
guide, both as the org's own admin, from its own home:

    revoke(home, enrollment_id)     the org's admin revokes at the org's CA (gencrl)
                                    and gets the CA's current CRL
    publish_crl(home, crl)          on every channel the org joined, a config update
                                    setting that CRL as the org's revocation list:
                                    its own Admins policy guards its own MSP, so its
                                    admin alone proposes, signs and submits it

`leave(home)` is what an org does once the members removed it (or when its admission
is abandoned): it revokes everyone its CA issued and stops its processes.
"""

from __future__ import annotations

from client import CAError
from network import proposals
from network.ca import REGISTRAR, OrgCA, read_enrollment
from network.channels import joined
from network.console import NetworkError, info
from network.home import LEFT, OrgHome
from network.procs import stop_all

NODES = ("peer0", "orderer0", "chaincode", "api", "admin")


def revoke(home: OrgHome, enrollment_id: str, reason: str = "unspecified") -> bytes:
    """Revoke `enrollment_id` at the org's CA as its admin; the CA's current CRL (PEM)."""
    ca = OrgCA(home)
    admin = read_enrollment(home.identity_msp("admin"))
    try:
        crl = ca.client().revoke(admin, enrollment_id, reason=reason, gencrl=True)
    except (CAError, ValueError) as exc:
        raise NetworkError(str(exc)) from exc
    if crl is None:
        raise NetworkError(f"revoke {enrollment_id}: no CRL (the identity had no certificate)")
    return crl


def publish_crl(home: OrgHome, crl: bytes) -> dict[str, int]:
    """Set `crl` as the org's CRL on every channel it joined; channel -> config block."""
    blocks = {}
    for channel in joined(home):
        try:
            proposal = proposals.propose(home, channel, "revocation-list", crl=crl)
        except NetworkError as exc:
            if "no differences" not in str(exc):
                raise
            info(f"{channel}: the CRL is already in place")
            continue
        signed = proposals.sign_kept(home, proposal)
        receipt = proposals.submit_kept(home, proposal, [signed])
        blocks[channel] = receipt.block
        info(f"{channel}: CRL of {home.org.msp_id} in config block {receipt.block}")
    return blocks


def leave(home: OrgHome) -> list[str]:
    """Revoke every identity the org's CA issued and stop the org's processes."""
    ca = OrgCA(home)
    registrar = read_enrollment(home.identity_msp(REGISTRAR))
    people = sorted(i["id"] for i in ca.client().list_identities(registrar) if i["id"] != REGISTRAR)
    for enrollment_id in people:
        try:
            ca.client().revoke(registrar, enrollment_id, reason="cessationofoperation")
        except CAError as exc:
            if "already revoked" not in str(exc) and "not found" not in str(exc):
                raise NetworkError(str(exc)) from exc
    info(f"{home.org.msp_id}: revoked {len(people)} identities at {home.org.ca_name}")
    stopped = stop_all(home.path)
    home.set_status(LEFT)
    info(f"{home.org.msp_id}: stopped {', '.join(stopped) or 'nothing'}; it has left")
    return people
