"""An org's shape (`network/topology.py`): its ports, its record, the founding templates and
the communities admitted later."""

from __future__ import annotations

import dataclasses
import json

import pytest

from network.topology import (
    COMMUNITY,
    FOUNDING,
    FOUNDING_CHANNELS,
    LOCAL_SERVICES,
    PUBLIC_SERVICES,
    REGULATOR,
    UTILITY,
    Org,
    User,
    founding,
    new_community,
)

BLOCKS = (7000, 8000, 9000, 10000, 11000, 60000)
ALL_SERVICES = {**PUBLIC_SERVICES, **LOCAL_SERVICES}


def org_at(port_base: int, host: str = "127.0.0.1") -> Org:
    return Org("x" + str(port_base), f"X{port_base}MSP", "X", "community", port_base, host)


def test_every_service_has_its_own_offset_inside_a_block_of_a_thousand():
    offsets = list(ALL_SERVICES.values())
    servers = {100 + i for i in range(10)}  # chaincode servers 0-9, two of them named

    assert len(set(offsets)) == len(offsets)
    assert all(0 <= offset < 1000 for offset in offsets)
    assert {o for o in offsets if o in servers} == {100, 101}


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.7"])
def test_ports_of_different_orgs_never_meet(host):
    by_org = {
        base: [
            int(address.rsplit(":", 1)[1])
            for address in (
                *org.ports().values(),
                *(org.chaincode_address(i) for i in range(2, 10)),
            )
        ]
        for base, org in ((b, org_at(b, host)) for b in BLOCKS)
    }
    ports = [p for found in by_org.values() for p in found]

    assert len(set(ports)) == len(ports)
    for base, found in by_org.items():
        assert all(base <= p < base + 1000 for p in found)


def test_ports_names_each_service_and_binds_public_ones_to_the_host():
    ports = org_at(10000, host="10.0.0.7").ports()

    assert ports == {
        "orderer": "10.0.0.7:10050",
        "peer": "10.0.0.7:10051",
        "ca": "10.0.0.7:10054",
        "api": "10.0.0.7:10800",
        "orderer-admin": "127.0.0.1:10053",
        "orderer-operations": "127.0.0.1:10444",
        "peer-chaincode": "127.0.0.1:10052",
        "peer-operations": "127.0.0.1:10443",
        "peer-profile": "127.0.0.1:10060",
        "ca-operations": "127.0.0.1:10445",
        "chaincode-consortium": "127.0.0.1:10100",
        "chaincode-community": "127.0.0.1:10101",
    }


def test_an_orgs_addresses_follow_its_host_and_block():
    org = dataclasses.replace(REGULATOR, host="10.0.0.9")

    assert (org.peer_address, org.orderer_address) == ("10.0.0.9:9051", "10.0.0.9:9050")
    assert org.orderer_admin_address == "127.0.0.1:9053"
    assert (org.ca_url, org.ca_name) == ("https://10.0.0.9:9054", "ca-regulator")
    assert org.api_url == "http://10.0.0.9:9800"
    assert org.chaincode_address(2) == "127.0.0.1:9102"


# ---------------------------------------------------------------- the org's record


@pytest.mark.parametrize("org", [*FOUNDING, new_community("riverside", 10000, "10.0.0.3")])
def test_an_orgs_record_round_trips_through_json(org):
    record = json.loads(json.dumps(org.to_json()))

    assert record["format"] == "gridledger/org/1"
    assert Org.from_json(record) == org


def test_the_record_carries_every_field_and_each_users_attributes():
    assert COMMUNITY.to_json()["users"][0] == {
        "name": "household1",
        "role": "household",
        "attributes": {"household_id": "h-001"},
    }
    assert set(UTILITY.to_json()) == {
        "format",
        "key",
        "msp_id",
        "display_name",
        "kind",
        "port_base",
        "host",
        "users",
        "runtime",
    }


@pytest.mark.parametrize(
    "record",
    [
        {**UTILITY.to_json(), "format": "gridledger/org/2"},
        {k: v for k, v in UTILITY.to_json().items() if k != "format"},
        {"format": None},
    ],
    ids=["other-version", "no-format", "null-format"],
)
def test_a_record_of_another_format_is_refused(record):
    with pytest.raises(ValueError) as caught:
        Org.from_json(record)
    assert str(caught.value) == "not a gridledger/org/1 record"


# ---------------------------------------------------------------- founding members


def test_the_founding_templates_are_the_three_members_in_their_blocks():
    assert [(o.key, o.msp_id, o.kind, o.port_base) for o in FOUNDING] == [
        ("utility", "UtilityMSP", "utility", 7000),
        ("community", "CommunityMSP", "community", 8000),
        ("regulator", "RegulatorMSP", "regulator", 9000),
    ]
    assert {o.host for o in FOUNDING} == {"127.0.0.1"}
    assert [u.role for u in UTILITY.users] == ["operator", "billing", "meter", "ven"]
    assert [u.attributes["household_id"] for u in COMMUNITY.users[:4]] == [
        "h-001",
        "h-002",
        "h-009",
        "h-010",
    ]
    assert REGULATOR.users == (User("auditor1", "regulator"),)


@pytest.mark.parametrize(("key", "org"), [(o.key, o) for o in FOUNDING] + [("riverside", None)])
def test_founding_finds_a_template_by_key(key, org):
    assert founding(key) is org


def test_the_founding_channels_have_all_three_members_and_each_runs_a_consenter():
    assert [(c.name, c.orgs, c.orderer_orgs) for c in FOUNDING_CHANNELS] == [
        (
            "consortium",
            ("utility", "community", "regulator"),
            ("utility", "community", "regulator"),
        ),
        (
            "community-sunnyside",
            ("utility", "community", "regulator"),
            ("utility", "community", "regulator"),
        ),
    ]


# ---------------------------------------------------------------- communities admitted later


@pytest.mark.parametrize("key", ["R", "a", "river-side", "1river", "r" * 32, "River", "", "r_s"])
def test_a_new_community_needs_a_key_of_2_to_31_lowercase_letters_or_digits(key):
    with pytest.raises(ValueError) as caught:
        new_community(key, 10000)
    assert str(caught.value) == f"org key {key!r} must be 2-31 lowercase letters or digits"


@pytest.mark.parametrize("key", ["ab", "r2d2", "r" * 31])
def test_a_new_community_takes_a_well_formed_key(key):
    assert new_community(key, 10000).key == key


def test_a_new_community_defaults_to_its_keys_names_two_households_and_loopback():
    assert new_community("riverside", 12000) == Org(
        key="riverside",
        msp_id="RiversideMSP",
        display_name="Riverside Energy Cooperative",
        kind="community",
        port_base=12000,
        host="127.0.0.1",
        users=(
            User("household1", "household", {"household_id": "h-riverside-001"}),
            User("household2", "household", {"household_id": "h-riverside-002"}),
        ),
    )


@pytest.mark.parametrize(
    ("names", "msp_id", "display_name"),
    [
        ({"msp_id": "RiverMSP", "display_name": "Riverside Power"}, "RiverMSP", "Riverside Power"),
        ({"msp_id": "", "display_name": ""}, "RiversideMSP", "Riverside Energy Cooperative"),
        ({"msp_id": "RiverMSP"}, "RiverMSP", "Riverside Energy Cooperative"),
    ],
    ids=["both", "empty-means-default", "msp-only"],
)
def test_a_new_community_takes_its_names_and_host(names, msp_id, display_name):
    org = new_community("riverside", 10000, "10.0.0.3", **names)

    assert (org.msp_id, org.display_name, org.host) == (msp_id, display_name, "10.0.0.3")
