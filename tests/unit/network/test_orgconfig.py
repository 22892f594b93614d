import copy

import pytest
from fabric_protos.common import configtx_pb2
from test_configupdate import MSPS, org_group, recorded_config, signature_policy

from network.configupdate import (
    Requirement,
    anchor_peers,
    requirement,
    requirements,
    satisfied,
)
from network.orgconfig import add_application_org, application_msps, remove_org
from network.topology import Org

RIVER = Org(key="river", msp_id="RiverMSP", display_name="River", kind="community", port_base=10000)
# The founding members' orderers, where configtx.consenter puts them (port_base + 50).
FOUNDING_ORDERER_PORTS = (7050, 8050, 9050)


def printed_org(msp: str = "RiverMSP") -> dict:
    """An org's group as `configtxgen -printOrg` prints it: an orderer org, so Endpoints."""
    return {
        "groups": {},
        "mod_policy": "Admins",
        "policies": {
            "Admins": signature_policy(msp, "ADMIN"),
            "Endorsement": signature_policy(msp, "PEER"),
            "Readers": signature_policy(msp, "MEMBER"),
            "Writers": signature_policy(msp, "ADMIN", "CLIENT", "ORDERER"),
        },
        "values": {
            "Endpoints": {
                "mod_policy": "Admins",
                "value": {"addresses": ["127.0.0.1:10050"]},
                "version": "0",
            },
            "MSP": {
                "mod_policy": "Admins",
                "value": {
                    "config": {
                        "name": msp,
                        "root_certs": ["cm9vdA=="],
                        "tls_root_certs": ["dGxz"],
                        "fabric_node_ous": {"enable": True},
                    },
                    "type": 0,
                },
                "version": "0",
            },
        },
        "version": "0",
    }


def consenter(port: int, host: str = "127.0.0.1") -> dict:
    cert = f"tls-cert-of-{host}:{port}"  # base64 PEM in a real config; opaque here
    return {"host": host, "port": port, "client_tls_cert": cert, "server_tls_cert": cert}


def with_consenters(config: dict, consenters: list[dict]) -> dict:
    """`config` with an etcdraft ConsensusType whose metadata lists `consenters`."""
    config = copy.deepcopy(config)
    config["channel_group"]["groups"]["Orderer"]["values"]["ConsensusType"] = {
        "mod_policy": "Admins",
        "value": {
            "metadata": {"consenters": consenters, "options": {"tick_interval": "500ms"}},
            "state": "STATE_NORMAL",
            "type": "etcdraft",
        },
        "version": "0",
    }
    return config


def consortium_config() -> dict:
    """`consortium` as fetched: the founding members order it, each running a consenter."""
    return with_consenters(recorded_config(), [consenter(p) for p in FOUNDING_ORDERER_PORTS])


def river_channel_config(key: str = "RiverMSP") -> dict:
    """`community-river` as fetched: utility, river and regulator, each running a consenter.

    `key` is the name of River's groups (configtx's Name, which need not be the MSP id).
    """
    anchors = {"UtilityMSP": 7051, key: 10051, "RegulatorMSP": 9051}
    names = {"UtilityMSP": "UtilityMSP", key: "RiverMSP", "RegulatorMSP": "RegulatorMSP"}
    config = recorded_config()
    groups = config["channel_group"]["groups"]
    groups["Application"]["groups"] = {k: org_group(m, anchors[k]) for k, m in names.items()}
    groups["Orderer"]["groups"] = {k: org_group(m) for k, m in names.items()}
    return with_consenters(config, [consenter(7050), consenter(10050), consenter(9050)])


def section(config: dict, name: str) -> dict:
    return config["channel_group"]["groups"][name]


def consenters(config: dict) -> list[dict]:
    return section(config, "Orderer")["values"]["ConsensusType"]["value"]["metadata"]["consenters"]


# ---------------------------------------------------------------- add_application_org


def test_an_admitted_org_joins_the_application_section_with_its_peer_as_anchor():
    config = consortium_config()

    updated = add_application_org(config, RIVER, printed_org())

    joined = section(updated, "Application")["groups"]["RiverMSP"]
    expected = printed_org()
    del expected["values"]["Endpoints"]
    expected["values"]["AnchorPeers"] = {
        "mod_policy": "Admins",
        "value": {"anchor_peers": [{"host": "127.0.0.1", "port": 10051}]},
        "version": "0",
    }
    assert joined == expected
    assert anchor_peers(updated, "RiverMSP") == [("127.0.0.1", 10051)]
    assert application_msps(updated) == ["CommunityMSP", "RegulatorMSP", "RiverMSP", "UtilityMSP"]
    # Nothing else changes: not the Orderer section, not the consenters, not the other orgs.
    del section(updated, "Application")["groups"]["RiverMSP"]
    assert updated == config


def test_adding_an_org_changes_neither_the_config_nor_the_group_it_was_given():
    config, group = consortium_config(), printed_org()

    updated = add_application_org(config, RIVER, group)

    assert config == consortium_config()
    assert group == printed_org()
    # The result shares nothing with its inputs.
    joined = section(updated, "Application")["groups"]["RiverMSP"]
    joined["policies"]["Admins"]["mod_policy"] = "Writers"
    section(updated, "Application")["groups"]["UtilityMSP"]["values"].clear()
    assert group == printed_org()
    assert config == consortium_config()


@pytest.mark.parametrize(
    ("config", "org"),
    [
        (add_application_org(consortium_config(), RIVER, printed_org()), RIVER),
        (river_channel_config(key="River"), RIVER),
        (
            consortium_config(),
            Org("community", "CommunityMSP", "Sunnyside", "community", 8000),
        ),
    ],
    ids=["admitted before", "under another group key", "founding member"],
)
def test_an_org_already_on_the_channel_is_refused(config, org):
    with pytest.raises(ValueError) as refused:
        add_application_org(config, org, printed_org(org.msp_id))
    assert str(refused.value) == f"{org.msp_id} is already a member of this channel"


def test_application_msps_are_the_sorted_msp_names_not_the_group_keys():
    config = recorded_config()
    section(config, "Application")["groups"] = {
        "b-utility": org_group("UtilityMSP"),
        "a-regulator": org_group("RegulatorMSP"),
        "c-river": org_group("RiverMSP"),
    }
    assert application_msps(config) == ["RegulatorMSP", "RiverMSP", "UtilityMSP"]
    assert application_msps(recorded_config()) == sorted(MSPS)
    del section(config, "Application")["groups"]
    assert application_msps(config) == []


# ---------------------------------------------------------------- remove_org


@pytest.mark.parametrize("key", ["RiverMSP", "River"])
def test_removing_an_org_takes_out_its_groups_and_its_consenter(key):
    config = river_channel_config(key)

    updated = remove_org(config, RIVER)

    assert application_msps(updated) == ["RegulatorMSP", "UtilityMSP"]
    assert sorted(section(updated, "Orderer")["groups"]) == ["RegulatorMSP", "UtilityMSP"]
    assert consenters(updated) == [consenter(7050), consenter(9050)]
    # The others stay exactly as they were.
    expected = copy.deepcopy(config)
    del section(expected, "Application")["groups"][key]
    del section(expected, "Orderer")["groups"][key]
    consenters(expected).pop(1)
    assert updated == expected


def test_removing_an_org_changes_nothing_in_the_config_it_was_given():
    config = river_channel_config()

    updated = remove_org(config, RIVER)

    assert config == river_channel_config()
    consenters(updated).clear()
    assert consenters(config) == [consenter(7050), consenter(10050), consenter(9050)]


def test_an_org_without_a_consenter_leaves_the_raft_set_as_it_is():
    config = consortium_config()
    admitted = add_application_org(config, RIVER, printed_org())

    assert remove_org(admitted, RIVER) == config


def test_a_consenter_is_known_by_its_host_and_port():
    others = [consenter(10050, host="10.0.0.7"), consenter(10051), consenter(7050)]
    config = with_consenters(river_channel_config(), [*others[:2], consenter(10050), others[2]])

    assert consenters(remove_org(config, RIVER)) == others


@pytest.mark.parametrize(
    "config",
    [consortium_config(), with_consenters(recorded_config(), [consenter(10050)])],
    ids=["not a member", "only a stray consenter"],
)
def test_an_org_not_on_the_channel_cannot_be_removed(config):
    with pytest.raises(ValueError) as refused:
        remove_org(config, RIVER)
    assert str(refused.value) == "RiverMSP is not a member of this channel"


# ---------------------------------------------------------------- with configupdate's policy logic


def test_an_admitted_org_counts_in_the_majority_of_application_admins():
    config = consortium_config()
    admitted = add_application_org(config, RIVER, printed_org())
    before, after = section(config, "Application"), section(admitted, "Application")
    founders = {"UtilityMSP", "CommunityMSP"}

    assert satisfied(before, "Admins", founders)
    assert not satisfied(after, "Admins", founders)
    assert satisfied(after, "Admins", founders | {"RiverMSP"})
    assert requirement(admitted, "/Channel/Application/Admins", ()) == Requirement(
        "/Channel/Application/Admins",
        "MAJORITY Admins",
        ("CommunityMSP", "RegulatorMSP", "RiverMSP", "UtilityMSP"),
        3,
    )
    removed = remove_org(admitted, RIVER)
    assert requirement(removed, "/Channel/Application/Admins", ()).needed == 2


def test_admitting_an_org_needs_a_majority_of_the_present_application_admins():
    """The write set configtxlator computes for an addition, built by hand from the edit:
    the Application group's version goes up by one, the new org's group is new."""
    config = consortium_config()
    admitted = add_application_org(config, RIVER, printed_org())
    application = section(admitted, "Application")
    write_set = configtx_pb2.ConfigGroup(version=0)
    write_set.groups["Application"].version = int(application["version"]) + 1
    for key, group in application["groups"].items():
        write_set.groups["Application"].groups[key].version = int(group["version"])
    update = configtx_pb2.ConfigUpdate(channel_id="consortium", write_set=write_set)

    assert requirements(config, update.SerializeToString()) == (
        Requirement(
            "/Channel/Application/Admins",
            "MAJORITY Admins",
            tuple(sorted(MSPS)),
            2,
            ("Group /Channel/Application",),
        ),
    )
