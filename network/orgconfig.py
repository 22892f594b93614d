"""Channel config edits that add or remove a member org: pure functions on decoded configs.

An org's group is written by `configtxgen -printOrg` from the same org section
configtx.yaml uses at channel creation (`configtx.org_section`), so an org admitted
at run time is defined exactly like a founding member. Removing an org takes its
groups out of the Application and Orderer sections and, when it ran a consenter,
that consenter out of the Raft set, in one update.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

from network import admin
from network.configtx import org_section
from network.configupdate import set_anchor_peers
from network.paths import tool
from network.topology import HOST, ORDERER_OFFSET, PEER_OFFSET, Org

__all__ = ["add_application_org", "application_msps", "org_group", "remove_org"]


def org_group(org: Org) -> dict[str, Any]:
    """The org's config group as configtxgen prints it (MSP, policies, orderer endpoints)."""
    with tempfile.TemporaryDirectory(prefix="gridledger-org-") as tmp:
        folder = Path(tmp)
        (folder / "configtx.yaml").write_text(
            yaml.safe_dump({"Organizations": [org_section(org)]}, sort_keys=False)
        )
        out = admin.run(
            [str(tool("configtxgen")), "-printOrg", org.msp_id, "-configPath", str(folder)],
            None,
            f"configtxgen -printOrg {org.msp_id}",
        )
    return json.loads(out)


def application_msps(config: dict[str, Any]) -> list[str]:
    orgs = config["channel_group"]["groups"]["Application"].get("groups") or {}
    return sorted(g["values"]["MSP"]["value"]["config"]["name"] for g in orgs.values())


def add_application_org(config: dict[str, Any], org: Org, group: dict[str, Any]) -> dict[str, Any]:
    """A copy of `config` with `org` as an application org, its peer its anchor peer.

    An application org has no orderer endpoints: those belong in the Orderer section,
    where this org has no consenter.
    """
    if org.msp_id in application_msps(config):
        raise ValueError(f"{org.msp_id} is already a member of this channel")
    updated = copy.deepcopy(config)
    app_group = copy.deepcopy(group)
    app_group["values"].pop("Endpoints", None)
    updated["channel_group"]["groups"]["Application"].setdefault("groups", {})[org.msp_id] = (
        app_group
    )
    return set_anchor_peers(updated, org.msp_id, [(HOST, org.port(PEER_OFFSET))])


def remove_org(config: dict[str, Any], org: Org) -> dict[str, Any]:
    """A copy of `config` without `org`: no application group, no orderer group, no consenter."""
    updated = copy.deepcopy(config)
    sections = updated["channel_group"]["groups"]
    found = False
    for section in ("Application", "Orderer"):
        groups = sections[section].get("groups") or {}
        for key in [k for k, g in groups.items() if msp_name(g) == org.msp_id]:
            del groups[key]
            found = True
    if not found:
        raise ValueError(f"{org.msp_id} is not a member of this channel")
    remove_consenter(sections["Orderer"], org)
    return updated


def msp_name(group: dict[str, Any]) -> str:
    return group["values"]["MSP"]["value"]["config"]["name"]


def remove_consenter(orderer: dict[str, Any], org: Org) -> None:
    """Drop the org's orderer (known by its host and port) from the Raft consenter set."""
    metadata = orderer["values"]["ConsensusType"]["value"].get("metadata") or {}
    consenters = metadata.get("consenters") or []
    port = org.port(ORDERER_OFFSET)
    kept = [c for c in consenters if (c["host"], int(c["port"])) != (HOST, port)]
    if kept and len(kept) < len(consenters):
        metadata["consenters"] = kept
