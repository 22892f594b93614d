"""Fabric's chaincode lifecycle, each org's part from its own home.

    prepare(home, spec)       the org's own steps: package, install on its peer, start its
                              chaincode server, approve the definition for its org
    commit(home, spec)        once enough orgs approved: one org commits the definition,
                              endorsed by the members' peers (addresses and TLS roots
                              from their public bundles)

Each step asks the peer first and skips what is already done, so `deploy` can be
re-run at any time (after `down`/`up`, or when a step failed half-way).
"""

from __future__ import annotations

import json
from pathlib import Path

from network import admin, bundles, chaincode_servers
from network.chaincodes import ChaincodeSpec
from network.channelinfo import ChannelInfo
from network.console import NetworkError, info
from network.home import OrgHome, write_private
from network.package import ccaas_package, connection, package_id


def build_package(home: OrgHome, spec: ChaincodeSpec) -> tuple[str, bytes]:
    """The org's ccaas package for `spec` and its package id."""
    peer_tls = home.identity_tls("peer0")
    conn = connection(
        address=home.org.chaincode_address(spec.server_index),
        root_cert=str(home.ca_cert),
        client_cert=str(peer_tls / "cert.pem"),
        client_key=str(peer_tls / "key.pem"),
    )
    pkg = ccaas_package(spec.label, conn)
    return package_id(spec.label, pkg), pkg


def installed_ids(home: OrgHome) -> set[str]:
    org = home.org
    out = admin.peer(
        home,
        "lifecycle",
        "chaincode",
        "queryinstalled",
        "--output",
        "json",
        what=f"query installed chaincode on peer-{org.key}",
    )
    listing = json.loads(out or "{}")
    return {c["package_id"] for c in listing.get("installed_chaincodes") or []}


def install(home: OrgHome, spec: ChaincodeSpec) -> str:
    org = home.org
    pkg_id, pkg = build_package(home, spec)
    if pkg_id not in installed_ids(home):
        path = home.chaincode / spec.name / "package.tar.gz"
        write_private(path, pkg)
        admin.peer(
            home,
            "lifecycle",
            "chaincode",
            "install",
            str(path),
            what=f"install {spec.label} on peer-{org.key}",
        )
        info(f"installed {pkg_id} on peer-{org.key}")
    return pkg_id


def collections_file(home: OrgHome, spec: ChaincodeSpec) -> Path | None:
    """Write the chaincode's collections config for its channel; None when it has none."""
    if spec.collections is None:
        return None
    path = home.chaincode / spec.name / f"collections-{spec.channel}.json"
    write_private(path, json.dumps(spec.collections, indent=2))
    return path


def definition_flags(home: OrgHome, spec: ChaincodeSpec) -> list[str]:
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
    collections = collections_file(home, spec)
    if collections:
        flags += ["--collections-config", str(collections)]
    return flags


def approved_package(home: OrgHome, spec: ChaincodeSpec) -> str | None:
    org = home.org
    try:
        out = admin.peer(
            home,
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


def approve(home: OrgHome, spec: ChaincodeSpec, pkg_id: str) -> None:
    org = home.org
    if approved_package(home, spec) == pkg_id:
        return
    admin.peer(
        home,
        "lifecycle",
        "chaincode",
        "approveformyorg",
        *definition_flags(home, spec),
        "--package-id",
        pkg_id,
        "--waitForEvent",
        *admin.orderer_flags(home, spec.channel),
        what=f"approve {spec.name} for {org.msp_id}",
    )
    info(f"{org.msp_id} approved {spec.name} sequence {spec.sequence}")


def committed_sequence(home: OrgHome, spec: ChaincodeSpec) -> int:
    try:
        out = admin.peer(
            home,
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


def commit(home: OrgHome, spec: ChaincodeSpec) -> bool:
    """Commit the definition, endorsed by every member's peer; False if it already was."""
    if committed_sequence(home, spec) >= spec.sequence:
        return False
    targets: list[str] = []
    for msp_id in ChannelInfo.load(home, spec.channel).members:
        address, root = peer_of(home, msp_id)
        targets += ["--peerAddresses", address, "--tlsRootCertFiles", str(root)]
    admin.peer(
        home,
        "lifecycle",
        "chaincode",
        "commit",
        *definition_flags(home, spec),
        *targets,
        "--waitForEvent",
        *admin.orderer_flags(home, spec.channel),
        what=f"commit {spec.name} on {spec.channel}",
    )
    info(f"{home.org.msp_id} committed {spec.name} sequence {spec.sequence} on {spec.channel}")
    return True


def peer_of(home: OrgHome, msp_id: str) -> tuple[str, Path]:
    """A member's peer address and a file with its TLS root: its own, or from its bundle."""
    org = home.org
    if msp_id == org.msp_id:
        return org.peer_address, home.ca_cert
    for bundle in bundles.imported(home):
        if bundle.msp_id == msp_id:
            root = home.bundles / f"{bundle.key}-tls-root.pem"
            write_private(root, "".join(bundle.tls_root_certs))
            return bundle.peers[0].address, root
    raise NetworkError(f"{org.key} has no bundle of {msp_id}, whose peer must endorse the commit")


def prepare(home: OrgHome, spec: ChaincodeSpec) -> str:
    """One org's part: install the package on its peer, serve it, approve the definition.

    An org that joins a channel after the definition was committed does just this:
    approving the committed sequence lets its peer run the chaincode.
    """
    pkg_id = install(home, spec)
    chaincode_servers.serve(
        home,
        chaincode_servers.Deployment(
            chaincode=spec.name,
            module=spec.module,
            package_id=pkg_id,
            address=home.org.chaincode_address(spec.server_index),
        ),
    )
    approve(home, spec, pkg_id)
    return pkg_id
