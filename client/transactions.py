"""Where each of GridLedger's transactions lives, and how the client sends it.

For every transaction: its contract (which names the chaincode: the consortium's
contracts are in ``CONSORTIUM_CONTRACTS``, every other one is a community's), whether
it is submitted or only evaluated, and, for reads of private data, which orgs' peers
hold that data (``PRIVATE_READS`` go to them, whoever asks). The domain facade
(:mod:`client.facade`) sends every call by this table; the role table that says who
may call what is :mod:`gridspec.roles`.
"""

from __future__ import annotations

__all__ = ["CONSORTIUM_CONTRACTS", "CONTRACTS", "PRIVATE_DATA_ORGS", "PRIVATE_READS"]

PRIVATE_DATA_ORGS = ("UtilityMSP",)

# transaction -> (contract, submit?); the chaincode follows from the contract
CONTRACTS: dict[str, tuple[str, bool]] = {
    "RegisterMeter": ("MeterContract", True),
    "SubmitReadings": ("ReadingContract", True),
    "GetReadings": ("ReadingContract", False),
    "DiscloseReading": ("ReadingContract", False),
    "GetReadingCommitment": ("ReadingContract", False),
    "VerifyReading": ("ReadingContract", False),
    "PurgeExpiredReadings": ("ReadingContract", True),
    "SetKeySalt": ("KeySaltContract", True),
    "GetMeter": ("MeterContract", False),
    "ListMeters": ("MeterContract", False),
    "PurgeHousehold": ("MeterContract", True),
    "GrantConsent": ("ConsentContract", True),
    "RevokeConsent": ("ConsentContract", True),
    "ListConsents": ("ConsentContract", False),
    "ProposeTariff": ("TariffContract", True),
    "ApproveTariff": ("TariffContract", True),
    "GetTariff": ("TariffContract", False),
    "TariffInForce": ("TariffContract", False),
    "ListTariffs": ("TariffContract", False),
    "PlaceOrder": ("MarketContract", True),
    "GrantAgent": ("AgentContract", True),
    "RevokeAgent": ("AgentContract", True),
    "ListAgents": ("AgentContract", False),
    "ClearInterval": ("MarketContract", True),
    "SettleInterval": ("MarketContract", True),
    "GetOrderBook": ("MarketContract", False),
    "GetClearing": ("MarketContract", False),
    "GetClearingDetail": ("MarketContract", False),
    "GetClearingDisclosure": ("MarketContract", False),
    "AuditClearing": ("MarketContract", False),
    "ListTrades": ("MarketContract", False),
    "ListMyOrders": ("MarketContract", False),
    "GenerateInvoice": ("BillingContract", True),
    "GetInvoice": ("BillingContract", False),
    "GetInvoiceEvidence": ("BillingContract", False),
    "ListInvoiceEvidence": ("BillingContract", False),
    "RecordAccess": ("AccessContract", True),
    "ListAccesses": ("AccessContract", False),
    "CountAccesses": ("AccessContract", False),
    "IssueCertificates": ("CertificateContract", True),
    "CancelCertificates": ("CertificateContract", True),
    "ListCertificates": ("CertificateContract", False),
    "DiscloseCertificate": ("CertificateContract", False),
    "AuditCertificate": ("CertificateContract", False),
    "ReportGridEvent": ("GridEventContract", True),
    "EndGridEvent": ("GridEventContract", True),
    "GetGridEvent": ("GridEventContract", False),
    "ListGridEvents": ("GridEventContract", False),
    "PublishDemandResponseEvent": ("DemandResponseContract", True),
    "WithdrawDemandResponseEvent": ("DemandResponseContract", True),
    "GetDemandResponseEvent": ("DemandResponseContract", False),
    "ListDemandResponseEvents": ("DemandResponseContract", False),
    "DemandResponseHistory": ("DemandResponseContract", False),
    "RegisterMember": ("MemberContract", True),
    "UpdateMember": ("MemberContract", True),
    "RecordOnboarding": ("MemberContract", True),
    "RecordRemoval": ("MemberContract", True),
    "GetMember": ("MemberContract", False),
    "ListMembers": ("MemberContract", False),
    "PublishAggregate": ("AggregateContract", True),
    "SetThreshold": ("AggregateContract", True),
    "GetAggregate": ("AggregateContract", False),
    "ListAggregates": ("AggregateContract", False),
    "GetThreshold": ("AggregateContract", False),
    "CreateCampaign": ("FundingContract", True),
    "Pledge": ("FundingContract", True),
    "ApproveMilestone": ("FundingContract", True),
    "Release": ("FundingContract", True),
    "Refund": ("FundingContract", True),
    "RefundAll": ("FundingContract", True),
    "GetCampaign": ("FundingContract", False),
    "ListCampaigns": ("FundingContract", False),
    "ListMyPledges": ("FundingContract", False),
}
CONSORTIUM_CONTRACTS = {"MemberContract", "AggregateContract", "FundingContract"}
# reads of private data go to a peer that holds it, whoever asks
PRIVATE_READS = {
    "GetReadings",
    "DiscloseReading",
    "GetInvoice",
    "ListConsents",
    "ListAgents",
    "GetClearingDetail",
    "GetClearingDisclosure",
    "ListTrades",
    "ListMyOrders",
    "ListAccesses",
    "ListCertificates",
    "DiscloseCertificate",
}
