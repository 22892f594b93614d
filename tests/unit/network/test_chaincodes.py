"""Which chaincode a channel runs (`network/chaincodes.py`), and on which server port."""

from __future__ import annotations

import pytest

from network.chaincodes import community_chaincode, consortium_chaincode, for_channel
from network.channelinfo import ChannelInfo
from network.console import NetworkError
from network.topology import COMMUNITY, UTILITY

SUNNYSIDE = ChannelInfo("community-sunnyside", ("CommunityMSP", "RegulatorMSP", "UtilityMSP"), ())
CONSORTIUM = ChannelInfo("consortium", ("CommunityMSP", "RegulatorMSP", "UtilityMSP"), ())


@pytest.mark.parametrize(
    ("info", "name", "module"),
    [
        (CONSORTIUM, "consortium", "chaincode.consortium"),
        (SUNNYSIDE, "community", "chaincode.community"),
    ],
    ids=["consortium", "community"],
)
def test_a_channel_runs_the_chaincode_of_its_kind(info, name, module):
    spec = for_channel(info)

    assert (spec.name, spec.channel, spec.module) == (name, info.name, module)


def test_a_channel_gridledger_runs_nothing_on_is_refused():
    with pytest.raises(NetworkError) as caught:
        for_channel(ChannelInfo("testchannel", SUNNYSIDE.members, ()))
    assert str(caught.value) == "GridLedger runs no chaincode on channel testchannel"


def test_the_community_chaincode_is_endorsed_by_the_utility_and_the_community():
    spec = community_chaincode(SUNNYSIDE)

    assert spec.policy == "AND('UtilityMSP.peer', 'CommunityMSP.peer')"
    assert spec.collections


def test_each_chaincode_has_its_own_server_port_in_each_org():
    consortium, community = consortium_chaincode(CONSORTIUM), community_chaincode(SUNNYSIDE)

    assert (consortium.server_index, community.server_index) == (0, 1)
    assert UTILITY.chaincode_address(1) == "127.0.0.1:7101"
    assert COMMUNITY.chaincode_address(1) == "127.0.0.1:8101"
