"""A channel config change needs a majority of member admins, on the real orderers.

The change is harmless and undone: the orderers' BatchTimeout goes from 250ms to
300ms and back, on community-sunnyside. A channel whose orderer nodes cannot
satisfy /Channel/Writers accepts no update at all; there the majority case is an
expected failure that names the cause, and runs in full once the channel is fixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest

from network.configtx import BATCH_TIMEOUT
from network.configupdate import (
    UpdateProposal,
    UpdateRefused,
    batch_timeout,
    fetch_config,
    fetch_config_block,
    orderers_unable_to_write,
    propose,
    set_batch_timeout,
    sign,
    submit,
)
from network.procs import wait_until
from network.topology import COMMUNITY, REGULATOR, UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")

CHANNEL = "community-sunnyside"
ORDERER_ADMINS = "/Channel/Orderer/Admins"
POLICY_REFUSAL = (
    "policy for [Value]  /Channel/Orderer/BatchTimeout not satisfied: "
    "implicit policy evaluation failed - 1 sub-policies were satisfied, "
    "but this policy requires 2 of the 'Admins' sub-policies to be satisfied"
)


def change_timeout(timeout: str, proposer: Org, second: Org) -> int:
    proposal = propose(CHANNEL, proposer, partial(set_batch_timeout, timeout=timeout))
    sign(proposal, proposer)
    sign(proposal, second)
    return submit(proposal, proposer)


def seen_by_every_orderer(timeout: str) -> bool:
    return all(
        batch_timeout(fetch_config(CHANNEL, org)) == timeout
        for org in (UTILITY, COMMUNITY, REGULATOR)
    )


def restore_batch_timeout() -> None:
    if batch_timeout(fetch_config(CHANNEL, UTILITY)) != BATCH_TIMEOUT:
        change_timeout(BATCH_TIMEOUT, COMMUNITY, REGULATOR)
    wait_until(lambda: seen_by_every_orderer(BATCH_TIMEOUT), BATCH_TIMEOUT, timeout=15)


@pytest.fixture
def batch_timeout_as_configured() -> Iterator[None]:
    """The channel starts and ends with configtx's BatchTimeout, even if the test fails."""
    restore_batch_timeout()
    yield
    restore_batch_timeout()


def test_one_admin_cannot_change_the_batch_timeout_and_nothing_changes(
    batch_timeout_as_configured,
):
    before = fetch_config_block(CHANNEL, UTILITY)
    assert batch_timeout(before.config) == "250ms"

    proposal = propose(
        CHANNEL, UTILITY, partial(set_batch_timeout, timeout="300ms"), "slower blocks"
    )
    assert [(r.policy, r.rule, r.needed) for r in proposal.requirements] == [
        (ORDERER_ADMINS, "MAJORITY Admins", 2)
    ]
    sign(proposal, UTILITY)
    assert proposal.signed_by == (UTILITY.msp_id,)
    assert proposal.outstanding(submitter=UTILITY.msp_id) == {ORDERER_ADMINS: 1}

    with pytest.raises(UpdateRefused) as refused:
        submit(proposal, UTILITY)

    assert refused.value.reason == (
        "error applying config update to existing channel 'community-sunnyside': "
        f"error authorizing update: error validating DeltaSet: {POLICY_REFUSAL}"
    )
    unchanged = fetch_config_block(CHANNEL, UTILITY)
    assert (unchanged.number, batch_timeout(unchanged.config)) == (before.number, "250ms")
    assert UpdateProposal.load(proposal.folder).submitted is None


def test_two_admins_change_the_batch_timeout_and_change_it_back(batch_timeout_as_configured):
    before = fetch_config_block(CHANNEL, UTILITY)
    proposal = propose(CHANNEL, UTILITY, partial(set_batch_timeout, timeout="300ms"))
    sign(proposal, UTILITY)
    sign(proposal, COMMUNITY)
    assert proposal.ready(submitter=UTILITY.msp_id)

    assert orderers_unable_to_write(before.config) == []

    block = submit(proposal, UTILITY)
    assert block > before.number
    changed = fetch_config_block(CHANNEL, UTILITY)
    assert (changed.number, batch_timeout(changed.config)) == (block, "300ms")
    wait_until(lambda: seen_by_every_orderer("300ms"), "300ms at every orderer", timeout=15)
    record = UpdateProposal.load(proposal.folder)
    assert record.signed_by == (UTILITY.msp_id, COMMUNITY.msp_id)
    assert record.submitted is not None and record.submitted.block == block

    back = change_timeout("250ms", COMMUNITY, REGULATOR)
    assert back > block
    restored = fetch_config_block(CHANNEL, COMMUNITY)
    assert (restored.number, batch_timeout(restored.config)) == (back, "250ms")
