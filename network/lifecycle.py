"""Deploy a chaincode with Fabric's full lifecycle: package, install, approve, commit.

Reusable for every GridLedger chaincode: give it a ChaincodeSpec. Each step asks
the peers first and skips what is already done, so `deploy` can be re-run at any
time (after `down`/`up`, or when a step failed half-way).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from network import admin, chaincode_servers
from network.ca import OrgCA
from network.chaincodes import ChaincodeSpec
from network.console import NetworkError, elapsed, info, step
from network.package import ccaas_package, connection, package_id
from network.paths import chaincode_dir
from network.topology import Channel, Org


def build_package(spec: ChaincodeSpec, org: Org) -> tuple[str, bytes]:
    """The org's ccaas package for `spec` and its package id."""
    ca = OrgCA(org)
    peer_tls = ca.tls("peer0")
    conn = connection(
        address=org.chaincode_address(spec.server_index),
        root_cert=str(ca.ca_cert),
        client_cert=str(peer_tls / "cert.pem"),
        client_key=str(peer_tls / "key.pem"),
    )
    pkg = ccaas_package(spec.label, conn)
    return package_id(spec.label, pkg), pkg


def installed_ids(org: Org) -> set[str]:
    out = admin.peer(
        org,
        "lifecycle",
        "chaincode",
        "queryinstalled",
        "--output",
        "json",
        what=f"query installed chaincode on peer-{org.key}",
    )
    listing = json.loads(out or "{}")
    return {c["package_id"] for c in listing.get("installed_chaincodes") or []}


def install(spec: ChaincodeSpec, org: Org) -> str:
    pkg_id, pkg = build_package(spec, org)
    if pkg_id not in installed_ids(org):
        path = chaincode_dir() / spec.name / f"{org.key}.tar.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pkg)
        admin.peer(
            org,
            "lifecycle",
            "chaincode",
            "install",
            str(path),
            what=f"install {spec.label} on peer-{org.key}",
        )
        info(f"installed {pkg_id} on peer-{org.key}")
    return pkg_id


def collections_file(spec: ChaincodeSpec, channel: Channel) -> Path | None:
    """Write the chaincode's collections config for `channel`; None when it has none."""
    if spec.collections is None:
        return None
    path = chaincode_dir() / spec.name / f"collections-{channel.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec.collections(channel), indent=2))
    return path


def definition_flags(spec: ChaincodeSpec, channel: Channel) -> list[str]:
    flags = [
        "-C",
        spec.channel,
        "-n",
        spec.name,
        "-v",
        spec.version,
        "--sequence",
        str(spec.sequence),
        "--signature-policy",
        spec.policy,
    ]
    collections = collections_file(spec, channel)
    if collections:
        flags += ["--collections-config", str(collections)]
    return flags


def approved_package(spec: ChaincodeSpec, org: Org) -> str | None:
    try:
        out = admin.peer(
            org,
            "lifecycle",
            "chaincode",
            "queryapproved",
            "-C",
            spec.channel,
            "-n",
            spec.name,
            "--sequence",
            str(spec.sequence),
            "--output",
            "json",
            what=f"query approval of {spec.name} by {org.msp_id}",
        )
    except NetworkError:
        return None
    source = json.loads(out).get("source") or {}
    return ((source.get("Type") or {}).get("LocalPackage") or {}).get("package_id")


def approve(spec: ChaincodeSpec, channel: Channel, org: Org, pkg_id: str) -> None:
    if approved_package(spec, org) == pkg_id:
        return
    admin.peer(
        org,
        "lifecycle",
        "chaincode",
        "approveformyorg",
        *definition_flags(spec, channel),
        "--package-id",
        pkg_id,
        "--waitForEvent",
        *admin.orderer_flags(org, spec.channel),
        what=f"approve {spec.name} for {org.msp_id}",
    )
    info(f"{org.msp_id} approved {spec.name} sequence {spec.sequence}")


def committed_sequence(spec: ChaincodeSpec, org: Org) -> int:
    try:
        out = admin.peer(
            org,
            "lifecycle",
            "chaincode",
            "querycommitted",
            "-C",
            spec.channel,
            "-n",
            spec.name,
            "--output",
            "json",
            what=f"query committed {spec.name}",
        )
    except NetworkError as exc:
        if "not defined" in str(exc) or "not found" in str(exc):
            return 0
        raise
    return int(json.loads(out).get("sequence", 0))


def commit(spec: ChaincodeSpec, channel: Channel) -> None:
    committer = channel.orgs[0]
    if committed_sequence(spec, committer) >= spec.sequence:
        return
    targets: list[str] = []
    for org in channel.orgs:
        targets += [
            "--peerAddresses",
            org.peer_address,
            "--tlsRootCertFiles",
            str(OrgCA(org).ca_cert),
        ]
    admin.peer(
        committer,
        "lifecycle",
        "chaincode",
        "commit",
        *definition_flags(spec, channel),
        *targets,
        "--waitForEvent",
        *admin.orderer_flags(committer, spec.channel),
        what=f"commit {spec.name} on {spec.channel}",
    )
    info(f"committed {spec.name} sequence {spec.sequence} on {spec.channel}")


def prepare(spec: ChaincodeSpec, channel: Channel, org: Org) -> None:
    """One org's part: install the package on its peer, serve it, approve the definition.

    An org that joins a channel after the definition was committed does just this:
    approving the committed sequence lets its peer run the chaincode.
    """
    pkg_id = install(spec, org)
    chaincode_servers.serve(
        chaincode_servers.Deployment(
            chaincode=spec.name,
            module=spec.module,
            org=org.key,
            package_id=pkg_id,
            address=org.chaincode_address(spec.server_index),
        )
    )
    approve(spec, channel, org, pkg_id)


def deploy(spec: ChaincodeSpec, channel: Channel) -> float:
    """Deploy `spec` on `channel` end to end; return the seconds it took."""
    started = time.monotonic()
    step(f"chaincode {spec.name} on {spec.channel} (policy {spec.policy})")
    for org in channel.orgs:
        prepare(spec, channel, org)
    commit(spec, channel)
    info(f"{spec.name} deployed in {elapsed(started)}")
    return time.monotonic() - started
