"""Where an org's services run: as processes of its host, or in containers compose keeps.

The org's record says which (`Org.runtime`, chosen at `init`). Natively, the operator
tool starts each process itself (`network/procs.py`). In containers it decides the
same command line and environment, but writes them into the org's home as a launch
file, `launch/<service>.json`: the service's container waits for that file and runs
what it says (`docker/bin/gl-start`), and the container engine restarts it when it
dies. Either way the tool then waits for the service in the same way, on its ports
and its health endpoint, so `up`, `deploy` and `api` are one choreography for both.
"""

from __future__ import annotations

import json
from pathlib import Path

from network import procs
from network.console import NetworkError
from network.home import OrgHome, write_private
from network.paths import BUILDER_DIR
from network.topology import CONTAINERS

# the external chaincode builder's folder in GridLedger's peer image (docker/)
CONTAINER_BUILDER_DIR = Path("/opt/gridledger/builder")
# what the host's process needs but an image sets for itself
HOST_ONLY_ENV = ("PATH", "PYTHONPATH")


def contained(home: OrgHome) -> bool:
    return home.org.runtime == CONTAINERS


def builder_dir(home: OrgHome) -> Path:
    """The external builder the org's peer runs: the repository's, or its image's copy."""
    return CONTAINER_BUILDER_DIR if contained(home) else BUILDER_DIR


def launch_file(home: OrgHome, name: str) -> Path:
    return home.sub("launch", f"{name}.json")


def command_name(path: str) -> str:
    """A command as an image has it on its PATH: Fabric's by name, Python as python3."""
    name = Path(path).name
    return "python3" if name.startswith("python") else name


def launch(proc: procs.Process) -> dict[str, object]:
    """What a container runs for `proc`: the same command and settings, paths of the home."""
    env = {k: v for k, v in proc.env.items() if k not in HOST_ONLY_ENV}
    return {"argv": [command_name(proc.argv[0]), *proc.argv[1:]], "env": env}


def start(home: OrgHome, proc: procs.Process, ports: tuple[tuple[str, int], ...] = ()) -> None:
    """Start `proc` natively, or hand it to its container through its launch file."""
    if not contained(home):
        procs.start(proc, ports)
        return
    path = launch_file(home, proc.name)
    text = json.dumps(launch(proc), indent=2, sort_keys=True) + "\n"
    if not path.exists() or path.read_text() != text:
        write_private(path, text)


def ensure_alive(home: OrgHome, proc: procs.Process) -> None:
    """Fail at once if a native process died; a container's engine restarts it instead."""
    if not contained(home):
        procs.ensure_alive(proc)


def running(home: OrgHome, proc: procs.Process) -> bool:
    """Whether the tool started `proc` and it lives (natively), or handed it to a container."""
    if contained(home):
        return launch_file(home, proc.name).exists()
    return procs.owned_pid(proc.pid_file) is not None


def started(home: OrgHome, name: str) -> bool:
    """Whether the org's operator started service `name`: a pid file, or a launch file."""
    return home.sub("pids", f"{name}.pid").exists() or launch_file(home, name).exists()


def not_here(home: OrgHome, what: str) -> NetworkError:
    """The error for a process-level step that belongs to the container engine."""
    org = home.org.key
    return NetworkError(
        f"{org} runs in containers: {what} is the engine's job, e.g. "
        f"`podman-compose --env-file {home.sub('compose.env')} -f docker/compose.yaml "
        f"restart` (docker/README.md, project gridledger-{org})"
    )
