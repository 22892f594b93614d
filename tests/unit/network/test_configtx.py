from network.configtx import BATCH_TIMEOUT, configtx
from network.topology import CHANNELS, ORGS


def test_each_channel_profile_has_three_raft_consenters_and_all_members():
    profiles = configtx(CHANNELS)["Profiles"]
    assert set(profiles) == {"consortium", "community-sunnyside"}
    for profile in profiles.values():
        orderer = profile["Orderer"]
        assert orderer["OrdererType"] == "etcdraft"
        assert [c["Port"] for c in orderer["EtcdRaft"]["Consenters"]] == [7050, 8050, 9050]
        assert [o["ID"] for o in profile["Application"]["Organizations"]] == [
            o.msp_id for o in ORGS
        ]
        assert orderer["BatchTimeout"] == BATCH_TIMEOUT


def test_policies_need_a_majority_of_admins_and_only_orderers_sign_blocks():
    profile = configtx(CHANNELS)["Profiles"]["consortium"]
    assert profile["Policies"]["Admins"]["Rule"] == "MAJORITY Admins"
    assert profile["Application"]["Policies"]["LifecycleEndorsement"]["Rule"] == (
        "MAJORITY Endorsement"
    )
    assert profile["Orderer"]["Policies"]["BlockValidation"]["Rule"] == (
        "OR('UtilityMSP.orderer', 'CommunityMSP.orderer', 'RegulatorMSP.orderer')"
    )
    assert profile["Capabilities"] == {"V3_0": True}
    assert profile["Application"]["Capabilities"] == {"V2_5": True}


def test_anchor_peers_and_orderer_endpoints_are_declared_per_org():
    orgs = configtx(CHANNELS)["Profiles"]["consortium"]["Application"]["Organizations"]
    assert [o["AnchorPeers"] for o in orgs] == [
        [{"Host": "127.0.0.1", "Port": p}] for p in (7051, 8051, 9051)
    ]
    assert [o["OrdererEndpoints"] for o in orgs] == [[f"127.0.0.1:{p}"] for p in (7050, 8050, 9050)]


def test_orderers_can_write_so_config_updates_can_be_committed():
    # the orderer signs the config transaction it makes of an accepted update, and that
    # transaction must satisfy /Channel/Writers
    for org in configtx(CHANNELS)["Profiles"]["consortium"]["Application"]["Organizations"]:
        msp = org["ID"]
        assert org["Policies"]["Writers"]["Rule"] == (
            f"OR('{msp}.admin', '{msp}.client', '{msp}.orderer')"
        )
