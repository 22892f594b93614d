"""An org whose services run in containers: launch files, node settings, compose's env file.

The operator tool writes what each container runs (`network/runtime.py`), and
docker/compose.yaml waits for exactly those files: the contract between the two is
checked here by name, as are the variables compose reads, which `init --containers`
writes (`network/compose_env.py`). The real containers run in tests/containers.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from network_builders import home_of

from network import api_server, chaincode_servers, compose_env, images, nodes, runtime
from network.ca import OrgCA
from network.chaincode_servers import Deployment
from network.nodeconfig import orderer_overrides, peer_overrides
from network.paths import BUILDER_DIR, REPO
from network.procs import Process
from network.topology import (
    ANY_ADDRESS,
    CA_OPERATIONS_OFFSET,
    CONTAINERS,
    LOOPBACK,
    NATIVE,
    ORDERER_OPERATIONS_OFFSET,
    PEER_OFFSET,
    UTILITY,
)

HOST = "10.89.0.11"
DOCKER = REPO / "docker"
COMPOSE_FILES = ("compose.yaml", "publish.yaml", "consortium-network.yaml")


@pytest.fixture
def home(tmp_path):
    return home_of(tmp_path, dataclasses.replace(UTILITY, host=HOST, runtime=CONTAINERS))


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DOCKER / "compose.yaml").read_text()))


def test_a_record_without_a_runtime_is_a_native_org():
    record = {k: v for k, v in UTILITY.to_json().items() if k != "runtime"}
    assert UTILITY.from_json(record).runtime == NATIVE
    assert UTILITY.listen_host == UTILITY.host


def test_in_containers_public_services_listen_on_every_address_and_advertise_the_host(home):
    peer, orderer = peer_overrides(home), orderer_overrides(home)
    assert home.org.listen_host == ANY_ADDRESS
    assert peer["peer.listenAddress"] == f"{ANY_ADDRESS}:{UTILITY.port(PEER_OFFSET)}"
    assert peer["peer.address"] == peer["peer.gossip.externalEndpoint"] == home.org.peer_address
    assert orderer["General.ListenAddress"] == ANY_ADDRESS
    assert peer["operations.listenAddress"].startswith(f"{LOOPBACK}:")
    assert orderer["Admin.ListenAddress"].startswith(f"{LOOPBACK}:")
    argv = OrgCA(home).process().argv
    assert argv[argv.index("--address") + 1] == ANY_ADDRESS


def test_the_peer_in_a_container_runs_the_builder_its_image_carries(home, tmp_path):
    builders = peer_overrides(home)["chaincode.externalBuilders"]
    assert builders[0]["path"] == str(runtime.CONTAINER_BUILDER_DIR)
    native = home_of(tmp_path / "native", UTILITY)
    assert peer_overrides(native)["chaincode.externalBuilders"][0]["path"] == str(BUILDER_DIR)
    image = (DOCKER / "fabric.Containerfile").read_text()
    assert f"COPY network/builder/bin {runtime.CONTAINER_BUILDER_DIR}/bin" in image


def test_a_launch_file_is_the_processs_command_as_the_image_has_it(home):
    proc = Process(
        "chaincode-community-utility",
        (sys.executable, "-m", "chaincode.community", "--address", "127.0.0.1:7101"),
        {"PATH": "/usr/bin", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},
        home.path,
    )
    assert runtime.launch(proc) == {
        "argv": ["python3", "-m", "chaincode.community", "--address", "127.0.0.1:7101"],
        "env": {"PYTHONUNBUFFERED": "1"},
    }
    peer = nodes.peer_process(home)
    assert runtime.launch(peer)["argv"] == ["peer", "node", "start"]


def test_starting_in_containers_writes_a_private_launch_file_and_spawns_nothing(home):
    proc = nodes.orderer_process(home)
    runtime.start(home, proc)
    path = runtime.launch_file(home, proc.name)
    assert json.loads(path.read_text()) == runtime.launch(proc)
    assert path.stat().st_mode & 0o777 == 0o600
    assert not proc.pid_file.exists()
    assert runtime.running(home, proc)
    mtime = path.stat().st_mtime_ns
    runtime.start(home, proc)  # the same launch again: the file is left as it was
    assert path.stat().st_mtime_ns == mtime


def test_reloading_chaincode_in_containers_says_the_engine_restarts_them(home):
    with pytest.raises(Exception, match="runs in containers: restarting its chaincode servers"):
        chaincode_servers.reload(home)


def launched_names(home) -> set[str]:
    """The name of every process the tool hands to a container of the org."""
    servers = [
        Deployment(name, f"chaincode.{name}", f"{name}_1.0:ab", home.org.chaincode_address(i))
        for i, name in enumerate(("consortium", "community"))
    ]
    procs = [
        OrgCA(home).process(),
        nodes.orderer_process(home),
        nodes.peer_process(home),
        api_server.process(home),
        *(chaincode_servers.process(home, dep) for dep in servers),
    ]
    return {p.name for p in procs}


def test_compose_waits_for_exactly_the_launch_files_the_tool_writes(home):
    env = compose_env.settings(home, home.outbox)
    waited = set()
    for name, service in compose()["services"].items():
        if name == "admin":
            continue
        command = [substitute(part, env) for part in service["command"]]
        assert command[0] == "gl-start", name
        path = Path(command[1])
        assert path.parent == home.sub("launch"), name
        waited.add(path.stem)
    assert waited == launched_names(home)


def test_every_service_runs_as_the_homes_owner_in_the_orgs_pod_and_restarts():
    services = compose()["services"]
    for name, service in services.items():
        assert service["user"] == "${GRIDLEDGER_UID}:${GRIDLEDGER_GID}", name
        assert service["restart"] == "unless-stopped", name
        assert service["init"] is True, name
        home = "${GRIDLEDGER_HOME}:${GRIDLEDGER_HOME}"
        assert service["volumes"][0] == home, name
        if name != "admin":
            assert service["network_mode"] == "service:admin", name
            assert service["volumes"] == [home], name


def test_the_health_checks_ask_each_nodes_operations_endpoint(home):
    env = compose_env.settings(home, home.outbox)
    services = compose()["services"]
    orderer = [substitute(p, env) for p in services["orderer"]["healthcheck"]["test"]]
    port = UTILITY.port(ORDERER_OPERATIONS_OFFSET)
    assert orderer[1:3] == ["gl-healthz", f"https://{LOOPBACK}:{port}/healthz"]
    assert orderer[3:] == [
        str(home.ca_cert),
        str(home.identity_tls("orderer0") / "cert.pem"),
        str(home.identity_tls("orderer0") / "key.pem"),
    ]
    ca = [substitute(p, env) for p in services["ca"]["healthcheck"]["test"]]
    assert ca[2] == f"http://{LOOPBACK}:{UTILITY.port(CA_OPERATIONS_OFFSET)}/healthz"


def test_the_env_file_defines_every_variable_the_compose_files_read(home):
    env = compose_env.settings(home, home.outbox)
    for name in COMPOSE_FILES:
        used = set(re.findall(r"\$\{([A-Z_]+)", (DOCKER / name).read_text()))
        assert used <= set(env), (name, used - set(env))
    owner = home.path.stat()
    assert env["GRIDLEDGER_UID"] == str(owner.st_uid)
    assert env["GRIDLEDGER_HOME"] == str(home.path.resolve())
    assert env["GRIDLEDGER_HOST"] == HOST
    assert env["GRIDLEDGER_PEER_PORT"] == str(UTILITY.port(PEER_OFFSET))
    assert env["GRIDLEDGER_ADMIN_IMAGE"] == f"gridledger/admin:{images.TAG}"


def test_the_env_file_is_private_to_the_org_and_holds_no_secret(home):
    path = compose_env.write(home, home.outbox)
    assert path.stat().st_mode & 0o777 == 0o600
    secret = home.secret("api-token-key")
    assert secret not in path.read_text()


def test_the_images_are_tagged_with_the_projects_version_and_install_pinned_needs():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["version"] == images.TAG
    names = {images.distribution(r) for r in project["dependencies"]}
    assert set(images.API_NEEDS) <= names
    assert set(images.CHAINCODE_NEEDS) <= set(images.API_NEEDS)


@pytest.mark.parametrize(
    "requirement, name",
    [
        ("grpcio~=1.85", "grpcio"),
        ("protobuf>=5.29,<6", "protobuf"),
        ("hyperledger-fabric-protos==0.3.7.dev1", "hyperledger-fabric-protos"),
        ("pandas", "pandas"),
        ("uvicorn[standard]>=0.30", "uvicorn"),
    ],
)
def test_a_requirements_distribution_name(requirement, name):
    assert images.distribution(requirement) == name


def test_local_fabric_images_stand_for_the_official_ones_at_the_pinned_versions():
    official, local = images.fabric_images(local=False), images.fabric_images(local=True)
    assert official["peer"] == f"docker.io/hyperledger/fabric-peer:{images.FABRIC_VERSION}"
    assert official["ca"] == f"docker.io/hyperledger/fabric-ca:{images.FABRIC_CA_VERSION}"
    assert {k: v.split("/", 1)[1] for k, v in local.items()} == {
        k: v.split("/", 1)[1] for k, v in official.items()
    }


def substitute(text: str, env: dict[str, str]) -> str:
    """`${NAME}` replaced as compose does, from `env`."""
    return re.sub(r"\$\{([A-Z_]+)\}", lambda m: env[m.group(1)], text)
