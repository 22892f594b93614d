"""The facade's calls of the consortium channel: the member registry, k-anonymous
aggregates and the community funding escrow (:class:`client.facade.Ledger` has them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ConsortiumCalls"]


class ConsortiumCalls:
    """Members, aggregates and funding, through the facade's checked `call`."""

    call: Callable[..., Any]

    def register_member(self, msp_id: str, name: str, kind: str) -> Any:
        """Register the caller's own org in the member registry (its admin)."""
        return self.call("RegisterMember", msp_id, name, kind)

    def update_member(self, msp_id: str, name: str) -> Any:
        return self.call("UpdateMember", msp_id, name)

    def record_onboarding(self, msp_id: str, name: str, kind: str, record: Any) -> Any:
        """Record the config update that admitted `msp_id` (an admin of another member)."""
        return self.call("RecordOnboarding", msp_id, name, kind, json.dumps(record, sort_keys=True))

    def record_removal(self, msp_id: str, record: Any) -> Any:
        """Record the config updates that removed `msp_id` (an admin of another member)."""
        return self.call("RecordRemoval", msp_id, json.dumps(record, sort_keys=True))

    def members(self) -> Any:
        return self.call("ListMembers")

    def member(self, msp_id: str) -> Any:
        return self.call("GetMember", msp_id)

    def publish_aggregate(
        self, community: str, interval_start: str, totals: Mapping[str, int]
    ) -> Any:
        return self.call("PublishAggregate", community, interval_start, json.dumps(dict(totals)))

    def aggregate(self, community: str, interval_start: str) -> Any:
        return self.call("GetAggregate", community, interval_start)

    def aggregates(self, community: str, start: str, end: str) -> Any:
        return self.call("ListAggregates", community, start, end)

    def set_threshold(self, k: int) -> Any:
        return self.call("SetThreshold", str(k))

    def threshold(self) -> Any:
        return self.call("GetThreshold")

    # community funding (consortium) ----------------------------------------------------

    def create_campaign(self, campaign: Mapping[str, Any]) -> Any:
        """Open a campaign: campaign_id, title, goal (minor units), currency, deadline,
        contractor, approvers (MSP ids) and milestone."""
        return self.call("CreateCampaign", json.dumps(dict(campaign)))

    def campaign(self, campaign_id: str) -> Any:
        return self.call("GetCampaign", campaign_id)

    def campaigns(self) -> Any:
        return self.call("ListCampaigns")

    def pledge(self, campaign_id: str, pledge_id: str, amount: int) -> Any:
        return self.call("Pledge", campaign_id, pledge_id, str(amount))

    def my_pledges(self, campaign_id: str = "") -> Any:
        """The caller household's pledges of one campaign, or of all when none is named."""
        return self.call("ListMyPledges", campaign_id)

    def approve_milestone(self, campaign_id: str) -> Any:
        return self.call("ApproveMilestone", campaign_id)

    def release(self, campaign_id: str) -> Any:
        return self.call("Release", campaign_id)

    def refund(self, campaign_id: str, pledge_id: str) -> Any:
        return self.call("Refund", campaign_id, pledge_id)

    def refund_all(self, campaign_id: str) -> Any:
        return self.call("RefundAll", campaign_id)
