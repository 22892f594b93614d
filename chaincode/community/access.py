"""Who may call what on a community channel: GridLedger's one role table.

A rule names the roles (the ``role`` attribute Fabric CA put in the caller's
certificate) and the kinds of org the caller must belong to. Orgs are known by
kind, not by a list of MSP ids: the utility is ``UtilityMSP``, the regulator is
``RegulatorMSP``, and the community is whichever other member the channel has, so
the same chaincode serves every community channel. Record-level checks (a household
reads only its own data, a third party only what a live consent grants) come on top,
in the contracts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaincode.runtime import AccessDenied, Caller, caller
from chaincode.runtime.identity import transaction_name

__all__ = [
    "ANY_ROLE",
    "COMMUNITY",
    "REGULATOR",
    "RULES",
    "UTILITY",
    "Rule",
    "authorize",
    "org_kind",
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

RULES: dict[str, Rule] = {
    "RegisterMeter": OPERATOR,
    "SubmitReadings": Rule(("meter",), (UTILITY,)),
    "GetReadings": Rule(("household", "operator", "billing", "third_party"), ALL_ORGS),
    "GetReadingHash": ANYONE,
    "VerifyReading": ANYONE,
    "GetMeter": ANYONE,
    "PurgeHousehold": OPERATOR,
    "GrantConsent": Rule(("household",), (COMMUNITY,)),
    "RevokeConsent": Rule(("household",), (COMMUNITY,)),
    "ListConsents": Rule(("household",), (COMMUNITY,)),
    "ProposeTariff": OPERATOR,
    "ApproveTariff": Rule(("regulator",), (REGULATOR,)),
    "GetTariff": ANYONE,
    "TariffInForce": ANYONE,
    "PlaceOrder": Rule(("household",), (COMMUNITY,)),
    "ClearInterval": OPERATOR,
    "SettleInterval": Rule(("operator", "billing"), (UTILITY,)),
    "GetOrderBook": ANYONE,
    "GetClearing": ANYONE,
    "ListTrades": ANYONE,
    "GenerateInvoice": Rule(("billing",), (UTILITY,)),
    "GetInvoice": Rule(("household", "billing"), (UTILITY, COMMUNITY)),
    "GetInvoiceEvidence": ANYONE,
    "ReportGridEvent": OPERATOR,
    "EndGridEvent": OPERATOR,
    "GetGridEvent": ANYONE,
    "ListGridEvents": ANYONE,
}


def org_kind(msp_id: str) -> str:
    return MSP_KINDS.get(msp_id, COMMUNITY)


def authorize(ctx: Any) -> Caller:
    """The caller, if RULES allow it the running transaction; else AccessDenied."""
    name = transaction_name(ctx)
    rule = RULES.get(name)
    if rule is None:
        raise AccessDenied(f"{name} has no access rule; refusing by default")
    who = caller(ctx)
    kind = org_kind(who.msp_id)
    if kind not in rule.orgs:
        allowed = ", ".join(rule.orgs)
        raise AccessDenied(
            f"caller from {who.msp_id} ({kind}) may not call {name}; allowed: {allowed}"
        )
    if rule.roles and who.role not in rule.roles:
        allowed = ", ".join(rule.roles)
        role = f"role '{who.role}'" if who.role else "without a role"
        raise AccessDenied(f"caller {role} may not call {name}; allowed: {allowed}")
    return who
