"""Channel config updates: computed, signed by each org's admin, and made ready to submit.

Every org's own API and the operator's tool change a channel's configuration the same
way, on Fabric's protobuf messages, with neither `configtxlator` nor the `peer` CLI:

    compute_update(channel, current, wanted)      the ConfigUpdate taking one `common.Config`
                                                  to the other (configtxlator compute_update)
    update_envelope(channel, update)              the unsigned CONFIG_UPDATE envelope that
                                                  goes round the admins
    config_signature(update, identity, sign)      one admin's ConfigSignature
                                                  (peer channel signconfigtx)
    with_signatures(envelope, signatures)         the envelope with the admins' signatures,
                                                  each checked against its certificate
    signed_for_submission(envelope, id, sign)     what `peer channel update` sends; hand it
                                                  to `broadcast()`

A ConfigSignature signs its own signature header followed by the ConfigUpdate bytes, so
the digest depends on the signer's nonce. For a key outside this process (an HSM, an
admin's own device) the long form of `config_signature` is: `header =
signature_header(identity)`, sign `signature_digest(update, header)` wherever the key
is, then `config_signature_from(header, signature)`. Who must sign is
`configpolicy.requirements`; the orderer decides.
"""

import os
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from . import signing
from ._decoding import decode as _decode
from ._protos import common_pb2, configtx_pb2, identities_pb2
from .identity import Identity, Sign, _curve_order

__all__ = [
    "compute_update",
    "config_signature",
    "config_signature_from",
    "read_update_envelope",
    "signature_digest",
    "signature_header",
    "signed_for_submission",
    "signers",
    "update_envelope",
    "with_signatures",
]

_NONCE_SIZE = 24  # Fabric's crypto.GetRandomNonce


# -- computing --------------------------------------------------------------------------------


def compute_update(channel_id: str, original: Any, updated: Any) -> Any:
    """The `common.ConfigUpdate` taking config `original` to `updated`, as configtxlator makes it.

    Groups, values and policies are compared recursively. An element whose content or
    mod_policy changed is written with its version plus one; a group whose members or
    mod_policy changed is written with its version plus one and every member it keeps
    (unchanged ones by version only), and is read at its current version, so the update
    applies only to the config it was computed from. New elements are written at
    version 0. Raises ValueError when the two configs do not differ.
    """
    for which, config in (("original", original), ("updated", updated)):
        if not config.HasField("channel_group"):
            raise ValueError(f"no channel group included for {which} config")
    read_set, write_set, changed = _group_update(original.channel_group, updated.channel_group)
    if not changed:
        raise ValueError("no differences detected between original and updated config")
    return configtx_pb2.ConfigUpdate(channel_id=channel_id, read_set=read_set, write_set=write_set)


def _group_update(original: Any, updated: Any) -> tuple[Any, Any, bool]:
    """(read set, write set, whether anything differs) for one group."""
    write_policies, same_policies, policies_moved = _elements_update(
        original.policies, updated.policies, _policy_written, _policy_same
    )
    write_values, same_values, values_moved = _elements_update(
        original.values, updated.values, _value_written, _value_same
    )
    read_groups, write_groups, same_groups, groups_moved = _groups_update(
        original.groups, updated.groups
    )
    version = original.version
    if not (policies_moved or values_moved or groups_moved) and (
        original.mod_policy == updated.mod_policy
    ):
        if not (write_policies or write_values or read_groups or write_groups):
            return _group(version), _group(version), False
        return (
            _group(version, groups=read_groups),
            _group(version, write_policies, write_values, write_groups),
            True,
        )
    read = _group(version, same_policies, same_values, {**read_groups, **same_groups})
    write = _group(
        version + 1,
        {**write_policies, **same_policies},
        {**write_values, **same_values},
        {**write_groups, **same_groups},
        updated.mod_policy,
    )
    return read, write, True


def _elements_update(
    original: Any, updated: Any, written: Any, same: Any
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """(written, unchanged, membership changed) for a group's values or policies."""
    write: dict[str, Any] = {}
    unchanged: dict[str, Any] = {}
    for name, before in original.items():
        if name not in updated:
            continue
        after = updated[name]
        if same(before, after):
            unchanged[name] = type(before)(version=before.version)
        else:
            write[name] = written(after, before.version + 1)
    for name, after in updated.items():
        if name not in original:
            write[name] = written(after, 0)
    moved = set(original) != set(updated)
    return write, unchanged, moved


def _groups_update(
    original: Any, updated: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], bool]:
    """(read, written, unchanged, membership changed) for a group's subgroups."""
    read: dict[str, Any] = {}
    write: dict[str, Any] = {}
    unchanged: dict[str, Any] = {}
    for name, before in original.items():
        if name not in updated:
            continue
        group_read, group_write, changed = _group_update(before, updated[name])
        if changed:
            read[name], write[name] = group_read, group_write
        else:
            unchanged[name] = group_read
    for name, after in updated.items():
        if name not in original:
            _, new, _ = _group_update(configtx_pb2.ConfigGroup(), after)
            write[name] = _group(0, new.policies, new.values, new.groups, after.mod_policy)
    moved = set(original) != set(updated)
    return read, write, unchanged, moved


def _policy_same(before: Any, after: Any) -> bool:
    return bool(
        before.mod_policy == after.mod_policy
        and before.HasField("policy") == after.HasField("policy")
        and before.policy == after.policy
    )


def _policy_written(policy: Any, version: int) -> Any:
    written = configtx_pb2.ConfigPolicy(version=version, mod_policy=policy.mod_policy)
    if policy.HasField("policy"):
        written.policy.CopyFrom(policy.policy)
    return written


def _value_same(before: Any, after: Any) -> bool:
    return bool(before.mod_policy == after.mod_policy and before.value == after.value)


def _value_written(value: Any, version: int) -> Any:
    return configtx_pb2.ConfigValue(version=version, mod_policy=value.mod_policy, value=value.value)


def _group(
    version: int,
    policies: Any = None,
    values: Any = None,
    groups: Any = None,
    mod_policy: str = "",
) -> Any:
    group = configtx_pb2.ConfigGroup(version=version, mod_policy=mod_policy)
    for name, policy in (policies or {}).items():
        group.policies[name].CopyFrom(policy)
    for name, value in (values or {}).items():
        group.values[name].CopyFrom(value)
    for name, subgroup in (groups or {}).items():
        group.groups[name].CopyFrom(subgroup)
    return group


# -- the envelope -----------------------------------------------------------------------------


def update_envelope(channel_id: str, config_update: bytes) -> bytes:
    """An unsigned `common.Envelope` of type CONFIG_UPDATE carrying `config_update` (the
    serialized ConfigUpdate) in a ConfigUpdateEnvelope with no signatures yet.

    Its channel header holds only the type and the channel, like the envelope
    configtxlator's users build: the submitter re-wraps it (`signed_for_submission`).
    """
    update = _decode(configtx_pb2.ConfigUpdate, config_update, "the config update")
    if update.channel_id and update.channel_id != channel_id:
        raise ValueError(f"the config update is for channel {update.channel_id}, not {channel_id}")
    inner = configtx_pb2.ConfigUpdateEnvelope(config_update=config_update)
    return _envelope(channel_id, inner, b"")


def read_update_envelope(envelope: bytes) -> tuple[str, Any]:
    """The channel id and the ConfigUpdateEnvelope of a CONFIG_UPDATE envelope.

    Raises ValueError when the envelope cannot be decoded, is of another type, names no
    channel, or carries an update for another channel (which the orderer refuses).
    """
    outer = _decode(common_pb2.Envelope, envelope, "the envelope")
    payload = _decode(common_pb2.Payload, outer.payload, "the envelope's payload")
    header = _decode(common_pb2.ChannelHeader, payload.header.channel_header, "its channel header")
    if header.type != common_pb2.HeaderType.CONFIG_UPDATE:
        raise ValueError(
            f"the envelope has header type {header.type} ({_header_type(header.type)}), "
            "not CONFIG_UPDATE"
        )
    if not header.channel_id:
        raise ValueError("the config update envelope names no channel")
    inner = _decode(configtx_pb2.ConfigUpdateEnvelope, payload.data, "the envelope's data")
    update = _decode(configtx_pb2.ConfigUpdate, inner.config_update, "the config update")
    if update.channel_id != header.channel_id:
        raise ValueError(
            f"the config update is for channel {update.channel_id or '(none)'}, "
            f"but its envelope is for channel {header.channel_id}"
        )
    return str(header.channel_id), inner


def signers(envelope: bytes) -> list[str]:
    """The MSP ids of the ConfigSignatures on a CONFIG_UPDATE envelope, in signing order."""
    _, inner = read_update_envelope(envelope)
    return [_creator(signature)[0].mspid for signature in inner.signatures]


# -- signing ----------------------------------------------------------------------------------


def signature_header(identity: Identity, nonce: bytes | None = None) -> bytes:
    """A serialized `common.SignatureHeader`: `identity` as creator and a fresh 24-byte nonce."""
    header = common_pb2.SignatureHeader(
        creator=identity.serialize(),
        nonce=os.urandom(_NONCE_SIZE) if nonce is None else nonce,
    )
    data: bytes = header.SerializeToString()
    return data


def signature_digest(config_update: bytes, signature_header: bytes) -> bytes:
    """What a ConfigSignature's signer signs: SHA-256 of the header, then the update."""
    return signing.digest(signature_header + config_update)


def config_signature_from(signature_header: bytes, signature: bytes) -> bytes:
    """A serialized `common.ConfigSignature` from a signature made over `signature_digest`."""
    data: bytes = configtx_pb2.ConfigSignature(
        signature_header=signature_header, signature=signature
    ).SerializeToString()
    return data


def config_signature(config_update: bytes, identity: Identity, sign: Sign) -> bytes:
    """`identity`'s serialized ConfigSignature over `config_update`: what `peer channel
    signconfigtx` adds.

    Same as `header = signature_header(identity)` and `config_signature_from(header,
    sign(signature_digest(config_update, header)))`.
    """
    header = signature_header(identity)
    return config_signature_from(header, sign(signature_digest(config_update, header)))


def with_signatures(envelope: bytes, signatures: Sequence[bytes]) -> bytes:
    """`envelope` with `signatures` (serialized ConfigSignatures) added after its own.

    Each signature is first checked as the orderer checks it: ECDSA over the header and
    the update, by the certificate its header names, low-S; one that fails raises
    ValueError naming its signer. A signature from an MSP that has already signed is
    then left out (one admin per org counts). Whether the certificate is an admin's of
    that MSP is for the orderer, which knows the MSP's roots, to decide. An outer
    signature (`peer channel signconfigtx` leaves one) would no longer cover the payload
    and is dropped: the submitter signs the envelope it sends.
    """
    _, inner = read_update_envelope(envelope)
    signed = {_creator(existing)[0].mspid for existing in inner.signatures}
    for serialized in signatures:
        signature = _decode(configtx_pb2.ConfigSignature, serialized, "a config signature")
        msp_id = _verify(signature, inner.config_update)
        if msp_id not in signed:
            signed.add(msp_id)
            inner.signatures.append(signature)
    outer = _decode(common_pb2.Envelope, envelope, "the envelope")
    payload = _decode(common_pb2.Payload, outer.payload, "the envelope's payload")
    payload.data = inner.SerializeToString()
    data: bytes = common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()
    return data


def signed_for_submission(envelope: bytes, identity: Identity, sign: Sign) -> bytes:
    """The envelope as `peer channel update` sends it to the orderer, from `identity`.

    The submitter's own ConfigSignature is added unless its MSP has signed already, and
    the ConfigUpdateEnvelope is wrapped in a new envelope whose header names the
    submitter and the time, signed by the submitter (the orderer checks that signature
    against the channel's Writers policy).
    """
    channel_id, inner = read_update_envelope(envelope)
    if identity.msp_id not in {_creator(s)[0].mspid for s in inner.signatures}:
        own = config_signature(inner.config_update, identity, sign)
        inner.signatures.append(configtx_pb2.ConfigSignature.FromString(own))
    return _envelope(channel_id, inner, signature_header(identity), sign)


def _envelope(
    channel_id: str, inner: Any, signature_header: bytes, sign: Sign | None = None
) -> bytes:
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.HeaderType.CONFIG_UPDATE, channel_id=channel_id
    )
    if sign is not None:  # stamped to the second, as Fabric's MakeChannelHeader does
        channel_header.timestamp.GetCurrentTime()
        channel_header.timestamp.nanos = 0
    payload: bytes = common_pb2.Payload(
        header=common_pb2.Header(
            channel_header=channel_header.SerializeToString(), signature_header=signature_header
        ),
        data=inner.SerializeToString(),
    ).SerializeToString()
    signature = sign(signing.digest(payload)) if sign is not None else b""
    data: bytes = common_pb2.Envelope(payload=payload, signature=signature).SerializeToString()
    return data


def _creator(signature: Any) -> tuple[Any, Any]:
    """The signer of a ConfigSignature (a SerializedIdentity) and its signature header."""
    header = _decode(common_pb2.SignatureHeader, signature.signature_header, "a signature header")
    creator = _decode(identities_pb2.SerializedIdentity, header.creator, "a signature's creator")
    return creator, header


def _verify(signature: Any, config_update: bytes) -> str:
    """The signer's MSP id, once the signature is checked; else ValueError naming the signer."""
    creator, _ = _creator(signature)
    who = f"the signature of {creator.mspid}"
    try:
        certificate = x509.load_pem_x509_certificate(bytes(creator.id_bytes))
    except ValueError as exc:
        raise ValueError(f"{who} names no PEM X.509 certificate") from exc
    who = f"{who} ({certificate.subject.rfc4514_string()})"
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError(f"{who} is by a {type(key).__name__}, not an elliptic-curve key")
    try:
        key.verify(
            bytes(signature.signature),
            bytes(signature.signature_header) + config_update,
            ec.ECDSA(hashes.SHA256()),
        )
        _, s = decode_dss_signature(bytes(signature.signature))
    except (InvalidSignature, ValueError) as exc:
        raise ValueError(f"{who} is not over this config update") from exc
    if s > _curve_order(key.curve) // 2:
        raise ValueError(f"{who} has a high S value, which Fabric refuses")
    return str(creator.mspid)


def _header_type(value: int) -> str:
    try:
        name: str = common_pb2.HeaderType.Name(value)
    except ValueError:
        return "unknown"
    return name
