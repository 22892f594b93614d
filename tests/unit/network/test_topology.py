import json

import pytest

from network.topology import (
    ACTIVE,
    CHANNELS,
    JOINING,
    ORGS,
    REGULATOR,
    REMOVED,
    UTILITY,
    WITHDRAWN,
    Admission,
    Org,
    User,
    admission,
    admissions,
    all_ports,
    channel_by_name,
    channels,
    next_port_base,
    org_by_key,
    org_by_msp,
    orgs,
    save_admission,
)


@pytest.fixture(autouse=True)
def run_folder(tmp_path, monkeypatch):
    """Every test here reads an empty run folder of its own, never the repository's `run/`."""
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path))
    return tmp_path


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


# ---------------------------------------------------------------- orgs admitted at run time


def community(key: str, port_base: int, users: tuple[User, ...] = ()) -> Org:
    name = key.capitalize()
    return Org(key, f"{name}MSP", name, "community", port_base, users)


def admit(key: str, port_base: int, status: str) -> Org:
    org = community(key, port_base)
    save_admission(Admission(org, status))
    return org


def test_no_org_is_admitted_without_a_members_folder(run_folder):
    assert not (run_folder / "members").exists()
    assert admissions() == ()
    assert admission("river") is None
    assert orgs() == ORGS
    assert [(c.name, c.orgs, c.orderer_orgs) for c in channels()] == [
        ("consortium", ORGS, ORGS),
        ("community-sunnyside", ORGS, ORGS),
    ]


def test_an_admission_survives_its_json_file(run_folder):
    users = (
        User("household1", "household", {"household_id": "r-001"}),
        User("advisor1", "third_party"),
    )
    river = community("river", 10000, users)

    save_admission(Admission(river, JOINING))

    assert admission("river") == Admission(river, JOINING)
    assert admission("river").org.users[0].attributes == {"household_id": "r-001"}
    assert admission("lake") is None
    record = json.loads((run_folder / "members" / "river.json").read_text())
    assert (record["format"], record["status"]) == ("gridledger/member/1", "joining")
    save_admission(Admission(river, ACTIVE))
    assert admissions() == (Admission(river, ACTIVE),)
    assert sorted(p.name for p in (run_folder / "members").iterdir()) == ["river.json"]


def test_admissions_are_listed_in_order_of_their_ports():
    admit("zeta", 10000, ACTIVE)
    admit("alpha", 11000, REMOVED)
    admit("mid", 12000, JOINING)

    assert [a.org.key for a in admissions()] == ["zeta", "alpha", "mid"]


def test_an_admitted_org_takes_the_next_free_block_of_ports_removed_ones_included():
    assert next_port_base() == 10000
    river = admit("river", 10000, JOINING)
    assert next_port_base() == 11000
    save_admission(Admission(river, REMOVED))
    assert next_port_base() == 11000
    admit("lake", 11000, ACTIVE)
    assert next_port_base() == 12000


def test_orgs_are_the_founding_members_then_the_joining_and_active_ones():
    lake = admit("lake", 10000, JOINING)
    admit("marsh", 11000, REMOVED)
    river = admit("river", 12000, ACTIVE)
    admit("fen", 13000, WITHDRAWN)

    assert orgs() == (*ORGS, lake, river)


def test_channels_follow_the_admissions():
    admit("lake", 10000, JOINING)
    marsh = admit("marsh", 11000, REMOVED)
    river = admit("river", 12000, ACTIVE)
    admit("fen", 13000, WITHDRAWN)

    found = {c.name: c for c in channels()}

    assert list(found) == [
        "consortium",
        "community-sunnyside",
        "community-river",
        "community-marsh",
    ]
    assert found["consortium"].orgs == (*ORGS, river)
    assert found["consortium"].orderer_orgs == ORGS
    assert found["community-sunnyside"] == CHANNELS[1]
    assert found["community-river"].orgs == (UTILITY, river, REGULATOR)
    assert found["community-river"].orderer_orgs == (UTILITY, river, REGULATOR)
    assert found["community-marsh"].orgs == (UTILITY, REGULATOR)
    assert found["community-marsh"].orderer_orgs == (UTILITY, REGULATOR)
    assert marsh not in found["consortium"].orgs
    assert channel_by_name("community-river") == found["community-river"]


def test_admitted_orgs_are_found_by_key_and_msp_removed_ones_are_not():
    river = admit("river", 10000, ACTIVE)
    lake = admit("lake", 11000, JOINING)
    admit("marsh", 12000, REMOVED)

    assert org_by_key("river") == river
    assert org_by_msp("LakeMSP") == lake
    with pytest.raises(KeyError) as by_key:
        org_by_key("marsh")
    assert by_key.value.args[0] == (
        "unknown org 'marsh'; known: utility, community, regulator, river, lake"
    )
    with pytest.raises(KeyError) as by_msp:
        org_by_msp("MarshMSP")
    assert by_msp.value.args[0] == (
        "unknown MSP 'MarshMSP'; known: UtilityMSP, CommunityMSP, RegulatorMSP, RiverMSP, LakeMSP"
    )


def test_a_channel_not_yet_created_is_unknown():
    admit("river", 10000, ACTIVE)
    admit("lake", 11000, JOINING)

    with pytest.raises(KeyError) as unknown:
        channel_by_name("community-lake")
    assert unknown.value.args[0] == (
        "unknown channel 'community-lake'; known: consortium, community-sunnyside, community-river"
    )


def test_a_record_of_another_format_is_refused(run_folder):
    record = Admission(community("river", 10000), ACTIVE).to_json()
    assert Admission.from_json(record) == Admission(community("river", 10000), ACTIVE)

    with pytest.raises(ValueError) as refused:
        Admission.from_json({**record, "format": "gridledger/member/0"})
    assert str(refused.value) == "not a gridledger/member/1 record"
    (run_folder / "members").mkdir()
    (run_folder / "members" / "river.json").write_text(json.dumps({**record, "format": None}))
    with pytest.raises(ValueError, match="not a gridledger/member/1 record"):
        admissions()


def test_every_port_includes_those_of_running_admitted_orgs():
    admit("river", 10000, ACTIVE)
    admit("lake", 11000, JOINING)
    admit("marsh", 12000, REMOVED)

    ports = all_ports()

    assert {k: v for k, v in ports.items() if k.startswith("river.")} == {
        "river.orderer": 10050,
        "river.orderer-admin": 10053,
        "river.orderer-operations": 10444,
        "river.peer": 10051,
        "river.peer-chaincode": 10052,
        "river.peer-operations": 10443,
        "river.peer-profile": 10060,
        "river.ca": 10054,
        "river.ca-operations": 10445,
    }
    assert ports["lake.peer"] == 11051
    assert not any(k.startswith("marsh.") for k in ports)
    assert len(set(ports.values())) == len(ports) == 9 * 5
