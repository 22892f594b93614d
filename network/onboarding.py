"""Admitting a community org to the running consortium, and removing one, by majority.

A membership change is a set of channel config updates (`network/configupdate.py`)
that the existing members' admins sign, recorded under `run/members/changes/<id>.json`
so that signatures can arrive one at a time, from the command line or the API:

    admit(key, proposer)          start the org's CA (its identities), orderer and peer;
                                  propose adding its MSP to `consortium`
    remove(key, proposer)         propose taking its MSP out of `consortium` and of its
                                  community channel (its consenter too)
    sign(change, org)             an existing member's admin signs every update of the
    sign_with(change, ...)        change it takes part in (run-folder key / own key)
    complete(change, submitter)   once a majority has signed: submit, then finish

Finishing an admission joins the org's peer to `consortium`, creates
`community-<key>` with the utility and the regulator (ordered by their orderers and
the new org's), deploys both chaincodes for it and writes the onboarding record
(who proposed, who signed and when, the config block) to the member registry.
Finishing a removal first revokes the org's people at its CA and puts the CRL on its
channels (its own admin signs that, as for any revocation), then submits the
removal, revokes its admin and nodes too, stops its processes and records the removal.

The existing members' nodes are never restarted: their peers and orderers learn the
new org's TLS root from the channel configs.
"""

from __future__ import annotations

import fcntl
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from client import CAClient, Contract, GatewayError
from network import channels, configupdate, lifecycle, orgconfig
from network.bringup import start_ca
from network.ca import REGISTRAR, OrgCA
from network.chaincode_servers import deployed, process
from network.chaincodes import CONSORTIUM, community_chaincode
from network.configupdate import UpdateProposal
from network.connect import gateway
from network.console import NetworkError, info, phase
from network.demo import commit, register_members
from network.install import fabric_sampleconfig
from network.nodes import (
    orderer_process,
    peer_process,
    start_orderer,
    start_peer,
    wait_orderer,
    wait_peer,
)
from network.procs import stop_pid_file
from network.revocation import admin_enrollment, propagate_crl
from network.topology import (
    ACTIVE,
    CONSORTIUM_CHANNEL,
    JOINING,
    ORG_KEY,
    ORGS,
    REMOVED,
    WITHDRAWN,
    Admission,
    Org,
    User,
    admission,
    admissions,
    admissions_dir,
    channel_by_name,
    community_channel,
    next_port_base,
    orgs,
    save_admission,
)

__all__ = [
    "ADMISSION",
    "REMOVAL",
    "ChangeNotFound",
    "ChangeRefused",
    "MembershipChange",
    "NotEntitled",
    "admit",
    "complete",
    "load_change",
    "new_org",
    "remove",
    "sign",
    "sign_by_majority",
    "sign_with",
    "withdraw",
]

CHANGE_FORMAT = "gridledger/membership-change/1"
ADMISSION, REMOVAL = "admission", "removal"
PROPOSED, COMPLETED = "proposed", "completed"
REGISTRY = "MemberContract"


class ChangeNotFound(NetworkError):
    """No such membership change, or no such admitted org."""


class ChangeRefused(NetworkError):
    """The change (or the org) is not in a state that allows this step."""


class NotEntitled(NetworkError):
    """This org's admin may not take this step."""


CHANGE_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-(admission|removal)-[a-z0-9]+-[0-9a-f]{6}$")


# ---------------------------------------------------------------- the change record


@dataclass
class MembershipChange:
    """One admission or removal: its config update proposals (channel → id) and outcome."""

    id: str
    kind: str
    org_key: str
    msp_id: str
    proposed_by: str
    proposed_at: str
    proposals: dict[str, str]
    status: str = PROPOSED
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return changes_dir() / f"{self.id}.json"

    def updates(self) -> dict[str, UpdateProposal]:
        return {ch: configupdate.load(pid) for ch, pid in self.proposals.items()}

    def signatures(self, updates: dict[str, UpdateProposal] | None = None) -> list[dict[str, str]]:
        """Every admin signature, per org the earliest, across the change's updates."""
        first: dict[str, str] = {}
        for update in (updates or self.updates()).values():
            for signature in update.signatures:
                if signature.msp_id not in first or signature.signed_at < first[signature.msp_id]:
                    first[signature.msp_id] = signature.signed_at
        return [{"msp_id": m, "signed_at": t} for m, t in sorted(first.items())]

    def outstanding(
        self, updates: dict[str, UpdateProposal] | None = None
    ) -> dict[str, dict[str, int]]:
        """channel → policy → admins still missing; empty when a majority has signed."""
        missing = {ch: u.outstanding() for ch, u in (updates or self.updates()).items()}
        return {ch: m for ch, m in missing.items() if m}

    def to_json(self) -> dict[str, Any]:
        updates = self.updates()  # read from disk once for the whole record
        return {
            "format": CHANGE_FORMAT,
            **asdict(self),
            "signatures": self.signatures(updates),
            "outstanding": self.outstanding(updates),
            "requirements": {
                ch: [
                    {"policy": r.policy, "needed": r.needed, "orgs": list(r.orgs)}
                    for r in u.requirements
                ]
                for ch, u in updates.items()
            },
        }

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"format": CHANGE_FORMAT, **asdict(self)}, indent=2) + "\n")
        tmp.replace(self.file)


def changes_dir() -> Path:
    return admissions_dir() / "changes"


def load_change(change_id: str) -> MembershipChange:
    path = changes_dir() / f"{change_id}.json"
    if not CHANGE_ID.match(change_id) or not path.exists():
        raise ChangeNotFound(f"membership change {change_id} is not proposed")
    record = json.loads(path.read_text())
    record.pop("format", None)
    return MembershipChange(**record)


@contextmanager
def locked(change: MembershipChange) -> Iterator[MembershipChange]:
    """Hold the change's lock and yield it as on disk: one completion at a time."""
    changes_dir().mkdir(parents=True, exist_ok=True)
    with (changes_dir() / f"{change.id}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield load_change(change.id)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_change_id(kind: str, key: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{kind}-{key}-{secrets.token_hex(3)}"


# ---------------------------------------------------------------- admission


def new_org(key: str, name: str | None = None, msp_id: str | None = None) -> Org:
    """A community org at the next free block of ports, with two households to start with."""
    if not ORG_KEY.match(key):
        raise NetworkError(f"org key {key!r} must be 2-31 lowercase letters or digits")
    return Org(
        key=key,
        msp_id=msp_id or f"{key.capitalize()}MSP",
        display_name=name or f"{key.capitalize()} Energy Cooperative",
        kind="community",
        port_base=next_port_base(),
        users=(
            User("household1", "household", {"household_id": f"h-{key}-001"}),
            User("household2", "household", {"household_id": f"h-{key}-002"}),
        ),
    )


def check_new(org: Org) -> None:
    taken = [o for o in ORGS if org.key == o.key or org.msp_id == o.msp_id]
    existing = admission(org.key)
    if taken:
        raise ChangeRefused(f"{org.key} ({org.msp_id}) is a founding member already")
    for other in admissions():
        if other.org.key != org.key and other.org.msp_id == org.msp_id:
            raise ChangeRefused(
                f"MSP id {org.msp_id} belongs to {other.org.key} ({other.status}); choose another"
            )
    if existing is not None and existing.status == REMOVED:
        raise ChangeRefused(
            f"{org.key} was removed from the consortium; admit it under a new key and MSP id"
        )
    if existing is not None and existing.status == ACTIVE:
        raise ChangeRefused(f"{org.key} is a member already")


def start_nodes(org: Org) -> None:
    """The new org's own CA (every identity enrolled), orderer and peer, healthy."""
    sampleconfig = fabric_sampleconfig()
    with phase(f"{org.msp_id}: certificate authority {org.ca_name} on {org.ca_url}"):
        start_ca(OrgCA(org))
    with phase(f"{org.msp_id}: orderer on {org.orderer_address}, peer on {org.peer_address}"):
        start_orderer(org, sampleconfig)
        start_peer(org, sampleconfig)
        wait_orderer(org)
        wait_peer(org)


def admit(org: Org, proposer: Org) -> MembershipChange:
    """Start `org`'s nodes and propose its MSP for `consortium`, as `proposer`'s admin."""
    current = admission(org.key)
    if current is not None and current.status in (JOINING, WITHDRAWN):
        org = current.org
        save_admission(Admission(org, JOINING))
    else:
        check_new(org)
        save_admission(Admission(org, JOINING))
    start_nodes(org)
    register_members()
    group = orgconfig.org_group(org)
    with phase(f"{proposer.msp_id} proposes {org.msp_id} for {CONSORTIUM_CHANNEL}"):
        update = configupdate.propose(
            CONSORTIUM_CHANNEL,
            proposer,
            partial(orgconfig.add_application_org, org=org, group=group),
            f"admit {org.msp_id} ({org.display_name})",
        )
    change = MembershipChange(
        id=new_change_id(ADMISSION, org.key),
        kind=ADMISSION,
        org_key=org.key,
        msp_id=org.msp_id,
        proposed_by=proposer.msp_id,
        proposed_at=update.proposed_at,
        proposals={CONSORTIUM_CHANNEL: update.id},
    )
    change.save()
    return change


# ---------------------------------------------------------------- removal


def member(key: str) -> Org:
    found = admission(key)
    if found is None:
        founding = [o.key for o in ORGS]
        if key in founding:
            raise NotEntitled(f"{key} is a founding member; only admitted orgs can be removed")
        raise ChangeNotFound(f"{key} was never admitted")
    if found.status != ACTIVE:
        raise ChangeRefused(f"{key} is {found.status}, not an active member")
    return found.org


def remove(key: str, proposer: Org) -> MembershipChange:
    """Propose taking org `key` out of `consortium` and out of its community channel."""
    org = member(key)
    if proposer.key == key:
        raise NotEntitled("an org cannot propose its own removal; another member proposes it")
    proposals = {}
    for channel in (CONSORTIUM_CHANNEL, community_channel(org).name):
        with phase(f"{proposer.msp_id} proposes removing {org.msp_id} from {channel}"):
            update = configupdate.propose(
                channel,
                proposer,
                partial(orgconfig.remove_org, org=org),
                f"remove {org.msp_id} ({org.display_name})",
            )
        proposals[channel] = update.id
    change = MembershipChange(
        id=new_change_id(REMOVAL, key),
        kind=REMOVAL,
        org_key=key,
        msp_id=org.msp_id,
        proposed_by=proposer.msp_id,
        proposed_at=update.proposed_at,
        proposals=proposals,
    )
    change.save()
    return change


def withdraw(key: str) -> None:
    """Abandon an admission that was never completed: stop the org's nodes, forget it.

    Its MSP was never on a channel, so no member's signature is needed.
    """
    found = admission(key)
    if found is None or found.status != JOINING:
        raise ChangeRefused(f"{key} is not joining; a member is removed by a majority instead")
    stop_nodes(found.org)
    save_admission(Admission(found.org, WITHDRAWN))


# ---------------------------------------------------------------- signatures


def check_open(change: MembershipChange) -> None:
    """A change can take signatures and complete while proposed and its org still joining."""
    if change.status != PROPOSED:
        raise ChangeRefused(f"membership change {change.id} is {change.status}")
    subject = admission(change.org_key)
    if change.kind == ADMISSION and (subject is None or subject.status in (REMOVED, WITHDRAWN)):
        status = subject.status if subject else "forgotten"
        raise ChangeRefused(f"{change.org_key} was {status}; its admission can no longer complete")


def signable(change: MembershipChange, msp_id: str) -> dict[str, UpdateProposal]:
    """The change's updates that `msp_id`'s admin takes part in and has not signed yet."""
    check_open(change)
    if msp_id == change.msp_id:
        raise NotEntitled(f"{msp_id} may not sign a change of its own membership")
    updates = {
        ch: u for ch, u in change.updates().items() if any(msp_id in r.orgs for r in u.requirements)
    }
    if not updates:
        raise NotEntitled(f"{msp_id}'s admin has no say in membership change {change.id}")
    unsigned = {ch: u for ch, u in updates.items() if msp_id not in u.signed_by}
    if not unsigned:
        raise ChangeRefused(f"{msp_id} has already signed membership change {change.id}")
    return unsigned


def sign(change: MembershipChange, org: Org) -> list[str]:
    """`org`'s admin (its key in the run folder) signs; the channels it signed for."""
    updates = signable(change, org.msp_id)
    for update in updates.values():
        configupdate.sign(update, org)
    return list(updates)


def sign_with(
    change: MembershipChange, msp_id: str, certificate: bytes, signer: Callable[[bytes], bytes]
) -> list[str]:
    """An admin signs with its own key (e.g. the API's wallet); the channels it signed for."""
    updates = signable(change, msp_id)
    for update in updates.values():
        configupdate.sign_with(update, msp_id, certificate, signer)
    return list(updates)


def sign_by_majority(change: MembershipChange) -> None:
    """The command line's shortcut: members' admins sign in turn until enough have."""
    for org in orgs():
        if not change.outstanding():
            return
        try:
            signed = sign(change, org)
        except (NotEntitled, ChangeRefused):
            continue
        info(f"{org.msp_id} admin signed the update of {', '.join(signed)}")


# ---------------------------------------------------------------- completion


def complete(change: MembershipChange, submitter: Org) -> dict[str, Any]:
    """Submit the signed updates as `submitter`'s admin and finish the change; its result."""
    with locked(change) as current:
        if current.status == COMPLETED:
            return current.result
        check_open(current)
        missing = current.outstanding()
        if missing:
            wanted = "; ".join(
                f"{ch}: {n} more of {policy}"
                for ch, m in missing.items()
                for policy, n in m.items()
            )
            raise ChangeRefused(
                f"membership change {current.id} needs more admin signatures ({wanted})"
            )
        if submitter.msp_id == current.msp_id:
            raise NotEntitled(f"{submitter.msp_id} may not submit a change of its own membership")
        finish = finish_admission if current.kind == ADMISSION else finish_removal
        current.result = finish(current, submitter)
        current.status = COMPLETED
        current.save()
        change.status, change.result = current.status, current.result
        return current.result


def submitted_block(update: UpdateProposal, submitter: Org) -> int:
    """Submit `update` unless an earlier, interrupted completion already did."""
    if update.submitted is not None:
        return update.submitted.block
    with phase(f"{submitter.msp_id} submits the update of {update.channel}"):
        block = configupdate.submit(update, submitter)
    info(f"{update.channel}: config block {block}")
    return block


def finish_admission(change: MembershipChange, submitter: Org) -> dict[str, Any]:
    started = time.monotonic()
    joining = admission(change.org_key)
    if joining is None:
        raise NetworkError(f"the admission record of {change.org_key} is missing")
    org = joining.org
    update = configupdate.load(change.proposals[CONSORTIUM_CHANNEL])
    block = submitted_block(update, submitter)
    save_admission(Admission(org, ACTIVE))
    consortium = channel_by_name(CONSORTIUM_CHANNEL)
    with phase(f"peer-{org.key} joins {CONSORTIUM_CHANNEL}"):
        channels.join_peers(consortium, channels.genesis_block(consortium))
        channels.wait_gossip(consortium)
    lifecycle.prepare(CONSORTIUM, consortium, org)
    own = community_channel(org)
    with phase(f"channel {own.name}: {', '.join(o.msp_id for o in own.orgs)}"):
        channels.create(own)
        channels.wait_gossip(own)
    lifecycle.deploy(community_chaincode(own), own)
    update = configupdate.load(change.proposals[CONSORTIUM_CHANNEL])
    record = {
        "change_id": change.id,
        "channel": CONSORTIUM_CHANNEL,
        "config_block": block,
        "proposed_by": change.proposed_by,
        "proposed_at": change.proposed_at,
        "signatures": change.signatures(),
        "submitted_by": submitter.msp_id,
        "submitted_at": update.submitted.submitted_at if update.submitted else now(),
        "community_channel": own.name,
    }
    args = (org.msp_id, org.display_name, org.kind, json.dumps(record, sort_keys=True))
    tx_id = record_on_registry(submitter, "RecordOnboarding", *args)
    return {
        **record,
        "registry_tx_id": tx_id,
        "seconds_after_signatures": round(time.monotonic() - started, 1),
    }


def finish_removal(change: MembershipChange, submitter: Org) -> dict[str, Any]:
    started = time.monotonic()
    org = member(change.org_key)
    revoked, crl_blocks = revoke_people(org)
    blocks = {ch: submitted_block(update, submitter) for ch, update in change.updates().items()}
    revoke_the_rest(org)
    stop_nodes(org)
    save_admission(Admission(org, REMOVED))
    update = next(iter(change.updates().values()))
    record = {
        "change_id": change.id,
        "channels": sorted(blocks),
        "config_blocks": blocks,
        "proposed_by": change.proposed_by,
        "proposed_at": change.proposed_at,
        "signatures": change.signatures(),
        "submitted_by": submitter.msp_id,
        "submitted_at": update.submitted.submitted_at if update.submitted else now(),
        "revoked_identities": revoked,
        "crl_block": crl_blocks.get(CONSORTIUM_CHANNEL),
    }
    tx_id = record_on_registry(
        submitter, "RecordRemoval", org.msp_id, json.dumps(record, sort_keys=True)
    )
    return {
        **record,
        "registry_tx_id": tx_id,
        "seconds_after_signatures": round(time.monotonic() - started, 1),
    }


def revoke_people(org: Org) -> tuple[list[str], dict[str, int]]:
    """Revoke every client identity of the org at its CA; its admin puts the CRL on its channels."""
    ca = CAClient(org.ca_url, org.ca_name, OrgCA(org).ca_cert.read_bytes())
    registrar = admin_enrollment(org)
    people = sorted(
        i["id"]
        for i in ca.list_identities(registrar)
        if i.get("type") == "client" and i["id"] not in (REGISTRAR, "chaincode")
    )
    crl = None
    with phase(f"{org.msp_id}: revoking {len(people)} identities at {org.ca_name}"):
        for enrollment_id in people:
            crl = ca.revoke(registrar, enrollment_id, reason="cessationofoperation", gencrl=True)
    if crl is None:
        return people, {}
    with phase(f"{org.msp_id}: its CRL onto its channels"):
        return people, propagate_crl(org, crl)


def revoke_the_rest(org: Org) -> None:
    """Its admin and nodes too, by the CA's registrar: nothing of the org can enroll again."""
    ca = OrgCA(org)
    for name in ("admin", "chaincode", "peer0", "orderer0"):
        try:
            ca.client("revoke", "-e", name, "-r", "cessationofoperation", mspdir=ca.msp(REGISTRAR))
        except NetworkError as exc:
            if "already revoked" not in str(exc):
                raise


def stop_nodes(org: Org) -> None:
    """Stop the org's chaincode servers, peer, orderer and CA; forget its servers for `up`."""
    for dep in [d for d in deployed() if d.org == org.key]:
        stop_pid_file(process(dep).pid_file)
        dep.record.unlink()
    for proc in (peer_process(org), orderer_process(org), OrgCA(org).process()):
        stop_pid_file(proc.pid_file)
    info(f"{org.msp_id}: its processes are stopped")


def record_on_registry(submitter: Org, function: str, *args: str) -> str:
    """Submit a registry transaction as the submitter's admin; retries return the same record."""
    with gateway(submitter, "admin") as gw:
        contract: Contract = gw.get_network(CONSORTIUM_CHANNEL).get_contract(
            CONSORTIUM.name, REGISTRY
        )
        try:
            return commit(contract, function, *args)
        except GatewayError as exc:
            raise NetworkError(f"{function} on the member registry failed: {exc}") from exc
