"""Bidding agents: a household delegates its market orders to an identity it can revoke.

An agent is an identity of the community's CA with role ``agent`` and the
``household_id`` attribute of the household it acts for (the community's admin
registers it at the household's request). That alone lets it do nothing: the
household must also delegate to it on the ledger, with its limits
(:class:`gridspec.agent_limits.AgentLimits`), and may revoke the delegation at once,
without waiting for a certificate revocation to reach the channel.

``PlaceOrder`` by an agent checks the delegation and the limits (:func:`delegation_for`):
an order above the household's highest buying price, below its lowest selling price,
or over its volume cap is refused, whatever the agent's software does.

Delegations say who trades for whom, so they are private (the households collection,
under keyed names); they travel in the transient map (``agent``), never as arguments,
which every peer's blocks would keep.
"""

from __future__ import annotations

from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import authorize
from chaincode.community.keyed import keyed_name
from chaincode.runtime import (
    AccessDenied,
    Caller,
    Conflict,
    NotFound,
    ValidationError,
    canonical_json,
    emit_event,
    tx_timestamp,
)
from chaincode.runtime.private import get_private_json, put_private_json, transient
from chaincode.runtime.state import parse_json
from gridspec.agent_limits import AgentLimits
from gridspec.collections import HOUSEHOLDS
from gridspec.ids import IDENTIFIER

__all__ = ["AgentContract", "delegation_for"]


def household_of(who: Caller) -> str:
    household_id = who.attributes.get("household_id")
    if not household_id:
        raise AccessDenied("caller has no household_id attribute")
    return household_id


async def delegation_key(ctx: Any, household_id: str, agent_id: str) -> str:
    return await keyed_name(ctx, "agent", household_id, agent_id)


async def agents_index_key(ctx: Any, household_id: str) -> str:
    return await keyed_name(ctx, "agents", household_id)


def requested(ctx: Any, *fields: str) -> dict[str, Any]:
    """The transient ``agent`` object, with exactly *fields*."""
    raw = transient(ctx).get("agent")
    if raw is None:
        raise ValidationError("the delegation must be sent in the transient map under 'agent'")
    data = parse_json("transient 'agent'", raw)
    if not isinstance(data, dict) or set(data) != set(fields):
        raise ValidationError(f"transient 'agent' must have exactly: {', '.join(fields)}")
    agent_id = data["agent_id"]
    if not isinstance(agent_id, str) or not IDENTIFIER.fullmatch(agent_id):
        raise ValidationError(
            "agent_id must be the agent's enrolment id: 1 to 64 letters, digits, '.', '_' or "
            "'-', starting with a letter or digit"
        )
    return data


async def delegation_for(ctx: Any, agent: Caller) -> tuple[str, AgentLimits]:
    """The household an agent acts for and the limits it set; AccessDenied unless the
    household delegated to this agent and has not revoked it."""
    household_id = household_of(agent)
    record = await get_private_json(
        ctx, HOUSEHOLDS, await delegation_key(ctx, household_id, agent.common_name)
    )
    if record is None or record["revoked_at"] is not None:
        state = "revoked its delegation to" if record else "not delegated to"
        raise AccessDenied(f"household {household_id} has {state} agent {agent.common_name}")
    return household_id, AgentLimits.from_record(record["limits"])


class AgentContract(Contract):
    """A household's delegations to bidding agents."""

    Name = "AgentContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["ListAgents"]

    async def GrantAgent(self, ctx: TransactionContext) -> str:
        """Delegate orders to an agent within limits (transient ``agent``: ``agent_id``,
        ``limits``); granting again changes the limits of a live delegation."""
        household_id = household_of(authorize(ctx))
        data = requested(ctx, "agent_id", "limits")
        try:
            limits = AgentLimits.from_record(data["limits"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        key = await delegation_key(ctx, household_id, data["agent_id"])
        existing = await get_private_json(ctx, HOUSEHOLDS, key)
        if existing is not None and existing["revoked_at"] is not None:
            raise Conflict(
                f"agent {data['agent_id']} was revoked; enrol a new agent identity "
                "to delegate again"
            )
        record = {
            "agent_id": data["agent_id"],
            "household_id": household_id,
            "limits": limits.to_record(),
            "granted_at": existing["granted_at"] if existing else tx_timestamp(ctx),
            "revoked_at": None,
        }
        if existing != record:
            await put_private_json(ctx, HOUSEHOLDS, key, record)
        index = await agents_index_key(ctx, household_id)
        agents = await get_private_json(ctx, HOUSEHOLDS, index) or []
        if data["agent_id"] not in agents:
            await put_private_json(ctx, HOUSEHOLDS, index, sorted([*agents, data["agent_id"]]))
        emit_event(ctx, "AgentGranted", {})
        return canonical_json({"granted": True})

    async def RevokeAgent(self, ctx: TransactionContext) -> str:
        """End a delegation at once (transient ``agent``: ``agent_id``); final."""
        household_id = household_of(authorize(ctx))
        data = requested(ctx, "agent_id")
        key = await delegation_key(ctx, household_id, data["agent_id"])
        existing = await get_private_json(ctx, HOUSEHOLDS, key)
        if existing is None:
            raise NotFound(f"household {household_id} has no agent {data['agent_id']}")
        if existing["revoked_at"] is None:
            await put_private_json(
                ctx, HOUSEHOLDS, key, {**existing, "revoked_at": tx_timestamp(ctx)}
            )
            emit_event(ctx, "AgentRevoked", {})
        return canonical_json({"revoked": True})

    async def ListAgents(self, ctx: TransactionContext) -> str:
        """The household's delegations, live and revoked."""
        household_id = household_of(authorize(ctx))
        agents = await get_private_json(ctx, HOUSEHOLDS, await agents_index_key(ctx, household_id))
        records = []
        for agent_id in agents or []:
            key = await delegation_key(ctx, household_id, agent_id)
            records.append(await get_private_json(ctx, HOUSEHOLDS, key))
        return canonical_json(records)
