"""A membership change on `consortium`, recorded in the member registry by its submitter.

A config update admitting or removing an org changes the channel; the registry keeps
the account of it (who proposed, who signed and when, the config blocks), written by
the admin who submitted it. The org's API and its operator's tool record it the same
way, here: an admission with `RecordOnboarding`, a removal with `RecordRemoval` naming
every removal of that org this submitter holds a receipt for (its own channel's, then
`consortium`'s). A receipt that already names its registry transaction is returned as
it is, so a submission retried after the registry write failed records the change once.
"""

from gridspec.bundle import OrgBundle
from gridspec.channels import CONSORTIUM_CHANNEL
from gridspec.updates import (
    UpdateProposal,
    UpdateReceipt,
    UpdateStore,
    onboarding_record,
    removal_record,
)

from .facade import Ledger

__all__ = ["MEMBERSHIP_KINDS", "record_membership", "records_membership"]

MEMBERSHIP_KINDS = ("admission", "removal")


def records_membership(proposal: UpdateProposal) -> bool:
    """Whether submitting `proposal` is also recorded in the member registry."""
    return proposal.channel == CONSORTIUM_CHANNEL and proposal.kind in MEMBERSHIP_KINDS


def record_membership(
    ledger: Ledger, store: UpdateStore, proposal: UpdateProposal, receipt: UpdateReceipt
) -> UpdateReceipt:
    """The receipt, with the registry transaction that recorded the change where one does."""
    if not records_membership(proposal) or receipt.registry_tx_id:
        return receipt
    if proposal.kind == "admission":
        bundle = OrgBundle.from_json(proposal.bundle)
        record = onboarding_record(proposal, receipt)
        member = ledger.record_onboarding(bundle.msp_id, bundle.display_name, bundle.kind, record)
    else:
        decided = [
            (earlier, done)
            for earlier in store.proposals()
            if earlier.kind == "removal"
            and earlier.subject == proposal.subject
            and earlier.id != proposal.id
            if (done := store.receipt(earlier.id)) is not None
        ]
        member = ledger.record_removal(
            proposal.subject, removal_record([*decided, (proposal, receipt)])
        )
    return UpdateReceipt(**{**receipt.__dict__, "registry_tx_id": str(member["tx_id"])})
