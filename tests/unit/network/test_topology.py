from network.topology import CHANNELS, ORGS, all_ports, org_by_key, org_by_msp


def test_every_port_is_distinct():
    ports = list(all_ports().values())
    chaincode = [org.port(100 + i) for org in ORGS for i in range(10)]
    assert len(set(ports + chaincode)) == len(ports) + len(chaincode)


def test_every_channel_has_all_three_orgs():
    assert {c.name for c in CHANNELS} == {"consortium", "community-sunnyside"}
    for channel in CHANNELS:
        assert [o.msp_id for o in channel.orgs] == ["UtilityMSP", "CommunityMSP", "RegulatorMSP"]


def test_lookup_names_the_known_orgs_on_a_miss():
    assert org_by_msp("RegulatorMSP") is org_by_key("regulator")
    try:
        org_by_key("riverside")
    except KeyError as exc:
        assert "utility, community, regulator" in str(exc)
    else:
        raise AssertionError("unknown org accepted")
