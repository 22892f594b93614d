"""Community funding escrow on the real network, through the client's facade.

A campaign that households 1 and 2 fund and the utility's and the community's admins
approve is released to its contractor; one that misses its goal by a deadline 20 seconds
ahead is refunded (created first, so its deadline passes while the other test runs);
the ledger refuses a household releasing and an admin of an org that is not an
approver. Campaign ids are unique per run. A caller's peer is made to catch up with
a write through another org's peer before it reads or endorses (``caught_up``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from homes import msp_dir

from client import EndorseError, GatewayError
from client.facade import CONSORTIUM_CHANNEL, Caller, Forbidden, Ledger
from network.connect import gateway
from network.topology import COMMUNITY, REGULATOR, UTILITY, Org

pytestmark = pytest.mark.usefixtures("fabric_network")

RUN = uuid.uuid4().hex[:8]
FMT = "%Y-%m-%dT%H:%M:%SZ"
APPROVERS = [UTILITY.msp_id, COMMUNITY.msp_id]


@contextmanager
def ledger_of(org: Org, user: str) -> Iterator[Ledger]:
    """The facade for `user` of `org`, through its own org's peer."""
    with gateway(org, user) as gw:
        certificate = (msp_dir(org, user) / "signcerts" / "cert.pem").read_bytes()
        yield Ledger(gw, Caller.from_certificate(org.msp_id, certificate))


def caught_up(ledger: Ledger, *transaction_ids: str) -> None:
    """Wait until the ledger's peer has committed these transactions."""
    network = ledger.gateway.get_network(CONSORTIUM_CHANNEL)
    for transaction_id in transaction_ids:
        assert network.get_commit(transaction_id).status().successful


def terms(campaign_id: str, goal: int, deadline: datetime) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "title": "Sunnyside community battery",
        "goal": goal,
        "currency": "EUR",
        "deadline": deadline.strftime(FMT),
        "contractor": "VoltWorks Ltd",
        "approvers": APPROVERS,
        "milestone": "battery installed and commissioned",
    }


def refusal(error: pytest.ExceptionInfo[GatewayError], status: int, message: str) -> None:
    assert isinstance(error.value, EndorseError)
    assert f"chaincode response {status}, {message}" in str(error.value)


@dataclass(frozen=True)
class Missed:
    campaign_id: str
    deadline: str
    early_refund: str  # what the ledger answered a refund before the deadline


@pytest.fixture(scope="module")
def missed() -> Missed:
    """A campaign of 10,000 EUR cents with 20 s to go; households 1 and 2 pledge 1,000,
    and household 1 asks for its refund too early."""
    campaign_id = f"it-missed-{RUN}"
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    with ledger_of(UTILITY, "operator1") as operator:
        created = operator.create_campaign(terms(campaign_id, 10_000, deadline))
    for user, pledge_id, amount in (("household1", "p-1", 700), ("household2", "p-2", 300)):
        with ledger_of(COMMUNITY, user) as household:
            caught_up(household, created["tx_id"])
            household.pledge(campaign_id, pledge_id, amount)
    with ledger_of(COMMUNITY, "household1") as household1, pytest.raises(GatewayError) as early:
        household1.refund(campaign_id, "p-1")
    return Missed(campaign_id, created["deadline"], str(early.value))


def test_a_funded_and_approved_campaign_is_released(missed: Missed) -> None:
    campaign_id = f"it-battery-{RUN}"
    deadline = datetime.now(UTC) + timedelta(hours=1)
    with ledger_of(UTILITY, "operator1") as operator:
        created = operator.create_campaign(terms(campaign_id, 1_000, deadline))
        assert (created["status"], created["missing_approvals"]) == ("open", APPROVERS)
        assert operator.create_campaign(terms(campaign_id, 1_000, deadline)) == created

    with ledger_of(COMMUNITY, "household1") as household1:
        caught_up(household1, created["tx_id"])
        first = household1.pledge(campaign_id, "h1", 600)
        assert household1.pledge(campaign_id, "h1", 600) == first  # idempotent
        assert (first["household_id"], first["msp_id"]) == ("h-001", COMMUNITY.msp_id)
    with ledger_of(COMMUNITY, "household2") as household2:
        second = household2.pledge(campaign_id, "h2", 400)
        seen = household2.campaign(campaign_id)
    assert (seen["status"], seen["pledged"], seen["pledges"]) == ("funded", 1_000, 2)
    assert [(p["household_id"], p["amount"]) for p in seen["visible_pledges"]] == [("h-002", 400)]

    with ledger_of(REGULATOR, "auditor1") as auditor:
        caught_up(auditor, first["tx_id"], second["tx_id"])
        public = auditor.campaign(campaign_id)
    assert (public["pledged"], public["visible_pledges"]) == (1_000, [])

    with ledger_of(UTILITY, "operator1") as operator:
        caught_up(operator, first["tx_id"], second["tx_id"])
        with pytest.raises(GatewayError) as unapproved:
            operator.release(campaign_id)
    refusal(
        unapproved,
        409,
        f"campaign {campaign_id} cannot be released: "
        "approvals missing from UtilityMSP, CommunityMSP",
    )

    # a household may not release: refused by the facade, and by the ledger itself
    with ledger_of(COMMUNITY, "household1") as household1:
        with pytest.raises(Forbidden):
            household1.release(campaign_id)
        funding = household1.gateway.get_network(CONSORTIUM_CHANNEL).get_contract(
            "consortium", "FundingContract"
        )
        with pytest.raises(GatewayError) as by_household:
            funding.submit("Release", args=(campaign_id,))
    refusal(
        by_household,
        403,
        "caller from CommunityMSP (community) may not call Release; allowed: utility",
    )

    # the regulator is not an approver of this campaign
    with ledger_of(REGULATOR, "admin") as regulator_admin:
        caught_up(regulator_admin, created["tx_id"])
        with pytest.raises(GatewayError) as not_approver:
            regulator_admin.approve_milestone(campaign_id)
    refusal(
        not_approver,
        403,
        f"RegulatorMSP is not an approver of campaign {campaign_id}; "
        "approvers: UtilityMSP, CommunityMSP",
    )

    approvals = []
    for org in (UTILITY, COMMUNITY):
        with ledger_of(org, "admin") as admin:
            approvals.append(admin.approve_milestone(campaign_id))
            assert admin.approve_milestone(campaign_id) == approvals[-1]  # once per org
    assert [a["msp_id"] for a in approvals] == APPROVERS

    with ledger_of(UTILITY, "operator1") as operator:
        caught_up(operator, *(a["tx_id"] for a in approvals))
        released = operator.release(campaign_id)
        assert operator.release(campaign_id)["released_at"] == released["released_at"]
    assert (released["status"], released["released_amount"], released["missing_approvals"]) == (
        "released",
        1_000,
        [],
    )
    assert sorted((p["household_id"], p["amount"]) for p in released["visible_pledges"]) == [
        ("h-001", 600),
        ("h-002", 400),
    ]


def test_a_campaign_that_missed_its_goal_is_refunded_after_its_deadline(missed: Missed) -> None:
    campaign_id, deadline = missed.campaign_id, missed.deadline
    assert (
        f"chaincode response 409, campaign {campaign_id} takes pledges until {deadline}; "
        "refunds start after it"
    ) in missed.early_refund
    passed = datetime.strptime(deadline, FMT).replace(tzinfo=UTC) + timedelta(seconds=1)
    time.sleep(max(0.0, (passed - datetime.now(UTC)).total_seconds()))

    with ledger_of(COMMUNITY, "household1") as household1:
        with pytest.raises(GatewayError) as late:
            household1.pledge(campaign_id, "p-late", 9_000)
        refusal(late, 409, f"campaign {campaign_id} closed for pledges at {deadline}")
        assert household1.campaign(campaign_id)["status"] == "refunding"
        refunded = household1.refund(campaign_id, "p-1")
        assert (refunded["amount"], refunded["refunded_by"]) == (700, "CommunityMSP:household1")
        assert household1.refund(campaign_id, "p-1") == refunded  # idempotent
        mine = household1.my_pledges(campaign_id)
    assert [(p["pledge_id"], p["refunded_at"]) for p in mine] == [("p-1", refunded["refunded_at"])]

    with ledger_of(COMMUNITY, "household2") as household2, pytest.raises(GatewayError) as not_own:
        household2.refund(campaign_id, "p-1")
    refusal(
        not_own,
        403,
        f"household h-002 may not refund pledge p-1 of campaign {campaign_id}: "
        "it is another household's",
    )

    # the operator's peer may lag household 1's refund: a RefundAll endorsed on the older
    # state fails validation (MVCC read conflict) and the client submits it again
    with ledger_of(UTILITY, "operator1") as operator:
        rest = operator.refund_all(campaign_id)
        assert ([p["pledge_id"] for p in rest["pledges"]], rest["amount"]) == (["p-2"], 300)
        closed = operator.campaign(campaign_id)
        with pytest.raises(GatewayError) as release:
            operator.release(campaign_id)
    assert (closed["status"], closed["pledged"], closed["refunded"], closed["refunds"]) == (
        "closed",
        0,
        1_000,
        2,
    )
    refusal(release, 409, f"campaign {campaign_id} is refunding its pledges; it cannot be released")
