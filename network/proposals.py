"""Config update proposals from the operator's side: propose, sign, submit, as one org's admin.

The documents and the store are `gridspec.updates`; the protobuf work is the client's
(`client.configproposal`), exactly what each org's API does for its admin. Here the
admin's key is the one in the org's own home, and the org's channel and orderers come
from its connection profile. Every file that leaves the home is public: the proposal
(unsigned update and what it needs), each admin's signature, the receipt.

    propose(home, channel, kind, ...)    from the channel's config as the org's peer has it
    sign(home, proposal)                 the org's admin signs; the proposal is kept too
    submit(home, proposal, signatures)   as the org's admin; Fabric decides whether enough
                                         admins signed; on `consortium` an admission or a
                                         removal is then recorded in the member registry
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from client import GatewayError, connect
from client.configproposal import (
    admission,
    check,
    outstanding,
    removal,
    submit_update,
)
from client.configproposal import (
    propose as new_proposal,
)
from client.configproposal import (
    sign as sign_proposal,
)
from client.membership import record_membership, records_membership
from client.orgconfig import set_batch_timeout, set_revocation_list
from client.profile import ConnectionProfile
from gridspec.bundle import OrgBundle
from gridspec.updates import (
    UpdateError,
    UpdateProposal,
    UpdateReceipt,
    UpdateSignature,
    UpdateStore,
)
from network import registry
from network.connect import PeerSession, peer_session
from network.console import NetworkError, info

ADMIN = "admin"


def store(home: Any) -> UpdateStore:
    return UpdateStore(home.updates)


def wanted(kind: str, config: Any, home: Any, params: dict[str, Any]) -> tuple[Any, str, str]:
    """The config the proposal wants, the MSP it is about, and its description."""
    if kind == "admission":
        bundle: OrgBundle = params["bundle"]
        text = f"admit {bundle.msp_id} ({bundle.display_name}), fingerprint {bundle.fingerprint()}"
        return admission(config, bundle), bundle.msp_id, text
    if kind == "removal":
        msp_id = params["msp_id"]
        return removal(config, msp_id), msp_id, f"remove {msp_id}"
    if kind == "revocation-list":
        msp_id = home.org.msp_id
        return (
            set_revocation_list(config, msp_id, params["crl"]),
            msp_id,
            f"set the CRL of {msp_id}",
        )
    if kind == "batch-timeout":
        timeout = params["timeout"]
        return set_batch_timeout(config, timeout), "", f"cut blocks after {timeout}"
    raise NetworkError(f"no such kind of config update: {kind}")


def propose(home: Any, channel: str, kind: str, **params: Any) -> UpdateProposal:
    """A proposal of the org's admin, kept in its home."""
    with peer_session(home, ADMIN) as session:
        base = session.config(channel)
    config, subject, description = wanted(kind, base.config, home, params)
    bundle = params.get("bundle")
    try:
        proposal = new_proposal(
            channel,
            base,
            config,
            kind=kind,
            subject=subject,
            description=params.get("description") or description,
            proposed_by=home.org.msp_id,
            bundle=bundle.to_json() if bundle is not None else None,
        )
    except ValueError as exc:
        raise NetworkError(f"{channel}: {exc}") from exc
    store(home).save_proposal(proposal)
    return proposal


def read_document(path: Path, parse: Any, what: str) -> Any:
    try:
        return parse(json.loads(path.read_text()))
    except OSError as exc:
        raise NetworkError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except (ValueError, UpdateError) as exc:
        raise NetworkError(f"{path} is not a usable {what}: {exc}") from exc


def load_proposal(home: Any, path: Path) -> UpdateProposal:
    proposal: UpdateProposal = read_document(path, UpdateProposal.from_json, "proposal")
    try:
        store(home).save_proposal(proposal)
    except UpdateError as exc:
        raise NetworkError(str(exc)) from exc
    return proposal


def review(proposal: UpdateProposal) -> None:
    """What an admin reads before signing: who proposed what, and what changes."""
    info(f"update {proposal.id} of {proposal.channel}, proposed by {proposal.proposed_by}")
    info(f"  {proposal.description}")
    for change in proposal.changes[:20]:
        info(f"  {change}")
    if len(proposal.changes) > 20:
        info(f"  ... and {len(proposal.changes) - 20} more changes")


def sign(home: Any, path: Path) -> UpdateSignature:
    """The org's admin signs the proposal in `path` with its own key."""
    proposal = load_proposal(home, path)
    review(proposal)
    return sign_kept(home, proposal)


def sign_kept(home: Any, proposal: UpdateProposal) -> UpdateSignature:
    """The org's admin signs a proposal its home keeps."""
    if proposal.subject == home.org.msp_id and proposal.kind in ("admission", "removal"):
        raise NetworkError(f"{home.org.msp_id} may not sign a change of its own membership")
    with peer_session(home, ADMIN) as session:
        try:
            signature = sign_proposal(proposal, session.identity, session.sign)
        except ValueError as exc:
            raise NetworkError(f"cannot sign {proposal.id}: {exc}") from exc
    store(home).save_signature(signature)
    return signature


def load_signatures(proposal: UpdateProposal, paths: Sequence[Path]) -> list[UpdateSignature]:
    found = []
    for path in paths:
        signature = read_document(path, UpdateSignature.from_json, "signature")
        try:
            check(proposal, signature)
        except ValueError as exc:
            raise NetworkError(f"{path}: {exc}") from exc
        found.append(signature)
    return found


@contextmanager
def orderer_channels(home: Any, profile: ConnectionProfile, channel: str) -> Iterator[list[Any]]:
    """Mutual-TLS channels, as the org's admin, to each orderer of `channel`."""
    tls = home.identity_tls(ADMIN)
    with ExitStack() as stack:
        opened = []
        for node in profile.channel_orderers(channel):
            grpc_channel = connect(
                node.address,
                tls_root_cert=node.tls_root,
                client_cert=(tls / "cert.pem").read_bytes(),
                client_key=(tls / "key.pem").read_bytes(),
            )
            stack.callback(grpc_channel.close)
            opened.append(grpc_channel)
        yield opened


def submit(home: Any, path: Path, signature_paths: Sequence[Path]) -> UpdateReceipt:
    """Submit the proposal with the given signatures as the org's admin; the receipt."""
    proposal = load_proposal(home, path)
    return submit_kept(home, proposal, load_signatures(proposal, signature_paths))


def submit_kept(
    home: Any, proposal: UpdateProposal, signatures: Sequence[UpdateSignature]
) -> UpdateReceipt:
    """Submit a proposal its home keeps, with checked signatures, as the org's admin."""
    if proposal.kind in ("admission", "removal") and proposal.subject == home.org.msp_id:
        raise NetworkError(f"{home.org.msp_id} may not submit a change of its own membership")
    for signature in signatures:
        store(home).save_signature(signature)
    missing = outstanding(proposal, signatures, submitter=home.org.msp_id)
    if missing:
        wanted_text = ", ".join(f"{n} more of {p}" for p, n in missing.items())
        info(f"by its policies the update still needs {wanted_text}; the orderer decides")
    done = store(home).receipt(proposal.id)
    profile = ConnectionProfile.load(home.profile)
    with (
        peer_session(home, ADMIN) as session,
        orderer_channels(home, profile, proposal.channel) as orderers,
    ):
        if done is not None:  # submitted before: only the registry may still want it
            done = recorded(home, session, proposal, done)
            store(home).save_receipt(done)
            return done
        if records_membership(proposal):
            registry.require_registered(registry.ledger_of(home, session), home.org.msp_id)
        try:
            receipt = submit_update(
                proposal,
                signatures,
                session.identity,
                session.sign,
                orderers=orderers,
                peer=session.channel,
                tls_certificate_hash=session.tls_certificate_hash,
            )
        except GatewayError as exc:
            raise NetworkError(
                f"update {proposal.id} of {proposal.channel} refused: {exc}"
            ) from exc
        store(home).save_receipt(receipt)
        registered = recorded(home, session, proposal, receipt)
    store(home).save_receipt(registered)
    return registered


def recorded(
    home: Any, session: PeerSession, proposal: UpdateProposal, receipt: UpdateReceipt
) -> UpdateReceipt:
    """The receipt, the change recorded in the registry by the org's admin where it is one."""
    done = record_membership(registry.ledger_of(home, session), store(home), proposal, receipt)
    if done.registry_tx_id and done.registry_tx_id != receipt.registry_tx_id:
        info(f"member registry: {proposal.subject} recorded in tx {done.registry_tx_id}")
    return done
