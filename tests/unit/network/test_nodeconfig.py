"""Peer and orderer configuration (`network/nodeconfig.py`): Fabric's own defaults with the
overrides of one org's home.

The org here listens on 10.0.0.5, so an address that should be the org's host and one
that should be loopback cannot be mistaken for each other. Each node trusts its own
org's CA only; everything an operator alone should reach listens on loopback.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml
from network_builders import home_of

from network.nodeconfig import (
    GATEWAY_CONCURRENCY,
    apply,
    orderer_overrides,
    peer_overrides,
    render,
    set_path,
    write_orderer_config,
    write_peer_config,
)
from network.paths import BUILDER_DIR, FABRIC_CONFIG
from network.topology import UTILITY

HOST = "10.0.0.5"


@pytest.fixture
def home(tmp_path):
    return home_of(tmp_path, dataclasses.replace(UTILITY, host=HOST))


def peer(home) -> dict[str, Any]:
    return apply(yaml.safe_load((FABRIC_CONFIG / "core.yaml").read_text()), peer_overrides(home))


def orderer(home) -> dict[str, Any]:
    defaults = yaml.safe_load((FABRIC_CONFIG / "orderer.yaml").read_text())
    return apply(defaults, orderer_overrides(home))


def at(tree: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        tree = tree[key]
    return tree


def test_apply_overrides_nested_values_and_keeps_the_rest():
    tree = {"peer": {"tls": {"enabled": False, "cert": {"file": "x"}}, "id": "jdoe"}}

    assert apply(tree, {"peer.tls.enabled": True, "peer.id": "peer0"}) is tree
    assert tree == {"peer": {"tls": {"enabled": True, "cert": {"file": "x"}}, "id": "peer0"}}


@pytest.mark.parametrize(
    ("dotted", "key"),
    [("peer.gosip.bootstrap", "gosip"), ("peer.id.value", "id"), ("nopeer.id", "nopeer")],
    ids=["typo", "leaf-not-a-section", "no-top-section"],
)
def test_an_override_outside_the_defaults_is_refused(dotted, key):
    with pytest.raises(KeyError) as caught:
        set_path({"peer": {"id": "jdoe", "gossip": {}}}, dotted, "x")
    assert caught.value.args == (
        f"{dotted}: {key!r} is not a section of the default configuration",
    )


PEER_ADDRESSES = {
    "peer.listenAddress": f"{HOST}:7051",
    "peer.address": f"{HOST}:7051",
    "peer.gossip.bootstrap": f"{HOST}:7051",
    "peer.gossip.externalEndpoint": f"{HOST}:7051",
    "peer.chaincodeListenAddress": "127.0.0.1:7052",
    "peer.chaincodeAddress": "127.0.0.1:7052",
    "operations.listenAddress": "127.0.0.1:7443",
    "peer.profile.listenAddress": "127.0.0.1:7060",
}


@pytest.mark.parametrize(("dotted", "address"), PEER_ADDRESSES.items(), ids=PEER_ADDRESSES.keys())
def test_the_peer_listens_on_the_orgs_host_and_on_loopback_for_the_rest(home, dotted, address):
    assert at(peer(home), dotted) == address


ORDERER_ADDRESSES = {
    "General.ListenAddress": HOST,
    "General.ListenPort": 7050,
    "Admin.ListenAddress": "127.0.0.1:7053",
    "Operations.ListenAddress": "127.0.0.1:7444",
}


@pytest.mark.parametrize(
    ("dotted", "address"), ORDERER_ADDRESSES.items(), ids=ORDERER_ADDRESSES.keys()
)
def test_the_orderer_listens_on_the_orgs_host_and_its_admin_on_loopback(home, dotted, address):
    assert at(orderer(home), dotted) == address


@pytest.mark.parametrize(
    ("node", "dotted"),
    [
        (peer, "peer.tls.clientRootCAs.files"),
        (peer, "operations.tls.clientRootCAs.files"),
        (orderer, "General.TLS.ClientRootCAs"),
        (orderer, "Operations.TLS.ClientRootCAs"),
        (orderer, "Admin.TLS.ClientRootCAs"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_mutual_tls_trusts_only_the_orgs_own_ca(home, node, dotted):
    assert at(node(home), dotted) == [str(home.ca_cert)]


@pytest.mark.parametrize(
    ("node", "dotted"),
    [
        (peer, "peer.tls.enabled"),
        (peer, "peer.tls.clientAuthRequired"),
        (peer, "operations.tls.enabled"),
        (peer, "operations.tls.clientAuthRequired"),
        (peer, "peer.gateway.enabled"),
        (orderer, "General.TLS.Enabled"),
        (orderer, "General.TLS.ClientAuthRequired"),
        (orderer, "Admin.TLS.Enabled"),
        (orderer, "Admin.TLS.ClientAuthRequired"),
        (orderer, "Operations.TLS.ClientAuthRequired"),
        (orderer, "ChannelParticipation.Enabled"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_every_listener_requires_tls_with_client_certificates(home, node, dotted):
    assert at(node(home), dotted) is True


def test_the_nodes_keys_data_and_identity_are_the_homes_own(home):
    core, ordering = peer(home), orderer(home)
    peer_tls, orderer_tls = home.identity_tls("peer0"), home.identity_tls("orderer0")

    assert core["peer"]["tls"]["cert"]["file"] == str(peer_tls / "cert.pem")
    assert core["peer"]["tls"]["key"]["file"] == str(peer_tls / "key.pem")
    assert core["peer"]["mspConfigPath"] == str(home.identity_msp("peer0"))
    assert (core["peer"]["localMspId"], core["peer"]["id"]) == ("UtilityMSP", "peer0.utility")
    assert core["peer"]["fileSystemPath"] == str(home.peer / "data")
    assert core["chaincode"]["externalBuilders"] == [
        {"name": "gridledger-ccaas", "path": str(BUILDER_DIR)}
    ]
    assert (core["vm"]["endpoint"], core["ledger"]["state"]["stateDatabase"]) == ("", "goleveldb")
    general = ordering["General"]
    assert general["TLS"]["PrivateKey"] == str(orderer_tls / "key.pem")
    assert general["Cluster"]["ClientCertificate"] == str(orderer_tls / "cert.pem")
    assert (general["LocalMSPDir"], general["LocalMSPID"]) == (
        str(home.identity_msp("orderer0")),
        "UtilityMSP",
    )
    assert ordering["FileLedger"]["Location"] == str(home.orderer / "data" / "ledger")


@pytest.mark.parametrize(
    ("write", "node", "path"),
    [
        (write_peer_config, peer, "peer/core.yaml"),
        (write_orderer_config, orderer, "orderer/orderer.yaml"),
    ],
    ids=["peer", "orderer"],
)
def test_the_configuration_is_written_privately_into_the_home(home, write, node, path):
    written = write(home)

    assert written == home.path / path
    assert yaml.safe_load(written.read_text()) == node(home)
    assert written.stat().st_mode & 0o777 == 0o600


def test_render_fails_loudly_on_a_path_not_in_the_defaults_and_writes_nothing(home):
    out = home.peer / "core.yaml"

    with pytest.raises(KeyError) as caught:
        render(FABRIC_CONFIG / "core.yaml", {"peer.gossip.nosuch.thing": 1}, out)

    assert caught.value.args == (
        "peer.gossip.nosuch.thing: 'nosuch' is not a section of the default configuration",
    )
    assert not out.exists()


def test_the_peer_turns_away_gateway_calls_over_its_limit_and_keeps_fabrics_others(home):
    limits = peer(home)["peer"]["limits"]["concurrency"]
    assert limits["gatewayService"] == GATEWAY_CONCURRENCY < 500
    assert (limits["endorserService"], limits["deliverService"]) == (2500, 2500)
