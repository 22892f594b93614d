"""GridLedger's config update proposals: propose, sign, check and submit them.

The documents (`gridspec.updates`) travel between orgs; this module makes and checks
their contents with the protobuf tools of `configupdate`, `configpolicy` and
`broadcast`, the same for an org's API and for its operator's command line:

    propose(channel, base, wanted, ...)      the update from the channel's current config
                                             (`latest_config`) to the wanted one, with who
                                             must sign and what it changes, in words
    sign(proposal, identity, sign)           one admin's signature document
    check(proposal, signature)               that a signature document received from
                                             another org is that org's, on this update
    submit(proposal, signatures, ...)        the signed update to an orderer; the
                                             submitter's own signature is added
    wait_for_config(...)                     the number of the config block it became

`submit_update` is the two together, trying each of the channel's orderers in turn
(a refusal is final, an unreachable orderer is not) and returning the receipt.
"""

import time
from collections.abc import Sequence
from typing import Any

import grpc

from gridspec.bundle import OrgBundle
from gridspec.updates import (
    Need,
    UpdateProposal,
    UpdateReceipt,
    UpdateSignature,
    new_update_id,
    now,
)

from ._protos import configuration_pb2, msp_config_pb2
from .audit import config_changes
from .broadcast import BroadcastError, broadcast
from .configblock import ConfigBlock, latest_config
from .configpolicy import requirements
from .configupdate import (
    compute_update,
    config_signature,
    read_update_envelope,
    signed_for_submission,
    signers,
    update_envelope,
    with_signatures,
)
from .identity import Identity, Sign
from .orgconfig import add_application_org, org_group, remove_org

__all__ = [
    "admission",
    "check",
    "outstanding",
    "propose",
    "removal",
    "sign",
    "submit",
    "submit_update",
    "wait_for_config",
]


def propose(
    channel: str,
    base: ConfigBlock,
    wanted: Any,
    *,
    kind: str,
    subject: str,
    description: str,
    proposed_by: str,
    bundle: dict[str, Any] | None = None,
) -> UpdateProposal:
    """The proposal taking `channel` from `base` to config `wanted` (ValueError: no change)."""
    update = compute_update(channel, base.config, wanted)
    needs = tuple(
        Need(r.policy, r.rule, r.orgs, r.needed) for r in requirements(base.config, update)
    )
    changes = tuple(f"{d.change} {d.element} {d.path}" for d in config_changes(base.config, wanted))
    return UpdateProposal(
        id=new_update_id(channel, kind),
        channel=channel,
        kind=kind,
        subject=subject,
        description=description,
        proposed_by=proposed_by,
        proposed_at=now(),
        base_block=base.number,
        needs=needs,
        changes=changes,
        envelope=update_envelope(channel, update.SerializeToString()),
        bundle=bundle,
    )


def admission(config: Any, bundle: OrgBundle) -> Any:
    """`config` with the org of `bundle` as a new application org, its peers its anchors."""
    return add_application_org(config, org_group(bundle), bundle.msp_id)


def removal(config: Any, msp_id: str) -> Any:
    """`config` without `msp_id`: its groups, and its orderer out of the Raft consenters."""
    return remove_org(config, msp_id, consenter_of(config, msp_id))


def consenter_of(config: Any, msp_id: str) -> tuple[str, int] | None:
    """The host and port of `msp_id`'s orderer on the channel (its Endpoints), if it has one.

    The org is found by the MSP id in its MSP value, not by its group's key (configtx's
    Name, which may differ), as `orgconfig.remove_org` finds the groups it removes.
    """
    if "Orderer" not in config.channel_group.groups:
        return None
    orderer = config.channel_group.groups["Orderer"]
    for group in orderer.groups.values():
        if _msp_name(group) == msp_id and "Endpoints" in group.values:
            endpoints = configuration_pb2.OrdererAddresses.FromString(
                group.values["Endpoints"].value
            )
            if endpoints.addresses:
                host, _, port = str(endpoints.addresses[0]).rpartition(":")
                return host, int(port)
    return None


def _msp_name(group: Any) -> str | None:
    """The MSP id in an org group's MSP value (None when it has none)."""
    if "MSP" not in group.values:
        return None
    msp = msp_config_pb2.MSPConfig.FromString(group.values["MSP"].value)
    return str(msp_config_pb2.FabricMSPConfig.FromString(msp.config).name)


def config_update(proposal: UpdateProposal) -> bytes:
    """The ConfigUpdate bytes the admins sign; ValueError if the envelope is not for the channel."""
    channel, envelope = read_update_envelope(proposal.envelope)
    if channel != proposal.channel:
        raise ValueError(
            f"update {proposal.id} names {proposal.channel} but its envelope {channel}"
        )
    data: bytes = envelope.config_update
    return data


def sign(proposal: UpdateProposal, identity: Identity, sign_fn: Sign) -> UpdateSignature:
    """`identity`'s signature on the proposal's update (what `peer channel signconfigtx` adds)."""
    signature = config_signature(config_update(proposal), identity, sign_fn)
    return UpdateSignature(proposal.id, proposal.channel, identity.msp_id, now(), signature)


def check(proposal: UpdateProposal, signature: UpdateSignature) -> None:
    """ValueError unless `signature` is a valid signature of its MSP on this very update."""
    if signature.update_id != proposal.id:
        raise ValueError(f"the signature is for update {signature.update_id}, not {proposal.id}")
    if signature.channel != proposal.channel:
        raise ValueError(
            f"the signature names channel {signature.channel}, the update {proposal.channel}"
        )
    signed = with_signatures(proposal.envelope, [signature.signature])
    found = signers(signed)
    if found != [signature.msp_id]:
        raise ValueError(
            f"the signature of update {proposal.id} says {signature.msp_id} but is by "
            f"{', '.join(found) or 'no one'}"
        )


def outstanding(
    proposal: UpdateProposal, signatures: Sequence[UpdateSignature], submitter: str | None = None
) -> dict[str, int]:
    """Policy path -> admins still missing; the submitter counts (it signs on submission)."""
    msps = [s.msp_id for s in signatures] + ([submitter] if submitter else [])
    return proposal.outstanding(msps)


def submit(
    proposal: UpdateProposal,
    signatures: Sequence[UpdateSignature],
    identity: Identity,
    sign_fn: Sign,
    orderer: grpc.Channel,
    *,
    timeout: float = 30,
) -> None:
    """Send the update with every signature, and the submitter's own, to an orderer.

    Raises BroadcastError with the orderer's reason when it refuses (e.g. too few admins
    signed, or the channel's config moved on since the proposal was made).
    """
    for signature in signatures:
        check(proposal, signature)
    envelope = with_signatures(proposal.envelope, [s.signature for s in signatures])
    broadcast(orderer, signed_for_submission(envelope, identity, sign_fn), timeout=timeout)


def wait_for_config(
    peer: grpc.Channel,
    identity: Identity,
    sign_fn: Sign,
    channel: str,
    after: int,
    *,
    tls_certificate_hash: bytes = b"",
    timeout: float = 30,
) -> int:
    """The number of the first config block after `after` on `channel`, once the peer has it."""
    deadline = time.monotonic() + timeout
    while True:
        block = latest_config(
            peer, identity, sign_fn, channel, tls_certificate_hash=tls_certificate_hash
        )
        if block.number > after:
            return block.number
        if time.monotonic() > deadline:
            raise TimeoutError(f"no config block after {after} on {channel} in {timeout:.0f}s")
        time.sleep(0.2)


def submit_update(
    proposal: UpdateProposal,
    signatures: Sequence[UpdateSignature],
    identity: Identity,
    sign_fn: Sign,
    *,
    orderers: Sequence[grpc.Channel],
    peer: grpc.Channel,
    tls_certificate_hash: bytes = b"",
    timeout: float = 30,
) -> UpdateReceipt:
    """Submit to the first orderer that answers and wait for the config block on `peer`."""
    if not orderers:
        raise ValueError(f"no orderer of {proposal.channel} is known to submit to")
    before = latest_config(
        peer, identity, sign_fn, proposal.channel, tls_certificate_hash=tls_certificate_hash
    )
    for index, orderer in enumerate(orderers):
        try:
            submit(proposal, signatures, identity, sign_fn, orderer, timeout=timeout)
            break
        except BroadcastError as exc:
            if exc.status is not None or index == len(orderers) - 1:
                raise
    block = wait_for_config(
        peer,
        identity,
        sign_fn,
        proposal.channel,
        before.number,
        tls_certificate_hash=tls_certificate_hash,
        timeout=timeout,
    )
    signed: list[tuple[str, str]] = []
    for signature in signatures:  # one per org, as `with_signatures` counts them
        if signature.msp_id not in {m for m, _ in signed}:
            signed.append((signature.msp_id, signature.signed_at))
    if identity.msp_id not in {m for m, _ in signed}:
        signed.append((identity.msp_id, now()))
    return UpdateReceipt(
        proposal.id, proposal.channel, block, identity.msp_id, now(), tuple(signed)
    )
