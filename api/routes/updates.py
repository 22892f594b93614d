"""Channel config updates for the org's admin: propose, sign, collect signatures, submit.

The same documents as the operator's command line (`gridspec.updates`), so admins of
different orgs can mix both: one proposes here (``POST /config-updates``) and sends the
proposal file to the others; each imports it into its own org's API (the same call
with ``{"proposal": ...}``) or its command line, signs with its own key (``POST
.../signatures``, which answers the signature file) and sends that back; the proposer's
admin adds the signatures it received (``POST .../signatures`` with ``{"signature":
...}``) and submits (``POST .../submission``) once the policy is met. No API ever holds
another org's key. Admitting or removing a member on ``consortium`` is then recorded in
the member registry by the submitting admin.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Dict, String
from apiflask.validators import Length, OneOf
from flask import g

from api.auth import auth
from api.ledger import access, ledger
from api.routes.common import Page, PageQuery, page_of
from client import certificate_hash
from client.broadcast import BroadcastError
from client.configblock import latest_config
from client.configproposal import (
    admission,
    check,
    outstanding,
    propose,
    removal,
    sign,
    submit_update,
)
from client.membership import MEMBERSHIP_KINDS, record_membership, records_membership
from gridspec.bundle import BundleError, OrgBundle
from gridspec.channels import CONSORTIUM_CHANNEL
from gridspec.updates import (
    UpdateError,
    UpdateProposal,
    UpdateReceipt,
    UpdateSignature,
    UpdateStore,
)

bp = APIBlueprint("updates", __name__, url_prefix="/config-updates", tag="Config updates")
MEMBERSHIP = MEMBERSHIP_KINDS
REFUSALS = {"FORBIDDEN": 403, "BAD_REQUEST": 409, "NOT_FOUND": 404}


class UpdateIn(Schema):
    kind = String(load_default=None, validate=OneOf(MEMBERSHIP))
    channel = String(load_default=CONSORTIUM_CHANNEL, validate=Length(1, 249))
    bundle = Dict(load_default=None, metadata={"description": "admission: the org's bundle"})
    msp_id = String(load_default=None, validate=Length(1, 64), metadata={"description": "removal"})
    description = String(load_default=None, validate=Length(1, 500))
    proposal = Dict(load_default=None, metadata={"description": "a proposal made elsewhere"})


class SignatureIn(Schema):
    signature = Dict(load_default=None, metadata={"description": "another org's signature"})


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) every caller but an org admin; a document's flaws are a 400."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        caller = ledger().caller
        if caller.role != "admin":
            abort(403, f"caller role '{caller.role}' may not change channels; allowed: admin")
        try:
            return view(*args, **kwargs)
        except (UpdateError, BundleError) as exc:
            abort(400, str(exc))
        except KeyError as exc:
            abort(404, str(exc.args[0]))

    return checked


def store() -> UpdateStore:
    return UpdateStore(access().updates_dir)


def kept(update_id: str) -> UpdateProposal:
    """The proposal this API keeps under `update_id`, or a 404 (whatever the id looks like)."""
    try:
        return store().proposal(update_id)
    except (KeyError, UpdateError):
        abort(404, f"config update {update_id[:90]} is not known here")


def view_of(proposal: UpdateProposal) -> dict[str, Any]:
    """A proposal as the API shows it: the document, who signed, what is missing, the receipt."""
    signatures = store().signatures(proposal.id)
    receipt = store().receipt(proposal.id)
    return {
        "proposal": proposal.to_json(),
        "signatures": [{"msp_id": s.msp_id, "signed_at": s.signed_at} for s in signatures],
        "outstanding": outstanding(proposal, signatures, submitter=access().msp_id),
        "receipt": receipt.to_json() if receipt else None,
    }


def admin_session() -> tuple[Any, Any, bytes]:
    entry = access().wallet.get(g.user.label)
    return entry.identity(), entry.signer(), certificate_hash(access().tls_cert)


def new_proposal(request: dict[str, Any]) -> UpdateProposal:
    kind, channel = request["kind"], request["channel"]
    if kind is None:
        abort(400, "give either a proposal, or the kind of update to propose")
    on = sorted(access().profile.channels)
    if channel not in on:
        abort(404, f"{access().org} is not on channel {channel[:64]}; it is on: {', '.join(on)}")
    identity, signer, tls_hash = admin_session()
    base = latest_config(
        access().channel(), identity, signer, channel, tls_certificate_hash=tls_hash
    )
    if kind == "admission":
        if request["bundle"] is None:
            abort(400, "an admission needs the new org's bundle")
        bundle = OrgBundle.from_json(request["bundle"])
        wanted, subject = admission(base.config, bundle), bundle.msp_id
        text = f"admit {bundle.msp_id} ({bundle.display_name}), fingerprint {bundle.fingerprint()}"
    else:
        if not request["msp_id"]:
            abort(400, "a removal needs the msp_id of the org to remove")
        subject = request["msp_id"]
        wanted, text = removal(base.config, subject), f"remove {subject}"
    return propose(
        channel,
        base,
        wanted,
        kind=kind,
        subject=subject,
        description=request["description"] or text,
        proposed_by=access().msp_id,
        bundle=request["bundle"],
    )


@bp.post("")
@bp.auth_required(auth)
@bp.input(UpdateIn, arg_name="request")
@bp.doc(summary="Propose a config update (admission, removal), or import one made elsewhere")
@admin_required
def create(request: dict[str, Any]) -> Any:
    if request["proposal"] is not None:
        proposal = UpdateProposal.from_json(request["proposal"])
    else:
        try:
            proposal = new_proposal(request)
        except BundleError as exc:
            abort(400, f"the bundle: {exc}")
        except ValueError as exc:  # the change cannot apply to the channel as it is
            abort(409, str(exc))
    store().save_proposal(proposal)
    return view_of(proposal), 201


@bp.get("")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="paging")
@bp.output(Page)
@bp.doc(summary="The config updates this org's API keeps (org admin)")
@admin_required
def index(paging: dict[str, Any]) -> Any:
    return page_of([view_of(p) for p in store().proposals()], paging)


@bp.get("/<update_id>")
@bp.auth_required(auth)
@bp.doc(summary="A config update: the proposal, its signatures, what it needs, its receipt")
@admin_required
def show(update_id: str) -> Any:
    return view_of(kept(update_id))


@bp.post("/<update_id>/signatures")
@bp.auth_required(auth)
@bp.input(SignatureIn, arg_name="request")
@bp.doc(summary="Sign with your own admin key (no body), or add another org's signature")
@admin_required
def add_signature(update_id: str, request: dict[str, Any]) -> Any:
    if request["signature"] is None:
        return sign_here(update_id).to_json(), 201
    return keep_signature(update_id, UpdateSignature.from_json(request["signature"])).to_json(), 201


def sign_here(update_id: str) -> UpdateSignature:
    """This org's signature of a kept proposal, made with the signed-in admin's own key."""
    proposal = kept(update_id)
    if proposal.kind in MEMBERSHIP and proposal.subject == access().msp_id:
        abort(403, f"{access().msp_id} may not sign a change of its own membership")
    identity, signer, _ = admin_session()
    return keep_signature(update_id, sign(proposal, identity, signer))


def keep_signature(update_id: str, signature: UpdateSignature) -> UpdateSignature:
    """Check a signature against the kept proposal and keep it, until it is submitted."""
    proposal = kept(update_id)
    if store().receipt(update_id) is not None:
        abort(409, f"update {update_id} was already submitted")
    try:
        check(proposal, signature)
    except ValueError as exc:
        abort(400, str(exc))
    store().save_signature(signature)
    return signature


@bp.post("/<update_id>/submission")
@bp.auth_required(auth)
@bp.doc(summary="Submit an update its signers' policy is met for (org admin)")
@admin_required
def submission(update_id: str) -> Any:
    proposal = kept(update_id)
    done = store().receipt(update_id)
    if done is not None:  # submitted before: only the registry may still want it
        done = recorded(proposal, done)
        store().save_receipt(done)
        return done.to_json()
    if proposal.kind in MEMBERSHIP and proposal.subject == access().msp_id:
        abort(403, f"{access().msp_id} may not submit a change of its own membership")
    signatures = store().signatures(update_id)
    missing = outstanding(proposal, signatures, submitter=access().msp_id)
    if missing:
        wanted = "; ".join(f"{n} more of {p}" for p, n in missing.items())
        abort(409, f"update {update_id} needs more admin signatures ({wanted})")
    if records_membership(proposal):
        require_registered()
    receipt = submit_to_orderers(proposal, signatures)
    store().save_receipt(receipt)
    receipt = recorded(proposal, receipt)
    store().save_receipt(receipt)
    return receipt.to_json()


def require_registered() -> None:
    """Only a registered member may record another org's admission or removal: a 409
    before anything is submitted, rather than a config block with no registry record."""
    msp_id = access().msp_id
    if not any(m["msp_id"] == msp_id for m in ledger().members()):
        abort(
            409,
            f"{msp_id} is not in the member registry, so it cannot record a membership "
            f"change: register it first (PUT /members/{msp_id})",
        )


def submit_to_orderers(
    proposal: UpdateProposal, signatures: list[UpdateSignature]
) -> UpdateReceipt:
    here = access()
    identity, signer, tls_hash = admin_session()
    nodes = here.profile.channel_orderers(proposal.channel)
    try:
        return submit_update(
            proposal,
            signatures,
            identity,
            signer,
            orderers=[here.connection(node) for node in nodes],
            peer=here.channel(),
            tls_certificate_hash=tls_hash,
            timeout=here.timeout * 2,
        )
    except BroadcastError as exc:
        status = REFUSALS.get(exc.status or "", 503 if exc.status is None else 502)
        abort(status, f"the orderer refused update {proposal.id}: {exc.info or exc}")
    except TimeoutError as exc:
        abort(503, str(exc))


def recorded(proposal: UpdateProposal, receipt: UpdateReceipt) -> UpdateReceipt:
    """The receipt, the change recorded in the member registry by the caller where it is one."""
    return record_membership(ledger(), store(), proposal, receipt)
