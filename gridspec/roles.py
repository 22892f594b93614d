"""GridLedger's role table: who may call which transaction. Defined once, used twice.

The chaincode enforces it (``chaincode/access.py``) and the client's domain facade
applies the same table before any network call (``client/facade.py``), so a refusal
reads the same wherever it happens. Pure data and one pure function: no Fabric here.

A rule names the roles (the ``role`` attribute Fabric CA put in the caller's
certificate; empty = any role) and the kinds of org the caller must belong to. Orgs
are known by kind, not by a list of MSP ids: the utility is ``UtilityMSP``, the
regulator is ``RegulatorMSP``, and the community is whichever other member a channel
has, so one chaincode serves every community channel. Record-level checks (a
household reads only its own data; a third party only what a live consent grants; an
admin acts only for its own org) come on top, in the contracts.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALL_ORGS",
    "ANY_ROLE",
    "COMMUNITY",
    "REGULATOR",
    "RULES",
    "UTILITY",
    "Rule",
    "org_kind",
    "refusal",
]

UTILITY = "utility"
COMMUNITY = "community"
REGULATOR = "regulator"
ALL_ORGS = (UTILITY, COMMUNITY, REGULATOR)
ANY_ROLE: tuple[str, ...] = ()
MSP_KINDS = {"UtilityMSP": UTILITY, "RegulatorMSP": REGULATOR}


@dataclass(frozen=True)
class Rule:
    """The roles (empty: any) and org kinds allowed to call one transaction."""

    roles: tuple[str, ...]
    orgs: tuple[str, ...]


OPERATOR = Rule(("operator",), (UTILITY,))
ANYONE = Rule(ANY_ROLE, ALL_ORGS)
HOUSEHOLD = Rule(("household",), (COMMUNITY,))
# who sees every order and trade of the market: the utility's and the community's staff
MARKET_STAFF = Rule(("operator", "billing", "admin"), (UTILITY, COMMUNITY))

RULES: dict[str, Rule] = {
    # community chaincode
    "RegisterMeter": OPERATOR,
    "SubmitReadings": Rule(("meter",), (UTILITY,)),
    "GetReadings": Rule(("household", "operator", "billing", "third_party"), ALL_ORGS),
    "DiscloseReading": Rule(("household", "operator", "billing", "third_party"), ALL_ORGS),
    "GetReadingCommitment": ANYONE,
    "VerifyReading": ANYONE,
    "PurgeExpiredReadings": OPERATOR,
    "SetKeySalt": Rule(("admin",), (UTILITY, COMMUNITY)),
    "GetMeter": ANYONE,
    # a household its own meters; the staff every meter of the channel
    "ListMeters": Rule(("household", *MARKET_STAFF.roles), (UTILITY, COMMUNITY)),
    "PurgeHousehold": OPERATOR,
    "GrantConsent": HOUSEHOLD,
    "RevokeConsent": HOUSEHOLD,
    "ListConsents": HOUSEHOLD,
    "ProposeTariff": OPERATOR,
    "ApproveTariff": Rule(("regulator",), (REGULATOR,)),
    "GetTariff": ANYONE,
    "TariffInForce": ANYONE,
    "ListTariffs": ANYONE,
    "PlaceOrder": Rule(("household", "agent"), (COMMUNITY,)),
    "GrantAgent": HOUSEHOLD,
    "RevokeAgent": HOUSEHOLD,
    "ListAgents": HOUSEHOLD,
    "ClearInterval": OPERATOR,
    "SettleInterval": Rule(("operator", "billing"), (UTILITY,)),
    "GetOrderBook": ANYONE,
    "GetClearing": ANYONE,
    "GetClearingDetail": MARKET_STAFF,
    "GetClearingDisclosure": MARKET_STAFF,
    "AuditClearing": ANYONE,
    "ListMyOrders": HOUSEHOLD,
    "ListTrades": Rule(("household", *MARKET_STAFF.roles), (UTILITY, COMMUNITY)),
    "GenerateInvoice": Rule(("billing",), (UTILITY,)),
    "GetInvoice": Rule(("household", "billing"), (UTILITY, COMMUNITY)),
    "GetInvoiceEvidence": ANYONE,
    "ListInvoiceEvidence": ANYONE,
    # the readers of households' data but the households themselves; not the regulator's
    # org, whose peer holds no private data and whose identities may not write it
    "RecordAccess": Rule(("operator", "billing", "third_party"), (UTILITY, COMMUNITY)),
    "ListAccesses": HOUSEHOLD,
    "CountAccesses": Rule(("regulator",), (REGULATOR,)),
    # hourly certificates of local solar: the operator issues them from the readings, a
    # household cancels its own against its consumption, anyone audits a disclosed one
    "IssueCertificates": OPERATOR,
    "CancelCertificates": HOUSEHOLD,
    "ListCertificates": HOUSEHOLD,
    "DiscloseCertificate": Rule(("household", "operator"), (UTILITY, COMMUNITY)),
    "AuditCertificate": ANYONE,
    "ReportGridEvent": OPERATOR,
    "EndGridEvent": OPERATOR,
    "GetGridEvent": ANYONE,
    "ListGridEvents": ANYONE,
    # OpenADR 3 events: the utility's VTN publishes them as its operator; anyone reads
    # what the VENs were told, and every revision of it
    "PublishDemandResponseEvent": OPERATOR,
    "WithdrawDemandResponseEvent": OPERATOR,
    "GetDemandResponseEvent": ANYONE,
    "ListDemandResponseEvents": ANYONE,
    "DemandResponseHistory": ANYONE,
    # consortium chaincode
    "RegisterMember": Rule(("admin",), ALL_ORGS),
    "UpdateMember": Rule(("admin",), ALL_ORGS),
    "RecordOnboarding": Rule(("admin",), ALL_ORGS),
    "RecordRemoval": Rule(("admin",), ALL_ORGS),
    "GetMember": ANYONE,
    "ListMembers": ANYONE,
    "PublishAggregate": OPERATOR,
    "SetThreshold": Rule(("regulator",), (REGULATOR,)),
    "GetAggregate": ANYONE,
    "ListAggregates": ANYONE,
    "GetThreshold": ANYONE,
    # consortium chaincode, community funding escrow (record-level checks in funding.py:
    # a creator is the utility's operator or a community's admin, an approver's admin
    # only for a campaign naming its org, a household refunds only its own pledge)
    "CreateCampaign": Rule(("operator", "admin"), (UTILITY, COMMUNITY)),
    "Pledge": HOUSEHOLD,
    "ApproveMilestone": Rule(("admin",), ALL_ORGS),
    "Release": OPERATOR,
    "Refund": HOUSEHOLD,
    "RefundAll": OPERATOR,
    "GetCampaign": ANYONE,
    "ListCampaigns": ANYONE,
    "ListMyPledges": HOUSEHOLD,
}


def org_kind(msp_id: str) -> str:
    return MSP_KINDS.get(msp_id, COMMUNITY)


def refusal(transaction: str, msp_id: str, role: str | None) -> str | None:
    """Why a caller may not call `transaction`, or None when the table allows it."""
    rule = RULES.get(transaction)
    if rule is None:
        return f"{transaction} has no access rule; refusing by default"
    kind = org_kind(msp_id)
    if kind not in rule.orgs:
        allowed = ", ".join(rule.orgs)
        return f"caller from {msp_id} ({kind}) may not call {transaction}; allowed: {allowed}"
    if rule.roles and role not in rule.roles:
        who = f"role '{role}'" if role else "without a role"
        return f"caller {who} may not call {transaction}; allowed: {', '.join(rule.roles)}"
    return None
