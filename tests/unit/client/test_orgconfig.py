"""Config edits on `common.Config` messages, against configs and org groups configtxgen made.

An org group built from a bundle must be the group configtxgen builds from the same org's
configtx.yaml section, in a genesis block and as `-printOrg` prints it; every edit is
read back by `configtxlator proto_decode`, so the bytes written are the ones Fabric reads.
"""

import base64
from typing import Any

import pytest
from fabric_protos.common import configtx_pb2
from fabric_protos.msp import msp_config_pb2
from fabric_protos.orderer import configuration_pb2 as orderer_configuration_pb2
from fabric_protos.orderer.etcdraft import configuration_pb2 as etcdraft_configuration_pb2
from fabric_tools import (
    HOST,
    decode_json,
    founders,
    genesis_config,
    print_org,
    revocation_list_pem,
    river,
)

from client import (
    add_application_org,
    anchor_peers,
    application_msps,
    batch_timeout,
    orderer_msps,
    org_group,
    remove_org,
    revocation_list,
    set_anchor_peers,
    set_batch_timeout,
    set_revocation_list,
)

UTILITY, COMMUNITY, REGULATOR = founders()
FOUNDERS = ["CommunityMSP", "RegulatorMSP", "UtilityMSP"]


@pytest.fixture(scope="module")
def config() -> Any:
    return genesis_config(founders())


def section(config: Any, name: str) -> Any:
    return config.channel_group.groups[name]


def copy_of(config: Any) -> Any:
    copied = configtx_pb2.Config()
    copied.CopyFrom(config)
    return copied


def consenters(config: Any) -> list[tuple[str, int]]:
    consensus = orderer_configuration_pb2.ConsensusType.FromString(
        section(config, "Orderer").values["ConsensusType"].value
    )
    metadata = etcdraft_configuration_pb2.ConfigMetadata.FromString(consensus.metadata)
    return [(c.host, c.port) for c in metadata.consenters]


# -- an org's group, as configtxgen builds it -------------------------------------------------


@pytest.mark.parametrize("org", founders(), ids=lambda org: org.msp_id)
def test_an_org_group_is_the_group_configtxgen_puts_in_the_genesis_block(
    config: Any, org: Any
) -> None:
    assert org_group(org.bundle) == section(config, "Application").groups[org.msp_id]


def test_the_msp_lists_every_root_certificate_in_the_bundles_order(config: Any) -> None:
    """Sunnyside's bundle has two roots; configtxgen read them from files named in that order."""
    msp = msp_config_pb2.MSPConfig.FromString(org_group(COMMUNITY.bundle).values["MSP"].value)
    fabric = msp_config_pb2.FabricMSPConfig.FromString(msp.config)

    assert [pem.decode() for pem in fabric.root_certs] == list(COMMUNITY.bundle.root_certs)
    assert len(fabric.root_certs) == 2
    assert list(fabric.admins) == []  # Node OUs name the admins, no admincerts
    ous = fabric.fabric_node_ous
    assert ous.enable
    for ou in ("client", "peer", "admin", "orderer"):
        identifier = getattr(ous, f"{ou}_ou_identifier")
        assert identifier.organizational_unit_identifier == ou
        assert identifier.certificate == fabric.root_certs[0]


def test_an_org_group_is_what_print_org_prints_for_an_application_org() -> None:
    assert org_group(river().bundle) == print_org(river().bundle, orderer=False)


def test_print_org_of_an_org_with_orderers_is_its_orderer_group(config: Any) -> None:
    """With OrdererEndpoints in its section, printOrg prints the org's *orderer* group: the
    same MSP and policies, plus an Endpoints value, and no AnchorPeers. Only those two
    values are set aside in the comparison."""
    printed = print_org(UTILITY.bundle, orderer=True)
    ours = org_group(UTILITY.bundle)

    endpoints = decode_json(printed.values["Endpoints"].value, "common.OrdererAddresses")
    assert endpoints == {"addresses": [f"{HOST}:7050"]}
    assert printed == section(config, "Orderer").groups["UtilityMSP"]
    del printed.values["Endpoints"]
    del ours.values["AnchorPeers"]
    assert printed == ours


# -- membership -------------------------------------------------------------------------------


def test_an_admitted_org_joins_the_application_section_and_nothing_else_changes(
    config: Any,
) -> None:
    original = copy_of(config)
    group = org_group(river().bundle)

    updated = add_application_org(config, group, "RiverMSP")

    assert config == original
    assert application_msps(updated) == ["CommunityMSP", "RegulatorMSP", "RiverMSP", "UtilityMSP"]
    assert orderer_msps(updated) == FOUNDERS
    assert section(updated, "Application").groups["RiverMSP"] == group
    assert anchor_peers(updated, "RiverMSP") == [(HOST, 10051)]
    del section(updated, "Application").groups["RiverMSP"]
    assert updated == config


def test_an_orderer_group_from_print_org_joins_without_its_endpoints(config: Any) -> None:
    printed = print_org(river().bundle, orderer=True)

    joined = section(add_application_org(config, printed, "RiverMSP"), "Application")

    assert "Endpoints" in printed.values
    assert list(joined.groups["RiverMSP"].values) == ["MSP"]


def test_an_org_already_on_the_channel_or_a_group_of_another_org_is_refused(config: Any) -> None:
    renamed = copy_of(config)
    application = section(renamed, "Application")
    application.groups["Sunnyside"].CopyFrom(application.groups["CommunityMSP"])
    del application.groups["CommunityMSP"]
    cases = [
        (config, org_group(UTILITY.bundle), "UtilityMSP", "UtilityMSP is already a member"),
        (renamed, org_group(COMMUNITY.bundle), "CommunityMSP", "CommunityMSP is already a member"),
        (config, org_group(river().bundle), "LakeMSP", "the group given is the org group of"),
    ]
    for base, group, msp_id, message in cases:
        with pytest.raises(ValueError) as refused:
            add_application_org(base, group, msp_id)
        assert str(refused.value).startswith(message)
    assert str(refused.value) == "the group given is the org group of RiverMSP, not of LakeMSP"


def test_removing_an_org_takes_out_its_groups_and_its_consenter(config: Any) -> None:
    original = copy_of(config)

    updated = remove_org(config, "CommunityMSP", (HOST, 8050))

    assert config == original
    assert application_msps(updated) == orderer_msps(updated) == ["RegulatorMSP", "UtilityMSP"]
    assert consenters(updated) == [(HOST, 7050), (HOST, 9050)]
    kept = etcdraft_configuration_pb2.ConfigMetadata.FromString(
        orderer_configuration_pb2.ConsensusType.FromString(
            section(updated, "Orderer").values["ConsensusType"].value
        ).metadata
    )
    assert kept.options.tick_interval == "500ms"  # configtxgen's defaults stay
    decoded = decode_json(updated.SerializeToString(), "common.Config")
    orderer = decoded["channel_group"]["groups"]["Orderer"]
    metadata = orderer["values"]["ConsensusType"]["value"]["metadata"]
    assert [c["port"] for c in metadata["consenters"]] == [7050, 9050]
    assert sorted(orderer["groups"]) == ["RegulatorMSP", "UtilityMSP"]


def test_an_org_is_found_by_its_msp_id_not_its_group_key(config: Any) -> None:
    renamed = copy_of(config)
    for name in ("Application", "Orderer"):
        groups = section(renamed, name).groups
        groups["Sunnyside"].CopyFrom(groups["CommunityMSP"])
        del groups["CommunityMSP"]

    updated = remove_org(renamed, "CommunityMSP")

    assert application_msps(updated) == orderer_msps(updated) == ["RegulatorMSP", "UtilityMSP"]
    assert consenters(updated) == consenters(config)


@pytest.mark.parametrize(
    "consenter", [None, (HOST, 10050), ("orderer.sunnyside.example", 8050)], ids=str
)
def test_a_consenter_not_in_the_raft_set_leaves_it_as_it_is(config: Any, consenter) -> None:
    updated = remove_org(config, "CommunityMSP", consenter)

    assert (
        section(updated, "Orderer").values["ConsensusType"]
        == (section(config, "Orderer").values["ConsensusType"])
    )


def test_an_org_that_is_not_a_member_or_the_last_consenter_cannot_be_removed(config) -> None:
    with pytest.raises(ValueError) as refused:
        remove_org(config, "RiverMSP", (HOST, 10050))
    assert str(refused.value) == "RiverMSP is not a member of this channel"

    alone = remove_org(
        remove_org(config, "CommunityMSP", (HOST, 8050)), "RegulatorMSP", (HOST, 9050)
    )
    with pytest.raises(ValueError) as refused:
        remove_org(alone, "UtilityMSP", (HOST, 7050))
    assert str(refused.value) == "127.0.0.1:7050 is the channel's last raft consenter"


# -- anchor peers, CRLs, batch timeout --------------------------------------------------------


def test_anchor_peers_are_set_replaced_and_removed(config: Any) -> None:
    peers = [(HOST, 7051), ("peer1.utility.example", 7061)]

    updated = set_anchor_peers(config, "UtilityMSP", peers)

    assert anchor_peers(updated, "UtilityMSP") == peers
    assert anchor_peers(config, "UtilityMSP") == [(HOST, 7051)]
    decoded = decode_json(updated.SerializeToString(), "common.Config")
    utility = decoded["channel_group"]["groups"]["Application"]["groups"]["UtilityMSP"]
    assert utility["values"]["AnchorPeers"] == {
        "mod_policy": "Admins",
        "value": {"anchor_peers": [{"host": h, "port": p} for h, p in peers]},
        "version": "0",
    }
    removed = set_anchor_peers(config, "UtilityMSP", [])
    assert anchor_peers(removed, "UtilityMSP") == []
    assert "AnchorPeers" not in section(removed, "Application").groups["UtilityMSP"].values
    restored = set_anchor_peers(removed, "UtilityMSP", [(HOST, 7051)])
    assert restored == config


def test_anchor_peers_of_an_unknown_org_or_a_bad_port_are_refused(config: Any) -> None:
    with pytest.raises(KeyError, match="RiverMSP is not an application org of this channel"):
        set_anchor_peers(config, "RiverMSP", [(HOST, 10051)])
    with pytest.raises(ValueError) as refused:
        set_anchor_peers(config, "UtilityMSP", [(HOST, 70510)])
    assert str(refused.value) == "anchor peer 127.0.0.1:70510 is not a host and port"


def test_a_crl_replaces_the_orgs_revocation_list_in_both_sections(config: Any) -> None:
    first, second = revocation_list_pem(COMMUNITY, 7), revocation_list_pem(COMMUNITY, 7, 9)

    once = set_revocation_list(config, "CommunityMSP", first)
    twice = set_revocation_list(once, "CommunityMSP", second)

    assert revocation_list(config, "CommunityMSP") == []
    assert revocation_list(once, "CommunityMSP") == [first]
    assert revocation_list(twice, "CommunityMSP") == [second]
    assert set_revocation_list(twice, "CommunityMSP", second) == twice
    decoded = decode_json(twice.SerializeToString(), "common.Config")
    for name in ("Application", "Orderer"):
        msp = decoded["channel_group"]["groups"][name]["groups"]["CommunityMSP"]["values"]["MSP"]
        assert msp["value"]["config"]["revocation_list"] == [base64.b64encode(second).decode()]
    # Only the list changed: the rest of the MSP is byte for byte what configtxgen wrote.
    for name in ("Application", "Orderer"):
        before = section(config, name).groups["CommunityMSP"].values["MSP"].value
        after = msp_config_pb2.MSPConfig.FromString(
            section(twice, name).groups["CommunityMSP"].values["MSP"].value
        )
        fabric = msp_config_pb2.FabricMSPConfig.FromString(after.config)
        fabric.ClearField("revocation_list")
        after.config = fabric.SerializeToString()
        assert after.SerializeToString() == before
    assert (
        section(twice, "Application").groups["UtilityMSP"]
        == (section(config, "Application").groups["UtilityMSP"])
    )


def test_a_crl_must_be_a_pem_crl_of_a_member(config: Any) -> None:
    with pytest.raises(ValueError, match=r"^the revocation list is not a PEM X\.509 CRL$"):
        set_revocation_list(config, "CommunityMSP", COMMUNITY.ca.pem)
    with pytest.raises(KeyError, match="RiverMSP is not a member of this channel"):
        set_revocation_list(config, "RiverMSP", revocation_list_pem(river()))
    with pytest.raises(KeyError, match="RiverMSP is not a member of this channel"):
        revocation_list(config, "RiverMSP")


@pytest.mark.parametrize("timeout", ["2s", "1m30s", "1.5h", "300ms"])
def test_the_batch_timeout_is_set_as_fabric_reads_it(config: Any, timeout: str) -> None:
    updated = set_batch_timeout(config, timeout)

    assert (batch_timeout(config), batch_timeout(updated)) == ("250ms", timeout)
    decoded = decode_json(updated.SerializeToString(), "common.Config")
    values = decoded["channel_group"]["groups"]["Orderer"]["values"]
    assert values["BatchTimeout"]["value"] == {"timeout": timeout}


@pytest.mark.parametrize(
    ("timeout", "message"),
    [
        ("soon", "batch timeout 'soon' is not a duration like 250ms or 2s"),
        ("2", "batch timeout '2' is not a duration like 250ms or 2s"),
        ("0s", "batch timeout '0s' must be longer than zero"),
    ],
)
def test_a_batch_timeout_that_is_not_a_duration_is_refused(config, timeout, message) -> None:
    with pytest.raises(ValueError) as refused:
        set_batch_timeout(config, timeout)
    assert str(refused.value) == message


def test_an_edit_of_a_section_the_channel_lacks_says_so(config: Any) -> None:
    no_orderer = copy_of(config)
    del no_orderer.channel_group.groups["Orderer"]

    with pytest.raises(ValueError, match=r"^this channel has no Orderer section$"):
        set_batch_timeout(no_orderer, "2s")
    assert orderer_msps(no_orderer) == []
