"""Channel config update proposals and signatures: the files admins pass between homes.

A config update (admit an org, remove one, set an org's CRL, ...) is proposed by one
org's admin as a *proposal* file: what it changes in words, which policies it must
satisfy and how many admins of which orgs that takes, and the unsigned update
envelope itself. Each admin who agrees signs it at home, with its own key, and sends
back a *signature* file; whoever holds enough signatures submits the update, and
keeps a *receipt*. The operator tool and each org's API read and write the same
files, so an admin may sign on the command line what another proposed through an API.

`UpdateStore` keeps an org's proposals, the signatures it holds and its receipts in
one folder (`<id>/proposal.json`, `<id>/signatures/<MSP>.json`, `<id>/receipt.json`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "KINDS",
    "Need",
    "UpdateError",
    "UpdateProposal",
    "UpdateReceipt",
    "UpdateSignature",
    "UpdateStore",
    "new_update_id",
    "now",
    "onboarding_record",
    "removal_record",
]

PROPOSAL_FORMAT = "gridledger/config-update/1"
SIGNATURE_FORMAT = "gridledger/config-signature/1"
RECEIPT_FORMAT = "gridledger/config-receipt/1"
KINDS = ("admission", "removal", "revocation-list", "anchor-peers", "batch-timeout")
UPDATE_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[a-z0-9-]{1,80}-[0-9a-f]{6}$")
MSP_ID = re.compile(r"^[A-Za-z][A-Za-z0-9.-]{0,63}$")
MAX_ENVELOPE = 1_000_000


class UpdateError(ValueError):
    """A proposal, signature or receipt that cannot be used; the message says why."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_update_id(channel: str, kind: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{channel}-{kind}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Need:
    """A policy the update must satisfy: `needed` admins among those of `orgs`."""

    policy: str
    rule: str
    orgs: tuple[str, ...]
    needed: int

    def missing(self, signers: Sequence[str]) -> int:
        return max(0, self.needed - len(set(signers) & set(self.orgs)))


@dataclass(frozen=True)
class UpdateProposal:
    """A proposed config update, as an admin reviews and signs it."""

    id: str
    channel: str
    kind: str
    subject: str
    description: str
    proposed_by: str
    proposed_at: str
    base_block: int
    needs: tuple[Need, ...]
    changes: tuple[str, ...]
    envelope: bytes
    bundle: dict[str, Any] | None = None

    def outstanding(self, signers: Sequence[str]) -> dict[str, int]:
        """Policy path -> admins still missing, given who signed."""
        missing = {n.policy: n.missing(signers) for n in self.needs}
        return {policy: count for policy, count in missing.items() if count}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PROPOSAL_FORMAT,
            "id": self.id,
            "channel": self.channel,
            "kind": self.kind,
            "subject": self.subject,
            "description": self.description,
            "proposed_by": self.proposed_by,
            "proposed_at": self.proposed_at,
            "base_block": self.base_block,
            "needs": [
                {"policy": n.policy, "rule": n.rule, "orgs": list(n.orgs), "needed": n.needed}
                for n in self.needs
            ],
            "changes": list(self.changes),
            "envelope": base64.b64encode(self.envelope).decode(),
            "bundle": self.bundle,
        }

    @classmethod
    def from_json(cls, document: Any) -> UpdateProposal:
        doc = expect(document, PROPOSAL_FORMAT, "proposal")
        needs = []
        for index, need in enumerate(items(doc, "needs", "proposal")):
            where = f"proposal needs[{index}]"
            orgs = items(need, "orgs", where)
            if not all(isinstance(o, str) and MSP_ID.match(o) for o in orgs):
                raise UpdateError(f"{where}.orgs must be MSP ids")
            needs.append(
                Need(
                    text(need, "policy", where),
                    text(need, "rule", where),
                    tuple(orgs),
                    count(need, "needed", where),
                )
            )
        bundle = doc.get("bundle")
        if bundle is not None and not isinstance(bundle, dict):
            raise UpdateError("proposal bundle must be an org bundle object or null")
        changes = items(doc, "changes", "proposal")
        if not all(isinstance(c, str) for c in changes):
            raise UpdateError("proposal changes must be a list of strings")
        kind = text(doc, "kind", "proposal")
        if kind not in KINDS:
            raise UpdateError(f"proposal kind {kind[:40]!r} must be one of {', '.join(KINDS)}")
        return cls(
            id=update_id(doc),
            channel=text(doc, "channel", "proposal"),
            kind=kind,
            subject=text(doc, "subject", "proposal", empty=True),
            description=text(doc, "description", "proposal"),
            proposed_by=text(doc, "proposed_by", "proposal"),
            proposed_at=text(doc, "proposed_at", "proposal"),
            base_block=count(doc, "base_block", "proposal"),
            needs=tuple(needs),
            changes=tuple(changes),
            envelope=decode(doc, "envelope", "proposal"),
            bundle=bundle,
        )


@dataclass(frozen=True)
class UpdateSignature:
    """One org admin's signature on a proposal: a serialized `common.ConfigSignature`."""

    update_id: str
    channel: str
    msp_id: str
    signed_at: str
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SIGNATURE_FORMAT,
            "update_id": self.update_id,
            "channel": self.channel,
            "msp_id": self.msp_id,
            "signed_at": self.signed_at,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, document: Any) -> UpdateSignature:
        doc = expect(document, SIGNATURE_FORMAT, "signature")
        msp_id = text(doc, "msp_id", "signature")
        if not MSP_ID.match(msp_id):
            raise UpdateError(f"signature msp_id {msp_id[:70]!r} is not an MSP id")
        return cls(
            update_id=update_id(doc, "update_id"),
            channel=text(doc, "channel", "signature"),
            msp_id=msp_id,
            signed_at=text(doc, "signed_at", "signature"),
            signature=decode(doc, "signature", "signature"),
        )


@dataclass(frozen=True)
class UpdateReceipt:
    """What the submitter keeps: the config block the update became, and who signed."""

    update_id: str
    channel: str
    block: int
    submitted_by: str
    submitted_at: str
    signatures: tuple[tuple[str, str], ...]
    registry_tx_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RECEIPT_FORMAT,
            "update_id": self.update_id,
            "channel": self.channel,
            "block": self.block,
            "submitted_by": self.submitted_by,
            "submitted_at": self.submitted_at,
            "signatures": [{"msp_id": m, "signed_at": t} for m, t in self.signatures],
            "registry_tx_id": self.registry_tx_id,
        }

    @classmethod
    def from_json(cls, document: Any) -> UpdateReceipt:
        doc = expect(document, RECEIPT_FORMAT, "receipt")
        listed = items(doc, "signatures", "receipt")
        if not all(isinstance(s, dict) for s in listed):
            raise UpdateError("receipt signatures must be objects with msp_id and signed_at")
        signatures = tuple(
            (text(s, "msp_id", "receipt"), text(s, "signed_at", "receipt")) for s in listed
        )
        return cls(
            update_id=update_id(doc, "update_id"),
            channel=text(doc, "channel", "receipt"),
            block=count(doc, "block", "receipt"),
            submitted_by=text(doc, "submitted_by", "receipt"),
            submitted_at=text(doc, "submitted_at", "receipt"),
            signatures=signatures,
            registry_tx_id=text(doc, "registry_tx_id", "receipt", empty=True),
        )


# ----------------------------------------------------------------------------- the registry


def onboarding_record(proposal: UpdateProposal, receipt: UpdateReceipt) -> dict[str, Any]:
    """The member registry's account of an admission (`RecordOnboarding`'s record)."""
    bundle = proposal.bundle or {}
    key = bundle.get("key")
    community = isinstance(key, str) and bundle.get("kind") == "community"
    return {
        "change_id": proposal.id,
        "channel": proposal.channel,
        "config_block": receipt.block,
        "community_channel": f"community-{key}" if community else None,
        **approval(proposal, receipt),
    }


def removal_record(decided: Sequence[tuple[UpdateProposal, UpdateReceipt]]) -> dict[str, Any]:
    """The registry's account of a removal from one or more channels (`RecordRemoval`).

    The org's own people are revoked by the org itself, not by the members who removed
    it, so the record names none; the decisive update (the last) gives the approval.
    """
    proposal, receipt = decided[-1]
    return {
        "change_id": proposal.id,
        "channels": [p.channel for p, _ in decided],
        "config_blocks": {p.channel: r.block for p, r in decided},
        "revoked_identities": [],
        "crl_block": None,
        **approval(proposal, receipt),
    }


def approval(proposal: UpdateProposal, receipt: UpdateReceipt) -> dict[str, Any]:
    return {
        "proposed_by": proposal.proposed_by,
        "proposed_at": proposal.proposed_at,
        "signatures": [{"msp_id": m, "signed_at": t} for m, t in receipt.signatures],
        "submitted_by": receipt.submitted_by,
        "submitted_at": receipt.submitted_at,
    }


# ----------------------------------------------------------------------------- the store


class UpdateStore:
    """An org's proposals, the signatures it holds on each, and its receipts, in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def folder_of(self, update_id: str) -> Path:
        if not UPDATE_ID.match(update_id):
            raise UpdateError(f"update id {update_id[:90]!r} is not one GridLedger makes")
        return self.folder / update_id

    def save_proposal(self, proposal: UpdateProposal) -> None:
        path = self.folder_of(proposal.id) / "proposal.json"
        if path.exists():
            if UpdateProposal.from_json(json.loads(path.read_text())) != proposal:
                raise UpdateError(f"another proposal with id {proposal.id} is already kept")
            return
        write(path, proposal.to_json())

    def proposal(self, update_id: str) -> UpdateProposal:
        path = self.folder_of(update_id) / "proposal.json"
        if not path.exists():
            raise KeyError(f"config update {update_id} is not known here")
        return UpdateProposal.from_json(json.loads(path.read_text()))

    def proposals(self) -> list[UpdateProposal]:
        found = sorted(self.folder.glob("*/proposal.json")) if self.folder.is_dir() else []
        return [UpdateProposal.from_json(json.loads(p.read_text())) for p in found]

    def save_signature(self, signature: UpdateSignature) -> None:
        if not MSP_ID.match(signature.msp_id):  # it names the file
            raise UpdateError(f"signature msp_id {signature.msp_id[:70]!r} is not an MSP id")
        path = self.folder_of(signature.update_id) / "signatures" / f"{signature.msp_id}.json"
        write(path, signature.to_json())

    def signatures(self, update_id: str) -> list[UpdateSignature]:
        folder = self.folder_of(update_id) / "signatures"
        found = sorted(folder.glob("*.json")) if folder.is_dir() else []
        return [UpdateSignature.from_json(json.loads(p.read_text())) for p in found]

    def save_receipt(self, receipt: UpdateReceipt) -> None:
        write(self.folder_of(receipt.update_id) / "receipt.json", receipt.to_json())

    def receipt(self, update_id: str) -> UpdateReceipt | None:
        path = self.folder_of(update_id) / "receipt.json"
        return UpdateReceipt.from_json(json.loads(path.read_text())) if path.exists() else None


def write(path: Path, document: dict[str, Any]) -> None:
    """Write a JSON document atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(document, indent=2) + "\n")
    tmp.replace(path)


# ----------------------------------------------------------------------------- fields


def expect(document: Any, kind: str, what: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise UpdateError(f"a {what} must be a JSON object")
    if document.get("format") != kind:
        raise UpdateError(
            f"{what} format must be {kind!r}, not {str(document.get('format'))[:60]!r}"
        )
    return document


def text(doc: dict[str, Any], name: str, what: str, empty: bool = False) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or (not value and not empty) or len(value) > 2000:
        raise UpdateError(f"{what} {name} must be a string of at most 2000 characters")
    return value


def count(doc: dict[str, Any], name: str, what: str) -> int:
    value = doc.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise UpdateError(f"{what} {name} must be a whole number")
    return value


def items(doc: Any, name: str, what: str) -> list[Any]:
    value = doc.get(name) if isinstance(doc, dict) else None
    if not isinstance(value, list) or len(value) > 1000:
        raise UpdateError(f"{what} {name} must be a list")
    return value


def update_id(doc: dict[str, Any], name: str = "id") -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not UPDATE_ID.match(value):
        raise UpdateError(
            f"{name} must be a config update id like 20261206T101500Z-consortium-admission-1a2b3c"
        )
    return value


def decode(doc: dict[str, Any], name: str, what: str) -> bytes:
    value = doc.get(name)
    if not isinstance(value, str) or len(value) > MAX_ENVELOPE * 2:
        raise UpdateError(f"{what} {name} must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UpdateError(f"{what} {name} is not valid base64") from exc
