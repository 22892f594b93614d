import pytest
import yaml

from network.install import fabric_sampleconfig
from network.nodeconfig import apply, orderer_overrides, peer_overrides, set_path
from network.topology import ORGS, UTILITY


def test_apply_overrides_nested_values_and_keeps_the_rest():
    tree = {"peer": {"tls": {"enabled": False, "cert": {"file": "x"}}, "id": "jdoe"}}
    apply(tree, {"peer.tls.enabled": True, "peer.id": "peer0"})
    assert tree == {"peer": {"tls": {"enabled": True, "cert": {"file": "x"}}, "id": "peer0"}}


def test_an_override_outside_the_defaults_is_refused():
    with pytest.raises(KeyError, match="'gosip' is not a section"):
        set_path({"peer": {}}, "peer.gosip.bootstrap", "x")


@pytest.fixture(scope="module")
def sampleconfig():
    return fabric_sampleconfig()


@pytest.mark.parametrize("org", ORGS, ids=lambda o: o.key)
def test_peer_overrides_fit_fabrics_own_core_yaml(sampleconfig, org):
    core = yaml.safe_load((sampleconfig / "core.yaml").read_text())
    config = apply(core, peer_overrides(org))
    assert config["peer"]["tls"]["enabled"] and config["peer"]["tls"]["clientAuthRequired"]
    assert config["peer"]["gateway"]["enabled"] is True
    assert config["vm"]["endpoint"] == ""
    assert config["peer"]["listenAddress"] == org.peer_address
    assert config["peer"]["gossip"]["externalEndpoint"] == org.peer_address
    assert config["ledger"]["state"]["stateDatabase"] == "goleveldb"
    assert len(config["peer"]["tls"]["clientRootCAs"]["files"]) == len(ORGS)


def test_orderer_overrides_fit_fabrics_own_orderer_yaml(sampleconfig):
    defaults = yaml.safe_load((sampleconfig / "orderer.yaml").read_text())
    config = apply(defaults, orderer_overrides(UTILITY))
    assert config["General"]["ListenPort"] == 7050
    assert config["General"]["TLS"]["ClientAuthRequired"] is True
    assert config["Admin"]["TLS"]["Enabled"] and config["Admin"]["TLS"]["ClientAuthRequired"]
    assert config["ChannelParticipation"]["Enabled"] is True
    assert config["Admin"]["ListenAddress"] == "127.0.0.1:7053"
