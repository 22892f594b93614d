"""Channel configuration updates, signed by enough member admins and submitted to an orderer.

The long form of a change, after fabric-samples' `configUpdate.sh`, one function a step:

    fetch_config(channel, org)              the current config (peer channel fetch config,
                                            configtxlator proto_decode of the block)
    compute_update(channel, old, new)       configtxlator compute_update → common.ConfigUpdate
    update_envelope(channel, update)        ConfigUpdateEnvelope in an Envelope of type
                                            CONFIG_UPDATE (fabric_protos)
    requirements(old, update)               which policies the change must satisfy, and how
                                            many org admins that takes

`propose()` does all four and writes the proposal into the run folder;
`sign()` adds one org admin's signature (peer channel signconfigtx); `submit()`
sends it (peer channel update) and returns the new config block's number.

A proposal is a folder under `run/channels/updates/<id>/`: `config_update.pb` is
the envelope the admins sign, `config_update.json` the same update decoded for a
reviewer, `proposal.json` the record (channel, description, who proposed, what it
needs, who signed and when, the submission). The envelope is the truth about
signatures; the record adds the times.

Fabric decides. The counts here assume every signer is an org admin and serve to
say "waiting for one more admin"; they never stop a submission, and `peer channel
update` adds the submitter's own signature, so the submitter counts too.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import itertools
import json
import re
import secrets
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.msp import identities_pb2

from network import admin
from network.console import NetworkError
from network.paths import channels_dir, tool
from network.procs import wait_until
from network.topology import Org

RECORD_FORMAT = "gridledger/config-update/1"
ENVELOPE_FILE = "config_update.pb"
DECODED_FILE = "config_update.json"
RECORD_FILE = "proposal.json"

SIGNATURE_POLICY = 1
IMPLICIT_META_POLICY = 3
# Roles a signature satisfies, Node OUs on: an admin (or an orderer node) is a member,
# never a client.
ADMIN_ROLES = frozenset({"ADMIN", "MEMBER"})
ORDERER_ROLES = frozenset({"ORDERER", "MEMBER"})
PROPOSAL_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[a-z0-9][a-z0-9.-]*-[0-9a-f]{6}$")
DURATION = re.compile(r"^[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h)$")


class UpdateRefused(NetworkError):
    """The orderer refused a config update; `reason` is Fabric's own text."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# ---------------------------------------------------------------- configtxlator


def configtxlator(*args: str, data: bytes | None = None, what: str) -> bytes:
    """Run configtxlator with `data` on stdin; return its stdout, or raise with its stderr."""
    try:
        result = subprocess.run(
            [str(tool("configtxlator")), *args], input=data, capture_output=True, timeout=60
        )
    except subprocess.TimeoutExpired as exc:
        raise NetworkError(f"{what}: configtxlator timed out") from exc
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()
        raise NetworkError(f"{what} failed: {detail}")
    return result.stdout


def decode(data: bytes, proto_type: str) -> dict[str, Any]:
    out = configtxlator(
        "proto_decode", "--type", proto_type, data=data, what=f"decode {proto_type}"
    )
    return json.loads(out)


def encode(document: dict[str, Any], proto_type: str) -> bytes:
    data = json.dumps(document).encode()
    return configtxlator(
        "proto_encode", "--type", proto_type, data=data, what=f"encode {proto_type}"
    )


# ---------------------------------------------------------------- fetching


@dataclass(frozen=True)
class ConfigBlock:
    """A channel's latest config block: its number and the config it carries."""

    number: int
    config: dict[str, Any]


def fetch_config_block(channel: str, org: Org) -> ConfigBlock:
    """`peer channel fetch config` as `org`'s admin from `org`'s orderer, decoded."""
    with tempfile.TemporaryDirectory(prefix="gridledger-config-") as tmp:
        block_file = Path(tmp) / "config.block"
        admin.peer(
            org,
            "channel",
            "fetch",
            "config",
            str(block_file),
            "-c",
            channel,
            *admin.orderer_flags(org, channel),
            what=f"fetch the config of {channel} as {org.msp_id} admin",
        )
        block = decode(block_file.read_bytes(), "common.Block")
    return ConfigBlock(
        int(block["header"]["number"]), block["data"]["data"][0]["payload"]["data"]["config"]
    )


def fetch_config(channel: str, org: Org) -> dict[str, Any]:
    """The channel's current config as JSON (`.data.data[0].payload.data.config`)."""
    return fetch_config_block(channel, org).config


# ---------------------------------------------------------------- computing an update


def compute_update(channel: str, original: dict[str, Any], updated: dict[str, Any]) -> bytes:
    """The common.ConfigUpdate (read set and write set) taking `original` to `updated`."""
    with tempfile.TemporaryDirectory(prefix="gridledger-update-") as tmp:
        old, new = Path(tmp) / "original.pb", Path(tmp) / "updated.pb"
        old.write_bytes(encode(original, "common.Config"))
        new.write_bytes(encode(updated, "common.Config"))
        return configtxlator(
            "compute_update",
            "--channel_id",
            channel,
            "--original",
            str(old),
            "--updated",
            str(new),
            what=f"compute the config update of {channel}",
        )


def update_envelope(channel: str, config_update: bytes) -> bytes:
    """Wrap a ConfigUpdate, unsigned, in an Envelope of type CONFIG_UPDATE for `channel`."""
    header = common_pb2.ChannelHeader(type=common_pb2.HeaderType.CONFIG_UPDATE, channel_id=channel)
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()),
        data=configtx_pb2.ConfigUpdateEnvelope(config_update=config_update).SerializeToString(),
    )
    return common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()


def read_envelope(envelope: bytes) -> tuple[str, configtx_pb2.ConfigUpdateEnvelope]:
    """The channel and the ConfigUpdateEnvelope inside a CONFIG_UPDATE envelope."""
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(envelope).payload)
    header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    if header.type != common_pb2.HeaderType.CONFIG_UPDATE:
        raise NetworkError(f"envelope has header type {header.type}, not CONFIG_UPDATE")
    return header.channel_id, configtx_pb2.ConfigUpdateEnvelope.FromString(payload.data)


def envelope_signers(envelope: bytes) -> list[str]:
    """The MSP ids of the signatures on an update envelope, in signing order."""
    _, update = read_envelope(envelope)
    signers = []
    for signature in update.signatures:
        header = common_pb2.SignatureHeader.FromString(signature.signature_header)
        signers.append(identities_pb2.SerializedIdentity.FromString(header.creator).mspid)
    return signers


# ---------------------------------------------------------------- what an update needs


@dataclass(frozen=True)
class Requirement:
    """A policy an update must satisfy: `needed` of the admins of `orgs` must sign."""

    policy: str
    rule: str
    orgs: tuple[str, ...]
    needed: int
    items: tuple[str, ...] = ()

    def missing(self, signers: Sequence[str]) -> int:
        """How many more of `orgs`' admins must sign (threshold policies, Fabric's defaults)."""
        return max(0, self.needed - len(set(signers) & set(self.orgs)))


def requirements(config: dict[str, Any], config_update: bytes) -> tuple[Requirement, ...]:
    """The policies guarding every existing item the update modifies, as Fabric checks them.

    Fabric checks each modified item's current mod_policy: a group's relative to the
    group itself, a value's or policy's relative to its group. New items are not
    checked themselves; the version bump of the group they join is.
    """
    update = configtx_pb2.ConfigUpdate.FromString(config_update)
    guarded: dict[str, list[str]] = {}
    for item, policy in modified_items(config["channel_group"], update.write_set, ("Channel",)):
        guarded.setdefault(policy, []).append(item)
    return tuple(requirement(config, path, tuple(items)) for path, items in guarded.items())


def modified_items(
    existing: dict[str, Any], write: configtx_pb2.ConfigGroup, path: tuple[str, ...]
) -> Iterator[tuple[str, str]]:
    """(item, policy path) for each existing item whose version the write set bumps."""
    where = "/" + "/".join(path)
    if write.version != int(existing.get("version", 0)):
        yield f"Group {where}", policy_path(path, existing["mod_policy"])
    for kind, items in (("Value", write.values), ("Policy", write.policies)):
        current = existing.get(f"{kind.lower()}s") or {}
        for key, item in items.items():
            if key in current and item.version != int(current[key].get("version", 0)):
                yield f"{kind} {where}/{key}", policy_path(path, current[key]["mod_policy"])
    groups = existing.get("groups") or {}
    for key, group in write.groups.items():
        if key in groups:
            yield from modified_items(groups[key], group, (*path, key))


def policy_path(group: tuple[str, ...], mod_policy: str) -> str:
    return mod_policy if mod_policy.startswith("/") else "/" + "/".join((*group, mod_policy))


def requirement(config: dict[str, Any], path: str, items: tuple[str, ...]) -> Requirement:
    group, name = policy_group(config, path)
    policy = group["policies"][name]["policy"]
    orgs = tuple(sorted(policy_orgs(group, name)))
    for size in range(len(orgs) + 1):
        if any(satisfied(group, name, set(c)) for c in itertools.combinations(orgs, size)):
            return Requirement(path, describe(policy), orgs, size, items)
    raise NetworkError(f"no set of org admins can satisfy {path} ({describe(policy)})")


def policy_group(config: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The group holding the policy at `path` (e.g. /Channel/Orderer/Admins), and its name."""
    *groups, name = path.strip("/").split("/")
    if not groups or groups[0] != "Channel":
        raise NetworkError(f"policy path {path} does not start with /Channel")
    group = config["channel_group"]
    for key in groups[1:]:
        group = (group.get("groups") or {}).get(key)
        if group is None:
            raise NetworkError(f"policy path {path}: no group {key!r}")
    if name not in (group.get("policies") or {}):
        raise NetworkError(f"policy path {path}: no policy {name!r}")
    return group, name


def satisfied(
    group: dict[str, Any], name: str, signers: set[str], roles: frozenset[str] = ADMIN_ROLES
) -> bool:
    """Whether one identity of each MSP in `signers`, acting in `roles`, satisfies `name`."""
    entry = (group.get("policies") or {}).get(name)
    if entry is None:
        return False
    policy = entry["policy"]
    value = policy["value"]
    if policy["type"] == IMPLICIT_META_POLICY:
        subs = list((group.get("groups") or {}).values())
        count = sum(satisfied(sub, value["sub_policy"], signers, roles) for sub in subs)
        return count >= implicit_threshold(value["rule"], len(subs))
    if policy["type"] == SIGNATURE_POLICY:
        principals = [matches(i, signers, roles) for i in value.get("identities") or []]
        return rule_satisfied(value["rule"], principals)
    return False


def implicit_threshold(rule: str, count: int) -> int:
    if count == 0:
        return 0
    return {"ANY": 1, "ALL": count, "MAJORITY": count // 2 + 1}[rule]


def matches(identity: dict[str, Any], signers: set[str], roles: frozenset[str]) -> bool:
    principal = identity.get("principal") or {}
    return (
        identity.get("principal_classification", "ROLE") == "ROLE"
        and principal.get("msp_identifier") in signers
        and principal.get("role", "MEMBER") in roles
    )


def rule_satisfied(rule: dict[str, Any], principals: list[bool]) -> bool:
    if "signed_by" in rule:
        index = rule["signed_by"]
        return index < len(principals) and principals[index]
    n_out_of = rule.get("n_out_of") or {}
    met = sum(rule_satisfied(r, principals) for r in n_out_of.get("rules") or [])
    return met >= n_out_of.get("n", 0)


def policy_orgs(group: dict[str, Any], name: str) -> set[str]:
    """Every MSP whose admins take part in the group's policy `name`."""
    entry = (group.get("policies") or {}).get(name)
    if entry is None:
        return set()
    policy = entry["policy"]
    if policy["type"] == IMPLICIT_META_POLICY:
        sub = policy["value"]["sub_policy"]
        return set().union(*(policy_orgs(g, sub) for g in (group.get("groups") or {}).values()))
    if policy["type"] == SIGNATURE_POLICY:
        identities = policy["value"].get("identities") or []
        msps = {(i.get("principal") or {}).get("msp_identifier") for i in identities}
        return {m for m in msps if any(matches(i, {m}, ADMIN_ROLES) for i in identities)}
    return set()


def describe(policy: dict[str, Any]) -> str:
    value = policy["value"]
    if policy["type"] == IMPLICIT_META_POLICY:
        return f"{value['rule']} {value['sub_policy']}"
    if policy["type"] == SIGNATURE_POLICY:
        names = [
            f"{i['principal']['msp_identifier']}.{i['principal'].get('role', 'MEMBER').lower()}"
            for i in value.get("identities") or []
        ]
        n = (value["rule"].get("n_out_of") or {}).get("n", 1)
        return f"{n} of {', '.join(names)}"
    return f"policy type {policy['type']}"


def orderers_unable_to_write(config: dict[str, Any]) -> list[str]:
    """Orderer orgs whose orderer nodes cannot satisfy /Channel/Writers.

    An orderer turns an accepted update into a config transaction signed by its own
    node identity and checks that against /Channel/Writers; where its org's Writers
    leave orderer nodes out, every update is refused with "did not pass final checks".
    """
    channel = config["channel_group"]
    orgs = (channel["groups"]["Orderer"].get("groups") or {}).values()
    msps = [group["values"]["MSP"]["value"]["config"]["name"] for group in orgs]
    return [msp for msp in msps if not satisfied(channel, "Writers", {msp}, ORDERER_ROLES)]


# ---------------------------------------------------------------- the proposal record


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Signature:
    msp_id: str
    signed_at: str


@dataclass(frozen=True)
class Submission:
    msp_id: str
    submitted_at: str
    block: int


@dataclass
class UpdateProposal:
    """A config update waiting for signatures, as recorded in its folder."""

    id: str
    channel: str
    description: str
    proposed_by: str
    proposed_at: str
    base_block: int
    requirements: tuple[Requirement, ...]
    folder: Path
    signatures: list[Signature] = field(default_factory=list)
    submitted: Submission | None = None

    @property
    def envelope_file(self) -> Path:
        return self.folder / ENVELOPE_FILE

    @property
    def record_file(self) -> Path:
        return self.folder / RECORD_FILE

    @property
    def signed_by(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.msp_id for s in self.signatures))

    def outstanding(self, submitter: str | None = None) -> dict[str, int]:
        """Policy path → admins still missing; the submitter counts (Fabric adds its signature)."""
        signers = [*self.signed_by, *([submitter] if submitter else [])]
        missing = {r.policy: r.missing(signers) for r in self.requirements}
        return {policy: count for policy, count in missing.items() if count}

    def ready(self, submitter: str | None = None) -> bool:
        return not self.outstanding(submitter)

    def record_signature(self, msp_id: str, signed_at: str) -> None:
        if self.submitted is not None:
            raise NetworkError(
                f"update {self.id} was already submitted in block {self.submitted.block}"
            )
        if msp_id in self.signed_by:
            raise NetworkError(f"{msp_id} has already signed update {self.id}")
        self.signatures.append(Signature(msp_id, signed_at))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RECORD_FORMAT,
            "id": self.id,
            "channel": self.channel,
            "description": self.description,
            "proposed_by": self.proposed_by,
            "proposed_at": self.proposed_at,
            "base_block": self.base_block,
            "envelope": ENVELOPE_FILE,
            "requirements": [
                {**asdict(r), "orgs": list(r.orgs), "items": list(r.items)}
                for r in self.requirements
            ],
            "signatures": [asdict(s) for s in self.signatures],
            "submitted": asdict(self.submitted) if self.submitted else None,
        }

    @classmethod
    def from_json(cls, record: dict[str, Any], folder: Path) -> UpdateProposal:
        if record.get("format") != RECORD_FORMAT:
            raise NetworkError(f"{folder / RECORD_FILE} is not a {RECORD_FORMAT} record")
        submitted = record.get("submitted")
        return cls(
            id=record["id"],
            channel=record["channel"],
            description=record["description"],
            proposed_by=record["proposed_by"],
            proposed_at=record["proposed_at"],
            base_block=record["base_block"],
            requirements=tuple(
                Requirement(
                    r["policy"], r["rule"], tuple(r["orgs"]), r["needed"], tuple(r["items"])
                )
                for r in record["requirements"]
            ),
            folder=folder,
            signatures=[Signature(**s) for s in record["signatures"]],
            submitted=Submission(**submitted) if submitted else None,
        )

    def save(self) -> None:
        tmp = self.record_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        tmp.replace(self.record_file)

    @classmethod
    def load(cls, folder: Path) -> UpdateProposal:
        return cls.from_json(json.loads((folder / RECORD_FILE).read_text()), folder)


def updates_dir() -> Path:
    return channels_dir() / "updates"


def new_id(channel: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{channel}-{secrets.token_hex(3)}"


def load(proposal_id: str) -> UpdateProposal:
    """The proposal `proposal_id` from the run folder."""
    folder = updates_dir() / proposal_id
    if not PROPOSAL_ID.match(proposal_id) or not (folder / RECORD_FILE).exists():
        raise NetworkError(f"config update {proposal_id} is not proposed")
    return UpdateProposal.load(folder)


@contextmanager
def locked(proposal: UpdateProposal) -> Iterator[UpdateProposal]:
    """Hold the proposal's lock and yield its record as on disk (signers may be concurrent)."""
    with (proposal.folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = UpdateProposal.load(proposal.folder)
        yield current
        proposal.signatures = list(current.signatures)
        proposal.submitted = current.submitted


# ---------------------------------------------------------------- propose, sign, submit


def propose(
    channel: str,
    org: Org,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    description: str = "",
) -> UpdateProposal:
    """Turn `change` (current config → wanted config) into an unsigned proposal on disk."""
    base = fetch_config_block(channel, org)
    wanted = change(copy.deepcopy(base.config))
    try:
        update = compute_update(channel, base.config, wanted)
    except NetworkError as exc:
        if "no differences detected" in str(exc):
            raise NetworkError(f"the change leaves the config of {channel} as it is") from exc
        raise
    needs = requirements(base.config, update)
    items = [item for r in needs for item in r.items]
    proposal_id = new_id(channel)
    proposal = UpdateProposal(
        id=proposal_id,
        channel=channel,
        description=description or "change " + ", ".join(items),
        proposed_by=org.msp_id,
        proposed_at=now(),
        base_block=base.number,
        requirements=needs,
        folder=updates_dir() / proposal_id,
    )
    proposal.folder.mkdir(parents=True)
    proposal.envelope_file.write_bytes(update_envelope(channel, update))
    decoded = decode(update, "common.ConfigUpdate")
    (proposal.folder / DECODED_FILE).write_text(json.dumps(decoded, indent=2) + "\n")
    proposal.save()
    return proposal


def sign(proposal: UpdateProposal, org: Org) -> None:
    """`org`'s admin signs the update (`peer channel signconfigtx`); the record notes when."""
    with locked(proposal) as current:
        current.record_signature(org.msp_id, now())
        before = envelope_signers(current.envelope_file.read_bytes())
        admin.peer(
            org,
            "channel",
            "signconfigtx",
            "-f",
            str(current.envelope_file),
            what=f"sign update {current.id} as {org.msp_id} admin",
        )
        after = envelope_signers(current.envelope_file.read_bytes())
        if after != [*before, org.msp_id]:
            raise NetworkError(
                f"update {current.id}: expected a signature of {org.msp_id} after {before}, "
                f"the envelope has {after}"
            )
        current.save()


def signed_envelope(
    envelope: bytes, msp_id: str, certificate: bytes, signer: Callable[[bytes], bytes]
) -> bytes:
    """`envelope` with one more ConfigSignature: what `peer channel signconfigtx` adds.

    The signature covers the signature header followed by the ConfigUpdate bytes;
    `signer` is handed their SHA-256 digest, like every Fabric client signer.
    """
    env = common_pb2.Envelope.FromString(envelope)
    payload = common_pb2.Payload.FromString(env.payload)
    update = configtx_pb2.ConfigUpdateEnvelope.FromString(payload.data)
    creator = identities_pb2.SerializedIdentity(mspid=msp_id, id_bytes=certificate)
    header = common_pb2.SignatureHeader(
        creator=creator.SerializeToString(), nonce=secrets.token_bytes(24)
    ).SerializeToString()
    signature = signer(hashlib.sha256(header + update.config_update).digest())
    update.signatures.append(
        configtx_pb2.ConfigSignature(signature_header=header, signature=signature)
    )
    payload.data = update.SerializeToString()
    env.payload = payload.SerializeToString()
    return env.SerializeToString()


def sign_with(
    proposal: UpdateProposal, msp_id: str, certificate: bytes, signer: Callable[[bytes], bytes]
) -> None:
    """An admin signs with its own key, wherever it is held (the API's wallet, an HSM).

    The same signature as `sign()`, made here instead of by the `peer` CLI.
    """
    with locked(proposal) as current:
        current.record_signature(msp_id, now())
        envelope = current.envelope_file.read_bytes()
        current.envelope_file.write_bytes(signed_envelope(envelope, msp_id, certificate, signer))
        current.save()


def submit(proposal: UpdateProposal, org: Org, timeout: float = 30) -> int:
    """`peer channel update` as `org`'s admin at `org`'s orderer; the new config block's number.

    Raises UpdateRefused with Fabric's reason when the orderer refuses the update.
    """
    with locked(proposal) as current:
        if current.submitted is not None:
            raise NetworkError(
                f"update {current.id} was already submitted in block {current.submitted.block}"
            )
        base = fetch_config_block(current.channel, org)
        try:
            admin.peer(
                org,
                "channel",
                "update",
                "-f",
                str(current.envelope_file),
                "-c",
                current.channel,
                *admin.orderer_flags(org, current.channel),
                what=f"submit update {current.id} as {org.msp_id} admin",
            )
        except NetworkError as exc:
            reason = fabric_reason(str(exc))
            orderer = admin.ordering_org(org, current.channel)
            message = f"update {current.id} of {current.channel} refused at orderer-{orderer.key}"
            raise UpdateRefused(f"{message}: {reason}{hint(base.config, reason)}", reason) from exc
        block = wait_until(
            lambda: newer_config_block(current.channel, org, base.number),
            f"a config block after {base.number} on {current.channel}",
            timeout,
        )
        current.submitted = Submission(org.msp_id, now(), block)
        current.save()
    return block


def newer_config_block(channel: str, org: Org, than: int) -> int | None:
    number = fetch_config_block(channel, org).number
    return number if number > than else None


def hint(config: dict[str, Any], reason: str) -> str:
    """What to do about a refusal that signatures cannot fix."""
    unable = orderers_unable_to_write(config)
    if "did not pass final checks" not in reason or not unable:
        return ""
    return (
        f" (the orderer nodes of {', '.join(unable)} do not satisfy /Channel/Writers, so this"
        " channel accepts no config update: their orgs' Writers policies must admit the"
        " orderer role, e.g. OR('<MSP>.admin', '<MSP>.client', '<MSP>.orderer'))"
    )


def fabric_reason(message: str) -> str:
    """Fabric's error text from a failed `peer` run: its `Error: ...` line, status prefix cut."""
    match = re.search(r"Error: (.*)", message)
    reason = match.group(1).strip() if match else message
    return re.sub(r"^got unexpected status: \w+ -- ", "", reason)


# ---------------------------------------------------------------- harmless changes


def batch_timeout(config: dict[str, Any]) -> str:
    return config["channel_group"]["groups"]["Orderer"]["values"]["BatchTimeout"]["value"][
        "timeout"
    ]


def set_batch_timeout(config: dict[str, Any], timeout: str) -> dict[str, Any]:
    """A copy of `config` whose orderers cut a block after `timeout` (needs orderer org admins)."""
    if not DURATION.match(timeout):
        raise ValueError(f"batch timeout {timeout!r} is not a duration like 250ms or 2s")
    updated = copy.deepcopy(config)
    values = updated["channel_group"]["groups"]["Orderer"]["values"]
    values["BatchTimeout"]["value"]["timeout"] = timeout
    return updated


def application_org(config: dict[str, Any], msp_id: str) -> dict[str, Any]:
    """The Application group of the org whose MSP is `msp_id`."""
    orgs = config["channel_group"]["groups"]["Application"].get("groups") or {}
    for group in orgs.values():
        if group["values"]["MSP"]["value"]["config"]["name"] == msp_id:
            return group
    raise KeyError(f"{msp_id} is not an application org of this channel")


def anchor_peers(config: dict[str, Any], msp_id: str) -> list[tuple[str, int]]:
    value = application_org(config, msp_id)["values"].get("AnchorPeers")
    peers = value["value"]["anchor_peers"] if value else []
    return [(p["host"], p["port"]) for p in peers]


def set_anchor_peers(
    config: dict[str, Any], msp_id: str, peers: Sequence[tuple[str, int]]
) -> dict[str, Any]:
    """A copy of `config` declaring `peers` as the org's anchor peers (needs that org's admin).

    An empty list removes the AnchorPeers value.
    """
    updated = copy.deepcopy(config)
    values = application_org(updated, msp_id)["values"]
    if not peers:
        values.pop("AnchorPeers", None)
        return updated
    listed = [{"host": host, "port": port} for host, port in peers]
    entry = values.setdefault("AnchorPeers", {"mod_policy": "Admins", "version": "0"})
    entry["value"] = {"anchor_peers": listed}
    return updated
