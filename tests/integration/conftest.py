"""One real Fabric network for the whole integration run.

The session fixture reuses the network of this checkout if it is already up (so a
developer's `make run` network serves the tests), otherwise it brings one up and
deploys the chaincode, and takes it down at the end. Everything goes through the
same `python -m network` commands an operator uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gridnet_cli import gridnet

from network.bringup import is_up


@pytest.fixture(scope="session")
def fabric_network() -> Iterator[None]:
    started_here = not is_up()
    if started_here:
        gridnet("up")
    gridnet("deploy")
    yield
    if started_here:
        gridnet("down")
