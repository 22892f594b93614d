"""Run Fabric's admin commands (`peer`, `osnadmin`, `configtxgen`) as an org's admin.

The environment each command needs (MSP, TLS client certificate, addresses) is
built here once, so callers just say which org acts.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from network.ca import OrgCA
from network.console import NetworkError
from network.nodeconfig import peer_dir
from network.paths import tool
from network.topology import Org, channel_by_name


def admin_tls(org: Org) -> Path:
    return OrgCA(org).tls("admin")


def peer_env(org: Org) -> dict[str, str]:
    """Environment for the `peer` CLI acting as `org`'s admin against `org`'s peer."""
    tls = admin_tls(org)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "FABRIC_CFG_PATH": str(peer_dir(org)),
        "CORE_PEER_LOCALMSPID": org.msp_id,
        "CORE_PEER_MSPCONFIGPATH": str(OrgCA(org).msp("admin")),
        "CORE_PEER_ADDRESS": org.peer_address,
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_TLS_ROOTCERT_FILE": str(OrgCA(org).ca_cert),
        "CORE_PEER_TLS_CLIENTAUTHREQUIRED": "true",
        "CORE_PEER_TLS_CLIENTCERT_FILE": str(tls / "cert.pem"),
        "CORE_PEER_TLS_CLIENTKEY_FILE": str(tls / "key.pem"),
        "FABRIC_LOGGING_SPEC": "warning",
    }


def ordering_org(org: Org, channel: str) -> Org:
    """Whose orderer `org`'s admin talks to about `channel`: its own if it orders the channel.

    An org admitted to `consortium` has an orderer, but not one of that channel's
    consenters, so it goes to the first org that has one.
    """
    orderers = channel_by_name(channel).orderer_orgs
    return org if org in orderers else orderers[0]


def orderer_flags(org: Org, channel: str) -> list[str]:
    """Flags that let `peer`, as `org`'s admin, reach an orderer of `channel` with mutual TLS."""
    tls = admin_tls(org)
    orderer = ordering_org(org, channel)
    return [
        "-o",
        orderer.orderer_address,
        "--tls",
        "--cafile",
        str(OrgCA(orderer).ca_cert),
        "--clientauth",
        "--certfile",
        str(tls / "cert.pem"),
        "--keyfile",
        str(tls / "key.pem"),
    ]


def run(argv: list[str], env: dict[str, str] | None, what: str, timeout: float = 120) -> str:
    """Run a command; return its stdout, or raise with its stderr and what was attempted."""
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise NetworkError(f"{what}: timed out after {timeout:.0f}s") from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise NetworkError(f"{what} failed (exit {result.returncode}): {detail}")
    return result.stdout


def peer(org: Org, *args: str, what: str, timeout: float = 120) -> str:
    return run([str(tool("peer")), *args], peer_env(org), what, timeout)


def osnadmin(org: Org, *args: str, what: str) -> str:
    tls = admin_tls(org)
    argv = [
        str(tool("osnadmin")),
        *args,
        "-o",
        org.orderer_admin_address,
        "--ca-file",
        str(OrgCA(org).ca_cert),
        "--client-cert",
        str(tls / "cert.pem"),
        "--client-key",
        str(tls / "key.pem"),
    ]
    return run(argv, None, what)
