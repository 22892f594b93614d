"""Peer and orderer configuration: Fabric's own defaults with GridLedger's overrides.

`core.yaml` and `orderer.yaml` are the pinned Fabric module's own `sampleconfig`
(copied into `.tools/fabric-config` by `install`, never edited by hand); the settings
that differ are overridden by dotted path, and the result is written next to the
node's data. Every override is listed in one function per node kind, so what
GridLedger changes is visible at a glance.

A node trusts, for mutual TLS, only its own org's CA here: Fabric adds every channel
member's TLS roots from the channel configurations it holds, so a node needs no other
org's file and learns a newcomer from the config update that admits it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from network.home import OrgHome, write_private
from network.paths import FABRIC_CONFIG
from network.runtime import builder_dir
from network.topology import (
    LOOPBACK,
    ORDERER_OFFSET,
    ORDERER_OPERATIONS_OFFSET,
    PEER_CHAINCODE_OFFSET,
    PEER_OFFSET,
    PEER_OPERATIONS_OFFSET,
    PEER_PROFILE_OFFSET,
)

GOSSIP_RECONNECT = "1s"
RECONCILE_INTERVAL = "10s"
# Gateway calls a peer runs at once (endorse, submit, commit status, event streams); more
# are turned away before they run, and the client sends them again after a backoff.
# Fabric's 500 lets a peer take on minutes of work. The limit counts calls, not work:
# 64 is 4x the readings' best load (16 transactions of 200 meter-days) and twice the
# market's. A limit of 24 did not keep 64 such transactions offered from slowing the
# peers (20,480 to 38,400 readings/s against 53,760 at 16 in flight, 30-s runs), and
# would turn small calls away with them; the work a head-end offers is limited by the
# API's gate (api/backpressure.py)
GATEWAY_CONCURRENCY = 64


def set_path(tree: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in a nested dict, failing loudly if a parent is not in the defaults."""
    *parents, leaf = dotted.split(".")
    node = tree
    for key in parents:
        if not isinstance(node.get(key), dict):
            raise KeyError(f"{dotted}: {key!r} is not a section of the default configuration")
        node = node[key]
    node[leaf] = value


def apply(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    for dotted, value in overrides.items():
        set_path(defaults, dotted, value)
    return defaults


def peer_overrides(home: OrgHome) -> dict[str, Any]:
    org = home.org
    tls = home.identity_tls("peer0")
    ca_cert = str(home.ca_cert)
    return {
        "peer.id": f"peer0.{org.key}",
        "peer.networkId": "gridledger",
        "peer.listenAddress": f"{org.listen_host}:{org.port(PEER_OFFSET)}",
        "peer.address": org.peer_address,
        "peer.chaincodeListenAddress": f"{LOOPBACK}:{org.port(PEER_CHAINCODE_OFFSET)}",
        "peer.chaincodeAddress": f"{LOOPBACK}:{org.port(PEER_CHAINCODE_OFFSET)}",
        "peer.gateway.enabled": True,
        "peer.limits.concurrency.gatewayService": GATEWAY_CONCURRENCY,
        "peer.gossip.bootstrap": org.peer_address,
        "peer.gossip.externalEndpoint": org.peer_address,
        "peer.gossip.useLeaderElection": True,
        "peer.gossip.orgLeader": False,
        "peer.gossip.reconnectInterval": GOSSIP_RECONNECT,
        # a peer that was down pulls the private data it missed this often (Fabric: 1m)
        "peer.gossip.pvtData.reconcileSleepInterval": RECONCILE_INTERVAL,
        "peer.tls.enabled": True,
        "peer.tls.clientAuthRequired": True,
        "peer.tls.cert.file": str(tls / "cert.pem"),
        "peer.tls.key.file": str(tls / "key.pem"),
        "peer.tls.rootcert.file": str(tls / "ca.pem"),
        "peer.tls.clientRootCAs.files": [ca_cert],
        "peer.fileSystemPath": str(home.peer / "data"),
        "peer.mspConfigPath": str(home.identity_msp("peer0")),
        "peer.localMspId": org.msp_id,
        "vm.endpoint": "",
        "chaincode.externalBuilders": [
            {"name": "gridledger-ccaas", "path": str(builder_dir(home))},
        ],
        "ledger.state.stateDatabase": "goleveldb",
        "ledger.snapshots.rootDir": str(home.peer / "data" / "snapshots"),
        "operations.listenAddress": f"{LOOPBACK}:{org.port(PEER_OPERATIONS_OFFSET)}",
        "operations.tls.enabled": True,
        "operations.tls.cert.file": str(tls / "cert.pem"),
        "operations.tls.key.file": str(tls / "key.pem"),
        "operations.tls.clientAuthRequired": True,
        "operations.tls.clientRootCAs.files": [ca_cert],
        "metrics.provider": "prometheus",
        # Go's pprof, on loopback only: `make bench` reads where the peer's CPU goes
        "peer.profile.enabled": True,
        "peer.profile.listenAddress": f"{LOOPBACK}:{org.port(PEER_PROFILE_OFFSET)}",
    }


def orderer_overrides(home: OrgHome) -> dict[str, Any]:
    org = home.org
    tls = home.identity_tls("orderer0")
    ca_cert = str(home.ca_cert)
    data = home.orderer / "data"
    return {
        "General.ListenAddress": org.listen_host,
        "General.ListenPort": org.port(ORDERER_OFFSET),
        "General.TLS.Enabled": True,
        "General.TLS.PrivateKey": str(tls / "key.pem"),
        "General.TLS.Certificate": str(tls / "cert.pem"),
        "General.TLS.RootCAs": [str(tls / "ca.pem")],
        "General.TLS.ClientAuthRequired": True,
        "General.TLS.ClientRootCAs": [ca_cert],
        "General.Cluster.ClientCertificate": str(tls / "cert.pem"),
        "General.Cluster.ClientPrivateKey": str(tls / "key.pem"),
        "General.LocalMSPDir": str(home.identity_msp("orderer0")),
        "General.LocalMSPID": org.msp_id,
        "FileLedger.Location": str(data / "ledger"),
        "Operations.ListenAddress": f"{LOOPBACK}:{org.port(ORDERER_OPERATIONS_OFFSET)}",
        "Operations.TLS.Enabled": True,
        "Operations.TLS.Certificate": str(tls / "cert.pem"),
        "Operations.TLS.PrivateKey": str(tls / "key.pem"),
        "Operations.TLS.ClientAuthRequired": True,
        "Operations.TLS.ClientRootCAs": [ca_cert],
        "Metrics.Provider": "prometheus",
        "Admin.ListenAddress": org.orderer_admin_address,
        "Admin.TLS.Enabled": True,
        "Admin.TLS.Certificate": str(tls / "cert.pem"),
        "Admin.TLS.PrivateKey": str(tls / "key.pem"),
        "Admin.TLS.ClientAuthRequired": True,
        "Admin.TLS.ClientRootCAs": [ca_cert],
        "ChannelParticipation.Enabled": True,
        "Consensus.WALDir": str(data / "etcdraft" / "wal"),
        "Consensus.SnapDir": str(data / "etcdraft" / "snapshot"),
    }


def render(sample: Path, overrides: dict[str, Any], out: Path) -> Path:
    tree = yaml.safe_load(sample.read_text())
    write_private(out, yaml.safe_dump(apply(tree, overrides), sort_keys=False))
    return out


def write_peer_config(home: OrgHome) -> Path:
    return render(FABRIC_CONFIG / "core.yaml", peer_overrides(home), home.peer / "core.yaml")


def write_orderer_config(home: OrgHome) -> Path:
    sample = FABRIC_CONFIG / "orderer.yaml"
    return render(sample, orderer_overrides(home), home.orderer / "orderer.yaml")
