"""Channel config edits on `common.Config` messages: admit or remove an org, set its anchor
peers or its CRL, change the batch timeout.

Each edit returns a modified copy and leaves the config it was given alone; one that
cannot apply raises ValueError, or KeyError for an org the channel does not have, with
a message saying which. Turning the result into an update is
`configupdate.compute_update`; who must sign it, `configpolicy.requirements`.

An org's application group comes from its bundle (`org_group`), built as configtxgen
builds it from the org's configtx.yaml section: Name and ID its MSP id; an MSP folder
holding its root certificates (cacerts), its TLS root certificates (tlscacerts) and a
config.yaml enabling Node OUs ``client``, ``peer``, ``admin`` and ``orderer``, each
certified by ``cacerts/ca.pem``, the first root; no admincerts (with Node OUs an admin
is known by its certificate's OU); signature policies Readers (any member), Writers (an
admin, a client or an orderer), Admins (an admin) and Endorsement (a peer); its peers as
anchor peers. So an org admitted at run time is defined exactly like a founding member, and
no Fabric binary is needed. An application org carries no orderer Endpoints: those sit
in the Orderer section, with the orgs that run a consenter.

Orgs are found by the MSP id in their MSP value, not by their group's key (configtx's
Name, which may differ).
"""

import re
from collections.abc import Iterator, Sequence
from typing import Any

from cryptography import x509

from gridspec.bundle import NODE_OUS, OrgBundle

from ._decoding import decode as _decode
from ._protos import (
    configtx_pb2,
    etcdraft_configuration_pb2,
    msp_config_pb2,
    msp_principal_pb2,
    orderer_configuration_pb2,
    peer_configuration_pb2,
    policies_pb2,
)

__all__ = [
    "add_application_org",
    "anchor_peers",
    "application_msps",
    "batch_timeout",
    "orderer_msps",
    "org_group",
    "remove_org",
    "revocation_list",
    "set_anchor_peers",
    "set_batch_timeout",
    "set_revocation_list",
]

_ADMINS = "Admins"
_SECTIONS = ("Application", "Orderer")
# Go's time.ParseDuration units, which the orderer reads BatchTimeout with.
_DURATION = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+$")
_ORG_POLICIES = {
    "Readers": ("MEMBER",),
    "Writers": ("ADMIN", "CLIENT", "ORDERER"),
    "Admins": ("ADMIN",),
    "Endorsement": ("PEER",),
}


# -- an org's group ---------------------------------------------------------------------------


def org_group(bundle: OrgBundle) -> Any:
    """The application org `ConfigGroup` of the org `bundle` defines, as configtxgen makes it."""
    group = configtx_pb2.ConfigGroup(mod_policy=_ADMINS)
    for name, roles in _ORG_POLICIES.items():
        policy = policies_pb2.Policy(
            type=policies_pb2.Policy.PolicyType.SIGNATURE,
            value=_any_of(bundle.msp_id, roles).SerializeToString(),
        )
        group.policies[name].CopyFrom(configtx_pb2.ConfigPolicy(mod_policy=_ADMINS, policy=policy))
    group.values["MSP"].CopyFrom(
        configtx_pb2.ConfigValue(mod_policy=_ADMINS, value=_msp_config(bundle).SerializeToString())
    )
    if bundle.peers:  # configtxgen leaves the value out when there are none
        anchors = _anchor_peers([(p.host, p.port) for p in bundle.peers])
        group.values["AnchorPeers"].CopyFrom(
            configtx_pb2.ConfigValue(mod_policy=_ADMINS, value=anchors.SerializeToString())
        )
    return group


def _any_of(msp_id: str, roles: Sequence[str]) -> Any:
    """The SignaturePolicyEnvelope of ``OR('<msp>.<role>', ...)``, as Fabric's policydsl
    parses it: one principal per name, in order, and one of them suffices."""
    role_type = msp_principal_pb2.MSPRole.MSPRoleType
    return policies_pb2.SignaturePolicyEnvelope(
        rule=policies_pb2.SignaturePolicy(
            n_out_of=policies_pb2.SignaturePolicy.NOutOf(
                n=1, rules=[policies_pb2.SignaturePolicy(signed_by=i) for i in range(len(roles))]
            )
        ),
        identities=[
            msp_principal_pb2.MSPPrincipal(
                principal_classification=msp_principal_pb2.MSPPrincipal.Classification.ROLE,
                principal=msp_principal_pb2.MSPRole(
                    msp_identifier=msp_id, role=role_type.Value(role)
                ).SerializeToString(),
            )
            for role in roles
        ],
    )


def _msp_config(bundle: OrgBundle) -> Any:
    """The MSPConfig Fabric's GetVerifyingMspConfig reads from the bundle's MSP folder.

    Fabric lists the certificates of a folder in the order of their file names; here they
    are in the bundle's order, which an MSP folder written from a bundle must keep (name
    the first root ``ca.pem``, so the Node OU config finds it, and the others so that
    they sort after it).
    """
    ou_certificate = bundle.root_certs[0].encode()
    ous = {
        f"{ou}_ou_identifier": msp_config_pb2.FabricOUIdentifier(
            certificate=ou_certificate, organizational_unit_identifier=ou
        )
        for ou in NODE_OUS
    }
    fabric = msp_config_pb2.FabricMSPConfig(
        name=bundle.msp_id,
        root_certs=[pem.encode() for pem in bundle.root_certs],
        crypto_config=msp_config_pb2.FabricCryptoConfig(
            signature_hash_family="SHA2", identity_identifier_hash_function="SHA256"
        ),
        tls_root_certs=[pem.encode() for pem in bundle.tls_root_certs],
        fabric_node_ous=msp_config_pb2.FabricNodeOUs(enable=True, **ous),
    )
    return msp_config_pb2.MSPConfig(type=0, config=fabric.SerializeToString())  # 0: FABRIC


# -- membership -------------------------------------------------------------------------------


def application_msps(config: Any) -> list[str]:
    """The MSP ids of the channel's application orgs, sorted."""
    return sorted(msp for _, _, msp in _orgs(config, "Application"))


def orderer_msps(config: Any) -> list[str]:
    """The MSP ids of the channel's orderer orgs, sorted."""
    return sorted(msp for _, _, msp in _orgs(config, "Orderer"))


def add_application_org(config: Any, group: Any, msp_id: str) -> Any:
    """A copy of `config` with `group` (from `org_group`) as the application org `msp_id`,
    under that key; an Endpoints value in `group` (configtxgen -printOrg adds one for an
    org with orderers) is left out."""
    if msp_id in application_msps(config):
        raise ValueError(f"{msp_id} is already a member of this channel")
    given = _msp_id(group, "the group given")
    if given != msp_id:
        raise ValueError(f"the group given is the org group of {given}, not of {msp_id}")
    updated = _copy(config)
    application = _section(updated, "Application")
    if msp_id in application.groups:
        raise ValueError(f"the Application section already has a group named {msp_id}")
    joined = application.groups[msp_id]
    joined.CopyFrom(group)
    if "Endpoints" in joined.values:
        del joined.values["Endpoints"]
    return updated


def remove_org(config: Any, msp_id: str, consenter: tuple[str, int] | None = None) -> Any:
    """A copy of `config` without `msp_id`'s groups in the Application and Orderer sections
    and, given its orderer's (host, port), without that Raft consenter.

    A consenter not in the etcdraft consenter set leaves the set as it is (the org ran
    no orderer on this channel); removing the last one is refused.
    """
    updated = _copy(config)
    found = False
    for section in _SECTIONS:
        if section not in updated.channel_group.groups:
            continue
        for key, _, msp in list(_orgs(updated, section)):
            if msp == msp_id:
                del updated.channel_group.groups[section].groups[key]
                found = True
    if not found:
        raise ValueError(f"{msp_id} is not a member of this channel")
    if consenter is not None:
        _remove_consenter(_section(updated, "Orderer"), consenter)
    return updated


def _remove_consenter(orderer: Any, consenter: tuple[str, int]) -> None:
    if "ConsensusType" not in orderer.values:
        raise ValueError("the Orderer section has no ConsensusType value")
    value = orderer.values["ConsensusType"]
    consensus = _decode(orderer_configuration_pb2.ConsensusType, value.value, "ConsensusType")
    if consensus.type != "etcdraft":
        raise ValueError(f"the channel's consensus type is {consensus.type}, not etcdraft")
    metadata = _decode(
        etcdraft_configuration_pb2.ConfigMetadata, consensus.metadata, "the etcdraft metadata"
    )
    kept = [c for c in metadata.consenters if (c.host, c.port) != consenter]
    if len(kept) == len(metadata.consenters):
        return
    if not kept:
        raise ValueError(f"{consenter[0]}:{consenter[1]} is the channel's last raft consenter")
    remaining = etcdraft_configuration_pb2.ConfigMetadata(consenters=kept)
    if metadata.HasField("options"):
        remaining.options.CopyFrom(metadata.options)
    consensus.metadata = remaining.SerializeToString()
    value.value = consensus.SerializeToString()


# -- an org's own values ----------------------------------------------------------------------


def anchor_peers(config: Any, msp_id: str) -> list[tuple[str, int]]:
    """The application org `msp_id`'s anchor peers, as (host, port)."""
    values = _application_org(config, msp_id).values
    if "AnchorPeers" not in values:
        return []
    peers = _decode(peer_configuration_pb2.AnchorPeers, values["AnchorPeers"].value, "AnchorPeers")
    return [(str(p.host), int(p.port)) for p in peers.anchor_peers]


def set_anchor_peers(config: Any, msp_id: str, peers: Sequence[tuple[str, int]]) -> Any:
    """A copy of `config` declaring `peers` the anchor peers of `msp_id` (needs that org's
    admin); none removes the AnchorPeers value."""
    anchors = _anchor_peers(peers)
    updated = _copy(config)
    values = _application_org(updated, msp_id).values
    if not peers:
        if "AnchorPeers" in values:
            del values["AnchorPeers"]
        return updated
    if "AnchorPeers" not in values:
        values["AnchorPeers"].mod_policy = _ADMINS
    values["AnchorPeers"].value = anchors.SerializeToString()
    return updated


def _anchor_peers(peers: Sequence[tuple[str, int]]) -> Any:
    for host, port in peers:
        if not host or not 0 < port < 65536:
            raise ValueError(f"anchor peer {host}:{port} is not a host and port")
    return peer_configuration_pb2.AnchorPeers(
        anchor_peers=[peer_configuration_pb2.AnchorPeer(host=h, port=p) for h, p in peers]
    )


def revocation_list(config: Any, msp_id: str) -> list[bytes]:
    """The PEM CRLs of `msp_id`'s MSP (its Application group's, else its Orderer group's)."""
    groups = _member_groups(config, msp_id)
    return [bytes(crl) for crl in _fabric_msp(groups[0], msp_id).revocation_list]


def set_revocation_list(config: Any, msp_id: str, crl_pem: bytes) -> Any:
    """A copy of `config` whose `msp_id` MSP, in the Application and Orderer sections alike,
    lists `crl_pem` as its only CRL (needs that org's admin).

    The org's CA issues one CRL covering everything it revoked, so it replaces the list.
    An MSP already listing exactly that CRL is left byte for byte as it was.
    """
    try:
        x509.load_pem_x509_crl(crl_pem)
    except ValueError as exc:
        raise ValueError("the revocation list is not a PEM X.509 CRL") from exc
    updated = _copy(config)
    for group in _member_groups(updated, msp_id):
        fabric = _fabric_msp(group, msp_id)
        if list(fabric.revocation_list) == [crl_pem]:
            continue
        fabric.ClearField("revocation_list")
        fabric.revocation_list.append(crl_pem)
        msp = _decode(msp_config_pb2.MSPConfig, group.values["MSP"].value, f"the MSP of {msp_id}")
        msp.config = fabric.SerializeToString()
        group.values["MSP"].value = msp.SerializeToString()
    return updated


# -- the orderer ------------------------------------------------------------------------------


def batch_timeout(config: Any) -> str:
    """How long the orderers wait before cutting a block that is not full (e.g. ``250ms``)."""
    values = _section(config, "Orderer").values
    if "BatchTimeout" not in values:
        raise ValueError("the Orderer section has no BatchTimeout value")
    timeout = _decode(
        orderer_configuration_pb2.BatchTimeout, values["BatchTimeout"].value, "BatchTimeout"
    )
    return str(timeout.timeout)


def set_batch_timeout(config: Any, timeout: str) -> Any:
    """A copy of `config` whose orderers cut a block after `timeout` (needs a majority of
    the orderer orgs' admins, with the standard policies)."""
    if not _DURATION.match(timeout):
        raise ValueError(f"batch timeout {timeout!r} is not a duration like 250ms or 2s")
    if not any(float(n) > 0 for n in re.findall(r"[0-9.]+", timeout)):
        raise ValueError(f"batch timeout {timeout!r} must be longer than zero")
    batch_timeout(config)  # the value is there and readable
    updated = _copy(config)
    value = orderer_configuration_pb2.BatchTimeout(timeout=timeout)
    _section(updated, "Orderer").values["BatchTimeout"].value = value.SerializeToString()
    return updated


# -- finding things ---------------------------------------------------------------------------


def _copy(config: Any) -> Any:
    copied = configtx_pb2.Config()
    copied.CopyFrom(config)
    return copied


def _section(config: Any, name: str) -> Any:
    if name not in config.channel_group.groups:
        raise ValueError(f"this channel has no {name} section")
    return config.channel_group.groups[name]


def _orgs(config: Any, section: str) -> Iterator[tuple[str, Any, str]]:
    """(group key, group, MSP id) of each org of a section; none if there is no section."""
    if section not in config.channel_group.groups:
        return
    for key, group in config.channel_group.groups[section].groups.items():
        yield key, group, _msp_id(group, f"the {section} group {key}")


def _application_org(config: Any, msp_id: str) -> Any:
    for _, group, msp in _orgs(config, "Application"):
        if msp == msp_id:
            return group
    raise KeyError(f"{msp_id} is not an application org of this channel")


def _member_groups(config: Any, msp_id: str) -> list[Any]:
    groups = [g for section in _SECTIONS for _, g, msp in _orgs(config, section) if msp == msp_id]
    if not groups:
        raise KeyError(f"{msp_id} is not a member of this channel")
    return groups


def _msp_id(group: Any, what: str) -> str:
    if "MSP" not in group.values:
        raise ValueError(f"{what} has no MSP value")
    return str(_fabric_msp(group, what).name)


def _fabric_msp(group: Any, what: str) -> Any:
    msp = _decode(msp_config_pb2.MSPConfig, group.values["MSP"].value, f"the MSP of {what}")
    return _decode(msp_config_pb2.FabricMSPConfig, msp.config, f"the MSP of {what}")
