"""A revoked household is refused by the peers once its org's CRL is in the channel configs.

The community admin registers and enrolls a fresh household, which reads its own
(empty) readings through the community peer's gateway. The community's operator then
runs `python -m network revoke --org community`, from the community's home alone: its
admin revokes the household at the community CA and puts the CA's CRL into
CommunityMSP on every channel the community is on, proposing, signing and submitting
each update itself (an org's own MSP is its own admins' to change); it also tells the
community's API, which refuses the household from then on. From then on the peer
refuses the household's evaluations and submissions, while household1 still reads
and writes.
"""

from __future__ import annotations

import json
import uuid

import grpc
import pytest
from community_fixtures import CHANNEL, DAY_END, DAY_START, gateway_as
from community_fixtures import enrolled as enrolled_identity
from cryptography import x509
from gridnet_cli import gridnet
from homes import home

from client import EndorseError, Enrollment, Gateway, GatewayError
from client.configblock import ConfigBlock
from client.orgconfig import revocation_list
from gridspec.revoked import REVOCATIONS_FILE, Revocations
from network.connect import gateway, peer_session
from network.procs import wait_until
from network.topology import COMMUNITY, FOUNDING_CHANNELS

pytestmark = pytest.mark.usefixtures("fabric_network")

# The peer's log says why: "could not validate identity against certification chain:
# The certificate has been revoked"; the gateway only says access denied.
REFUSAL = (
    "error validating proposal: access denied: "
    "channel [community-sunnyside] creator org [CommunityMSP]"
)
EXPIRES = "2030-01-01T00:00:00Z"


def readings(gw: Gateway, household_id: str) -> list[dict]:
    meters = gw.get_network(CHANNEL).get_contract("community", "ReadingContract")
    return json.loads(meters.evaluate("GetReadings", args=(household_id, DAY_START, DAY_END)))


def grant(gw: Gateway) -> dict:
    """A write by the household; granted to an identity no other test reads as, and revoked
    at once, so it changes what no other test relies on."""
    consents = gw.get_network(CHANNEL).get_contract("community", "ConsentContract")
    consent_id = f"revocation-{uuid.uuid4().hex[:8]}"
    grantee = "CommunityMSP:revocation-check"
    args = (consent_id, grantee, "write check", DAY_START, DAY_END, EXPIRES)
    granted = json.loads(consents.submit("GrantConsent", args=args))
    consents.submit("RevokeConsent", args=(consent_id,))
    return dict(granted)


def refused(enrollment: Enrollment, household_id: str) -> GatewayError | None:
    """The peer's refusal of the household's evaluation, or None while it still answers."""
    with gateway_as(enrollment) as gw:
        try:
            readings(gw, household_id)
        except GatewayError as exc:
            return exc
    return None


def config_block(channel: str) -> ConfigBlock:
    with peer_session(COMMUNITY, "admin") as session:
        return session.config(channel)


def test_a_revoked_household_is_refused_by_the_peer_and_others_are_not():
    tag = uuid.uuid4().hex[:8]
    name, household_id = f"household-rv-{tag}", f"h-rv{tag}"
    enrolled = enrolled_identity(name, {"role": "household", "household_id": household_id})
    with gateway_as(enrolled) as gw:
        assert readings(gw, household_id) == []
    channels = [c.name for c in FOUNDING_CHANNELS]
    before = {channel: config_block(channel).number for channel in channels}

    gridnet("revoke", "--org", COMMUNITY.key, "--id", name, "--reason", "keycompromise")
    # the org's own API refuses it at once: the operator's tool told it, on its host
    at_the_api = Revocations(home(COMMUNITY).api / REVOCATIONS_FILE).identity(name)
    assert at_the_api is not None and at_the_api["reason"] == "keycompromise"

    serial = x509.load_pem_x509_certificate(enrolled.certificate).serial_number
    for channel in channels:
        block = config_block(channel)
        assert block.number > before[channel]
        (crl_pem,) = revocation_list(block.config, COMMUNITY.msp_id)
        assert x509.load_pem_x509_crl(crl_pem).get_revoked_certificate_by_serial_number(serial)
    error = wait_until(lambda: refused(enrolled, household_id), "the peer refuses", timeout=15)
    with gateway_as(enrolled) as gw, pytest.raises(EndorseError) as submit_refused:
        grant(gw)

    assert (error.grpc_code, error.message) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        f"evaluate call to endorser returned error: {REFUSAL}",
    )
    submitted = submit_refused.value
    assert submitted.grpc_code == grpc.StatusCode.ABORTED
    assert [(d.address, d.message) for d in submitted.details] == [
        (COMMUNITY.peer_address, REFUSAL)
    ]

    with gateway(COMMUNITY, "household1") as gw:
        assert isinstance(readings(gw, "h-001"), list)
        assert grant(gw)["household_id"] == "h-001"
