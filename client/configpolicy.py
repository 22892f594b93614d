"""Who must sign a config update: the policies guarding what it changes, and how many org
admins each one takes.

The orderer checks, for every element that exists in the channel's config and whose
version the update's write set bumps, that element's current mod_policy: a group's
relative to the group itself, a value's or a policy's relative to the group holding it
(a path starting with ``/`` is absolute). New elements are not checked themselves; the
version bump of the group they join is. `requirements()` lists those policies, each with
the smallest number of org admins that satisfies it.

Counting is by org, as Fabric's ImplicitMeta and signature policies with ROLE
principals count for one signature per org: a signer is an MSP id standing for one
identity of that MSP acting in `roles`. An org admin (with Node OUs on) satisfies an
``admin`` or ``member`` principal, never ``client``; an orderer node ``orderer`` or
``member``. A policy naming one org twice under an AND is counted once here, where
Fabric would want two of its identities. The counts say "waiting for one more admin";
the orderer decides.
"""

import itertools
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass
from typing import Any

from ._decoding import decode as _decode
from ._protos import configtx_pb2, msp_principal_pb2, policies_pb2
from .orgconfig import orderer_msps

__all__ = [
    "ADMIN_ROLES",
    "ORDERER_ROLES",
    "Requirement",
    "describe",
    "implicit_threshold",
    "orderers_unable_to_write",
    "requirement",
    "requirements",
    "satisfied",
]

ADMIN_ROLES = frozenset({"ADMIN", "MEMBER"})
"""The principal roles an org admin's signature satisfies."""
ORDERER_ROLES = frozenset({"ORDERER", "MEMBER"})
"""The principal roles an orderer node's signature satisfies."""

_SIGNATURE = policies_pb2.Policy.PolicyType.SIGNATURE
_IMPLICIT_META = policies_pb2.Policy.PolicyType.IMPLICIT_META
_ROLE = msp_principal_pb2.MSPPrincipal.Classification.ROLE
_ROOT = "Channel"


@dataclass(frozen=True)
class Requirement:
    """A policy an update must satisfy: `needed` of the admins of `orgs` must sign.

    `policy` is its path (``/Channel/Application/Admins``), `rule` a reading of it
    (``MAJORITY Admins``, ``1 of UtilityMSP.admin``), `items` what it guards in this
    update (``Value /Channel/Orderer/BatchTimeout``).
    """

    policy: str
    rule: str
    orgs: tuple[str, ...]
    needed: int
    items: tuple[str, ...] = ()

    def missing(self, signers: Sequence[str]) -> int:
        """How many more of `orgs`' admins must sign, given the MSP ids that have."""
        return max(0, self.needed - len(set(signers) & set(self.orgs)))


def requirements(config: Any, config_update: Any) -> tuple[Requirement, ...]:
    """The policies `config_update` (a ConfigUpdate, or its bytes) must satisfy to apply to
    `config`, in the order a walk of the write set (keys sorted) first reaches them."""
    if isinstance(config_update, bytes):
        config_update = _decode(configtx_pb2.ConfigUpdate, config_update, "the config update")
    guarded: dict[str, list[str]] = {}
    for item, policy in _modified(config.channel_group, config_update.write_set, (_ROOT,)):
        guarded.setdefault(policy, []).append(item)
    return tuple(requirement(config, path, tuple(items)) for path, items in guarded.items())


def requirement(config: Any, path: str, items: tuple[str, ...] = ()) -> Requirement:
    """The policy at `path` of `config`, with the fewest org admins that satisfy it."""
    group, name = _policy_group(config, path)
    orgs = tuple(sorted(_policy_orgs(group, name)))
    for size in range(len(orgs) + 1):
        if any(satisfied(group, name, set(c)) for c in itertools.combinations(orgs, size)):
            return Requirement(path, describe(group.policies[name].policy), orgs, size, items)
    rule = describe(group.policies[name].policy)
    raise ValueError(f"no set of org admins can satisfy {path} ({rule})")


def satisfied(group: Any, name: str, signers: Set[str], roles: Set[str] = ADMIN_ROLES) -> bool:
    """Whether one identity of each MSP in `signers`, acting in `roles`, satisfies the
    policy `name` of `group` (a missing policy is never satisfied)."""
    if name not in group.policies:
        return False
    policy = group.policies[name].policy
    if policy.type == _IMPLICIT_META:
        meta = _decode(policies_pb2.ImplicitMetaPolicy, policy.value, f"policy {name}")
        subgroups = list(group.groups.values())
        count = sum(satisfied(sub, meta.sub_policy, signers, roles) for sub in subgroups)
        rule = policies_pb2.ImplicitMetaPolicy.Rule.Name(meta.rule)
        return count >= implicit_threshold(rule, len(subgroups))
    if policy.type == _SIGNATURE:
        envelope = _decode(policies_pb2.SignaturePolicyEnvelope, policy.value, f"policy {name}")
        principals = [_matches(p, signers, roles) for p in envelope.identities]
        return _rule_satisfied(envelope.rule, principals)
    return False


def implicit_threshold(rule: str, count: int) -> int:
    """How many of `count` sub-policies an ImplicitMeta `rule` (ANY, ALL, MAJORITY) needs;
    none when there are none, as Fabric has it."""
    if count == 0:
        return 0
    return {"ANY": 1, "ALL": count, "MAJORITY": count // 2 + 1}[rule]


def describe(policy: Any) -> str:
    """A `common.Policy` in words: ``MAJORITY Admins`` or ``1 of UtilityMSP.admin``."""
    if policy.type == _IMPLICIT_META:
        meta = _decode(policies_pb2.ImplicitMetaPolicy, policy.value, "an implicit meta policy")
        return f"{policies_pb2.ImplicitMetaPolicy.Rule.Name(meta.rule)} {meta.sub_policy}"
    if policy.type == _SIGNATURE:
        envelope = _decode(policies_pb2.SignaturePolicyEnvelope, policy.value, "a policy")
        names = [_principal_name(p) for p in envelope.identities]
        n = envelope.rule.n_out_of.n if envelope.rule.HasField("n_out_of") else 1
        return f"{n} of {', '.join(names)}"
    return f"policy type {policy.type}"


def orderers_unable_to_write(config: Any) -> list[str]:
    """The orderer orgs whose orderer nodes cannot satisfy /Channel/Writers.

    An orderer turns an accepted update into a config transaction signed by its own
    node identity and checks that against /Channel/Writers; where its org's Writers
    leave orderer nodes out, every update is refused with "did not pass final checks",
    whoever signed it.
    """
    channel = config.channel_group
    return [
        msp
        for msp in orderer_msps(config)
        if not satisfied(channel, "Writers", {msp}, ORDERER_ROLES)
    ]


def _modified(existing: Any, write: Any, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(item, policy path) for each existing element whose version the write set bumps."""
    where = "/" + "/".join(path)
    if write.version != existing.version:
        yield f"Group {where}", _policy_path(path, existing.mod_policy)
    for kind, items, current in (
        ("Value", write.values, existing.values),
        ("Policy", write.policies, existing.policies),
    ):
        for key in sorted(items):
            if key in current and items[key].version != current[key].version:
                yield f"{kind} {where}/{key}", _policy_path(path, current[key].mod_policy)
    for key in sorted(write.groups):
        if key in existing.groups:
            yield from _modified(existing.groups[key], write.groups[key], (*path, key))


def _policy_path(group: tuple[str, ...], mod_policy: str) -> str:
    return mod_policy if mod_policy.startswith("/") else "/" + "/".join((*group, mod_policy))


def _policy_group(config: Any, path: str) -> tuple[Any, str]:
    """The group holding the policy at `path` (e.g. /Channel/Orderer/Admins), and its name."""
    *groups, name = path.strip("/").split("/")
    if not groups or groups[0] != _ROOT:
        raise ValueError(f"policy path {path} does not start with /{_ROOT}")
    group = config.channel_group
    for key in groups[1:]:
        if key not in group.groups:
            raise ValueError(f"policy path {path}: no group {key!r}")
        group = group.groups[key]
    if name not in group.policies:
        raise ValueError(f"policy path {path}: no policy {name!r}")
    return group, name


def _policy_orgs(group: Any, name: str) -> set[str]:
    """Every MSP whose admins take part in the policy `name` of `group`."""
    if name not in group.policies:
        return set()
    policy = group.policies[name].policy
    if policy.type == _IMPLICIT_META:
        meta = _decode(policies_pb2.ImplicitMetaPolicy, policy.value, f"policy {name}")
        return set().union(*(_policy_orgs(sub, meta.sub_policy) for sub in group.groups.values()))
    if policy.type == _SIGNATURE:
        envelope = _decode(policies_pb2.SignaturePolicyEnvelope, policy.value, f"policy {name}")
        roles = [_role(p) for p in envelope.identities]
        return {r.msp_identifier for r in roles if r is not None and _role_name(r) in ADMIN_ROLES}
    return set()


def _matches(principal: Any, signers: Set[str], roles: Set[str]) -> bool:
    role = _role(principal)
    return role is not None and role.msp_identifier in signers and _role_name(role) in roles


def _rule_satisfied(rule: Any, principals: list[bool]) -> bool:
    kind = rule.WhichOneof("Type")
    if kind == "signed_by":
        index = int(rule.signed_by)
        return 0 <= index < len(principals) and principals[index]
    if kind == "n_out_of":
        met = sum(_rule_satisfied(r, principals) for r in rule.n_out_of.rules)
        return met >= int(rule.n_out_of.n)
    return False


def _role(principal: Any) -> Any:
    """The MSPRole of a ROLE principal; None for any other kind."""
    if principal.principal_classification != _ROLE:
        return None
    return _decode(msp_principal_pb2.MSPRole, principal.principal, "a policy principal")


def _role_name(role: Any) -> str:
    try:
        name: str = msp_principal_pb2.MSPRole.MSPRoleType.Name(role.role)
    except ValueError:
        return f"ROLE_{role.role}"
    return name


def _principal_name(principal: Any) -> str:
    role = _role(principal)
    if role is None:
        return f"(a principal of classification {principal.principal_classification})"
    return f"{role.msp_identifier}.{_role_name(role).lower()}"
