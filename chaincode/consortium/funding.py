"""Community funding escrow: households pool money for shared grid infrastructure.

A campaign (a community battery, a feeder upgrade, a shared PV roof) names its goal in
integer minor units of one currency, a deadline, the contractor who is paid, the
milestone to be signed off and the orgs whose admins must sign it off (its approvers).
The utility's operator or a community's admin creates it; households pledge; each
approver org's admin approves the milestone once; the utility's operator releases the
pooled pledges to the contractor. The ledger records commitments, not money: a pledge
says what a household owes to the escrow, ``Release`` that the escrow pays the
contractor, a refund that the household's pledge is void (or paid back).

**Why the consortium channel.** A campaign for shared infrastructure is public to every
member: the utility builds and connects it, the regulator oversees who pays for the
grid, and a campaign may well span communities. Household identities of every
community can reach the consortium channel (every community org is a member of it),
so households of any community pledge here, not on their own community's channel.
Individual pledges are still not for everyone's eyes: ``GetCampaign`` and
``ListCampaigns`` show totals and counts, and a household's amount only to that
household and to the utility (which collects it). That is access control at the
chaincode, not confidentiality: a pledge is public state, so every member's peer holds
it in its blocks. Events carry no household id and no amount of one household.

**The deadline decides.** Before it, households pledge (while the goal is not met) and
approvers sign off. From the deadline on, nothing is pledged or approved any more, so
the outcome is fixed: with the goal met and every approval in, the operator releases
(before or after the deadline); otherwise the pledges are refunded, each by its
household (``Refund``) or all at once by the operator (``RefundAll``). The first refund
records that decision on the campaign, so later refunds read only the campaign and
their own pledge, and refunds of different households do not conflict.

Status, computed at the transaction's time: ``open`` (taking pledges), ``funded`` (goal
met; awaiting approvals before the deadline, or the release after it), ``released``,
``refunding`` (after the deadline, not releasable, pledges left to refund) and
``closed`` (nothing left to refund).

Keys: ``campaign~<id>`` (terms, then the release or refund decision),
``pledge~<campaign>~<pledge>``, ``approval~<campaign>~<MSP id>`` and the index
``pledgeby~<MSP id>~<household>~<campaign>~<pledge>`` behind ``ListMyPledges``. A
pledge reads the campaign's pledges to refuse one into a funded campaign, so pledges
to one campaign serialise (a concurrent one loses a read conflict; retry it);
approvals of different orgs are separate keys and never conflict.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import COMMUNITY, UTILITY, authorize, org_kind
from chaincode.runtime import (
    AccessDenied,
    Caller,
    Conflict,
    NotFound,
    StateError,
    ValidationError,
    canonical_json,
    emit_event,
    get_json,
    list_json,
    prefix_range,
    put_json,
    tx_timestamp,
)
from chaincode.runtime.state import parse_json
from gridspec.ids import IDENTIFIER

__all__ = [
    "STATUSES",
    "CampaignTerms",
    "FundingContract",
    "campaign_key",
    "campaign_status",
    "pledge_key",
]

STATUSES = ("open", "funded", "released", "refunding", "closed")
ID = IDENTIFIER
MSP_ID = re.compile(r"[A-Za-z][A-Za-z0-9.-]{0,63}")
CURRENCY = re.compile(r"[A-Z]{3}")
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_MONEY = 10**12  # minor units: ten billion in a two-decimal currency
AMOUNT = re.compile(r"[1-9][0-9]*")  # ASCII digits, no leading zero
MAX_APPROVERS = 16
TEXT_MAX = {"title": 200, "contractor": 128, "milestone": 1000}
FIELDS = ("approvers", "campaign_id", "contractor", "currency", "deadline", "goal", "milestone")
TERMS = (*FIELDS, "title")

CAMPAIGN = "campaign~"
PLEDGE = "pledge~"
APPROVAL = "approval~"
PLEDGE_BY = "pledgeby~"


def campaign_key(campaign_id: str) -> str:
    return CAMPAIGN + campaign_id


def pledge_prefix(campaign_id: str) -> str:
    return f"{PLEDGE}{campaign_id}~"


def pledge_key(campaign_id: str, pledge_id: str) -> str:
    return pledge_prefix(campaign_id) + pledge_id


def approval_prefix(campaign_id: str) -> str:
    return f"{APPROVAL}{campaign_id}~"


def approval_key(campaign_id: str, msp_id: str) -> str:
    return approval_prefix(campaign_id) + msp_id


def household_prefix(msp_id: str, household_id: str) -> str:
    return f"{PLEDGE_BY}{msp_id}~{household_id}~"


def household_index_key(msp_id: str, household_id: str, campaign_id: str, pledge_id: str) -> str:
    return f"{household_prefix(msp_id, household_id)}{campaign_id}~{pledge_id}"


# -- validation at the boundary ------------------------------------------------------------


def check_id(what: str, value: Any) -> str:
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise ValidationError(
            f"{what} id '{value}' is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return value


def money_error(what: str) -> ValidationError:
    return ValidationError(f"{what} must be a positive integer of minor units, at most {MAX_MONEY}")


def check_money(what: str, value: Any) -> int:
    """A positive integer amount of minor units (a JSON number, not a string or a float)."""
    if type(value) is not int or not 0 < value <= MAX_MONEY:
        raise money_error(what)
    return value


def parse_amount(amount: str) -> int:
    """A pledge amount as the transaction argument carries it: decimal digits."""
    if not AMOUNT.fullmatch(amount):
        raise ValidationError(f"pledge amount '{amount}' must be a positive integer of minor units")
    if len(amount) > len(str(MAX_MONEY)):  # too large; and int() refuses over 4300 digits
        raise money_error("pledge amount")
    return check_money("pledge amount", int(amount))


def check_text(field: str, value: Any) -> str:
    limit = TEXT_MAX[field]
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationError(f"campaign {field} must be 1-{limit} characters")
    if value != value.strip() or CONTROL.search(value):
        raise ValidationError(
            f"campaign {field} must not have leading or trailing spaces or control characters"
        )
    return value


def check_time(field: str, value: Any) -> str:
    """A UTC instant written ``YYYY-MM-DDTHH:MM:SSZ``: such strings compare as times do."""
    if not isinstance(value, str) or not UTC_TIME.fullmatch(value):
        raise ValidationError(f"{field} must be a UTC time like 2026-03-01T09:15:00Z")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError as exc:
        raise ValidationError(f"{field} {value} is not a valid time") from exc
    return value


def check_approvers(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_APPROVERS:
        raise ValidationError(f"approvers must be a list of 1-{MAX_APPROVERS} MSP ids")
    for msp_id in value:
        if not isinstance(msp_id, str) or not MSP_ID.fullmatch(msp_id):
            raise ValidationError(f"approver '{msp_id}' is not a valid MSP id")
        if value.count(msp_id) > 1:
            raise ValidationError(f"approver {msp_id} is listed twice")
    return tuple(value)


def now(ctx: Any) -> str:
    """The transaction's time to the second, written like a deadline."""
    return tx_timestamp(ctx)[:19] + "Z"


@dataclass(frozen=True)
class CampaignTerms:
    """The validated argument of ``CreateCampaign``: what a campaign promises, fixed."""

    campaign_id: str
    title: str
    goal: int
    currency: str
    deadline: str
    contractor: str
    approvers: tuple[str, ...]
    milestone: str

    @classmethod
    def parse(cls, raw: str) -> CampaignTerms:
        data = parse_json("campaign", raw)
        if not isinstance(data, dict):
            raise ValidationError("campaign must be a JSON object")
        if set(data) != set(TERMS):
            raise ValidationError(f"campaign must have exactly: {', '.join(sorted(TERMS))}")
        currency = data["currency"]
        if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
            raise ValidationError(f"currency '{currency}' must be 3 capital letters like EUR")
        return cls(
            campaign_id=check_id("campaign", data["campaign_id"]),
            title=check_text("title", data["title"]),
            goal=check_money("campaign goal", data["goal"]),
            currency=currency,
            deadline=check_time("deadline", data["deadline"]),
            contractor=check_text("contractor", data["contractor"]),
            approvers=check_approvers(data["approvers"]),
            milestone=check_text("milestone", data["milestone"]),
        )

    def record(self) -> dict[str, Any]:
        return {**asdict(self), "approvers": list(self.approvers)}

    def matches(self, record: dict[str, Any]) -> bool:
        return {field: record.get(field) for field in TERMS} == self.record()


# -- record-level access ---------------------------------------------------------------------


def require_creator(who: Caller) -> None:
    """The utility's operator or a community's admin (the role table allows both roles
    from both kinds of org; the pairing is checked here)."""
    kind = org_kind(who.msp_id)
    if (who.role, kind) not in (("operator", UTILITY), ("admin", COMMUNITY)):
        raise AccessDenied(
            f"{who.role} of {who.msp_id} may not create campaigns: "
            "only the utility's operator or a community's admin may"
        )


def household_of(who: Caller) -> str:
    household_id = who.attributes.get("household_id")
    if not household_id:
        raise AccessDenied("caller has no household_id attribute")
    if not ID.fullmatch(household_id):
        raise AccessDenied(f"caller's household_id attribute '{household_id}' is invalid")
    return household_id


def owns(who: Caller, household_id: str, pledge: dict[str, Any]) -> bool:
    return (pledge["msp_id"], pledge["household_id"]) == (who.msp_id, household_id)


# -- the campaign as read --------------------------------------------------------------------


def active(pledges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in pledges if p["refunded_at"] is None]


def pledged(pledges: list[dict[str, Any]]) -> int:
    return sum(p["amount"] for p in active(pledges))


def missing_approvals(campaign: dict[str, Any], approvals: list[dict[str, Any]]) -> list[str]:
    given = {a["msp_id"] for a in approvals}
    return [msp_id for msp_id in campaign["approvers"] if msp_id not in given]


def releasable(
    campaign: dict[str, Any], pledges: list[dict[str, Any]], approvals: list[dict[str, Any]]
) -> bool:
    return pledged(pledges) >= campaign["goal"] and not missing_approvals(campaign, approvals)


def campaign_status(
    campaign: dict[str, Any],
    pledges: list[dict[str, Any]],
    approvals: list[dict[str, Any]],
    at: str,
) -> str:
    """One of :data:`STATUSES`, at time *at*."""
    if campaign["released_at"] is not None:
        return "released"
    refunding = campaign["refunding_since"] is not None
    if not refunding and at < campaign["deadline"]:
        return "funded" if pledged(pledges) >= campaign["goal"] else "open"
    if not refunding and releasable(campaign, pledges, approvals):
        return "funded"
    return "refunding" if active(pledges) else "closed"


def campaign_view(
    campaign: dict[str, Any],
    pledges: list[dict[str, Any]],
    approvals: list[dict[str, Any]],
    at: str,
    visible: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The campaign with its totals; individual pledges only those in *visible*."""
    view = {
        **campaign,
        "status": campaign_status(campaign, pledges, approvals, at),
        "pledged": pledged(pledges),
        "pledges": len(active(pledges)),
        "refunded": sum(p["amount"] for p in pledges if p["refunded_at"] is not None),
        "refunds": len(pledges) - len(active(pledges)),
        "approvals": sorted(approvals, key=lambda a: a["msp_id"]),
        "missing_approvals": missing_approvals(campaign, approvals),
    }
    if visible is not None:
        view["visible_pledges"] = visible
    return view


def release_refusal(
    campaign: dict[str, Any], pledges: list[dict[str, Any]], approvals: list[dict[str, Any]]
) -> str | None:
    """Why the campaign cannot be released now, or None."""
    campaign_id = campaign["campaign_id"]
    if campaign["refunding_since"] is not None:
        return f"campaign {campaign_id} is refunding its pledges; it cannot be released"
    reasons = []
    total = pledged(pledges)
    if total < campaign["goal"]:
        reasons.append(
            f"goal not met (pledged {total} of {campaign['goal']} {campaign['currency']})"
        )
    missing = missing_approvals(campaign, approvals)
    if missing:
        reasons.append(f"approvals missing from {', '.join(missing)}")
    if not reasons:
        return None
    return f"campaign {campaign_id} cannot be released: {'; '.join(reasons)}"


class FundingContract(Contract):
    """Campaigns, pledges, milestone approvals, release to the contractor, refunds."""

    Name = "FundingContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetCampaign", "ListCampaigns", "ListMyPledges"]

    async def CreateCampaign(self, ctx: TransactionContext, campaign_json: str) -> str:
        """Open a campaign (the utility's operator or a community's admin); idempotent."""
        creator = authorize(ctx)
        require_creator(creator)
        terms = CampaignTerms.parse(campaign_json)
        key = campaign_key(terms.campaign_id)
        existing = await get_json(ctx, key)
        if existing is not None:
            if not terms.matches(existing):
                raise Conflict(f"campaign {terms.campaign_id} already exists with other terms")
            return canonical_json(await self._view(ctx, existing, creator))
        at = now(ctx)
        if terms.deadline <= at:
            raise ValidationError(
                f"deadline {terms.deadline} must be after the transaction time {at}"
            )
        record = {
            **terms.record(),
            "created_by": f"{creator.msp_id}:{creator.common_name}",
            "created_at": at,
            "released_at": None,
            "released_by": None,
            "released_amount": None,
            "refunding_since": None,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, key, record)
        emit_event(ctx, "CampaignCreated", record)
        return canonical_json(campaign_view(record, [], [], at, visible=[]))

    async def Pledge(
        self, ctx: TransactionContext, campaign_id: str, pledge_id: str, amount: str
    ) -> str:
        """Pledge *amount* minor units to an open campaign (a household); idempotent."""
        who = authorize(ctx)
        household_id = household_of(who)
        check_id("campaign", campaign_id)
        check_id("pledge", pledge_id)
        value = parse_amount(amount)
        campaign = await self._campaign(ctx, campaign_id)
        key = pledge_key(campaign_id, pledge_id)
        existing = await get_json(ctx, key)
        if existing is not None:
            if owns(who, household_id, existing) and existing["amount"] == value:
                return canonical_json(existing)
            raise Conflict(
                f"pledge {pledge_id} of campaign {campaign_id} already exists with other values"
            )
        at = now(ctx)
        if campaign["released_at"] is not None:
            raise Conflict(f"campaign {campaign_id} is released; it takes no more pledges")
        if at >= campaign["deadline"]:
            raise Conflict(f"campaign {campaign_id} closed for pledges at {campaign['deadline']}")
        if pledged(await self._pledges(ctx, campaign_id)) >= campaign["goal"]:
            raise Conflict(
                f"campaign {campaign_id} has met its goal of {campaign['goal']} "
                f"{campaign['currency']}; it takes no more pledges"
            )
        record = {
            "campaign_id": campaign_id,
            "pledge_id": pledge_id,
            "amount": value,
            "currency": campaign["currency"],
            "household_id": household_id,
            "msp_id": who.msp_id,
            "pledged_by": who.common_name,
            "pledged_at": at,
            "refunded_at": None,
            "refunded_by": None,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, key, record)
        index = household_index_key(who.msp_id, household_id, campaign_id, pledge_id)
        await put_json(ctx, index, {"campaign_id": campaign_id, "pledge_id": pledge_id})
        emit_event(
            ctx, "PledgeRecorded", {"campaign_id": campaign_id, "pledge_id": pledge_id, "at": at}
        )
        return canonical_json(record)

    async def ApproveMilestone(self, ctx: TransactionContext, campaign_id: str) -> str:
        """Sign off the milestone for the caller's org (an admin of an approver org), once."""
        admin = authorize(ctx)
        check_id("campaign", campaign_id)
        campaign = await self._campaign(ctx, campaign_id)
        if admin.msp_id not in campaign["approvers"]:
            raise AccessDenied(
                f"{admin.msp_id} is not an approver of campaign {campaign_id}; "
                f"approvers: {', '.join(campaign['approvers'])}"
            )
        key = approval_key(campaign_id, admin.msp_id)
        existing = await get_json(ctx, key)
        if existing is not None:
            return canonical_json(existing)
        at = now(ctx)
        if campaign["refunding_since"] is not None or at >= campaign["deadline"]:
            raise Conflict(f"campaign {campaign_id} closed for approvals at {campaign['deadline']}")
        record = {
            "campaign_id": campaign_id,
            "msp_id": admin.msp_id,
            "approved_by": admin.common_name,
            "approved_at": at,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, key, record)
        emit_event(ctx, "MilestoneApproved", record)
        return canonical_json(record)

    async def Release(self, ctx: TransactionContext, campaign_id: str) -> str:
        """Release the pledges to the contractor (the utility's operator): only with the
        goal met and every approval in; a repeat returns the released campaign."""
        who = authorize(ctx)
        check_id("campaign", campaign_id)
        campaign = await self._campaign(ctx, campaign_id)
        pledges = await self._pledges(ctx, campaign_id)
        approvals = await self._approvals(ctx, campaign_id)
        at = now(ctx)
        if campaign["released_at"] is None:
            reason = release_refusal(campaign, pledges, approvals)
            if reason is not None:
                raise Conflict(reason)
            campaign = {
                **campaign,
                "released_at": at,
                "released_by": f"{who.msp_id}:{who.common_name}",
                "released_amount": pledged(pledges),
            }
            await put_json(ctx, campaign_key(campaign_id), campaign)
            emit_event(
                ctx,
                "CampaignReleased",
                {
                    "campaign_id": campaign_id,
                    "contractor": campaign["contractor"],
                    "amount": campaign["released_amount"],
                    "currency": campaign["currency"],
                    "released_at": at,
                },
            )
        return canonical_json(campaign_view(campaign, pledges, approvals, at, visible=pledges))

    async def Refund(self, ctx: TransactionContext, campaign_id: str, pledge_id: str) -> str:
        """Refund the caller household's own pledge of a campaign that failed; idempotent."""
        who = authorize(ctx)
        household_id = household_of(who)
        check_id("campaign", campaign_id)
        check_id("pledge", pledge_id)
        campaign = await self._campaign(ctx, campaign_id)
        key = pledge_key(campaign_id, pledge_id)
        pledge = await get_json(ctx, key)
        if pledge is None:
            raise NotFound(f"pledge {pledge_id} of campaign {campaign_id} does not exist")
        if not owns(who, household_id, pledge):
            raise AccessDenied(
                f"household {household_id} may not refund pledge {pledge_id} of campaign "
                f"{campaign_id}: it is another household's"
            )
        if pledge["refunded_at"] is not None:
            return canonical_json(pledge)
        at, _ = await self._may_refund(ctx, campaign)
        pledge = {**pledge, "refunded_at": at, "refunded_by": f"{who.msp_id}:{who.common_name}"}
        await put_json(ctx, key, pledge)
        emit_event(
            ctx, "PledgeRefunded", {"campaign_id": campaign_id, "pledge_id": pledge_id, "at": at}
        )
        return canonical_json(pledge)

    async def RefundAll(self, ctx: TransactionContext, campaign_id: str) -> str:
        """Refund every pledge not refunded yet of a campaign that failed (the utility's
        operator); returns the pledges this call refunded and their sum."""
        who = authorize(ctx)
        check_id("campaign", campaign_id)
        campaign = await self._campaign(ctx, campaign_id)
        at, decided = await self._may_refund(ctx, campaign)
        refunded = [
            {**p, "refunded_at": at, "refunded_by": f"{who.msp_id}:{who.common_name}"}
            for p in active(await self._pledges(ctx, campaign_id))
        ]
        for pledge in refunded:
            await put_json(ctx, pledge_key(campaign_id, pledge["pledge_id"]), pledge)
        amount = sum(p["amount"] for p in refunded)
        if refunded or decided:
            emit_event(
                ctx,
                "CampaignRefunded",
                {"campaign_id": campaign_id, "pledges": len(refunded), "amount": amount, "at": at},
            )
        return canonical_json({"campaign_id": campaign_id, "pledges": refunded, "amount": amount})

    async def GetCampaign(self, ctx: TransactionContext, campaign_id: str) -> str:
        """The campaign with totals; individual pledges for the utility (all) and for a
        household (its own) only."""
        who = authorize(ctx)
        check_id("campaign", campaign_id)
        campaign = await self._campaign(ctx, campaign_id)
        return canonical_json(await self._view(ctx, campaign, who))

    async def ListCampaigns(self, ctx: TransactionContext) -> str:
        """Every campaign with its totals (no individual pledges), by campaign id."""
        authorize(ctx)
        at = now(ctx)
        pledges: dict[str, list[dict[str, Any]]] = {}
        for _, pledge in await list_json(ctx, *prefix_range(PLEDGE)):
            pledges.setdefault(pledge["campaign_id"], []).append(pledge)
        approvals: dict[str, list[dict[str, Any]]] = {}
        for _, approval in await list_json(ctx, *prefix_range(APPROVAL)):
            approvals.setdefault(approval["campaign_id"], []).append(approval)
        return canonical_json(
            [
                campaign_view(
                    c, pledges.get(c["campaign_id"], []), approvals.get(c["campaign_id"], []), at
                )
                for _, c in await list_json(ctx, *prefix_range(CAMPAIGN))
            ]
        )

    async def ListMyPledges(self, ctx: TransactionContext, campaign_id: str) -> str:
        """The caller household's pledges of one campaign, or of every campaign when
        *campaign_id* is empty, by campaign and pledge id."""
        who = authorize(ctx)
        household_id = household_of(who)
        prefix = household_prefix(who.msp_id, household_id)
        if campaign_id:
            prefix += check_id("campaign", campaign_id) + "~"
        found = []
        for key, entry in await list_json(ctx, *prefix_range(prefix)):
            pledge = await get_json(ctx, pledge_key(entry["campaign_id"], entry["pledge_id"]))
            if pledge is None:
                raise StateError(f"pledge index {key} names a pledge that does not exist")
            found.append(pledge)
        return canonical_json(found)

    # -- helpers -----------------------------------------------------------------------------

    async def _campaign(self, ctx: Any, campaign_id: str) -> dict[str, Any]:
        campaign = await get_json(ctx, campaign_key(campaign_id))
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist")
        if not isinstance(campaign, dict):
            raise StateError(f"campaign {campaign_id} is not a record")
        return campaign

    async def _pledges(self, ctx: Any, campaign_id: str) -> list[dict[str, Any]]:
        return [p for _, p in await list_json(ctx, *prefix_range(pledge_prefix(campaign_id)))]

    async def _approvals(self, ctx: Any, campaign_id: str) -> list[dict[str, Any]]:
        return [a for _, a in await list_json(ctx, *prefix_range(approval_prefix(campaign_id)))]

    async def _view(self, ctx: Any, campaign: dict[str, Any], who: Caller) -> dict[str, Any]:
        campaign_id = campaign["campaign_id"]
        pledges = await self._pledges(ctx, campaign_id)
        approvals = await self._approvals(ctx, campaign_id)
        if org_kind(who.msp_id) == UTILITY:
            visible = pledges
        elif who.role == "household" and who.attributes.get("household_id"):
            visible = [p for p in pledges if owns(who, who.attributes["household_id"], p)]
        else:
            visible = []
        return campaign_view(campaign, pledges, approvals, now(ctx), visible)

    async def _may_refund(self, ctx: Any, campaign: dict[str, Any]) -> tuple[str, bool]:
        """The transaction's time, if the campaign's pledges may be refunded now, and
        whether this call recorded that decision on the campaign (the first refund does).
        Else Conflict, saying why."""
        campaign_id = campaign["campaign_id"]
        at = now(ctx)
        if campaign["released_at"] is not None:
            raise Conflict(
                f"campaign {campaign_id} was released to {campaign['contractor']}; "
                "its pledges cannot be refunded"
            )
        if campaign["refunding_since"] is not None:
            return at, False
        if at < campaign["deadline"]:
            raise Conflict(
                f"campaign {campaign_id} takes pledges until {campaign['deadline']}; "
                "refunds start after it"
            )
        pledges = await self._pledges(ctx, campaign_id)
        if releasable(campaign, pledges, await self._approvals(ctx, campaign_id)):
            raise Conflict(
                f"campaign {campaign_id} met its goal and every approval; "
                "it is to be released, not refunded"
            )
        await put_json(ctx, campaign_key(campaign_id), {**campaign, "refunding_since": at})
        return at, True
