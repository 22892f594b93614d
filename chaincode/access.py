"""The chaincode side of the role table: refuse the running transaction's caller.

The table itself is :mod:`gridspec.roles`, shared with the client's facade.
"""

from __future__ import annotations

from typing import Any

from chaincode.runtime import AccessDenied, Caller, caller
from chaincode.runtime.identity import transaction_name
from gridspec.roles import COMMUNITY, REGULATOR, RULES, UTILITY, org_kind, refusal

__all__ = ["COMMUNITY", "REGULATOR", "RULES", "UTILITY", "authorize", "org_kind"]


def authorize(ctx: Any) -> Caller:
    """The caller, if the role table allows it the running transaction; else AccessDenied."""
    name = transaction_name(ctx)
    if name not in RULES:
        raise AccessDenied(f"{name} has no access rule; refusing by default")
    who = caller(ctx)
    reason = refusal(name, who.msp_id, who.role)
    if reason is not None:
        raise AccessDenied(reason)
    return who
