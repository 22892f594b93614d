"""An org's connection profile written from its home (`network/profiles.py`).

It is all an org's client and API get, so it must name the org's own peer and CA with its
CA certificate as their TLS root, and every channel the org joined with the orderers the
channel's config names; and it must read back as the client reads it.
"""

from __future__ import annotations

import dataclasses

from network_builders import authority, home_of, populate

from client.profile import CAEntry, ConnectionProfile, NodeEntry
from network import profiles
from network.channelinfo import ChannelInfo, OrdererEndpoint
from network.topology import COMMUNITY

FOUNDERS = ("CommunityMSP", "RegulatorMSP", "UtilityMSP")


def test_the_profile_names_the_orgs_peer_ca_and_the_orderers_of_each_channel(tmp_path):
    home = home_of(tmp_path, dataclasses.replace(COMMUNITY, host="10.0.0.8"))
    ca = populate(home).ca
    utility_root, regulator_root = authority("ca-utility").pem, authority("ca-regulator").pem
    utility = OrdererEndpoint("UtilityMSP", "10.0.0.1:7050", utility_root)
    regulator = OrdererEndpoint("RegulatorMSP", "10.0.0.9:9050", regulator_root)
    ChannelInfo("consortium", FOUNDERS, (utility, regulator)).save(home)
    ChannelInfo("community-sunnyside", FOUNDERS, (utility,)).save(home)

    written = profiles.write(home)

    peer = NodeEntry("peer0.community", "grpcs://10.0.0.8:8051", ca.encode())
    utility_node = NodeEntry(
        "orderer.UtilityMSP.10.0.0.1:7050", "grpcs://10.0.0.1:7050", utility_root.encode()
    )
    regulator_node = NodeEntry(
        "orderer.RegulatorMSP.10.0.0.9:9050", "grpcs://10.0.0.9:9050", regulator_root.encode()
    )
    assert written == ConnectionProfile(
        organization="community",
        msp_id="CommunityMSP",
        peers={peer.name: peer},
        certificate_authorities={
            "ca-community": CAEntry("ca-community", "https://10.0.0.8:8054", ca.encode())
        },
        orderers={utility_node.name: utility_node, regulator_node.name: regulator_node},
        channels={
            "community-sunnyside": (utility_node.name,),
            "consortium": (utility_node.name, regulator_node.name),
        },
    )
    assert ConnectionProfile.load(home.profile) == written
    assert home.profile.stat().st_mode & 0o777 == 0o600
    assert written.channel_orderers("consortium") == [utility_node, regulator_node]


def test_an_org_on_no_channel_yet_has_a_profile_with_its_peer_and_ca_only(tmp_path):
    home = home_of(tmp_path, COMMUNITY)
    populate(home)

    written = profiles.write(home)

    assert (dict(written.orderers), dict(written.channels)) == ({}, {})
    assert written.peer.address == "127.0.0.1:8051"
    assert ConnectionProfile.load(home.profile) == written
