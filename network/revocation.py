"""Revoking an identity so that the peers refuse it, not only its CA.

A Fabric CA's revocation stops re-enrollment, but peers and orderers check
certificates against the CRLs in each org's MSP definition in the channel config.
So revoking is two steps, after Fabric's "Membership Service Providers" guide:

    revoke(org, enrollment_id)       the org admin revokes at the org's CA (gencrl)
                                     → the CA's current CRL, PEM
    propagate_crl(org, crl_pem)      on every channel the org is a member of, a config
                                     update setting that CRL as the org's
                                     revocation_list (Application and, for an orderer
                                     org, Orderer MSP), signed and submitted by the
                                     org's admin (its own Admins policy guards its MSP)

`set_revocation_list()` is the pure config edit.
"""

from __future__ import annotations

import base64
import copy
from functools import partial
from typing import Any

from client import CAClient, Enrollment, load_private_key
from network.ca import OrgCA, private_key
from network.configupdate import fetch_config_block, propose, sign, submit
from network.console import NetworkError
from network.topology import ADMIN_USER, Org, channels, org_by_msp

__all__ = [
    "admin_enrollment",
    "msp_groups",
    "propagate_crl",
    "revocation_list",
    "revoke",
    "set_revocation_list",
]

SECTIONS = ("Application", "Orderer")


def admin_enrollment(org: Org) -> Enrollment:
    """The org admin's enrollment (a registrar and revoker of its org's clients)."""
    ca = OrgCA(org)
    msp = ca.msp(ADMIN_USER.name)
    return Enrollment(
        certificate=(msp / "signcerts" / "cert.pem").read_bytes(),
        private_key=load_private_key(private_key(msp)),
        ca_chain=ca.ca_cert.read_bytes(),
    )


def revoke(org: Org, enrollment_id: str, reason: str = "unspecified") -> bytes:
    """Revoke `enrollment_id` at `org`'s CA as the org admin; the CA's current CRL (PEM)."""
    ca = CAClient(org.ca_url, org.ca_name, OrgCA(org).ca_cert.read_bytes())
    crl = ca.revoke(admin_enrollment(org), enrollment_id, reason=reason, gencrl=True)
    if crl is None:
        raise NetworkError(
            f"revoke {enrollment_id} at {org.ca_name}: no CRL (the identity had no certificate)"
        )
    return crl


# ---------------------------------------------------------------- the config edit


def msp_groups(config: dict[str, Any], msp_id: str) -> list[dict[str, Any]]:
    """The org's groups in the Application and Orderer sections, where it is a member."""
    found = []
    for section in SECTIONS:
        group = config["channel_group"]["groups"].get(section) or {}
        for org in (group.get("groups") or {}).values():
            if org["values"]["MSP"]["value"]["config"]["name"] == msp_id:
                found.append(org)
    return found


def revocation_list(config: dict[str, Any], msp_id: str) -> list[bytes]:
    """The PEM CRLs of `msp_id`'s MSP in the Application section (or Orderer, if only there)."""
    groups = msp_groups(config, msp_id)
    if not groups:
        raise KeyError(f"{msp_id} is not a member of this channel")
    listed = groups[0]["values"]["MSP"]["value"]["config"].get("revocation_list") or []
    return [base64.b64decode(crl) for crl in listed]


def set_revocation_list(config: dict[str, Any], msp_id: str, crl_pem: bytes) -> dict[str, Any]:
    """A copy of `config` whose `msp_id` MSP (Application and Orderer) lists `crl_pem` as its CRL.

    The org's CA issues one CRL covering everything it revoked, so it replaces the list.
    """
    updated = copy.deepcopy(config)
    groups = msp_groups(updated, msp_id)
    if not groups:
        raise KeyError(f"{msp_id} is not a member of this channel")
    encoded = base64.b64encode(crl_pem).decode()
    for group in groups:
        group["values"]["MSP"]["value"]["config"]["revocation_list"] = [encoded]
    return updated


# ---------------------------------------------------------------- on the channels


def member_channels(org: Org) -> list[str]:
    return [channel.name for channel in channels() if org in channel.orgs]


def propagate_crl(org: Org, crl_pem: bytes) -> dict[str, int]:
    """Set `crl_pem` as `org`'s CRL on every channel it is a member of.

    Returns channel → the config block carrying it (the current one where the CRL was
    already in place). The org admin proposes, signs and submits; should a channel's
    policies want more admins, the other orgs' admins named by the requirements sign too.
    """
    blocks = {}
    for channel in member_channels(org):
        change = partial(set_revocation_list, msp_id=org.msp_id, crl_pem=crl_pem)
        current = fetch_config_block(channel, org)
        if change(current.config) == current.config:
            blocks[channel] = current.number
            continue
        proposal = propose(channel, org, change, f"set the CRL of {org.msp_id}")
        sign(proposal, org)
        for requirement in proposal.requirements:
            for msp_id in requirement.orgs:
                if not proposal.outstanding(submitter=org.msp_id).get(requirement.policy):
                    break
                if msp_id not in proposal.signed_by:
                    sign(proposal, org_by_msp(msp_id))
        blocks[channel] = submit(proposal, org)
    return blocks
