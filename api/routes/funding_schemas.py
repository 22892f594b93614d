"""Request and response schemas of community funding (`api/routes/funding.py`): campaigns,
their escrowed pledges, milestone approvals and refunds, made of the bounded fields of
:mod:`api.routes.fields`."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Integer, List, Nested, String
from apiflask.validators import Length, Range, Regexp

from api.routes.fields import MAX_MONEY, UTC, Whole


class CampaignIn(Schema):
    campaign_id = String(required=True, validate=Length(1, 64))
    title = String(required=True, validate=Length(1, 200))
    goal = Whole(
        required=True,
        validate=Range(1, MAX_MONEY),
        metadata={"description": "minor units, e.g. cents"},
    )
    currency = String(
        required=True, validate=(Length(3, 3), Regexp(r"^[A-Z]{3}$", error="like EUR"))
    )
    deadline = String(required=True, validate=UTC, metadata={"description": "in the future"})
    contractor = String(required=True, validate=Length(1, 128))
    approvers = List(
        String(validate=Length(1, 64)),
        required=True,
        validate=Length(1, 16),
        metadata={"example": ["UtilityMSP", "CommunityMSP"]},
    )
    milestone = String(required=True, validate=Length(1, 1000))


class Pledge(Schema):
    campaign_id = String()
    pledge_id = String()
    amount = Integer()
    currency = String()
    household_id = String()
    msp_id = String()
    pledged_by = String()
    pledged_at = String()
    refunded_at = String(allow_none=True)
    refunded_by = String(allow_none=True)
    tx_id = String()


class Approval(Schema):
    campaign_id = String()
    msp_id = String()
    approved_by = String()
    approved_at = String()
    tx_id = String()


class PledgeEntry(Pledge):
    """A pledge in a list (a campaign's, a refund's): Pledge's fields under a name of their
    own, since apispec adds a nested schema to the document before APIFlask adds the same
    class as an operation's response, twice then (Pledge and Pledge1)."""


class ApprovalEntry(Approval):
    """An approval in a campaign's list: Approval's fields (see PledgeEntry)."""


class Campaign(Schema):
    campaign_id = String()
    title = String()
    goal = Integer()
    currency = String()
    deadline = String()
    contractor = String()
    approvers = List(String())
    milestone = String()
    created_by = String()
    created_at = String()
    status = String(metadata={"description": "open, funded, released, refunding or closed"})
    pledged = Integer(metadata={"description": "pledges not refunded, in minor units"})
    pledges = Integer(metadata={"description": "how many pledges are not refunded"})
    refunded = Integer()
    refunds = Integer()
    approvals = List(Nested(ApprovalEntry))
    missing_approvals = List(String())
    released_at = String(allow_none=True)
    released_by = String(allow_none=True)
    released_amount = Integer(allow_none=True)
    refunding_since = String(allow_none=True)
    visible_pledges = List(
        Nested(PledgeEntry),
        metadata={"description": "every pledge for the utility, its own for a household"},
    )
    tx_id = String()


class PledgeIn(Schema):
    pledge_id = String(required=True, validate=Length(1, 64))
    amount = Whole(required=True, validate=Range(1, MAX_MONEY))


class RefundIn(Schema):
    pledge_id = String(
        load_default=None,
        validate=Length(1, 64),
        metadata={"description": "a household's own pledge; none: every pledge (operator)"},
    )


class Refunds(Schema):
    campaign_id = String()
    pledges = List(Nested(PledgeEntry))
    amount = Integer()
