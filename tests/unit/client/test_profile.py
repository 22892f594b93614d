"""The connection profile (`client/profile.py`): written, read back, and refused when broken.

A profile is what an org hands its applications, so it must read what GridLedger writes
and what fabric-samples writes (`connection-org1.json`), and say exactly which field of a
broken one is wrong.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from client_fakes import make_certificate
from cryptography.hazmat.primitives.asymmetric import ec

from client.profile import CAEntry, ConnectionProfile, NodeEntry, ProfileError

ROOT = make_certificate(ec.generate_private_key(ec.SECP256R1()), "ca-river")
OTHER_ROOT = make_certificate(ec.generate_private_key(ec.SECP256R1()), "ca-utility")
PEER = NodeEntry("peer0.river", "grpcs://10.0.0.5:10051", ROOT)
CA = CAEntry("ca-river", "https://10.0.0.5:10054", ROOT)
OWN_ORDERER = NodeEntry("orderer.RiverMSP.10.0.0.5:10050", "grpcs://10.0.0.5:10050", ROOT)
UTILITY_ORDERER = NodeEntry("orderer.UtilityMSP.10.0.0.1:7050", "grpcs://10.0.0.1:7050", OTHER_ROOT)
PROFILE = ConnectionProfile(
    organization="river",
    msp_id="RiverMSP",
    peers={PEER.name: PEER},
    certificate_authorities={CA.name: CA},
    orderers={OWN_ORDERER.name: OWN_ORDERER, UTILITY_ORDERER.name: UTILITY_ORDERER},
    channels={
        "consortium": (UTILITY_ORDERER.name, OWN_ORDERER.name),
        "community-river": (OWN_ORDERER.name,),
    },
)


def test_a_written_profile_loads_back_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "connection-river.json"
    path.write_text(PROFILE.dumps())

    loaded = ConnectionProfile.load(path)

    assert loaded == PROFILE
    assert loaded.peer == PEER and loaded.ca == CA
    assert loaded.channel_orderers("consortium") == [UTILITY_ORDERER, OWN_ORDERER]
    assert PEER.address == "10.0.0.5:10051"


def test_the_written_form_is_the_common_connection_profile() -> None:
    document = PROFILE.to_json()

    assert document["client"] == {"organization": "river"}
    assert document["organizations"] == {
        "river": {
            "mspid": "RiverMSP",
            "peers": ["peer0.river"],
            "certificateAuthorities": ["ca-river"],
        }
    }
    assert document["peers"]["peer0.river"] == {
        "url": "grpcs://10.0.0.5:10051",
        "tlsCACerts": {"pem": ROOT.decode()},
        "grpcOptions": {"ssl-target-name-override": "10.0.0.5"},
    }
    assert document["certificateAuthorities"]["ca-river"] == {
        "url": "https://10.0.0.5:10054",
        "caName": "ca-river",
        "tlsCACerts": {"pem": [ROOT.decode()]},
    }
    assert list(document["channels"]) == ["community-river", "consortium"]
    assert document["channels"]["consortium"]["orderers"] == [
        UTILITY_ORDERER.name,
        OWN_ORDERER.name,
    ]


def fabric_samples(peer_pem: Any, ca_pem: Any) -> dict[str, Any]:
    """A profile shaped as fabric-samples' test-network writes connection-org1.json."""
    return {
        "name": "test-network-org1",
        "version": "1.0.0",
        "client": {
            "organization": "Org1",
            "connection": {"timeout": {"peer": {"endorser": "300"}}},
        },
        "organizations": {
            "Org1": {
                "mspid": "Org1MSP",
                "peers": ["peer0.org1.example.com"],
                "certificateAuthorities": ["ca.org1.example.com"],
            }
        },
        "peers": {
            "peer0.org1.example.com": {
                "url": "grpcs://localhost:7051",
                "tlsCACerts": {"pem": peer_pem},
                "grpcOptions": {
                    "ssl-target-name-override": "peer0.org1.example.com",
                    "hostnameOverride": "peer0.org1.example.com",
                },
            }
        },
        "certificateAuthorities": {
            "ca.org1.example.com": {
                "url": "https://localhost:7054",
                "caName": "ca-org1",
                "tlsCACerts": {"pem": ca_pem},
                "httpOptions": {"verify": False},
            }
        },
    }


@pytest.mark.parametrize(
    ("peer_pem", "ca_pem"),
    [
        (ROOT.decode(), [ROOT.decode()]),
        ([ROOT.decode()], ROOT.decode()),
        ([ROOT.decode()[:100], ROOT.decode()[100:]], [ROOT.decode()]),
    ],
    ids=["fabric-samples", "swapped", "split-list"],
)
def test_a_fabric_samples_profile_is_read(peer_pem: Any, ca_pem: Any) -> None:
    profile = ConnectionProfile.from_json(fabric_samples(peer_pem, ca_pem))

    assert (profile.organization, profile.msp_id) == ("Org1", "Org1MSP")
    assert profile.peer == NodeEntry("peer0.org1.example.com", "grpcs://localhost:7051", ROOT)
    assert profile.ca == CAEntry("ca-org1", "https://localhost:7054", ROOT)
    assert (dict(profile.orderers), dict(profile.channels)) == ({}, {})


def changed(path: str, value: Any) -> dict[str, Any]:
    """PROFILE's JSON form with the field at `path` (parts split by `/`, as names hold
    dots) set to `value`, or deleted for `...`."""
    document = copy.deepcopy(PROFILE.to_json())
    *parents, leaf = path.split("/")
    node: Any = document
    for part in parents:
        node = node[part]
    if value is ...:
        del node[leaf]
    else:
        node[leaf] = value
    return document


PEER_KEY = "peers/peer0.river"
BROKEN = {
    "no-client": (changed("client", ...), "client must be an object"),
    "no-organization": (
        changed("client/organization", ...),
        "client.organization must be a non-empty string",
    ),
    "empty-organization": (
        changed("client/organization", ""),
        "client.organization must be a non-empty string",
    ),
    "unknown-organization": (
        changed("client/organization", "lake"),
        "organizations.lake must be an object",
    ),
    "no-organizations": (changed("organizations", ...), "organizations must be an object"),
    "no-mspid": (
        changed("organizations/river/mspid", ...),
        "organizations.river.mspid must be a non-empty string",
    ),
    "no-peers": (
        changed("organizations/river/peers", ...),
        "organizations.river.peers must be a list of names",
    ),
    "empty-peers": (
        changed("organizations/river/peers", []),
        "organizations.river.peers must name a peer",
    ),
    "no-cas": (
        changed("organizations/river/certificateAuthorities", ...),
        "organizations.river.certificateAuthorities must be a list of names",
    ),
    "empty-cas": (
        changed("organizations/river/certificateAuthorities", []),
        "organizations.river.certificateAuthorities must name a CA",
    ),
    "peer-undefined": (changed(PEER_KEY, ...), "peers.peer0.river must be an object"),
    "peer-http": (
        changed(f"{PEER_KEY}/url", "https://10.0.0.5:10051"),
        "peers.peer0.river.url 'https://10.0.0.5:10051' must be grpcs://host:port",
    ),
    "peer-no-port": (
        changed(f"{PEER_KEY}/url", "grpcs://10.0.0.5"),
        "peers.peer0.river.url 'grpcs://10.0.0.5' must be grpcs://host:port",
    ),
    "peer-no-tls": (
        changed(f"{PEER_KEY}/tlsCACerts", ...),
        "peers.peer0.river.tlsCACerts must be an object",
    ),
    "peer-pem-not-pem": (
        changed(f"{PEER_KEY}/tlsCACerts", {"pem": "hello"}),
        "peers.peer0.river.tlsCACerts.pem must hold a PEM certificate",
    ),
    "peer-pem-empty-list": (
        changed(f"{PEER_KEY}/tlsCACerts", {"pem": []}),
        "peers.peer0.river.tlsCACerts.pem must hold a PEM certificate",
    ),
    "ca-undefined": (
        changed("certificateAuthorities/ca-river", ...),
        "certificateAuthorities.ca-river must be an object",
    ),
    "ca-grpcs": (
        changed("certificateAuthorities/ca-river/url", "grpcs://10.0.0.5:10054"),
        "certificateAuthorities.ca-river.url 'grpcs://10.0.0.5:10054' must be https://host:port",
    ),
    "ca-no-name": (
        changed("certificateAuthorities/ca-river/caName", ...),
        "certificateAuthorities.ca-river.caName must be a non-empty string",
    ),
    "orderer-http": (
        changed(f"orderers/{OWN_ORDERER.name}/url", "http://10.0.0.5:10050"),
        f"orderers.{OWN_ORDERER.name}.url 'http://10.0.0.5:10050' must be grpcs://host:port",
    ),
    "orderers-list": (changed("orderers", []), "orderers must be an object"),
    "channel-orderer-undefined": (
        changed(f"orderers/{UTILITY_ORDERER.name}", ...),
        f"channels.consortium.orderers names unknown ['{UTILITY_ORDERER.name}']",
    ),
    "channel-names-unknown-orderer": (
        changed("channels/consortium/orderers", ["orderer.LakeMSP"]),
        "channels.consortium.orderers names unknown ['orderer.LakeMSP']",
    ),
    "channel-orderers-text": (
        changed("channels/consortium/orderers", UTILITY_ORDERER.name),
        "channels.consortium.orderers must be a list of names",
    ),
    "channel-not-object": (
        changed("channels/consortium", [UTILITY_ORDERER.name]),
        "channels.consortium must be an object",
    ),
    "channels-list": (changed("channels", ["consortium"]), "channels must be an object"),
}


@pytest.mark.parametrize(("document", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_profile_is_refused_naming_the_field(document: Any, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        ConnectionProfile.from_json(document)
    assert str(caught.value) == message


def test_an_orderer_a_channel_lists_must_be_defined_when_made_in_code() -> None:
    with pytest.raises(ProfileError) as caught:
        ConnectionProfile(
            "river", "RiverMSP", {PEER.name: PEER}, {CA.name: CA}, {}, {"consortium": ("o1", "o2")}
        )
    assert str(caught.value) == "channels.consortium.orderers names unknown ['o1', 'o2']"


def test_sections_an_org_on_no_channel_lacks_may_be_absent_or_null() -> None:
    document = changed("orderers", None)
    del document["channels"]

    profile = ConnectionProfile.from_json(document)

    assert (dict(profile.orderers), dict(profile.channels)) == ({}, {})


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (PROFILE, "river is not on channel community-lake; it is on: community-river, consortium"),
        (
            ConnectionProfile("river", "RiverMSP", {PEER.name: PEER}, {CA.name: CA}),
            "river is not on channel community-lake; it is on: none",
        ),
    ],
    ids=["two-channels", "no-channel"],
)
def test_the_orderers_of_a_channel_the_org_is_not_on_are_a_key_error(profile, message) -> None:
    with pytest.raises(KeyError) as caught:
        profile.channel_orderers("community-lake")
    assert caught.value.args == (message,)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read connection profile {path}: No such file or directory"),
        ("{", "{path} is not JSON: Expecting property name enclosed in double quotes"),
        ("[]", "client must be an object"),
    ],
    ids=["missing", "not-json", "not-an-object"],
)
def test_a_file_that_is_no_profile_is_refused(tmp_path: Path, content, message) -> None:
    path = tmp_path / "connection.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(ProfileError) as caught:
        ConnectionProfile.load(path)
    assert str(caught.value).startswith(message.format(path=path))


def test_a_profile_is_loaded_from_a_path_given_as_text(tmp_path: Path) -> None:
    path = tmp_path / "connection.json"
    path.write_text(json.dumps(PROFILE.to_json(), indent=None))

    assert ConnectionProfile.load(str(path)) == PROFILE
