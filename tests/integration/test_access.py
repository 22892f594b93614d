"""The ledger itself refuses what a caller may not do: attributes come from real CA certificates."""

from __future__ import annotations

import json

import pytest
from member_registry import ensure_registered, members, utility_seen_by

from client import EndorseError
from network.connect import gateway
from network.topology import COMMUNITY, REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")


@pytest.mark.parametrize(
    ("org", "user", "function", "args", "message"),
    [
        (
            COMMUNITY,
            "admin",
            "UpdateMember",
            (UTILITY.msp_id, "taken over"),
            "caller from CommunityMSP may not act for UtilityMSP",
        ),
        (
            UTILITY,
            "operator1",
            "UpdateMember",
            (UTILITY.msp_id, "renamed by an operator"),
            "caller role 'operator' may not call UpdateMember; allowed: admin",
        ),
        (
            COMMUNITY,
            "household1",
            "RegisterMember",
            (COMMUNITY.msp_id, "a household's coop", "community"),
            "caller role 'household' may not call RegisterMember; allowed: admin",
        ),
        (
            UTILITY,
            "admin",
            "UpdateMember",
            (UTILITY.msp_id, "  padded  "),
            "member name must not have leading or trailing spaces or control characters",
        ),
    ],
    ids=["other-org", "wrong-role", "household", "bad-name"],
)
def test_refused_calls_fail_at_endorsement_with_the_reason_and_write_nothing(
    org, user, function, args, message
):
    ensure_registered()
    with gateway(REGULATOR, "auditor1") as gw:
        before = members(gw).evaluate("GetMember", args=(UTILITY.msp_id,))

    with gateway(org, user) as gw, pytest.raises(EndorseError) as refused:
        members(gw).submit(function, args=args)

    assert message in str(refused.value)
    assert refused.value.transaction_id
    assert utility_seen_by(REGULATOR) == json.loads(before)
