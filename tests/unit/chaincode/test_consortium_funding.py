"""FundingContract: community funding escrow over the in-memory ledger.

The ledger's clock starts at T0 = 2026-03-01T09:30Z and moves one minute per invoke
(reads and refusals too), so the first transaction runs at 09:31; deadlines here are
written relative to that.
"""

import asyncio
import json

import pytest
from ccfakes import FakeLedger, identity, make_cert_pem

from chaincode.consortium import build_chaincode

OPERATOR = identity("UtilityMSP", "operator", cn="olga")
UTILITY_ADMIN = identity("UtilityMSP", "admin", cn="ursula")
COMMUNITY_ADMIN = identity("CommunityMSP", "admin", cn="carol")
REGULATOR_ADMIN = identity("RegulatorMSP", "admin", cn="reg-admin")
REGULATOR = identity("RegulatorMSP", "regulator", cn="rita")
BILLING = identity("UtilityMSP", "billing", cn="billing1")


def household(cn, household_id, msp_id="CommunityMSP"):
    attrs = {"hf.EnrollmentID": cn, "hf.Type": "client", "role": "household"}
    if household_id is not None:
        attrs["household_id"] = household_id
    return {"mspid": msp_id, "idBytes": make_cert_pem(cn, attrs)}


H1 = household("household1", "h-001")
H2 = household("household2", "h-002")
# another community's household with the same household id as H1
OTHER_H1 = household("household1", "h-001", msp_id="NorthsideMSP")

LATER = "2026-03-31T00:00:00Z"
CAMPAIGN = {
    "campaign_id": "battery-1",
    "title": "Community battery",
    "goal": 5000,
    "currency": "EUR",
    "deadline": LATER,
    "contractor": "VoltWorks Ltd",
    "approvers": ["UtilityMSP", "CommunityMSP"],
    "milestone": "battery installed and commissioned",
}
F = "FundingContract:"


@pytest.fixture(scope="module")
def cc():
    return build_chaincode()


def invoke(ledger, cc, creator, function, *args):
    return asyncio.run(ledger.invoke(cc, creator, F + function, *args))


def ok(result):
    assert result.status == 200, result.message
    return result.json()


def refused(result, message):
    assert (result.status, result.message) == (500, message)


def create(ledger, cc, creator=OPERATOR, **changes):
    return invoke(ledger, cc, creator, "CreateCampaign", json.dumps({**CAMPAIGN, **changes}))


def pass_time(ledger, cc, minutes):
    """Let *minutes* go by (each read is one more minute on the ledger's clock)."""
    for _ in range(minutes):
        ok(invoke(ledger, cc, REGULATOR, "ListCampaigns"))


def campaign(ledger, cc, creator=REGULATOR, campaign_id="battery-1"):
    return ok(invoke(ledger, cc, creator, "GetCampaign", campaign_id))


def event_names(ledger):
    return [name for name, _ in ledger.events]


# -- creating --------------------------------------------------------------------------------


def test_the_utilitys_operator_creates_a_public_campaign(cc):
    ledger = FakeLedger()
    created = ok(create(ledger, cc))
    assert created == {
        **CAMPAIGN,
        "created_at": "2026-03-01T09:31:00Z",
        "created_by": "UtilityMSP:olga",
        "released_at": None,
        "released_by": None,
        "released_amount": None,
        "refunding_since": None,
        "tx_id": "tx-1",
        "status": "open",
        "pledged": 0,
        "pledges": 0,
        "refunded": 0,
        "refunds": 0,
        "approvals": [],
        "missing_approvals": ["UtilityMSP", "CommunityMSP"],
        "visible_pledges": [],
    }
    stored = ledger.state["campaign~battery-1"]
    record = json.loads(stored)
    assert stored == json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    assert record == {k: v for k, v in created.items() if k in record}
    assert set(created) - set(record) == {
        "status",
        "pledged",
        "pledges",
        "refunded",
        "refunds",
        "approvals",
        "missing_approvals",
        "visible_pledges",
    }
    assert ledger.events == [("CampaignCreated", stored)]
    assert campaign(ledger, cc)["status"] == "open"


def test_a_community_admin_creates_too_and_a_retry_writes_nothing(cc):
    ledger = FakeLedger()
    first = ok(create(ledger, cc, COMMUNITY_ADMIN))
    assert first["created_by"] == "CommunityMSP:carol"
    retry = create(ledger, cc, OPERATOR)
    assert ok(retry)["tx_id"] == "tx-1"
    assert (retry.stub.writes, retry.stub.events) == ({}, [])
    refused(create(ledger, cc, goal=6000), "campaign battery-1 already exists with other terms")


def test_a_deadline_already_passed_is_refused(cc):
    refused(
        create(FakeLedger(), cc, deadline="2026-03-01T09:31:00Z"),
        "deadline 2026-03-01T09:31:00Z must be after the transaction time 2026-03-01T09:31:00Z",
    )


# -- refusals ----------------------------------------------------------------------------------

BAD = "battery-1"
AMOUNT, AMOUNT_RULE, MAX = "pledge amount", "must be a positive integer of minor units", 10**12


@pytest.mark.parametrize(
    ("creator", "function", "args", "message"),
    [
        # the role table
        (
            H1,
            "CreateCampaign",
            ("{}",),
            "caller role 'household' may not call CreateCampaign; allowed: operator, admin",
        ),
        (
            REGULATOR_ADMIN,
            "CreateCampaign",
            ("{}",),
            "caller from RegulatorMSP (regulator) may not call CreateCampaign; "
            "allowed: utility, community",
        ),
        (
            OPERATOR,
            "Pledge",
            (BAD, "p-1", "100"),
            "caller from UtilityMSP (utility) may not call Pledge; allowed: community",
        ),
        (
            identity("CommunityMSP", "third_party", cn="advisor1"),
            "Pledge",
            (BAD, "p-1", "100"),
            "caller role 'third_party' may not call Pledge; allowed: household",
        ),
        (
            REGULATOR,
            "ApproveMilestone",
            (BAD,),
            "caller role 'regulator' may not call ApproveMilestone; allowed: admin",
        ),
        (
            H1,
            "Release",
            (BAD,),
            "caller from CommunityMSP (community) may not call Release; allowed: utility",
        ),
        (
            UTILITY_ADMIN,
            "Release",
            (BAD,),
            "caller role 'admin' may not call Release; allowed: operator",
        ),
        (
            OPERATOR,
            "Refund",
            (BAD, "p-1"),
            "caller from UtilityMSP (utility) may not call Refund; allowed: community",
        ),
        (
            H1,
            "RefundAll",
            (BAD,),
            "caller from CommunityMSP (community) may not call RefundAll; allowed: utility",
        ),
        (
            BILLING,
            "RefundAll",
            (BAD,),
            "caller role 'billing' may not call RefundAll; allowed: operator",
        ),
        (
            REGULATOR,
            "ListMyPledges",
            ("",),
            "caller from RegulatorMSP (regulator) may not call ListMyPledges; allowed: community",
        ),
        # record-level checks
        (
            UTILITY_ADMIN,
            "CreateCampaign",
            (json.dumps(CAMPAIGN),),
            "admin of UtilityMSP may not create campaigns: "
            "only the utility's operator or a community's admin may",
        ),
        (
            identity("CommunityMSP", "operator", cn="coop-operator"),
            "CreateCampaign",
            (json.dumps(CAMPAIGN),),
            "operator of CommunityMSP may not create campaigns: "
            "only the utility's operator or a community's admin may",
        ),
        (
            household("household5", None),
            "Pledge",
            (BAD, "p-1", "100"),
            "caller has no household_id attribute",
        ),
        # validation
        (OPERATOR, "CreateCampaign", ("[",), "campaign must be a JSON object"),
        (
            OPERATOR,
            "CreateCampaign",
            ("[" * 100_000 + "]" * 100_000,),
            "campaign is nested too deeply",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "goal": "X"}).replace('"X"', "Infinity"),),
            "campaign holds Infinity: numbers must be finite",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({"campaign_id": "x"}),),
            "campaign must have exactly: approvers, campaign_id, contractor, currency, "
            "deadline, goal, milestone, title",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "campaign_id": "a~b"}),),
            "campaign id 'a~b' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "goal": 0}),),
            "campaign goal must be a positive integer of minor units, at most 1000000000000",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "goal": 50.5}),),
            "campaign goal must be a positive integer of minor units, at most 1000000000000",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "currency": "eur"}),),
            "currency 'eur' must be 3 capital letters like EUR",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "deadline": "2026-03-31"}),),
            "deadline must be a UTC time like 2026-03-01T09:15:00Z",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "approvers": []}),),
            "approvers must be a list of 1-16 MSP ids",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "approvers": ["UtilityMSP", "UtilityMSP"]}),),
            "approver UtilityMSP is listed twice",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "title": " "}),),
            "campaign title must be 1-200 characters",
        ),
        (
            OPERATOR,
            "CreateCampaign",
            (json.dumps({**CAMPAIGN, "contractor": ""}),),
            "campaign contractor must be 1-128 characters",
        ),
        (
            H1,
            "Pledge",
            (BAD, "p-1", "0"),
            "pledge amount '0' must be a positive integer of minor units",
        ),
        (
            H1,
            "Pledge",
            (BAD, "p-1", "12.50"),
            "pledge amount '12.50' must be a positive integer of minor units",
        ),
        # ASCII digits only: str.isdigit() is true for these, int() reads the first
        *(
            (H1, "Pledge", (BAD, "p-1", amount), f"{AMOUNT} '{amount}' {AMOUNT_RULE}")
            for amount in ("١٢", "²", " 12", "12\n", "+12")
        ),
        # too large, however many digits (int() refuses more than 4300 of them)
        *(
            (H1, "Pledge", (BAD, "p-1", amount), f"{AMOUNT} {AMOUNT_RULE}, at most {MAX}")
            for amount in (str(10**12 + 1), "9" * 14, "1" * 4301)
        ),
        (
            H1,
            "Pledge",
            (BAD, "p 1", "100"),
            "pledge id 'p 1' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        # records that do not exist
        (H1, "Pledge", ("nope", "p-1", "100"), "campaign nope does not exist"),
        (UTILITY_ADMIN, "ApproveMilestone", ("nope",), "campaign nope does not exist"),
        (OPERATOR, "Release", ("nope",), "campaign nope does not exist"),
        (REGULATOR, "GetCampaign", ("nope",), "campaign nope does not exist"),
    ],
)
def test_refusals_name_the_reason_and_write_nothing(cc, creator, function, args, message):
    ledger = FakeLedger()
    result = invoke(ledger, cc, creator, function, *args)
    refused(result, message)
    assert (ledger.state, ledger.events) == ({}, [])


# -- a campaign that meets its goal and is approved is released ---------------------------------


def test_a_funded_and_approved_campaign_is_released_to_the_contractor(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc))
    first = ok(invoke(ledger, cc, H1, "Pledge", "battery-1", "p-h1", "3000"))
    assert {k: first[k] for k in ("amount", "household_id", "msp_id", "currency")} == {
        "amount": 3000,
        "household_id": "h-001",
        "msp_id": "CommunityMSP",
        "currency": "EUR",
    }
    assert ok(invoke(ledger, cc, H2, "Pledge", "battery-1", "p-h2", "2000"))["amount"] == 2000
    funded = campaign(ledger, cc)
    assert (funded["status"], funded["pledged"], funded["pledges"]) == ("funded", 5000, 2)
    refused(
        invoke(ledger, cc, H1, "Pledge", "battery-1", "p-h1-more", "10"),
        "campaign battery-1 has met its goal of 5000 EUR; it takes no more pledges",
    )

    refused(
        invoke(ledger, cc, OPERATOR, "Release", "battery-1"),
        "campaign battery-1 cannot be released: approvals missing from UtilityMSP, CommunityMSP",
    )
    approval = ok(invoke(ledger, cc, UTILITY_ADMIN, "ApproveMilestone", "battery-1"))
    assert (approval["msp_id"], approval["approved_by"]) == ("UtilityMSP", "ursula")
    refused(
        invoke(ledger, cc, OPERATOR, "Release", "battery-1"),
        "campaign battery-1 cannot be released: approvals missing from CommunityMSP",
    )
    ok(invoke(ledger, cc, COMMUNITY_ADMIN, "ApproveMilestone", "battery-1"))

    release = invoke(ledger, cc, OPERATOR, "Release", "battery-1")
    released = ok(release)
    assert (released["status"], released["released_amount"], released["released_by"]) == (
        "released",
        5000,
        "UtilityMSP:olga",
    )
    assert released["missing_approvals"] == []
    assert ledger.events[-1] == (
        "CampaignReleased",
        b'{"amount":5000,"campaign_id":"battery-1","contractor":"VoltWorks Ltd",'
        b'"currency":"EUR","released_at":"' + released["released_at"].encode() + b'"}',
    )
    assert event_names(ledger) == [
        "CampaignCreated",
        "PledgeRecorded",
        "PledgeRecorded",
        "MilestoneApproved",
        "MilestoneApproved",
        "CampaignReleased",
    ]

    again = invoke(ledger, cc, OPERATOR, "Release", "battery-1")
    assert (ok(again)["released_at"], again.stub.writes) == (released["released_at"], {})
    refused(
        invoke(ledger, cc, H1, "Refund", "battery-1", "p-h1"),
        "campaign battery-1 was released to VoltWorks Ltd; its pledges cannot be refunded",
    )
    refused(
        invoke(ledger, cc, OPERATOR, "RefundAll", "battery-1"),
        "campaign battery-1 was released to VoltWorks Ltd; its pledges cannot be refunded",
    )
    assert campaign(ledger, cc)["status"] == "released"


def test_release_without_the_goal_names_both_reasons(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc))
    ok(invoke(ledger, cc, H1, "Pledge", "battery-1", "p-h1", "1500"))
    ok(invoke(ledger, cc, COMMUNITY_ADMIN, "ApproveMilestone", "battery-1"))
    refused(
        invoke(ledger, cc, OPERATOR, "Release", "battery-1"),
        "campaign battery-1 cannot be released: goal not met (pledged 1500 of 5000 EUR); "
        "approvals missing from UtilityMSP",
    )


def test_an_approval_counts_once_per_org_and_only_from_an_approver(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc))
    first = invoke(ledger, cc, UTILITY_ADMIN, "ApproveMilestone", "battery-1")
    other_admin = identity("UtilityMSP", "admin", cn="ulrich")
    again = invoke(ledger, cc, other_admin, "ApproveMilestone", "battery-1")
    assert (again.payload, again.stub.writes, again.stub.events) == (first.payload, {}, [])
    assert [a["msp_id"] for a in campaign(ledger, cc)["approvals"]] == ["UtilityMSP"]
    refused(
        invoke(ledger, cc, REGULATOR_ADMIN, "ApproveMilestone", "battery-1"),
        "RegulatorMSP is not an approver of campaign battery-1; "
        "approvers: UtilityMSP, CommunityMSP",
    )


# -- a campaign that misses its goal is refunded after the deadline ------------------------------


def test_a_campaign_that_misses_its_goal_refunds_after_the_deadline(cc):
    ledger = FakeLedger()
    deadline = "2026-03-01T09:40:00Z"  # the 10th invoke runs at 09:40
    ok(create(ledger, cc, deadline=deadline))  # 09:31
    ok(invoke(ledger, cc, H1, "Pledge", "battery-1", "p-h1", "1000"))
    ok(invoke(ledger, cc, H2, "Pledge", "battery-1", "p-h2", "500"))
    ok(invoke(ledger, cc, UTILITY_ADMIN, "ApproveMilestone", "battery-1"))
    refused(
        invoke(ledger, cc, H1, "Refund", "battery-1", "p-h1"),  # 09:35
        "campaign battery-1 takes pledges until 2026-03-01T09:40:00Z; refunds start after it",
    )
    refused(
        invoke(ledger, cc, OPERATOR, "RefundAll", "battery-1"),
        "campaign battery-1 takes pledges until 2026-03-01T09:40:00Z; refunds start after it",
    )
    assert campaign(ledger, cc)["status"] == "open"  # 09:37
    pass_time(ledger, cc, 2)  # 09:39

    refused(
        invoke(ledger, cc, H1, "Pledge", "battery-1", "p-late", "5000"),  # 09:40
        "campaign battery-1 closed for pledges at 2026-03-01T09:40:00Z",
    )
    refused(
        invoke(ledger, cc, COMMUNITY_ADMIN, "ApproveMilestone", "battery-1"),
        "campaign battery-1 closed for approvals at 2026-03-01T09:40:00Z",
    )
    view = campaign(ledger, cc)
    assert (view["status"], view["pledged"], view["pledges"]) == ("refunding", 1500, 2)

    refused(
        invoke(ledger, cc, H2, "Refund", "battery-1", "p-h1"),
        "household h-002 may not refund pledge p-h1 of campaign battery-1: "
        "it is another household's",
    )
    refused(
        invoke(ledger, cc, OTHER_H1, "Refund", "battery-1", "p-h1"),
        "household h-001 may not refund pledge p-h1 of campaign battery-1: "
        "it is another household's",
    )
    refused(
        invoke(ledger, cc, H1, "Refund", "battery-1", "p-none"),
        "pledge p-none of campaign battery-1 does not exist",
    )
    refund = invoke(ledger, cc, H1, "Refund", "battery-1", "p-h1")
    pledge = ok(refund)
    assert (pledge["refunded_by"], pledge["amount"]) == ("CommunityMSP:household1", 1000)
    assert set(refund.stub.writes) == {"campaign~battery-1", "pledge~battery-1~p-h1"}
    assert (
        json.loads(ledger.state["campaign~battery-1"])["refunding_since"] == (pledge["refunded_at"])
    )
    retry = invoke(ledger, cc, H1, "Refund", "battery-1", "p-h1")
    assert (retry.payload, retry.stub.writes) == (refund.payload, {})

    everything = ok(invoke(ledger, cc, OPERATOR, "RefundAll", "battery-1"))
    assert ([p["pledge_id"] for p in everything["pledges"]], everything["amount"]) == (
        ["p-h2"],
        500,
    )
    closed = campaign(ledger, cc)
    assert (closed["status"], closed["pledged"], closed["refunded"], closed["refunds"]) == (
        "closed",
        0,
        1500,
        2,
    )
    nothing = invoke(ledger, cc, OPERATOR, "RefundAll", "battery-1")
    assert (ok(nothing)["pledges"], nothing.stub.writes, nothing.stub.events) == ([], {}, [])
    refused(
        invoke(ledger, cc, OPERATOR, "Release", "battery-1"),
        "campaign battery-1 is refunding its pledges; it cannot be released",
    )
    assert event_names(ledger) == [
        "CampaignCreated",
        "PledgeRecorded",
        "PledgeRecorded",
        "MilestoneApproved",
        "PledgeRefunded",
        "CampaignRefunded",
    ]


def test_a_funded_campaign_missing_an_approval_at_the_deadline_is_refunded(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc, deadline="2026-03-01T09:35:00Z"))
    ok(invoke(ledger, cc, H1, "Pledge", "battery-1", "p-h1", "5000"))
    ok(invoke(ledger, cc, UTILITY_ADMIN, "ApproveMilestone", "battery-1"))
    assert campaign(ledger, cc)["status"] == "funded"  # 09:34
    assert campaign(ledger, cc)["status"] == "refunding"  # 09:35, the deadline
    refused(
        invoke(ledger, cc, OPERATOR, "Release", "battery-1"),
        "campaign battery-1 cannot be released: approvals missing from CommunityMSP",
    )
    assert ok(invoke(ledger, cc, OPERATOR, "RefundAll", "battery-1"))["amount"] == 5000
    assert ledger.events[-1][0] == "CampaignRefunded"


def test_a_funded_and_approved_campaign_is_not_refunded_after_the_deadline(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc, deadline="2026-03-01T09:36:00Z"))
    ok(invoke(ledger, cc, H1, "Pledge", "battery-1", "p-h1", "5000"))
    ok(invoke(ledger, cc, UTILITY_ADMIN, "ApproveMilestone", "battery-1"))
    ok(invoke(ledger, cc, COMMUNITY_ADMIN, "ApproveMilestone", "battery-1"))
    pass_time(ledger, cc, 2)
    assert campaign(ledger, cc)["status"] == "funded"  # 09:37, past the deadline
    refused(
        invoke(ledger, cc, H1, "Refund", "battery-1", "p-h1"),
        "campaign battery-1 met its goal and every approval; it is to be released, not refunded",
    )
    assert ok(invoke(ledger, cc, OPERATOR, "Release", "battery-1"))["status"] == "released"


def test_an_empty_campaign_closes_at_the_deadline_and_refund_all_records_it(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc, deadline="2026-03-01T09:33:00Z"))
    pass_time(ledger, cc, 1)
    assert campaign(ledger, cc)["status"] == "closed"
    result = invoke(ledger, cc, OPERATOR, "RefundAll", "battery-1")
    assert ok(result) == {"campaign_id": "battery-1", "pledges": [], "amount": 0}
    assert set(result.stub.writes) == {"campaign~battery-1"}
    assert ledger.events[-1] == (
        "CampaignRefunded",
        b'{"amount":0,"at":"2026-03-01T09:34:00Z","campaign_id":"battery-1","pledges":0}',
    )


# -- pledges -------------------------------------------------------------------------------------


def test_a_repeated_pledge_is_idempotent_and_a_conflicting_reuse_is_refused(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc))
    first = invoke(ledger, cc, H1, "Pledge", "battery-1", "p-1", "700")
    assert set(first.stub.writes) == {
        "pledge~battery-1~p-1",
        "pledgeby~CommunityMSP~h-001~battery-1~p-1",
    }
    assert first.stub.events == [
        (
            "PledgeRecorded",
            b'{"at":"2026-03-01T09:32:00Z","campaign_id":"battery-1","pledge_id":"p-1"}',
        )
    ]
    again = invoke(ledger, cc, H1, "Pledge", "battery-1", "p-1", "700")
    assert (again.status, again.payload, again.stub.writes, again.stub.events) == (
        200,
        first.payload,
        {},
        [],
    )
    message = "pledge p-1 of campaign battery-1 already exists with other values"
    refused(invoke(ledger, cc, H1, "Pledge", "battery-1", "p-1", "800"), message)
    refused(invoke(ledger, cc, H2, "Pledge", "battery-1", "p-1", "700"), message)
    refused(invoke(ledger, cc, OTHER_H1, "Pledge", "battery-1", "p-1", "700"), message)
    assert campaign(ledger, cc)["pledged"] == 700


def test_a_pledge_after_the_deadline_is_refused(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc, deadline="2026-03-01T09:32:00Z"))
    refused(
        invoke(ledger, cc, H1, "Pledge", "battery-1", "p-1", "100"),
        "campaign battery-1 closed for pledges at 2026-03-01T09:32:00Z",
    )


def test_individual_amounts_are_shown_to_the_household_itself_and_the_utility_only(cc):
    ledger = FakeLedger()
    ok(create(ledger, cc))
    ok(invoke(ledger, cc, H1, "Pledge", "battery-1", "p-h1", "1200"))
    ok(invoke(ledger, cc, H2, "Pledge", "battery-1", "p-h2", "300"))
    ok(create(ledger, cc, campaign_id="feeder-7", goal=900))
    ok(invoke(ledger, cc, H1, "Pledge", "feeder-7", "p-h1", "50"))

    def visible(creator):
        return [
            (p["household_id"], p["amount"])
            for p in campaign(ledger, cc, creator)["visible_pledges"]
        ]

    assert visible(OPERATOR) == [("h-001", 1200), ("h-002", 300)]
    assert visible(H1) == [("h-001", 1200)]
    assert visible(H2) == [("h-002", 300)]
    assert visible(OTHER_H1) == []
    assert visible(REGULATOR) == []
    assert visible(COMMUNITY_ADMIN) == []
    public = campaign(ledger, cc, REGULATOR)
    assert (public["pledged"], public["pledges"]) == (1500, 2)

    listed = ok(invoke(ledger, cc, H2, "ListCampaigns"))
    assert [(c["campaign_id"], c["pledged"], c["pledges"]) for c in listed] == [
        ("battery-1", 1500, 2),
        ("feeder-7", 50, 1),
    ]
    assert all("visible_pledges" not in c for c in listed)

    mine = ok(invoke(ledger, cc, H1, "ListMyPledges", ""))
    assert [(p["campaign_id"], p["amount"]) for p in mine] == [
        ("battery-1", 1200),
        ("feeder-7", 50),
    ]
    one = ok(invoke(ledger, cc, H1, "ListMyPledges", "feeder-7"))
    assert [(p["campaign_id"], p["amount"]) for p in one] == [("feeder-7", 50)]
    assert ok(invoke(ledger, cc, OTHER_H1, "ListMyPledges", "")) == []
