"""configtx.yaml from org bundles (`network/configtx.py`), and the genesis block the pinned
configtxgen makes of it, read back with `network.channelinfo`.

The bundles carry certificates made here; configtxgen is the oracle that the folders and
policies written are ones Fabric accepts, and that the members, orderers and root
certificates come out of the block as the bundles gave them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from fabric_protos.common import common_pb2
from fabric_protos.msp import msp_config_pb2
from network_builders import bundle, home_of

from network import admin
from network.channelinfo import ChannelInfo, OrdererEndpoint, block_config
from network.configtx import BATCH_TIMEOUT, write_configtx
from network.console import NetworkError
from network.topology import COMMUNITY, REGULATOR, UTILITY

CHANNEL = "community-sunnyside"


@pytest.fixture(scope="module")
def bundles():
    """The founders' bundles; the community's MSP has three root certificates."""
    return [bundle(UTILITY), bundle(COMMUNITY, extra_roots=2), bundle(REGULATOR)]


def document(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def written(bundles, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("configtx")
    path = write_configtx(CHANNEL, bundles, bundles, folder)
    return folder, document(path)["Profiles"][CHANNEL]


def genesis(folder: Path, channel: str = CHANNEL) -> bytes:
    out = folder / f"{channel}.block"
    admin.configtxgen(
        "-profile",
        channel,
        "-channelID",
        channel,
        "-outputBlock",
        str(out),
        config_dir=folder,
        what="configtxgen",
    )
    return out.read_bytes()


def test_the_profile_is_named_after_the_channel_and_has_every_member(written, bundles):
    folder, profile = written

    assert list(document(folder / "configtx.yaml")["Profiles"]) == [CHANNEL]
    assert [o["ID"] for o in profile["Application"]["Organizations"]] == [
        "UtilityMSP",
        "CommunityMSP",
        "RegulatorMSP",
    ]
    orderer = profile["Orderer"]
    assert (orderer["OrdererType"], orderer["BatchTimeout"]) == ("etcdraft", BATCH_TIMEOUT)
    assert [(c["Host"], c["Port"]) for c in orderer["EtcdRaft"]["Consenters"]] == [
        ("127.0.0.1", 7050),
        ("127.0.0.1", 8050),
        ("127.0.0.1", 9050),
    ]
    for consenter, made in zip(orderer["EtcdRaft"]["Consenters"], bundles, strict=True):
        assert Path(consenter["ServerTLSCert"]).read_text() == made.orderers[0].tls_cert
        assert consenter["ClientTLSCert"] == consenter["ServerTLSCert"]


def test_policies_need_a_majority_of_admins_and_orderers_may_write(written):
    _, profile = written

    assert profile["Policies"]["Admins"] == {"Type": "ImplicitMeta", "Rule": "MAJORITY Admins"}
    assert profile["Application"]["Policies"]["LifecycleEndorsement"]["Rule"] == (
        "MAJORITY Endorsement"
    )
    assert profile["Orderer"]["Policies"]["BlockValidation"]["Rule"] == (
        "OR('UtilityMSP.orderer', 'CommunityMSP.orderer', 'RegulatorMSP.orderer')"
    )
    assert (profile["Capabilities"], profile["Application"]["Capabilities"]) == (
        {"V3_0": True},
        {"V2_5": True},
    )
    for org in profile["Application"]["Organizations"]:
        msp = org["ID"]
        assert org["Name"] == msp
        assert org["Policies"]["Writers"]["Rule"] == (
            f"OR('{msp}.admin', '{msp}.client', '{msp}.orderer')"
        )
        assert org["Policies"]["Admins"]["Rule"] == f"OR('{msp}.admin')"


def test_anchor_peers_and_orderer_endpoints_come_from_the_bundles(written):
    _, profile = written
    orgs = profile["Application"]["Organizations"]

    assert [o["AnchorPeers"] for o in orgs] == [
        [{"Host": "127.0.0.1", "Port": p}] for p in (7051, 8051, 9051)
    ]
    assert [o["OrdererEndpoints"] for o in orgs] == [[f"127.0.0.1:{p}"] for p in (7050, 8050, 9050)]


def test_each_msp_folder_holds_the_bundles_roots_in_order_and_node_ous(written, bundles):
    _, profile = written
    community = Path(profile["Application"]["Organizations"][1]["MSPDir"])

    cacerts = sorted((community / "cacerts").iterdir())
    assert [p.name for p in cacerts] == ["ca.pem", "ca01.pem", "ca02.pem"]
    assert [p.read_text() for p in cacerts] == list(bundles[1].root_certs)
    assert (community / "tlscacerts" / "ca.pem").read_text() == bundles[1].tls_root_certs[0]
    node_ous = document(community / "config.yaml")["NodeOUs"]
    assert node_ous["Enable"] is True
    assert node_ous["AdminOUIdentifier"] == {
        "Certificate": "cacerts/ca.pem",
        "OrganizationalUnitIdentifier": "admin",
    }


@pytest.fixture(scope="module")
def block(written) -> bytes:
    folder, _ = written
    return genesis(folder)


def test_configtxgen_makes_a_genesis_block_of_the_members_and_their_orderers(block, bundles):
    found = ChannelInfo.from_block(block)

    assert found.name == CHANNEL
    assert found.members == ("CommunityMSP", "RegulatorMSP", "UtilityMSP")
    assert sorted(found.orderers, key=lambda o: o.address) == [
        OrdererEndpoint(b.msp_id, b.orderers[0].address, b.tls_root_certs[0]) for b in bundles
    ]


def msp_of(config: Any, section: str, key: str) -> Any:
    value = config.channel_group.groups[section].groups[key].values["MSP"].value
    msp = msp_config_pb2.MSPConfig.FromString(value)
    return msp_config_pb2.FabricMSPConfig.FromString(msp.config)


@pytest.mark.parametrize("section", ["Application", "Orderer"])
def test_extra_root_certificates_keep_the_bundles_order_in_the_block(block, bundles, section):
    _, config = block_config(block)

    msp = msp_of(config, section, "CommunityMSP")

    assert [c.decode() for c in msp.root_certs] == list(bundles[1].root_certs)
    assert msp.fabric_node_ous.enable
    assert msp.fabric_node_ous.admin_ou_identifier.certificate == bundles[1].root_certs[0].encode()


def test_a_channel_ordered_by_some_members_lists_only_their_orderers(bundles, tmp_path):
    path = write_configtx("consortium", bundles, bundles[:1], tmp_path)
    profile = document(path)["Profiles"]["consortium"]

    assert [o["ID"] for o in profile["Orderer"]["Organizations"]] == ["UtilityMSP"]
    assert [c["Port"] for c in profile["Orderer"]["EtcdRaft"]["Consenters"]] == [7050]
    assert profile["Orderer"]["Policies"]["BlockValidation"]["Rule"] == "OR('UtilityMSP.orderer')"

    found = ChannelInfo.from_block(genesis(tmp_path, "consortium"))
    assert found.members == ("CommunityMSP", "RegulatorMSP", "UtilityMSP")
    assert found.orderers == (
        OrdererEndpoint("UtilityMSP", "127.0.0.1:7050", bundles[0].tls_root_certs[0]),
    )
    assert found.orderer_for("RegulatorMSP") == found.orderers[0]


def test_what_an_org_knows_of_a_channel_round_trips_through_its_home(block, tmp_path):
    home = home_of(tmp_path, UTILITY)
    found = ChannelInfo.from_block(block)

    found.save(home)

    assert ChannelInfo.load(home, CHANNEL) == found
    assert found.orderer_for("UtilityMSP").msp_id == "UtilityMSP"
    root = found.orderer_for("RegulatorMSP").tls_root_file(home)
    assert root.read_text() == found.orderer_for("RegulatorMSP").tls_root
    with pytest.raises(NetworkError) as caught:
        ChannelInfo.load(home, "consortium")
    assert str(caught.value) == "utility has not joined channel consortium"


def test_a_channel_without_orderers_or_a_block_that_is_no_config_is_refused(block):
    empty = dataclasses.replace(ChannelInfo.from_block(block), orderers=())
    with pytest.raises(NetworkError) as caught:
        empty.orderer_for("UtilityMSP")
    assert str(caught.value) == f"channel {CHANNEL} lists no orderer"

    two = common_pb2.Block(data=common_pb2.BlockData(data=[b"", b""]))
    with pytest.raises(NetworkError) as caught:
        ChannelInfo.from_block(two.SerializeToString())
    assert str(caught.value) == "not a config block: it holds 2 transactions, not 1"

    header = common_pb2.ChannelHeader(
        type=common_pb2.HeaderType.ENDORSER_TRANSACTION, channel_id=CHANNEL
    )
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString())
    )
    transaction = common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString()
    ordinary = common_pb2.Block(
        header=common_pb2.BlockHeader(number=4), data=common_pb2.BlockData(data=[transaction])
    )
    with pytest.raises(NetworkError) as caught:
        ChannelInfo.from_block(ordinary.SerializeToString())
    assert str(caught.value) == f"block 4 of {CHANNEL} is not a config block"
