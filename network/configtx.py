"""configtx.yaml for configtxgen, from org bundles: a channel's genesis block.

Each member is an application org (it runs a peer) and, where named, an orderer org
(it runs one of the channel's Raft consenters), so no single member controls
ordering. Policies use Node OU roles: admins administer, members read, admins,
clients and orderers write (an orderer signs the config transaction it makes of an
accepted config update, which is checked against the channel's Writers), peers
endorse, orderers sign blocks. Channel admin changes need a MAJORITY of org admins.

configtxgen reads MSP folders and certificate files, so each bundle is written out as
one, in a temporary folder: nothing of the creating org's private material is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gridspec.bundle import OrgBundle
from network.ca import node_ou_config

BATCH_TIMEOUT = "250ms"
MAX_MESSAGE_COUNT = 500
CHANNEL_CAPABILITY = "V3_0"
ORDERER_CAPABILITY = "V2_0"
APPLICATION_CAPABILITY = "V2_5"


def signature(rule: str) -> dict[str, str]:
    return {"Type": "Signature", "Rule": rule}


def implicit(rule: str) -> dict[str, str]:
    return {"Type": "ImplicitMeta", "Rule": rule}


def write_msp(bundle: OrgBundle, folder: Path) -> Path:
    """The bundle's MSP as a folder: cacerts, tlscacerts and the Node OU config."""
    msp = folder / "msp" / bundle.key
    for sub, certs in (("cacerts", bundle.root_certs), ("tlscacerts", bundle.tls_root_certs)):
        (msp / sub).mkdir(parents=True, exist_ok=True)
        for index, pem in enumerate(certs):
            (msp / sub / ("ca.pem" if index == 0 else f"ca{index:02d}.pem")).write_text(pem)
    (msp / "config.yaml").write_text(yaml.safe_dump(node_ou_config(), sort_keys=False))
    return msp


def org_section(bundle: OrgBundle, folder: Path) -> dict[str, Any]:
    msp = bundle.msp_id
    return {
        "Name": msp,
        "ID": msp,
        "MSPDir": str(write_msp(bundle, folder)),
        "Policies": {
            "Readers": signature(f"OR('{msp}.member')"),
            "Writers": signature(f"OR('{msp}.admin', '{msp}.client', '{msp}.orderer')"),
            "Admins": signature(f"OR('{msp}.admin')"),
            "Endorsement": signature(f"OR('{msp}.peer')"),
        },
        "OrdererEndpoints": [o.address for o in bundle.orderers],
        "AnchorPeers": [{"Host": p.host, "Port": p.port} for p in bundle.peers],
    }


def consenters(bundle: OrgBundle, folder: Path) -> list[dict[str, Any]]:
    found = []
    for index, node in enumerate(bundle.orderers):
        cert = folder / "consenters" / f"{bundle.key}-{index}.pem"
        cert.parent.mkdir(parents=True, exist_ok=True)
        cert.write_text(node.tls_cert)
        found.append(
            {
                "Host": node.host,
                "Port": node.port,
                "ClientTLSCert": str(cert),
                "ServerTLSCert": str(cert),
            }
        )
    return found


def standard_policies() -> dict[str, Any]:
    return {
        "Readers": implicit("ANY Readers"),
        "Writers": implicit("ANY Writers"),
        "Admins": implicit("MAJORITY Admins"),
    }


def orderer_section(orgs: list[OrgBundle], folder: Path) -> dict[str, Any]:
    block_signers = ", ".join(f"'{o.msp_id}.orderer'" for o in orgs)
    return {
        "OrdererType": "etcdraft",
        "BatchTimeout": BATCH_TIMEOUT,
        "BatchSize": {
            "MaxMessageCount": MAX_MESSAGE_COUNT,
            "AbsoluteMaxBytes": "10 MB",
            "PreferredMaxBytes": "2 MB",
        },
        "EtcdRaft": {"Consenters": [c for o in orgs for c in consenters(o, folder)]},
        "Organizations": [org_section(o, folder) for o in orgs],
        "Policies": {
            **standard_policies(),
            "BlockValidation": signature(f"OR({block_signers})"),
        },
        "Capabilities": {ORDERER_CAPABILITY: True},
    }


def application_section(orgs: list[OrgBundle], folder: Path) -> dict[str, Any]:
    return {
        "Organizations": [org_section(o, folder) for o in orgs],
        "Policies": {
            **standard_policies(),
            "LifecycleEndorsement": implicit("MAJORITY Endorsement"),
            "Endorsement": implicit("MAJORITY Endorsement"),
        },
        "Capabilities": {APPLICATION_CAPABILITY: True},
    }


def profile(members: list[OrgBundle], orderers: list[OrgBundle], folder: Path) -> dict[str, Any]:
    return {
        "Policies": standard_policies(),
        "Capabilities": {CHANNEL_CAPABILITY: True},
        "Orderer": orderer_section(orderers, folder),
        "Application": application_section(members, folder),
    }


def write_configtx(
    channel: str, members: list[OrgBundle], orderers: list[OrgBundle], folder: Path
) -> Path:
    """Write configtx.yaml with one profile, named after the channel, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "configtx.yaml"
    document = {"Profiles": {channel: profile(members, orderers, folder)}}
    out.write_text(yaml.safe_dump(document, sort_keys=False))
    return out
