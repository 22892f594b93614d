"""The session's one real Fabric network, shared by the integration and fault suites.

The fixture reuses the network of this checkout if any of it is running (so a
developer's `make run` network serves the tests; `up` repairs what is missing), and
otherwise brings one up, deploys the chaincode, and takes it down at the end: a test
run never stops a network it did not start. Everything goes through the same
`python -m network` commands an operator uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gridnet_cli import gridnet

from network.bringup import anything_running


@pytest.fixture(scope="session")
def fabric_network() -> Iterator[None]:
    started_here = not anything_running()
    gridnet("up")
    gridnet("deploy")
    yield
    if started_here:
        gridnet("down")
