"""Config updates computed, signed and wrapped for submission, checked against Fabric's tools.

`compute_update` is compared with `configtxlator compute_update` on the same pair of
configs, taken from a genesis block `configtxgen` made; signatures are checked the way
the orderer checks them, and the peer CLI's own `signconfigtx` output is the model for
a ConfigSignature and for the envelope `peer channel update` sends.
"""

import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from fabric_protos.common import common_pb2, configtx_pb2, policies_pb2
from fabric_protos.msp import identities_pb2
from fabric_tools import (
    CHANNEL,
    HOST,
    P256_ORDER,
    configtxlator_update,
    decode_json,
    founders,
    genesis_config,
    peer_sign,
    revocation_list_pem,
    river,
    run_tool,
)

from client import (
    add_application_org,
    compute_update,
    config_signature,
    config_signature_from,
    org_group,
    read_update_envelope,
    remove_org,
    set_anchor_peers,
    set_batch_timeout,
    set_revocation_list,
    signature_digest,
    signature_header,
    signed_for_submission,
    signers,
    update_envelope,
    with_signatures,
)

UTILITY, COMMUNITY, REGULATOR = founders()


@pytest.fixture(scope="module")
def config() -> Any:
    return genesis_config(founders())


# -- compute_update against configtxlator -----------------------------------------------------


def edited(config: Any, change: Callable[[Any], None]) -> Any:
    copy = configtx_pb2.Config()
    copy.CopyFrom(config)
    change(copy)
    return copy


def versioned(config: Any) -> Any:
    """`config` as it is after some updates: versions above 0 here and there."""

    def bump(copy: Any) -> None:
        channel = copy.channel_group
        channel.version = 4
        channel.groups["Application"].version = 3
        channel.groups["Application"].groups["UtilityMSP"].version = 2
        channel.groups["Application"].groups["UtilityMSP"].values["AnchorPeers"].version = 5
        channel.groups["Orderer"].values["BatchTimeout"].version = 7
        channel.groups["Orderer"].policies["Admins"].version = 1
        copy.sequence = 9

    return edited(config, bump)


def implicit(rule: int, sub_policy: str) -> Any:
    meta = policies_pb2.ImplicitMetaPolicy(rule=rule, sub_policy=sub_policy)
    return policies_pb2.Policy(type=3, value=meta.SerializeToString())


def relax_application_admins(copy: Any) -> None:
    policy = copy.channel_group.groups["Application"].policies["Admins"]
    policy.policy.CopyFrom(implicit(policies_pb2.ImplicitMetaPolicy.ANY, "Admins"))


def reshape(copy: Any) -> None:
    """Everything at once: a mod_policy, a deleted value and policy, a new nested group."""
    channel = copy.channel_group
    channel.groups["Orderer"].groups["UtilityMSP"].mod_policy = "/Channel/Orderer/Admins"
    channel.groups["Orderer"].values["BatchSize"].mod_policy = "Writers"
    del channel.groups["Application"].values["Capabilities"]
    del channel.policies["Readers"]
    new = channel.groups["Application"].groups["Extra"]
    new.mod_policy = "Admins"
    new.values["Note"].value = b"note"
    new.groups["Inner"].values["Empty"].mod_policy = "Admins"


def drop_application(copy: Any) -> None:
    del copy.channel_group.groups["Application"]


EDITS: dict[str, Callable[[Any], Any]] = {
    "batch timeout": lambda c: set_batch_timeout(c, "2s"),
    "anchor peers": lambda c: set_anchor_peers(
        c, "UtilityMSP", [(HOST, 7051), ("peer1.utility.example", 7061)]
    ),
    "no anchor peers": lambda c: set_anchor_peers(c, "RegulatorMSP", []),
    "admit an org": lambda c: add_application_org(c, org_group(river().bundle), "RiverMSP"),
    "remove an org": lambda c: remove_org(c, "RegulatorMSP", (HOST, 9050)),
    "revoke": lambda c: set_revocation_list(c, "CommunityMSP", revocation_list_pem(COMMUNITY, 7)),
    "policy rule": lambda c: edited(c, relax_application_admins),
    "reshape": lambda c: edited(c, reshape),
    "drop a section": lambda c: edited(c, drop_application),
}


@pytest.mark.parametrize("base", ["genesis", "versioned"])
@pytest.mark.parametrize("edit", list(EDITS))
def test_compute_update_is_what_configtxlator_computes(config: Any, base: str, edit: str) -> None:
    original = config if base == "genesis" else versioned(config)
    updated = EDITS[edit](original)

    ours = compute_update(CHANNEL, original, updated)
    theirs = configtxlator_update(CHANNEL, original, updated)

    assert ours.channel_id == theirs.channel_id == CHANNEL
    assert ours.read_set == theirs.read_set
    assert ours.write_set == theirs.write_set
    assert ours == theirs
    assert ours.write_set != configtx_pb2.ConfigGroup(version=ours.write_set.version)


def test_a_changed_value_is_written_at_the_next_version_and_read_where_it_sits(config) -> None:
    original = versioned(config)
    update = compute_update(CHANNEL, original, set_batch_timeout(original, "2s"))

    assert update.read_set == configtx_pb2.ConfigGroup(
        version=4, groups={"Orderer": configtx_pb2.ConfigGroup()}
    )
    [(name, value)] = update.write_set.groups["Orderer"].values.items()
    assert (name, value.version, value.mod_policy) == ("BatchTimeout", 8, "Admins")


def test_identical_configs_have_no_update_for_fabric_either(config: Any) -> None:
    message = "no differences detected between original and updated config"
    with pytest.raises(ValueError, match=f"^{message}$"):
        compute_update(CHANNEL, config, configtx_pb2.Config.FromString(config.SerializeToString()))
    with pytest.raises(AssertionError, match=message):
        configtxlator_update(CHANNEL, config, config)


def test_a_config_without_a_channel_group_has_no_update(config: Any) -> None:
    with pytest.raises(ValueError, match=r"^no channel group included for updated config$"):
        compute_update(CHANNEL, config, configtx_pb2.Config())


# -- the envelope -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def update(config: Any) -> bytes:
    """A serialized ConfigUpdate slowing the orderers down."""
    return compute_update(CHANNEL, config, set_batch_timeout(config, "2s")).SerializeToString()


@pytest.fixture(scope="module")
def envelope(update: bytes) -> bytes:
    return update_envelope(CHANNEL, update)


def test_the_update_envelope_is_an_unsigned_config_update_fabric_can_read(
    envelope: bytes, update: bytes
) -> None:
    channel, inner = read_update_envelope(envelope)
    assert (channel, inner.config_update, list(inner.signatures)) == (CHANNEL, update, [])
    assert signers(envelope) == []
    outer = common_pb2.Envelope.FromString(envelope)
    header = common_pb2.ChannelHeader.FromString(
        common_pb2.Payload.FromString(outer.payload).header.channel_header
    )
    assert header == common_pb2.ChannelHeader(type=2, channel_id=CHANNEL)
    assert outer.signature == b""

    decoded = decode_json(envelope, "common.Envelope")
    assert decoded["payload"]["header"]["channel_header"]["type"] == 2
    written = decoded["payload"]["data"]["config_update"]["write_set"]
    assert written["groups"]["Orderer"]["values"]["BatchTimeout"]["value"] == {"timeout": "2s"}


def envelope_with(header: Any, data: bytes = b"") -> bytes:
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()), data=data
    )
    return common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()


def test_an_envelope_that_is_not_a_config_update_is_refused(update: bytes) -> None:
    inner = configtx_pb2.ConfigUpdateEnvelope(config_update=update).SerializeToString()
    cases = {
        "the envelope has header type 3 (ENDORSER_TRANSACTION), not CONFIG_UPDATE": envelope_with(
            common_pb2.ChannelHeader(type=3, channel_id=CHANNEL), inner
        ),
        "the config update envelope names no channel": envelope_with(
            common_pb2.ChannelHeader(type=2), inner
        ),
        "the config update is for channel community-sunnyside, but its envelope is for "
        "channel consortium": envelope_with(
            common_pb2.ChannelHeader(type=2, channel_id="consortium"), inner
        ),
    }
    for message, envelope in cases.items():
        with pytest.raises(ValueError) as refused:
            read_update_envelope(envelope)
        assert str(refused.value) == message

    with pytest.raises(ValueError, match=r"^the envelope is not a common.Envelope: "):
        read_update_envelope(b"\xff\xff not protobuf")
    with pytest.raises(
        ValueError, match=r"^the config update is for channel community-sunnyside, not consortium$"
    ):
        update_envelope("consortium", update)


# -- signatures -------------------------------------------------------------------------------


def fabric_verify(signature: Any, config_update: bytes) -> None:
    """Check a ConfigSignature as the orderer does: ECDSA-SHA256 over the signature header
    then the update, by the certificate of the header's creator, and low-S only."""
    header = common_pb2.SignatureHeader.FromString(signature.signature_header)
    creator = identities_pb2.SerializedIdentity.FromString(header.creator)
    key = x509.load_pem_x509_certificate(creator.id_bytes).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(
        signature.signature, signature.signature_header + config_update, ec.ECDSA(hashes.SHA256())
    )
    assert decode_dss_signature(signature.signature)[1] <= P256_ORDER // 2


def parsed(data: bytes) -> Any:
    return configtx_pb2.ConfigSignature.FromString(data)


def test_a_config_signature_is_what_signconfigtx_makes_and_verifies_as_fabric_checks(
    envelope: bytes, update: bytes
) -> None:
    [theirs] = read_update_envelope(peer_sign(envelope, UTILITY))[1].signatures
    ours = parsed(config_signature(update, UTILITY.admin, UTILITY.sign))

    for signature in (ours, theirs):
        fabric_verify(signature, update)
    our_header, their_header = (
        common_pb2.SignatureHeader.FromString(s.signature_header) for s in (ours, theirs)
    )
    assert our_header.creator == their_header.creator == UTILITY.admin.serialize()
    assert len(our_header.nonce) == len(their_header.nonce) == 24
    with pytest.raises(InvalidSignature):
        fabric_verify(ours, update + b"\x00")


def test_the_signer_is_handed_the_digest_of_the_header_then_the_update(update: bytes) -> None:
    digests: list[bytes] = []

    def sign(digest: bytes) -> bytes:
        digests.append(digest)
        return UTILITY.sign(digest)

    signature = parsed(config_signature(update, UTILITY.admin, sign))

    assert digests == [hashlib.sha256(signature.signature_header + update).digest()]
    assert digests == [signature_digest(update, signature.signature_header)]


def test_a_key_outside_the_process_signs_the_digest(envelope: bytes, update: bytes) -> None:
    header = signature_header(REGULATOR.admin, nonce=b"n" * 24)
    assert common_pb2.SignatureHeader.FromString(header) == common_pb2.SignatureHeader(
        creator=REGULATOR.admin.serialize(), nonce=b"n" * 24
    )
    digest = signature_digest(update, header)  # carried to the device, signed there
    signature = config_signature_from(header, REGULATOR.sign(digest))

    signed = with_signatures(envelope, [signature])

    assert signers(signed) == ["RegulatorMSP"]
    fabric_verify(read_update_envelope(signed)[1].signatures[0], update)


def test_with_signatures_adds_each_org_once_in_order(envelope: bytes, update: bytes) -> None:
    by_peer = peer_sign(envelope, UTILITY)
    community = config_signature(update, COMMUNITY.admin, COMMUNITY.sign)
    regulator = config_signature(update, REGULATOR.admin, REGULATOR.sign)
    utility_again = config_signature(update, UTILITY.admin, UTILITY.sign)

    signed = with_signatures(by_peer, [community, utility_again, regulator, community])

    assert signers(signed) == ["UtilityMSP", "CommunityMSP", "RegulatorMSP"]
    channel, inner = read_update_envelope(signed)
    assert (channel, inner.config_update) == (CHANNEL, update)
    assert inner.signatures[0] == read_update_envelope(by_peer)[1].signatures[0]
    assert [s.SerializeToString() for s in inner.signatures[1:]] == [community, regulator]
    assert common_pb2.Envelope.FromString(by_peer).signature != b""
    assert common_pb2.Envelope.FromString(signed).signature == b""  # it covered another payload


def tampered(signature: bytes, change: Callable[[Any], None]) -> bytes:
    message = parsed(signature)
    change(message)
    return message.SerializeToString()


def high_s(message: Any) -> None:
    r, s = decode_dss_signature(message.signature)
    message.signature = encode_dss_signature(r, P256_ORDER - s)


def other_nonce(message: Any) -> None:
    header = common_pb2.SignatureHeader.FromString(message.signature_header)
    header.nonce = b"another nonce"
    message.signature_header = header.SerializeToString()


def flip_a_bit(message: Any) -> None:
    r, s = decode_dss_signature(message.signature)
    message.signature = encode_dss_signature(r ^ 1, s)


def not_a_certificate(message: Any) -> None:
    creator = identities_pb2.SerializedIdentity(mspid="CommunityMSP", id_bytes=b"not a cert")
    header = common_pb2.SignatureHeader.FromString(message.signature_header)
    header.creator = creator.SerializeToString()
    message.signature_header = header.SerializeToString()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (flip_a_bit, "is not over this config update"),
        (other_nonce, "is not over this config update"),
        (high_s, "has a high S value, which Fabric refuses"),
        (not_a_certificate, "names no PEM X.509 certificate"),
    ],
    ids=["signature", "header", "high-s", "no-certificate"],
)
def test_a_signature_that_fabric_would_refuse_is_refused_naming_its_signer(
    envelope: bytes, update: bytes, change: Callable[[Any], None], problem: str
) -> None:
    good = config_signature(update, COMMUNITY.admin, COMMUNITY.sign)

    with pytest.raises(ValueError) as refused:
        with_signatures(envelope, [good, tampered(good, change)])

    assert str(refused.value).startswith("the signature of CommunityMSP")
    assert str(refused.value).endswith(problem)
    if change is not not_a_certificate:
        assert "CN=admin@sunnyside,OU=admin" in str(refused.value)


def test_a_signature_over_another_update_is_refused(config: Any, envelope: bytes) -> None:
    other = compute_update(CHANNEL, config, set_batch_timeout(config, "3s")).SerializeToString()
    signature = config_signature(other, REGULATOR.admin, REGULATOR.sign)

    with pytest.raises(ValueError) as refused:
        with_signatures(envelope, [signature])

    assert str(refused.value) == (
        "the signature of RegulatorMSP (CN=admin@regulator,OU=admin) is not over this config update"
    )


# -- submitting -------------------------------------------------------------------------------


def shape(envelope: bytes) -> tuple[Any, Any, Any]:
    """The envelope's channel header, signature header and ConfigUpdateEnvelope, with the
    parts that differ on every signing (time, nonces, signatures) blanked."""
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(envelope).payload)
    channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    channel_header.timestamp.seconds = 0
    header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
    header.nonce = b""
    inner = configtx_pb2.ConfigUpdateEnvelope.FromString(payload.data)
    for signature in inner.signatures:
        signature_header_ = common_pb2.SignatureHeader.FromString(signature.signature_header)
        signature_header_.nonce = b""
        signature.signature_header = signature_header_.SerializeToString()
        signature.signature = b""
    return channel_header, header, inner


def test_the_submission_is_shaped_as_the_peer_cli_shapes_it(envelope: bytes, update: bytes) -> None:
    signed = with_signatures(envelope, [config_signature(update, COMMUNITY.admin, COMMUNITY.sign)])
    before = time.time()

    ours = signed_for_submission(signed, UTILITY.admin, UTILITY.sign)
    theirs = peer_sign(signed, UTILITY)  # signconfigtx writes what `peer channel update` sends

    assert shape(ours) == shape(theirs)
    assert signers(ours) == ["CommunityMSP", "UtilityMSP"]
    outer = common_pb2.Envelope.FromString(ours)
    payload = common_pb2.Payload.FromString(outer.payload)
    channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    assert (channel_header.type, channel_header.channel_id) == (2, CHANNEL)
    assert before - 1 <= channel_header.timestamp.seconds <= time.time() + 1
    assert channel_header.timestamp.nanos == 0
    header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
    assert header.creator == UTILITY.admin.serialize()
    key = UTILITY.admin_key.public_key()
    key.verify(outer.signature, outer.payload, ec.ECDSA(hashes.SHA256()))
    for signature in read_update_envelope(ours)[1].signatures:
        fabric_verify(signature, update)


def test_a_submitter_whose_org_has_signed_adds_no_second_signature(
    envelope: bytes, update: bytes
) -> None:
    signed = with_signatures(envelope, [config_signature(update, UTILITY.admin, UTILITY.sign)])

    submitted = signed_for_submission(signed, UTILITY.admin, UTILITY.sign)

    assert signers(submitted) == ["UtilityMSP"]
    assert read_update_envelope(submitted)[1] == read_update_envelope(signed)[1]
    outer = common_pb2.Envelope.FromString(submitted)
    UTILITY.admin_key.public_key().verify(outer.signature, outer.payload, ec.ECDSA(hashes.SHA256()))


def test_the_tools_are_the_pinned_fabric_release() -> None:
    assert b"Version: 3.1.1" in run_tool("configtxgen", "--version")
