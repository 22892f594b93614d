import copy
import json

import pytest
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.msp import identities_pb2

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
