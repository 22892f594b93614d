"""configtx.yaml for configtxgen: the consortium's orgs, policies and one profile per channel.

Every org is both an application org (it runs a peer) and an orderer org (it runs
one of the three Raft consenters), so no single member controls ordering.
Policies use Node OU roles: admins administer, members read, admins, clients and
orderers write (an orderer signs the config transaction it makes of an accepted
config update, which is checked against the channel's Writers), peers endorse,
orderers sign blocks. Channel admin changes need a MAJORITY of org admins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from network.ca import OrgCA
from network.topology import HOST, ORDERER_OFFSET, PEER_OFFSET, Channel, Org

BATCH_TIMEOUT = "250ms"
MAX_MESSAGE_COUNT = 500
CHANNEL_CAPABILITY = "V3_0"
ORDERER_CAPABILITY = "V2_0"
APPLICATION_CAPABILITY = "V2_5"


def signature(rule: str) -> dict[str, str]:
    return {"Type": "Signature", "Rule": rule}


def implicit(rule: str) -> dict[str, str]:
    return {"Type": "ImplicitMeta", "Rule": rule}


def org_section(org: Org) -> dict[str, Any]:
    msp = org.msp_id
    return {
        "Name": msp,
        "ID": msp,
        "MSPDir": str(OrgCA(org).msp_dir),
        "Policies": {
            "Readers": signature(f"OR('{msp}.member')"),
            "Writers": signature(f"OR('{msp}.admin', '{msp}.client', '{msp}.orderer')"),
            "Admins": signature(f"OR('{msp}.admin')"),
            "Endorsement": signature(f"OR('{msp}.peer')"),
        },
        "OrdererEndpoints": [f"{HOST}:{org.port(ORDERER_OFFSET)}"],
        "AnchorPeers": [{"Host": HOST, "Port": org.port(PEER_OFFSET)}],
    }


def consenter(org: Org) -> dict[str, Any]:
    cert = str(OrgCA(org).tls("orderer0") / "cert.pem")
    return {
        "Host": HOST,
        "Port": org.port(ORDERER_OFFSET),
        "ClientTLSCert": cert,
        "ServerTLSCert": cert,
    }


def standard_policies() -> dict[str, Any]:
    return {
        "Readers": implicit("ANY Readers"),
        "Writers": implicit("ANY Writers"),
        "Admins": implicit("MAJORITY Admins"),
    }


def orderer_section(orgs: tuple[Org, ...]) -> dict[str, Any]:
    block_signers = ", ".join(f"'{o.msp_id}.orderer'" for o in orgs)
    return {
        "OrdererType": "etcdraft",
        "BatchTimeout": BATCH_TIMEOUT,
        "BatchSize": {
            "MaxMessageCount": MAX_MESSAGE_COUNT,
            "AbsoluteMaxBytes": "10 MB",
            "PreferredMaxBytes": "2 MB",
        },
        "EtcdRaft": {"Consenters": [consenter(o) for o in orgs]},
        "Organizations": [org_section(o) for o in orgs],
        "Policies": {
            **standard_policies(),
            "BlockValidation": signature(f"OR({block_signers})"),
        },
        "Capabilities": {ORDERER_CAPABILITY: True},
    }


def application_section(orgs: tuple[Org, ...]) -> dict[str, Any]:
    return {
        "Organizations": [org_section(o) for o in orgs],
        "Policies": {
            **standard_policies(),
            "LifecycleEndorsement": implicit("MAJORITY Endorsement"),
            "Endorsement": implicit("MAJORITY Endorsement"),
        },
        "Capabilities": {APPLICATION_CAPABILITY: True},
    }


def profile(channel: Channel) -> dict[str, Any]:
    return {
        "Policies": standard_policies(),
        "Capabilities": {CHANNEL_CAPABILITY: True},
        "Orderer": orderer_section(channel.orderer_orgs),
        "Application": application_section(channel.orgs),
    }


def configtx(channels: tuple[Channel, ...]) -> dict[str, Any]:
    return {"Profiles": {c.name: profile(c) for c in channels}}


def write_configtx(channels: tuple[Channel, ...], folder: Path) -> Path:
    """Write configtx.yaml into `folder` (configtxgen's -configPath)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "configtx.yaml"
    out.write_text(yaml.safe_dump(configtx(channels), sort_keys=False))
    return out
