"""Install the pinned Fabric and Fabric CA commands into `.tools/bin`, idempotently.

Each tool set is a small Go module under `network/tools/` whose go.mod pins the
upstream module and whose go.sum verifies every dependency. `go install` runs inside
that module, so what gets built is exactly what was pinned. A binary already in
`.tools/bin` is kept when the module version embedded in it (read back with
`go version -m`) is the pinned one.

Fabric is pinned at the commit of tag v3.1.1. The requested tag, v3.1.5, cannot be
installed here: the Go module proxy this workplace reaches answers
`403 This module version is not available.` for its pseudo-version (and for every
other v3 commit but v3.1.0 and v3.1.1). Moving the pin is a one-line change in
`network/tools/fabric/go.mod` plus `FABRIC_RELEASE` below.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from network.console import NetworkError, elapsed, info, step
from network.paths import FABRIC_CONFIG, REPO, TOOLS_BIN

TOOLS_SRC = REPO / "network" / "tools"
FABRIC_RELEASE = "v3.1.1"
NODE_CONFIGS = ("core.yaml", "orderer.yaml")


@dataclass(frozen=True)
class ToolSet:
    """One pinned Go module and the commands built from it."""

    folder: str
    module: str
    commands: tuple[str, ...]
    ldflags: tuple[str, ...] = ()

    @property
    def module_dir(self) -> Path:
        return TOOLS_SRC / self.folder

    def pinned_version(self) -> str:
        return pinned_version(self.module_dir / "go.mod", self.module)


def pinned_version(go_mod: Path, module: str) -> str:
    """The version go.mod requires for `module` (the pin)."""
    pattern = re.compile(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(\S+)", re.MULTILINE)
    match = pattern.search(go_mod.read_text())
    if not match:
        raise NetworkError(f"{go_mod} does not require {module}")
    return match.group(1)


def commit_of(version: str) -> str:
    """The commit prefix in a Go pseudo-version, or the version itself for a tag."""
    match = re.search(r"-([0-9a-f]{12})$", version)
    return match.group(1) if match else version


FABRIC = ToolSet(
    folder="fabric",
    module="github.com/hyperledger/fabric",
    commands=("peer", "orderer", "configtxgen", "configtxlator", "osnadmin"),
)
FABRIC_CA = ToolSet(
    folder="fabric-ca",
    module="github.com/hyperledger/fabric-ca",
    commands=("fabric-ca-server",),
)
TOOL_SETS = (FABRIC, FABRIC_CA)
# what an org's operator runs against its nodes: all its admin container needs
ADMIN_COMMANDS = ("peer", "osnadmin", "configtxgen", "configtxlator")


def fabric_ldflags() -> str:
    """Stamp the release and commit into `peer version` like Fabric's own Makefile does."""
    pkg = "github.com/hyperledger/fabric/common/metadata"
    commit = commit_of(FABRIC.pinned_version())
    return f"-X {pkg}.Version={FABRIC_RELEASE.lstrip('v')} -X {pkg}.CommitSHA={commit}"


def embedded_version(binary: Path, module: str) -> str | None:
    """The version of `module` a Go binary was built from, or None if unknown."""
    if not binary.exists():
        return None
    out = subprocess.run(
        ["go", "version", "-m", str(binary)], capture_output=True, text=True, check=False
    ).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "mod" and fields[1] == module:
            return fields[2]
    return None


def missing_commands(tools: ToolSet, bin_dir: Path = TOOLS_BIN) -> list[str]:
    """Commands of a tool set that are absent or not at the pinned version."""
    want = tools.pinned_version()
    return [c for c in tools.commands if embedded_version(bin_dir / c, tools.module) != want]


def require_go() -> None:
    if shutil.which("go") is None:
        raise NetworkError("the Go toolchain is needed to install Fabric: install Go >= 1.24")


def build(tools: ToolSet, commands: list[str], bin_dir: Path = TOOLS_BIN) -> None:
    packages = [f"{tools.module}/cmd/{c}" for c in commands]
    ldflags = fabric_ldflags() if tools is FABRIC else ""
    env = {**os.environ, "GOBIN": str(bin_dir), "GOFLAGS": "-mod=readonly -buildvcs=false"}
    cmd = ["go", "install", "-trimpath", f"-ldflags={ldflags}", *packages]
    result = subprocess.run(cmd, cwd=tools.module_dir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise NetworkError(
            f"building {', '.join(commands)} from {tools.module}@{tools.pinned_version()} "
            f"failed:\n{result.stderr.strip()}"
        )


def install(bin_dir: Path = TOOLS_BIN) -> dict[str, str]:
    """Install every pinned tool set that is missing; return command → pinned version."""
    require_go()
    bin_dir.mkdir(parents=True, exist_ok=True)
    installed: dict[str, str] = {}
    for tools in TOOL_SETS:
        version = tools.pinned_version()
        todo = missing_commands(tools, bin_dir)
        if todo:
            started = time.monotonic()
            step(f"building {', '.join(todo)} from {tools.module}@{version} (a few minutes cold)")
            build(tools, todo, bin_dir)
            info(f"built in {elapsed(started)} into {bin_dir}")
        else:
            info(f"{tools.module}@{version}: {', '.join(tools.commands)} already installed")
        installed.update(dict.fromkeys(tools.commands, version))
    install_config()
    return installed


def install_config(target: Path = FABRIC_CONFIG) -> None:
    """Copy the pinned module's core.yaml and orderer.yaml beside the binaries.

    Nodes read them from there, so starting a node needs neither Go nor the module
    cache (another user's, on a host with no Go at all).
    """
    sample = fabric_sampleconfig()
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o755)  # every org's nodes read it, whichever user runs them
    for name in NODE_CONFIGS:
        shutil.copyfile(sample / name, target / name)
        (target / name).chmod(0o644)


def missing_config(target: Path = FABRIC_CONFIG) -> list[str]:
    return [name for name in NODE_CONFIGS if not (target / name).is_file()]


def fabric_sampleconfig() -> Path:
    """The `sampleconfig` folder of the pinned Fabric module (core.yaml, orderer.yaml)."""
    env = {**os.environ, "GOFLAGS": "-mod=readonly"}
    out = subprocess.run(
        ["go", "mod", "download", "-json", f"{FABRIC.module}@{FABRIC.pinned_version()}"],
        cwd=FABRIC.module_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        folder = Path(json.loads(out.stdout)["Dir"]) / "sampleconfig"
    except (ValueError, KeyError) as exc:
        raise NetworkError(f"cannot locate the Fabric module's sampleconfig: {out.stderr}") from exc
    if not (folder / "core.yaml").exists():
        raise NetworkError(f"{folder} has no core.yaml")
    return folder
