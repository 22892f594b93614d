"""Peer and orderer configuration: Fabric's own defaults with GridLedger's overrides.

`core.yaml` and `orderer.yaml` are read from the pinned Fabric module's
`sampleconfig` (never from a copy of ours), the settings that differ are overridden
by dotted path, and the result is written next to the node's data. Every override
is listed in one function per node kind, so what GridLedger changes is visible at
a glance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from network.ca import OrgCA, private_key
from network.paths import BUILDER_DIR, org_dir
from network.topology import (
    HOST,
    ORDERER_OFFSET,
    ORDERER_OPERATIONS_OFFSET,
    PEER_CHAINCODE_OFFSET,
    PEER_OPERATIONS_OFFSET,
    PEER_PROFILE_OFFSET,
    Org,
    orgs,
)

GOSSIP_RECONNECT = "1s"
RECONCILE_INTERVAL = "10s"


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


def peer_dir(org: Org) -> Path:
    return org_dir(org.key) / "peer"


def orderer_dir(org: Org) -> Path:
    return org_dir(org.key) / "orderer"


def all_ca_certs() -> list[str]:
    return [str(OrgCA(o).ca_cert) for o in orgs()]


def peer_overrides(org: Org) -> dict[str, Any]:
    ca = OrgCA(org)
    tls = ca.tls("peer0")
    msp = ca.msp("peer0")
    return {
        "peer.id": f"peer0.{org.key}",
        "peer.networkId": "gridledger",
        "peer.listenAddress": org.peer_address,
        "peer.address": org.peer_address,
        "peer.chaincodeListenAddress": f"{HOST}:{org.port(PEER_CHAINCODE_OFFSET)}",
        "peer.chaincodeAddress": f"{HOST}:{org.port(PEER_CHAINCODE_OFFSET)}",
        "peer.gateway.enabled": True,
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
        "peer.tls.clientRootCAs.files": all_ca_certs(),
        "peer.fileSystemPath": str(peer_dir(org) / "data"),
        "peer.mspConfigPath": str(msp),
        "peer.localMspId": org.msp_id,
        "vm.endpoint": "",
        "chaincode.externalBuilders": [
            {"name": "gridledger-ccaas", "path": str(BUILDER_DIR)},
        ],
        "ledger.state.stateDatabase": "goleveldb",
        "ledger.snapshots.rootDir": str(peer_dir(org) / "data" / "snapshots"),
        "operations.listenAddress": f"{HOST}:{org.port(PEER_OPERATIONS_OFFSET)}",
        "operations.tls.enabled": True,
        "operations.tls.cert.file": str(tls / "cert.pem"),
        "operations.tls.key.file": str(tls / "key.pem"),
        "operations.tls.clientAuthRequired": True,
        "operations.tls.clientRootCAs.files": [str(ca.ca_cert)],
        "metrics.provider": "prometheus",
        # Go's pprof, on loopback only: `make bench` reads where the peer's CPU goes
        "peer.profile.enabled": True,
        "peer.profile.listenAddress": f"{HOST}:{org.port(PEER_PROFILE_OFFSET)}",
    }


def orderer_overrides(org: Org) -> dict[str, Any]:
    ca = OrgCA(org)
    tls = ca.tls("orderer0")
    data = orderer_dir(org) / "data"
    return {
        "General.ListenAddress": HOST,
        "General.ListenPort": org.port(ORDERER_OFFSET),
        "General.TLS.Enabled": True,
        "General.TLS.PrivateKey": str(tls / "key.pem"),
        "General.TLS.Certificate": str(tls / "cert.pem"),
        "General.TLS.RootCAs": [str(tls / "ca.pem")],
        "General.TLS.ClientAuthRequired": True,
        "General.TLS.ClientRootCAs": all_ca_certs(),
        "General.Cluster.ClientCertificate": str(tls / "cert.pem"),
        "General.Cluster.ClientPrivateKey": str(tls / "key.pem"),
        "General.LocalMSPDir": str(ca.msp("orderer0")),
        "General.LocalMSPID": org.msp_id,
        "FileLedger.Location": str(data / "ledger"),
        "Operations.ListenAddress": f"{HOST}:{org.port(ORDERER_OPERATIONS_OFFSET)}",
        "Operations.TLS.Enabled": True,
        "Operations.TLS.Certificate": str(tls / "cert.pem"),
        "Operations.TLS.PrivateKey": str(tls / "key.pem"),
        "Operations.TLS.ClientAuthRequired": True,
        "Operations.TLS.ClientRootCAs": [str(ca.ca_cert)],
        "Metrics.Provider": "prometheus",
        "Admin.ListenAddress": org.orderer_admin_address,
        "Admin.TLS.Enabled": True,
        "Admin.TLS.Certificate": str(tls / "cert.pem"),
        "Admin.TLS.PrivateKey": str(tls / "key.pem"),
        "Admin.TLS.ClientAuthRequired": True,
        "Admin.TLS.ClientRootCAs": [str(ca.ca_cert)],
        "ChannelParticipation.Enabled": True,
        "Consensus.WALDir": str(data / "etcdraft" / "wal"),
        "Consensus.SnapDir": str(data / "etcdraft" / "snapshot"),
    }


def render(sample: Path, overrides: dict[str, Any], out: Path) -> Path:
    tree = yaml.safe_load(sample.read_text())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(apply(tree, overrides), sort_keys=False))
    return out


def write_peer_config(org: Org, sampleconfig: Path) -> Path:
    return render(sampleconfig / "core.yaml", peer_overrides(org), peer_dir(org) / "core.yaml")


def write_orderer_config(org: Org, sampleconfig: Path) -> Path:
    return render(
        sampleconfig / "orderer.yaml", orderer_overrides(org), orderer_dir(org) / "orderer.yaml"
    )


def admin_key(org: Org) -> Path:
    return private_key(OrgCA(org).msp("admin"))
