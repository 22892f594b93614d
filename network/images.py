"""Container images of an org's share: GridLedger's own, built on Fabric's official ones.

`python -m network images` builds, with the host's container engine (podman or docker):

    gridledger/peer, gridledger/orderer, gridledger/ca
        GridLedger's thin layer over Fabric's official image of each node
        (docker/fabric.Containerfile: python3, gl-start, gl-healthz, the chaincode builder)
    gridledger/chaincode, gridledger/api, gridledger/admin
        the chaincode servers, the API and the operator tool (docker/Containerfile)

Their Python dependencies are wheels made first, from pyproject.toml's pins, into
.tools/wheels, so an image build reaches no package index. With `--local` it also
builds the images it starts from, for hosts that reach no image registry (the tests):
a Debian base made by mmdebstrap from the host's own apt sources, and Fabric's node
and tools images from the pinned binaries `make install` built (docker/local/).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from network.console import NetworkError, elapsed, info, step
from network.install import FABRIC_CA, FABRIC_RELEASE
from network.paths import REPO, TOOLS, tool

# GridLedger's images are tagged with the project's version (pyproject.toml)
TAG = "0.1.0"
FABRIC_VERSION = FABRIC_RELEASE.lstrip("v")
FABRIC_CA_VERSION = FABRIC_CA.pinned_version().lstrip("v")
NODES = ("peer", "orderer", "ca")
PYTHON_TARGETS = ("chaincode", "api", "admin")
PYTHON_IMAGE = "docker.io/library/python:3.11-slim-bookworm"
LOCAL_BASE = "localhost/gridledger/debian-base:bookworm"
BASE_PACKAGES = "python3,python3-venv,ca-certificates"
WHEELS = TOOLS / "wheels"
DOCKER = REPO / "docker"
# what each Python image installs, by distribution name; the admin image takes every one
CHAINCODE_NEEDS = (
    "hyperledger-fabric-protos",
    "fabric-chaincode-python",
    "grpcio",
    "protobuf",
    "cryptography",
)
API_NEEDS = (
    *CHAINCODE_NEEDS,
    *("flask", "apiflask", "waitress", "prometheus-client", "defusedxml"),
    *("pyyaml", "openapi-core"),  # the OpenADR VTN reads and checks against its document
)
LOCAL_FABRIC_COMMANDS = (
    "peer",
    "orderer",
    "osnadmin",
    "configtxgen",
    "configtxlator",
    "fabric-ca-server",
)


def gridledger(name: str) -> str:
    return f"gridledger/{name}:{TAG}"


def fabric_images(local: bool) -> dict[str, str]:
    """The Fabric images GridLedger's build on: the official ones, or their local builds."""
    registry = "localhost" if local else "docker.io"
    versions = {"peer": FABRIC_VERSION, "orderer": FABRIC_VERSION, "tools": FABRIC_VERSION}
    versions["ca"] = FABRIC_CA_VERSION
    return {name: f"{registry}/hyperledger/fabric-{name}:{v}" for name, v in versions.items()}


def engine() -> str:
    """The container engine's command: GRIDLEDGER_ENGINE, else podman, else docker."""
    chosen = os.environ.get("GRIDLEDGER_ENGINE") or shutil.which("podman") or shutil.which("docker")
    if not chosen:
        raise NetworkError("no container engine: install podman (`make system-packages`) or docker")
    return chosen


def run(argv: list[str], what: str) -> None:
    """Run a build step; its output only when it fails, with what was being done."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise NetworkError(f"{what} failed (exit {done.returncode}):\n{tail}")


def image_exists(name: str) -> bool:
    probe = [engine(), "image", "inspect", name]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def requirements() -> list[str]:
    """pyproject.toml's runtime dependencies, with their pins."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"])


def distribution(requirement: str) -> str:
    name = requirement
    for mark in "<>=~!;[ ":
        name = name.split(mark, 1)[0]
    return name.strip()


def wheels() -> None:
    """Wheels of every pinned dependency into .tools/wheels, and what each image installs."""
    pinned = requirements()
    stamp = WHEELS / "requirements.txt"
    if not stamp.exists() or stamp.read_text().splitlines() != pinned:
        started = time.monotonic()
        step(f"wheels of {len(pinned)} pinned dependencies into {WHEELS}")
        shutil.rmtree(WHEELS, ignore_errors=True)
        pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(WHEELS)]
        run([*pip, *pinned], "making the wheels")
        stamp.write_text("\n".join(pinned) + "\n")
        info(f"wheels made in {elapsed(started)}")
    names = [distribution(r) for r in pinned]
    lists = {"chaincode": CHAINCODE_NEEDS, "api": API_NEEDS, "admin": tuple(names)}
    for target, needs in lists.items():
        missing = set(needs) - set(names)
        if missing:
            raise NetworkError(f"the {target} image needs {sorted(missing)}: not in pyproject.toml")
        (WHEELS / f"{target}.txt").write_text("\n".join(needs) + "\n")


def wheels_digest(target: str) -> str:
    """What a target's dependency layer is made of: the pins and the target's list. The
    build cache keys a layer on its instruction, not on a bind mount's files, so this
    build argument is what makes a changed pin or list rebuild the layer."""
    lists = (WHEELS / "requirements.txt", WHEELS / f"{target}.txt")
    return hashlib.sha256(b"".join(path.read_bytes() for path in lists)).hexdigest()[:16]


def build(name: str, containerfile: Path, context: Path, *flags: str) -> None:
    started = time.monotonic()
    argv = [engine(), "build", "--quiet", "-f", str(containerfile), "-t", name, *flags]
    run([*argv, str(context)], f"building {name}")
    info(f"{name} built in {elapsed(started)}")


def local_base() -> None:
    """A minimal Debian with Python, from the host's own apt sources (no registry)."""
    if image_exists(LOCAL_BASE):
        return
    sources = sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    if not sources or not shutil.which("mmdebstrap"):
        raise NetworkError("a local base image needs mmdebstrap and apt sources: `make install`")
    step(f"{LOCAL_BASE}: Debian bookworm with {BASE_PACKAGES} (mmdebstrap)")
    with tempfile.TemporaryDirectory(prefix="gridledger-base-") as folder:
        tar = Path(folder) / "base.tar"
        command = ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={BASE_PACKAGES}"]
        run([*command, "bookworm", str(tar), str(sources[0])], "mmdebstrap")
        run([engine(), "import", str(tar), LOCAL_BASE], "importing the base image")


def local_fabric() -> None:
    """Fabric's node and tools images from the pinned binaries, in the official layout."""
    local_base()
    with tempfile.TemporaryDirectory(prefix="gridledger-fabric-") as folder:
        context = Path(folder)
        (context / "bin").mkdir()
        for command in LOCAL_FABRIC_COMMANDS:
            shutil.copy2(tool(command), context / "bin" / command)
        shutil.copytree(TOOLS / "fabric-config", context / "fabric-config")
        containerfile = DOCKER / "local" / "fabric.Containerfile"
        for target, name in fabric_images(local=True).items():
            flags = ("--target", target, "--build-arg", f"BASE_IMAGE={LOCAL_BASE}")
            build(name, containerfile, context, *flags)


def build_all(local: bool) -> dict[str, str]:
    """Every image of an org's share; return what each service runs."""
    wheels()
    if local:
        local_fabric()
    fabric = fabric_images(local)
    built = {}
    for node in NODES:
        arg = f"FABRIC_IMAGE={fabric[node]}"
        build(gridledger(node), DOCKER / "fabric.Containerfile", REPO, "--build-arg", arg)
        built[node] = gridledger(node)
    python = LOCAL_BASE if local else PYTHON_IMAGE
    args = ("--build-arg", f"PYTHON_IMAGE={python}")
    args += ("--build-arg", f"FABRIC_TOOLS_IMAGE={fabric['tools']}")
    for target in PYTHON_TARGETS:
        digest = ("--build-arg", f"WHEELS_DIGEST={wheels_digest(target)}")
        build(
            gridledger(target), DOCKER / "Containerfile", REPO, "--target", target, *args, *digest
        )
        built[target] = gridledger(target)
    return built


def images(args: argparse.Namespace) -> None:
    started = time.monotonic()
    where = "Fabric's images built here from the pinned binaries" if args.local else "official"
    step(f"building GridLedger's images with {engine()} ({where})")
    for service, name in build_all(args.local).items():
        info(f"{service:10} {name}")
    info(f"images built in {elapsed(started)}")


def images_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--local",
        action="store_true",
        help="build Fabric's images from the pinned binaries too (a host with no registry)",
    )
