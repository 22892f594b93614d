"""The session's one real Fabric network, shared by the integration and fault suites.

The fixture reuses this checkout's consortium if any of it is running (so a
developer's `make run` network serves the tests; `up` repairs what is missing), and
otherwise brings one up, deploys the chaincode, and takes it down at the end: a test
run never stops a network it did not start, and leaves running what it found running
(an org's API that a test stopped is started again). Everything goes through the same
`python -m network` commands an operator uses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gridnet_cli import gridnet

from network.home import local_homes
from network.procs import running


def running_here() -> dict[str, list[str]]:
    """Each local org's running processes."""
    return {home.org.key: running(home.path) for home in local_homes()}


@pytest.fixture(scope="session")
def fabric_network() -> Iterator[None]:
    before = running_here()
    started_here = not any(before.values())
    gridnet("up")
    gridnet("deploy")
    yield
    if started_here:
        gridnet("down")
        return
    after = running_here()
    for org, names in before.items():
        if f"api-{org}" in names and f"api-{org}" not in after.get(org, []):
            gridnet("api", "--org", org)
