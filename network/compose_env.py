"""The env file compose reads for one org in containers: its images, ports and home.

`init --containers` writes it into the home as `compose.env`, from the org's record, so
docker/compose.yaml (one compose project per org) names nothing of its own: which org,
which folder is its home and who owns it, which address it advertises, every port its
public and operations endpoints use, and each service's image. It holds no secret.
"""

from __future__ import annotations

from pathlib import Path

from network.home import OrgHome, write_private
from network.images import NODES, PYTHON_TARGETS, gridledger
from network.topology import (
    API_OFFSET,
    CA_OFFSET,
    CA_OPERATIONS_OFFSET,
    ORDERER_OFFSET,
    ORDERER_OPERATIONS_OFFSET,
    PEER_OFFSET,
    PEER_OPERATIONS_OFFSET,
)

ENV_FILE = "compose.env"
DEFAULT_NETWORK = "gridledger"
PORTS = {
    "ORDERER": ORDERER_OFFSET,
    "PEER": PEER_OFFSET,
    "CA": CA_OFFSET,
    "API": API_OFFSET,
    "ORDERER_OPERATIONS": ORDERER_OPERATIONS_OFFSET,
    "PEER_OPERATIONS": PEER_OPERATIONS_OFFSET,
    "CA_OPERATIONS": CA_OPERATIONS_OFFSET,
}


def settings(home: OrgHome, exchange: Path, network: str = DEFAULT_NETWORK) -> dict[str, str]:
    """Every variable docker/compose.yaml and its overlays read, for the org of `home`."""
    org = home.org
    owner = home.path.stat()
    found = {
        "GRIDLEDGER_ORG": org.key,
        "GRIDLEDGER_HOME": str(home.path.resolve()),
        "GRIDLEDGER_EXCHANGE": str(exchange.resolve()),
        "GRIDLEDGER_UID": str(owner.st_uid),
        "GRIDLEDGER_GID": str(owner.st_gid),
        "GRIDLEDGER_HOST": org.host,
        "GRIDLEDGER_NETWORK": network,
    }
    found |= {f"GRIDLEDGER_{name}_PORT": str(org.port(o)) for name, o in PORTS.items()}
    found |= {f"GRIDLEDGER_{s.upper()}_IMAGE": gridledger(s) for s in (*NODES, *PYTHON_TARGETS)}
    return found


def write(home: OrgHome, exchange: Path, network: str = DEFAULT_NETWORK) -> Path:
    path = home.sub(ENV_FILE)
    lines = [f"{name}={value}" for name, value in settings(home, exchange, network).items()]
    header = "# compose settings of this org (python -m network init --containers); no secrets\n"
    write_private(path, header + "\n".join(lines) + "\n")
    return path
