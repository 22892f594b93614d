"""Every write transaction kind refuses a caller of the wrong role or org, on the real network.

The arguments are valid enough to reach the access check, which runs first; the
message proves the refusal came from the chaincode's role table.
"""

from __future__ import annotations

import pytest

from client import EndorseError
from network.connect import gateway
from network.topology import COMMUNITY, REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

INTERVAL = "2026-03-01T12:00:00Z"

CASES = [
    # (channel, chaincode contract, function, args, caller org, user, expected message)
    (
        "community-sunnyside",
        "MeterContract",
        "RegisterMeter",
        ("m-x", "h-x", "F-1", "k"),
        COMMUNITY,
        "household1",
        "may not call RegisterMeter; allowed: utility",
    ),
    (
        "community-sunnyside",
        "ReadingContract",
        "SubmitReadings",
        (),
        UTILITY,
        "operator1",
        "caller role 'operator' may not call SubmitReadings; allowed: meter",
    ),
    (
        "community-sunnyside",
        "MeterContract",
        "PurgeHousehold",
        ("h-001", "retention"),
        UTILITY,
        "billing1",
        "caller role 'billing' may not call PurgeHousehold; allowed: operator",
    ),
    (
        "community-sunnyside",
        "ConsentContract",
        "GrantConsent",
        ("c-1", "CommunityMSP:advisor1", "x", INTERVAL, INTERVAL, INTERVAL),
        COMMUNITY,
        "advisor1",
        "caller role 'third_party' may not call GrantConsent",
    ),
    (
        "community-sunnyside",
        "ConsentContract",
        "RevokeConsent",
        ("c-1",),
        UTILITY,
        "operator1",
        "may not call RevokeConsent; allowed: community",
    ),
    (
        "community-sunnyside",
        "TariffContract",
        "ProposeTariff",
        ("{}",),
        REGULATOR,
        "auditor1",
        "may not call ProposeTariff; allowed: utility",
    ),
    (
        "community-sunnyside",
        "TariffContract",
        "ApproveTariff",
        ("t-1",),
        UTILITY,
        "operator1",
        "may not call ApproveTariff; allowed: regulator",
    ),
    (
        "community-sunnyside",
        "MarketContract",
        "PlaceOrder",
        (),
        UTILITY,
        "operator1",
        "may not call PlaceOrder; allowed: community",
    ),
    (
        "community-sunnyside",
        "MarketContract",
        "ClearInterval",
        (INTERVAL,),
        COMMUNITY,
        "household1",
        "may not call ClearInterval; allowed: utility",
    ),
    (
        "community-sunnyside",
        "MarketContract",
        "SettleInterval",
        (INTERVAL,),
        UTILITY,
        "headend1",
        "caller role 'meter' may not call SettleInterval",
    ),
    (
        "community-sunnyside",
        "BillingContract",
        "GenerateInvoice",
        ("h-001", "2026-03-01", "2026-03-02"),
        UTILITY,
        "operator1",
        "caller role 'operator' may not call GenerateInvoice; allowed: billing",
    ),
    (
        "community-sunnyside",
        "GridEventContract",
        "ReportGridEvent",
        ("{}",),
        REGULATOR,
        "auditor1",
        "may not call ReportGridEvent; allowed: utility",
    ),
    (
        "community-sunnyside",
        "GridEventContract",
        "EndGridEvent",
        ("ev-1", INTERVAL),
        COMMUNITY,
        "household2",
        "may not call EndGridEvent; allowed: utility",
    ),
    (
        "consortium",
        "AggregateContract",
        "PublishAggregate",
        ("sunnyside", INTERVAL, "{}"),
        REGULATOR,
        "auditor1",
        "caller from RegulatorMSP (regulator) may not call PublishAggregate; allowed: utility",
    ),
    (
        "consortium",
        "AggregateContract",
        "SetThreshold",
        ("7",),
        UTILITY,
        "operator1",
        "caller from UtilityMSP (utility) may not call SetThreshold; allowed: regulator",
    ),
    (
        "consortium",
        "MemberContract",
        "RegisterMember",
        ("UtilityMSP", "x", "utility"),
        UTILITY,
        "operator1",
        "caller role 'operator' may not call RegisterMember; allowed: admin",
    ),
    (
        "consortium",
        "MemberContract",
        "UpdateMember",
        ("RegulatorMSP", "x"),
        UTILITY,
        "admin",
        "caller from UtilityMSP may not act for RegulatorMSP",
    ),
]


@pytest.mark.parametrize(
    ("channel", "contract", "function", "args", "org", "user", "message"),
    CASES,
    ids=[case[2] for case in CASES],
)
def test_a_wrong_caller_is_refused_by_the_ledger(
    channel, contract, function, args, org, user, message
):
    chaincode = "consortium" if channel == "consortium" else "community"
    with gateway(org, user) as gw, pytest.raises(EndorseError) as refused:
        gw.get_network(channel).get_contract(chaincode, contract).submit(function, args=args)
    assert message in str(refused.value)
