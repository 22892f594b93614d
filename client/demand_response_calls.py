"""The facade's calls of demand response (:mod:`chaincode.community.demand_response`): the
utility's VTN publishes OpenADR 3 events on the grid-event register and withdraws them,
anyone reads them and their revisions, and the operator measures an event's effect from
the households' readings (:mod:`client.demand_response`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gridspec.roles import UTILITY, org_kind

from .demand_response import baseline_period, effect
from .errors import Forbidden

__all__ = ["DemandResponseCalls"]


class DemandResponseCalls:
    """OpenADR 3 events on the ledger, through the facade's checked `call`."""

    call: Callable[..., Any]
    caller: Any
    readings: Callable[..., Any]
    meters: Callable[..., Any]

    def publish_event(self, event: Mapping[str, Any]) -> Any:
        """Create or update an event (its current revision, as the register stamped it)."""
        return self.call("PublishDemandResponseEvent", json.dumps(dict(event)))

    def withdraw_event(self, event_id: str) -> Any:
        return self.call("WithdrawDemandResponseEvent", event_id)

    def demand_response_event(self, event_id: str) -> Any:
        return self.call("GetDemandResponseEvent", event_id)

    def demand_response_events(self, program_id: str = "") -> Any:
        """The events not withdrawn, of one program or of all."""
        return self.call("ListDemandResponseEvents", program_id)

    def demand_response_history(self, event_id: str) -> Any:
        """Every revision of an event: what the VENs were told, by whom and when."""
        return self.call("DemandResponseHistory", event_id)

    def demand_response_effect(
        self, event_id: str, baseline_days: int = 5, households: Sequence[str] = ()
    ) -> Any:
        """The event's effect on the load of *households* (default: every household with a
        meter) against their baselines. Reads each one's readings of the event's window
        and of the days before it; each read leaves its access record, so a household
        sees who measured it and when."""
        role, kind = self.caller.role, org_kind(self.caller.msp_id)
        if role != "operator" or kind != UTILITY:
            raise Forbidden(
                "DemandResponseEffect",
                f"caller role '{role}' of {self.caller.msp_id} may not measure demand "
                "response; allowed: the utility's operator",
            )
        event = self.demand_response_event(event_id)["event"]
        start, end = baseline_period(event, baseline_days)
        chosen = sorted(set(households) or {m["household_id"] for m in self.meters()})
        readings = {h: self.readings(h, start, end) for h in chosen}
        return effect(event, readings, baseline_days)
