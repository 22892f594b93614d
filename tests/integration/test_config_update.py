"""A channel config change needs a majority of member admins, each signing at its own home.

Every step is the operator's command run as one org (`python -m network MODE --org
<org>`), in a process that opens that org's home only; what passes between the orgs is
the proposal file and the signature files, as it would by mail. The change is harmless
and undone: the orderers' BatchTimeout goes from 250ms to 300ms and back, on
community-sunnyside. Fabric, not GridLedger, decides whether enough admins signed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from client.orgconfig import batch_timeout
from network.configtx import BATCH_TIMEOUT
from network.connect import peer_session
from network.procs import wait_until
from network.topology import COMMUNITY, FOUNDING, REGULATOR, SUNNYSIDE_CHANNEL, UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")

ORDERER_ADMINS = "/Channel/Orderer/Admins"
POLICY_REFUSAL = (
    "policy for [Value]  /Channel/Orderer/BatchTimeout not satisfied: "
    "implicit policy evaluation failed - 1 sub-policies were satisfied, "
    "but this policy requires 2 of the 'Admins' sub-policies to be satisfied"
)


def as_org(org: Org, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m network` as one org, as its operator runs it on its own host."""
    return subprocess.run(
        [sys.executable, "-m", "network", *args, "--org", org.key],
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(org: Org, *args: str) -> str:
    done = as_org(org, *args)
    assert done.returncode == 0, done.stderr
    return done.stderr


def config_block(org: Org) -> tuple[int, str]:
    """The number of the channel's config block as `org`'s peer has it, and its timeout."""
    with peer_session(org, "admin") as session:
        block = session.config(SUNNYSIDE_CHANNEL)
    return block.number, batch_timeout(block.config)


def propose(proposer: Org, timeout: str, folder: Path) -> Path:
    out = folder / f"{timeout}.proposal.json"
    ok(proposer, "propose", "batch-timeout", "--channel", SUNNYSIDE_CHANNEL,
       "--timeout", timeout, "--out", str(out))  # fmt: skip
    return out


def sign(org: Org, proposal: Path) -> Path:
    out = proposal.with_name(f"{proposal.stem}.{org.key}.signature.json")
    ok(org, "sign", str(proposal), "--out", str(out))
    return out


def change_timeout(timeout: str, proposer: Org, second: Org, folder: Path) -> None:
    proposal = propose(proposer, timeout, folder)
    ok(proposer, "submit", str(proposal), str(sign(second, proposal)))


def seen_everywhere(timeout: str) -> bool:
    return all(config_block(org)[1] == timeout for org in FOUNDING)


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """Where the public files travel; the channel starts and ends with its BatchTimeout."""
    if config_block(UTILITY)[1] != BATCH_TIMEOUT:
        change_timeout(BATCH_TIMEOUT, COMMUNITY, REGULATOR, tmp_path)
    yield tmp_path
    if config_block(UTILITY)[1] != BATCH_TIMEOUT:
        change_timeout(BATCH_TIMEOUT, COMMUNITY, REGULATOR, tmp_path)
    wait_until(lambda: seen_everywhere(BATCH_TIMEOUT), BATCH_TIMEOUT, timeout=15)


def test_one_admin_cannot_change_the_batch_timeout_and_nothing_changes(folder: Path) -> None:
    before = config_block(UTILITY)
    assert before[1] == BATCH_TIMEOUT

    proposal = propose(UTILITY, "300ms", folder)
    document = json.loads(proposal.read_text())
    assert [(n["policy"], n["rule"], n["needed"]) for n in document["needs"]] == [
        (ORDERER_ADMINS, "MAJORITY Admins", 2)
    ]
    refused = as_org(UTILITY, "submit", str(proposal))

    assert refused.returncode == 1
    assert f"needs 1 more of {ORDERER_ADMINS}; the orderer decides" in refused.stderr
    assert POLICY_REFUSAL in refused.stderr
    assert config_block(UTILITY) == before
    assert config_block(REGULATOR) == before


def test_two_admins_at_their_own_homes_change_the_batch_timeout_and_back(folder: Path) -> None:
    before = config_block(UTILITY)
    proposal = propose(UTILITY, "300ms", folder)
    signature = sign(COMMUNITY, proposal)
    assert json.loads(signature.read_text())["msp_id"] == COMMUNITY.msp_id

    receipt = folder / "receipt.json"
    ok(UTILITY, "submit", str(proposal), str(signature), "--out", str(receipt))

    recorded = json.loads(receipt.read_text())
    assert recorded["block"] > before[0]
    assert [s["msp_id"] for s in recorded["signatures"]] == [COMMUNITY.msp_id, UTILITY.msp_id]
    assert config_block(UTILITY) == (recorded["block"], "300ms")
    wait_until(lambda: seen_everywhere("300ms"), "300ms at every org's peer", timeout=15)

    change_timeout(BATCH_TIMEOUT, COMMUNITY, REGULATOR, folder)
    restored = config_block(COMMUNITY)
    assert restored[0] > recorded["block"] and restored[1] == BATCH_TIMEOUT


def test_a_signature_made_for_another_update_is_refused_before_anything_is_sent(
    folder: Path,
) -> None:
    first = propose(UTILITY, "300ms", folder)
    other = propose(UTILITY, "350ms", folder)
    signature = sign(COMMUNITY, other)
    before = config_block(UTILITY)

    refused = as_org(UTILITY, "submit", str(first), str(signature))

    assert refused.returncode == 1
    document = json.loads(first.read_text())
    assert (
        f"the signature is for update {json.loads(signature.read_text())['update_id']}, "
        f"not {document['id']}" in refused.stderr
    )
    assert config_block(UTILITY) == before
