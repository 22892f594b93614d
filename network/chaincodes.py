"""The chaincodes GridLedger deploys, each with its channel, endorsement policy and server port.

Endorsement policies are explicit, never the channel default: a chaincode states
which orgs' peers must endorse its transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAJORITY_OF_MEMBERS = "OutOf(2, 'UtilityMSP.peer', 'CommunityMSP.peer', 'RegulatorMSP.peer')"


@dataclass(frozen=True)
class ChaincodeSpec:
    """A chaincode deployment: where it runs, who must endorse, how it is served."""

    name: str
    channel: str
    module: str
    server_index: int
    policy: str
    version: str = "1.0"
    sequence: int = 1
    collections: Path | None = None

    @property
    def label(self) -> str:
        return f"{self.name}_{self.version}"


CONSORTIUM = ChaincodeSpec(
    name="consortium",
    channel="consortium",
    module="chaincode.consortium",
    server_index=0,
    policy=MAJORITY_OF_MEMBERS,
)

CHAINCODES: tuple[ChaincodeSpec, ...] = (CONSORTIUM,)


def by_name(name: str) -> ChaincodeSpec:
    for spec in CHAINCODES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown chaincode {name!r}; known: {', '.join(c.name for c in CHAINCODES)}")
