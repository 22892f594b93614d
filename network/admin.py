"""Run Fabric's admin commands (`peer`, `osnadmin`, `configtxgen`) as one org's admin.

The environment each command needs (MSP, TLS client certificate, addresses) is built
here from the org's own home, so callers just say which home acts. An org's admin
talks to its own peer and its own orderer; for a channel its orderer does not order,
to an orderer the channel's genesis block names (address and TLS root are public).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from network.channelinfo import ChannelInfo
from network.console import NetworkError
from network.home import OrgHome
from network.paths import tool


def peer_env(home: OrgHome) -> dict[str, str]:
    """Environment for the `peer` CLI acting as the org's admin against its own peer."""
    org = home.org
    tls = home.identity_tls("admin")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home.path),
        "FABRIC_CFG_PATH": str(home.peer),
        "CORE_PEER_LOCALMSPID": org.msp_id,
        "CORE_PEER_MSPCONFIGPATH": str(home.identity_msp("admin")),
        "CORE_PEER_ADDRESS": org.peer_address,
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_TLS_ROOTCERT_FILE": str(home.ca_cert),
        "CORE_PEER_TLS_CLIENTAUTHREQUIRED": "true",
        "CORE_PEER_TLS_CLIENTCERT_FILE": str(tls / "cert.pem"),
        "CORE_PEER_TLS_CLIENTKEY_FILE": str(tls / "key.pem"),
        "FABRIC_LOGGING_SPEC": "warning",
    }


def orderer_flags(home: OrgHome, channel: str) -> list[str]:
    """Flags that let `peer`, as the org's admin, reach an orderer of `channel` (mutual TLS)."""
    tls = home.identity_tls("admin")
    orderer = ChannelInfo.load(home, channel).orderer_for(home.org.msp_id)
    return [
        "-o",
        orderer.address,
        "--tls",
        "--cafile",
        str(orderer.tls_root_file(home)),
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


def peer(home: OrgHome, *args: str, what: str, timeout: float = 120) -> str:
    return run([str(tool("peer")), *args], peer_env(home), what, timeout)


def osnadmin(home: OrgHome, *args: str, what: str) -> str:
    """`osnadmin` as the org's admin against its own orderer's admin endpoint (loopback)."""
    tls = home.identity_tls("admin")
    argv = [
        str(tool("osnadmin")),
        *args,
        "-o",
        home.org.orderer_admin_address,
        "--ca-file",
        str(home.ca_cert),
        "--client-cert",
        str(tls / "cert.pem"),
        "--client-key",
        str(tls / "key.pem"),
    ]
    return run(argv, None, what)


def configtxgen(*args: str, config_dir: Path, what: str) -> str:
    return run([str(tool("configtxgen")), *args, "-configPath", str(config_dir)], None, what)
