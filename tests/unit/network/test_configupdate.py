import copy
import hashlib
import json
from collections.abc import Callable
from datetime import datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.msp import identities_pb2

from client import new_private_key_signer
from network.configupdate import (
    RECORD_FORMAT,
    Requirement,
    Signature,
    Submission,
    UpdateProposal,
    anchor_peers,
    batch_timeout,
    compute_update,
    envelope_signers,
    fabric_reason,
    hint,
    load,
    orderers_unable_to_write,
    read_envelope,
    requirements,
    satisfied,
    set_anchor_peers,
    set_batch_timeout,
    sign_with,
    signed_envelope,
    update_envelope,
)
from network.console import NetworkError

MSPS = ("UtilityMSP", "CommunityMSP", "RegulatorMSP")
CHANNEL = "community-sunnyside"


def signature_policy(msp: str, *roles: str) -> dict:
    return {
        "mod_policy": "Admins",
        "policy": {
            "type": 1,
            "value": {
                "identities": [
                    {
                        "principal": {"msp_identifier": msp, "role": role},
                        "principal_classification": "ROLE",
                    }
                    for role in roles
                ],
                "rule": {
                    "n_out_of": {"n": 1, "rules": [{"signed_by": i} for i in range(len(roles))]}
                },
                "version": 0,
            },
        },
        "version": "0",
    }


def implicit_policy(rule: str, sub_policy: str) -> dict:
    return {
        "mod_policy": "Admins",
        "policy": {"type": 3, "value": {"rule": rule, "sub_policy": sub_policy}},
        "version": "0",
    }


def org_group(msp: str, port: int | None = None, writers: tuple[str, ...] = ("ADMIN", "CLIENT")):
    values = {"MSP": {"mod_policy": "Admins", "value": {"config": {"name": msp}}, "version": "0"}}
    if port is not None:
        anchors = {"anchor_peers": [{"host": "127.0.0.1", "port": port}]}
        values["AnchorPeers"] = {"mod_policy": "Admins", "value": anchors, "version": "0"}
    return {
        "groups": {},
        "mod_policy": "Admins",
        "policies": {
            "Admins": signature_policy(msp, "ADMIN"),
            "Writers": signature_policy(msp, *writers),
        },
        "values": values,
        "version": "0",
    }


def standard_policies() -> dict:
    return {
        "Admins": implicit_policy("MAJORITY", "Admins"),
        "Writers": implicit_policy("ANY", "Writers"),
    }


def recorded_config(writers: tuple[str, ...] = ("ADMIN", "CLIENT")) -> dict:
    """community-sunnyside's config as fetched, cut to what configupdate reads."""
    ports = dict(zip(MSPS, (7051, 8051, 9051), strict=True))
    timeout = {"mod_policy": "Admins", "value": {"timeout": "250ms"}, "version": "0"}
    return {
        "channel_group": {
            "groups": {
                "Application": {
                    "groups": {m: org_group(m, ports[m], writers) for m in MSPS},
                    "mod_policy": "Admins",
                    "policies": standard_policies(),
                    "values": {},
                    "version": "0",
                },
                "Orderer": {
                    "groups": {m: org_group(m, writers=writers) for m in MSPS},
                    "mod_policy": "Admins",
                    "policies": standard_policies(),
                    "values": {"BatchTimeout": timeout},
                    "version": "0",
                },
            },
            "mod_policy": "Admins",
            "policies": standard_policies(),
            "values": {},
            "version": "0",
        },
        "sequence": "0",
    }


CONFIG = recorded_config()
ALL_ORGS = tuple(sorted(MSPS))


def test_a_batch_timeout_change_writes_that_value_and_needs_a_majority_of_orderer_admins():
    update = configtx_pb2.ConfigUpdate.FromString(
        compute_update(CHANNEL, CONFIG, set_batch_timeout(CONFIG, "300ms"))
    )

    assert update.channel_id == CHANNEL
    orderer = update.write_set.groups["Orderer"]
    assert list(orderer.values) == ["BatchTimeout"]
    assert (orderer.version, orderer.values["BatchTimeout"].version) == (0, 1)
    assert update.read_set.groups["Orderer"].version == 0
    assert requirements(CONFIG, update.SerializeToString()) == (
        Requirement(
            "/Channel/Orderer/Admins",
            "MAJORITY Admins",
            ALL_ORGS,
            2,
            ("Value /Channel/Orderer/BatchTimeout",),
        ),
    )


@pytest.mark.parametrize(
    ("peers", "item"),
    [
        (
            [("127.0.0.1", 7051), ("localhost", 7051)],
            "Value /Channel/Application/UtilityMSP/AnchorPeers",
        ),
        ([], "Group /Channel/Application/UtilityMSP"),
    ],
    ids=["add an anchor peer", "remove the anchor peers"],
)
def test_an_anchor_peer_change_needs_only_that_orgs_admin(peers, item):
    updated = set_anchor_peers(CONFIG, "UtilityMSP", peers)
    update = compute_update(CHANNEL, CONFIG, updated)

    assert anchor_peers(updated, "UtilityMSP") == peers
    assert requirements(CONFIG, update) == (
        Requirement(
            "/Channel/Application/UtilityMSP/Admins",
            "1 of UtilityMSP.admin",
            ("UtilityMSP",),
            1,
            (item,),
        ),
    )


def test_changes_copy_the_config_and_check_their_input():
    assert batch_timeout(set_batch_timeout(CONFIG, "2s")) == "2s"
    assert batch_timeout(CONFIG) == "250ms"
    assert anchor_peers(set_anchor_peers(CONFIG, "CommunityMSP", [("h", 1)]), "CommunityMSP") == [
        ("h", 1)
    ]
    assert anchor_peers(CONFIG, "CommunityMSP") == [("127.0.0.1", 8051)]
    with pytest.raises(ValueError, match="batch timeout 'soon' is not a duration like 250ms"):
        set_batch_timeout(CONFIG, "soon")
    with pytest.raises(KeyError, match="NewMSP is not an application org of this channel"):
        set_anchor_peers(CONFIG, "NewMSP", [])


def test_an_unchanged_config_has_no_update():
    with pytest.raises(NetworkError, match="no differences detected"):
        compute_update(CHANNEL, CONFIG, copy.deepcopy(CONFIG))


@pytest.mark.parametrize(
    ("policy", "signers", "expected"),
    [
        ("Admins", set(), False),
        ("Admins", {"UtilityMSP"}, False),
        ("Admins", {"UtilityMSP", "CommunityMSP"}, True),
        ("Admins", {"UtilityMSP", "NewMSP"}, False),
        ("Writers", {"RegulatorMSP"}, True),
    ],
)
def test_implicit_policies_count_the_orgs_whose_admins_signed(policy, signers, expected):
    orderer = CONFIG["channel_group"]["groups"]["Orderer"]
    assert satisfied(orderer, policy, signers) is expected


def test_a_channel_whose_writers_leave_out_orderer_nodes_is_named():
    assert orderers_unable_to_write(CONFIG) == list(MSPS)
    assert orderers_unable_to_write(recorded_config(("ADMIN", "CLIENT", "ORDERER"))) == []
    final_checks = "config update for existing channel did not pass final checks: ..."
    assert "orderer nodes of UtilityMSP, CommunityMSP, RegulatorMSP" in hint(CONFIG, final_checks)
    assert hint(CONFIG, "error authorizing update: ...") == ""


def sign_offline(envelope: bytes, msp: str) -> bytes:
    """Add a ConfigSignature naming `msp` the way signconfigtx does (no real key needed here)."""
    outer = common_pb2.Envelope.FromString(envelope)
    payload = common_pb2.Payload.FromString(outer.payload)
    update = configtx_pb2.ConfigUpdateEnvelope.FromString(payload.data)
    creator = identities_pb2.SerializedIdentity(mspid=msp, id_bytes=b"cert").SerializeToString()
    header = common_pb2.SignatureHeader(creator=creator, nonce=b"n").SerializeToString()
    update.signatures.add(signature_header=header, signature=b"sig")
    payload.data = update.SerializeToString()
    return common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()


def test_the_envelope_is_an_unsigned_config_update_of_the_channel():
    update = compute_update(CHANNEL, CONFIG, set_batch_timeout(CONFIG, "300ms"))
    envelope = update_envelope(CHANNEL, update)

    channel, inner = read_envelope(envelope)
    assert (channel, inner.config_update) == (CHANNEL, update)
    assert envelope_signers(envelope) == []
    signed = sign_offline(sign_offline(envelope, "UtilityMSP"), "CommunityMSP")
    assert envelope_signers(signed) == ["UtilityMSP", "CommunityMSP"]


def test_reading_an_envelope_of_another_type_fails():
    header = common_pb2.ChannelHeader(type=common_pb2.HeaderType.ENDORSER_TRANSACTION)
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString())
    )
    envelope = common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()
    with pytest.raises(NetworkError, match="header type 3, not CONFIG_UPDATE"):
        read_envelope(envelope)


def proposal(folder) -> UpdateProposal:
    needs = Requirement("/Channel/Orderer/Admins", "MAJORITY Admins", ALL_ORGS, 2, ("Value x",))
    return UpdateProposal(
        id="20260101T000000Z-community-sunnyside-abc123",
        channel=CHANNEL,
        description="slower blocks",
        proposed_by="UtilityMSP",
        proposed_at="2026-01-01T00:00:00+00:00",
        base_block=0,
        requirements=(needs,),
        folder=folder,
    )


def test_signatures_are_counted_once_per_org_and_the_submitter_counts(tmp_path):
    record = proposal(tmp_path)
    assert record.outstanding() == {"/Channel/Orderer/Admins": 2}
    record.record_signature("UtilityMSP", "2026-01-01T00:01:00+00:00")
    assert record.outstanding() == {"/Channel/Orderer/Admins": 1}
    assert record.outstanding(submitter="UtilityMSP") == {"/Channel/Orderer/Admins": 1}
    assert record.ready(submitter="RegulatorMSP")
    with pytest.raises(NetworkError) as twice:
        record.record_signature("UtilityMSP", "2026-01-01T00:02:00+00:00")
    assert str(twice.value) == f"UtilityMSP has already signed update {record.id}"
    record.record_signature("CommunityMSP", "2026-01-01T00:03:00+00:00")
    assert record.signed_by == ("UtilityMSP", "CommunityMSP")
    assert record.ready()


def test_a_submitted_proposal_takes_no_more_signatures(tmp_path):
    record = proposal(tmp_path)
    record.submitted = Submission("UtilityMSP", "2026-01-01T00:04:00+00:00", 7)
    with pytest.raises(NetworkError, match="already submitted in block 7"):
        record.record_signature("RegulatorMSP", "2026-01-01T00:05:00+00:00")


def test_the_proposal_file_records_who_proposed_what_it_needs_and_who_signed(tmp_path):
    record = proposal(tmp_path)
    record.record_signature("UtilityMSP", "2026-01-01T00:01:00+00:00")
    record.save()

    assert json.loads((tmp_path / "proposal.json").read_text()) == {
        "format": RECORD_FORMAT,
        "id": "20260101T000000Z-community-sunnyside-abc123",
        "channel": CHANNEL,
        "description": "slower blocks",
        "proposed_by": "UtilityMSP",
        "proposed_at": "2026-01-01T00:00:00+00:00",
        "base_block": 0,
        "envelope": "config_update.pb",
        "requirements": [
            {
                "policy": "/Channel/Orderer/Admins",
                "rule": "MAJORITY Admins",
                "orgs": list(ALL_ORGS),
                "needed": 2,
                "items": ["Value x"],
            }
        ],
        "signatures": [{"msp_id": "UtilityMSP", "signed_at": "2026-01-01T00:01:00+00:00"}],
        "submitted": None,
    }
    loaded = UpdateProposal.load(tmp_path)
    assert loaded == record
    assert loaded.signatures == [Signature("UtilityMSP", "2026-01-01T00:01:00+00:00")]


def test_a_file_of_another_format_is_refused(tmp_path):
    (tmp_path / "proposal.json").write_text('{"format": "something/else"}')
    with pytest.raises(NetworkError, match="is not a gridledger/config-update/1 record"):
        UpdateProposal.load(tmp_path)


def test_fabrics_reason_is_its_error_line_without_the_status():
    stderr = (
        "submit update x as UtilityMSP admin failed (exit 1): 2026-11-21 WARN [grpc] keepalive\n"
        "Error: got unexpected status: BAD_REQUEST -- error applying config update to existing"
        " channel 'c': error authorizing update: policy not satisfied"
    )
    assert fabric_reason(stderr) == (
        "error applying config update to existing channel 'c': "
        "error authorizing update: policy not satisfied"
    )


def test_a_proposal_is_found_by_its_id_in_the_run_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path))
    record = proposal(
        tmp_path / "channels" / "updates" / "20260101T000000Z-community-sunnyside-abc123"
    )
    record.folder.mkdir(parents=True)
    record.save()

    assert load(record.id) == record
    with pytest.raises(NetworkError) as unknown:
        load("../../utility")
    assert str(unknown.value) == "config update ../../utility is not proposed"


# ---------------------------------------------------------------- signing with an own key

CERT = b"-----BEGIN CERTIFICATE-----\nMIIBadmin\n-----END CERTIFICATE-----\n"


def slower_blocks() -> bytes:
    """A ConfigUpdate as configtxlator computes it, built by hand (BatchTimeout version 1)."""
    update = configtx_pb2.ConfigUpdate(channel_id=CHANNEL)
    update.read_set.groups["Orderer"].version = 0
    orderer = update.write_set.groups["Orderer"]
    orderer.values["BatchTimeout"].version = 1
    orderer.values["BatchTimeout"].mod_policy = "Admins"
    orderer.values["BatchTimeout"].value = b"\n\x05300ms"
    return update.SerializeToString()


UPDATE = slower_blocks()


def admin_key() -> tuple[ec.EllipticCurvePrivateKey, Callable[[bytes], bytes]]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, new_private_key_signer(key)


def last_signature(envelope: bytes) -> configtx_pb2.ConfigSignature:
    return read_envelope(envelope)[1].signatures[-1]


def verify(key: ec.EllipticCurvePrivateKey, signature: configtx_pb2.ConfigSignature) -> None:
    """Check the signature as Fabric does: ECDSA over SHA-256(signature header + update)."""
    key.public_key().verify(
        signature.signature, signature.signature_header + UPDATE, ec.ECDSA(hashes.SHA256())
    )


def test_an_own_key_adds_the_signature_signconfigtx_would():
    envelope = sign_offline(update_envelope(CHANNEL, UPDATE), "UtilityMSP")
    key, sign = admin_key()
    digests = []

    def signer(digest: bytes) -> bytes:
        digests.append(digest)
        return sign(digest)

    signed = signed_envelope(envelope, "CommunityMSP", CERT, signer)

    channel, update = read_envelope(signed)
    assert (channel, update.config_update) == (CHANNEL, UPDATE)
    assert len(update.signatures) == len(read_envelope(envelope)[1].signatures) + 1 == 2
    assert update.signatures[0] == read_envelope(envelope)[1].signatures[0]
    assert envelope_signers(signed) == ["UtilityMSP", "CommunityMSP"]
    added = update.signatures[-1]
    header = common_pb2.SignatureHeader.FromString(added.signature_header)
    creator = identities_pb2.SerializedIdentity.FromString(header.creator)
    assert (creator.mspid, creator.id_bytes) == ("CommunityMSP", CERT)
    assert len(header.nonce) == 24  # crypto.GetRandomNonce's length
    assert digests == [hashlib.sha256(added.signature_header + UPDATE).digest()]
    verify(key, added)
    with pytest.raises(InvalidSignature):
        key.public_key().verify(
            added.signature,
            added.signature_header + slower_blocks()[:-1],
            ec.ECDSA(hashes.SHA256()),
        )
    # The channel header travels unchanged.
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(signed).payload)
    original = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(envelope).payload)
    assert payload.header == original.header


def test_every_signature_has_its_own_nonce():
    envelope = update_envelope(CHANNEL, UPDATE)
    key, sign = admin_key()

    once = signed_envelope(envelope, "UtilityMSP", CERT, sign)
    again = signed_envelope(envelope, "UtilityMSP", CERT, sign)
    twice = signed_envelope(once, "RegulatorMSP", CERT, sign)

    nonces = [
        common_pb2.SignatureHeader.FromString(s.signature_header).nonce
        for s in (last_signature(once), last_signature(again), *read_envelope(twice)[1].signatures)
    ]
    assert len(set(nonces)) == 3
    assert nonces[0] == nonces[2]
    for signature in read_envelope(twice)[1].signatures:
        verify(key, signature)


def proposal_on_disk(folder) -> UpdateProposal:
    record = proposal(folder)
    record.envelope_file.write_bytes(update_envelope(CHANNEL, UPDATE))
    record.save()
    return record


def test_signing_with_an_own_key_records_the_signature_and_adds_it_to_the_envelope(tmp_path):
    record = proposal_on_disk(tmp_path)
    key, sign = admin_key()

    sign_with(record, "UtilityMSP", CERT, sign)

    loaded = UpdateProposal.load(tmp_path)
    assert [s.msp_id for s in loaded.signatures] == ["UtilityMSP"]
    assert datetime.fromisoformat(loaded.signatures[0].signed_at).tzinfo is not None
    assert record.signatures == loaded.signatures
    envelope = record.envelope_file.read_bytes()
    assert envelope_signers(envelope) == ["UtilityMSP"]
    assert read_envelope(envelope)[1].config_update == UPDATE
    verify(key, last_signature(envelope))

    sign_with(record, "CommunityMSP", CERT, sign)

    assert UpdateProposal.load(tmp_path).signed_by == ("UtilityMSP", "CommunityMSP")
    assert envelope_signers(record.envelope_file.read_bytes()) == ["UtilityMSP", "CommunityMSP"]
    assert record.ready()


def test_an_org_signs_with_its_own_key_only_once(tmp_path):
    record = proposal_on_disk(tmp_path)
    _, sign = admin_key()
    sign_with(record, "UtilityMSP", CERT, sign)
    envelope, saved = record.envelope_file.read_bytes(), record.record_file.read_text()

    with pytest.raises(NetworkError) as twice:
        sign_with(record, "UtilityMSP", CERT, sign)

    assert str(twice.value) == f"UtilityMSP has already signed update {record.id}"
    assert record.envelope_file.read_bytes() == envelope
    assert record.record_file.read_text() == saved


def test_a_failing_signer_leaves_the_proposal_unsigned(tmp_path):
    record = proposal_on_disk(tmp_path)
    envelope, saved = record.envelope_file.read_bytes(), record.record_file.read_text()

    def unplugged(digest: bytes) -> bytes:
        raise OSError("the signing device is unplugged")

    with pytest.raises(OSError, match="unplugged"):
        sign_with(record, "UtilityMSP", CERT, unplugged)

    assert record.envelope_file.read_bytes() == envelope
    assert record.record_file.read_text() == saved
    assert record.signatures == []


def test_a_submitted_proposal_takes_no_signature_from_an_own_key(tmp_path):
    record = proposal_on_disk(tmp_path)
    record.submitted = Submission("UtilityMSP", "2026-01-01T00:04:00+00:00", 7)
    record.save()
    envelope = record.envelope_file.read_bytes()
    _, sign = admin_key()

    with pytest.raises(NetworkError, match="already submitted in block 7"):
        sign_with(record, "RegulatorMSP", CERT, sign)
    assert record.envelope_file.read_bytes() == envelope
