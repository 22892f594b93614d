"""The domain facade: what GridLedger's users do, as method calls on the ledger.

The API and the command-line tool work through this class. It applies the same role
table as the chaincode (``gridspec.roles``) before any network call, so a household
asking for another household's readings is refused here, in the caller's process,
and would be refused again by every endorsing peer: defence in depth. Results are the
chaincode's JSON, decoded.

Private inputs (readings, orders, personal details) travel in the transient map;
reads of private data are sent to the peers of the orgs that hold it. Anyone but the
household who reads a household's readings, disclosures or invoices records the access
first (:mod:`client.accesses`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from gridspec.channels import (
    COMMUNITY_CHAINCODE,
    CONSORTIUM_CHAINCODE,
    CONSORTIUM_CHANNEL,
    community_channel,
)
from gridspec.roles import refusal
from gridspec.signed_bundle import SignedBundle

from .accesses import Access, disclosure_access, invoice_access, read_recorded
from .ca import certificate_attributes
from .certificate_calls import CertificateCalls
from .consortium_calls import ConsortiumCalls
from .contract import Contract
from .demand_response_calls import DemandResponseCalls
from .errors import Forbidden
from .gateway import Gateway
from .transactions import CONSORTIUM_CONTRACTS, CONTRACTS, PRIVATE_DATA_ORGS, PRIVATE_READS

__all__ = ["CONSORTIUM_CHANNEL", "Caller", "Forbidden", "Ledger"]


@dataclass(frozen=True)
class Caller:
    """Who is calling: MSP id, enrollment id and the attributes in the certificate."""

    msp_id: str
    enrollment_id: str
    role: str | None
    household_id: str | None

    @classmethod
    def from_certificate(cls, msp_id: str, certificate_pem: bytes) -> Caller:
        cert = x509.load_pem_x509_certificate(certificate_pem)
        attrs = certificate_attributes(cert)
        names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        common_name = str(names[0].value) if names else ""
        return cls(msp_id, common_name, attrs.get("role"), attrs.get("household_id"))


class Ledger(CertificateCalls, ConsortiumCalls, DemandResponseCalls):
    """GridLedger for one caller, over a Gateway connected as that caller."""

    def __init__(self, gateway: Gateway, caller: Caller, *, community: str | None = None) -> None:
        self.gateway = gateway
        self.caller = caller
        self.community_channel = community_channel(community) if community else None

    def allowed(self, transaction: str) -> bool:
        """Whether the role table lets this caller call `transaction` at all."""
        return refusal(transaction, self.caller.msp_id, self.caller.role) is None

    def call(
        self,
        transaction: str,
        *args: str,
        transient: Mapping[str, bytes] | None = None,
        endorsing_organizations: Sequence[str] | None = None,
    ) -> Any:
        """Check the role table, then evaluate or submit `transaction`; decode its JSON."""
        self._require(transaction)
        contract_name, submit = CONTRACTS[transaction]
        contract = self._contract(contract_name)
        if submit:
            raw = contract.submit(
                transaction, args, transient, endorsing_organizations=endorsing_organizations
            )
        else:
            targets = endorsing_organizations
            if targets is None and transaction in PRIVATE_READS:
                targets = self._private_data_orgs()
            raw = contract.evaluate(transaction, args, transient, endorsing_organizations=targets)
        return json.loads(raw) if raw else None

    def _require(self, transaction: str) -> None:
        """Refuse, before the network, what the role table refuses this caller."""
        reason = refusal(transaction, self.caller.msp_id, self.caller.role)
        if reason is not None:
            raise Forbidden(transaction, reason)

    def _read(self, transaction: str, args: tuple[str, ...], access: Access) -> Any:
        """A read of a household's data: the household's own at once, anyone else's
        after recording the access (the read's own rule checked first)."""
        if self.caller.role == "household":
            return self.call(transaction, *args)
        self._require(transaction)
        return read_recorded(self.call, transaction, args, access)

    def _contract(self, contract_name: str) -> Contract:
        if contract_name in CONSORTIUM_CONTRACTS:
            network = self.gateway.get_network(CONSORTIUM_CHANNEL)
            return network.get_contract(CONSORTIUM_CHAINCODE, contract_name)
        if self.community_channel is None:
            raise ValueError(f"{contract_name} is a community's: name the community")
        network = self.gateway.get_network(self.community_channel)
        return network.get_contract(COMMUNITY_CHAINCODE, contract_name)

    def _private_data_orgs(self) -> list[str]:
        """Community members read through their own peer; everyone else through the utility's."""
        if self.caller.msp_id in ("UtilityMSP", "RegulatorMSP"):
            return list(PRIVATE_DATA_ORGS)
        return [self.caller.msp_id]

    def _own_household(self, household_id: str, transaction: str, records: str = "") -> None:
        """A household acts on its own household only (refused before the network):
        "may not read [the *records* of ]household ..."."""
        if self.caller.role == "household" and self.caller.household_id != household_id:
            of = f"the {records} of " if records else ""
            raise Forbidden(
                transaction,
                f"household {self.caller.household_id} may not read {of}household {household_id}",
            )

    # meters and readings -------------------------------------------------------------

    def register_meter(
        self,
        meter_id: str,
        household_id: str,
        feeder: str,
        device_public_key: str,
        personal: Mapping[str, str] | None = None,
    ) -> Any:
        transient = {"household": json.dumps(dict(personal)).encode()} if personal else None
        return self.call(
            "RegisterMeter", meter_id, household_id, feeder, device_public_key, transient=transient
        )

    def submit_bundles(self, bundles: Sequence[SignedBundle]) -> Any:
        """Head-end's signed meter-day bundles, forwarded as signed (transient `bundles`).

        The gateway plans the endorsement: new readings only need the utility (the
        readings collection's policy), while a submission of repeats writes nothing and
        so falls under the chaincode's policy; pinning the endorsers would fail that one.
        """
        wire = SignedBundle.submission(bundles)
        return self.call("SubmitReadings", transient={"bundles": wire})

    def readings(self, household_id: str, start: str, end: str) -> Any:
        self._own_household(household_id, "GetReadings")
        access = Access("readings", household_id, start, end)
        return self._read("GetReadings", (household_id, start, end), access)

    def disclosure(self, meter_id: str, interval_start: str) -> Any:
        """One reading with its Merkle proof, for its household to hand to anyone."""
        access = disclosure_access(meter_id, interval_start)
        return self._read("DiscloseReading", (meter_id, interval_start), access)

    def reading_commitment(self, meter_id: str, day: str) -> Any:
        return self.call("GetReadingCommitment", meter_id, day)

    def verify_disclosure(self, disclosure: Mapping[str, Any]) -> Any:
        return self.call("VerifyReading", json.dumps(dict(disclosure)))

    def meter(self, meter_id: str) -> Any:
        return self.call("GetMeter", meter_id)

    def meters(self, household_id: str = "") -> Any:
        """A household's meters (its own, for a household), or every meter (staff)."""
        return self.call("ListMeters", household_id)

    def purge_household(self, household_id: str, reason: str) -> Any:
        return self.call("PurgeHousehold", household_id, reason)

    def set_key_salt(self, salt: bytes) -> Any:
        """The community channel's key salt, once (a member's admin, after the commit)."""
        return self.call("SetKeySalt", transient={"salt": salt})

    def purge_expired_readings(self, meter_ids: Sequence[str]) -> Any:
        """Enforce retention: purge what the 24-month period no longer keeps."""
        return self.call("PurgeExpiredReadings", json.dumps(list(meter_ids)))

    # consent ------------------------------------------------------------------------

    def grant_consent(
        self,
        consent_id: str,
        grantee: str,
        purpose: str,
        data_from: str,
        data_to: str,
        expires_at: str,
    ) -> Any:
        args = (consent_id, grantee, purpose, data_from, data_to, expires_at)
        return self.call("GrantConsent", *args)

    def revoke_consent(self, consent_id: str) -> Any:
        return self.call("RevokeConsent", consent_id)

    def consents(self) -> Any:
        return self.call("ListConsents")

    # tariffs ------------------------------------------------------------------------

    def propose_tariff(self, tariff: Mapping[str, Any]) -> Any:
        return self.call("ProposeTariff", json.dumps(dict(tariff)))

    def approve_tariff(self, tariff_id: str) -> Any:
        return self.call("ApproveTariff", tariff_id)

    def tariff(self, tariff_id: str) -> Any:
        return self.call("GetTariff", tariff_id)

    def tariffs(self) -> Any:
        return self.call("ListTariffs")

    def tariff_in_force(self, day: str) -> Any:
        return self.call("TariffInForce", day)

    # market ---------------------------------------------------------------------------

    def place_order(self, order: Mapping[str, Any]) -> Any:
        return self.call("PlaceOrder", transient={"order": json.dumps(dict(order)).encode()})

    def grant_agent(self, agent_id: str, limits: Mapping[str, int]) -> Any:
        """Delegate this household's orders to an agent identity, within *limits*."""
        payload = json.dumps({"agent_id": agent_id, "limits": dict(limits)}).encode()
        return self.call("GrantAgent", transient={"agent": payload})

    def revoke_agent(self, agent_id: str) -> Any:
        return self.call(
            "RevokeAgent", transient={"agent": json.dumps({"agent_id": agent_id}).encode()}
        )

    def agents(self) -> Any:
        return self.call("ListAgents")

    def order_book(self, interval_start: str) -> Any:
        return self.call("GetOrderBook", interval_start)

    def clear_interval(self, interval_start: str) -> Any:
        return self.call("ClearInterval", interval_start)

    def settle_interval(self, interval_start: str) -> Any:
        return self.call("SettleInterval", interval_start)

    def clearing(self, interval_start: str) -> Any:
        """The public clearing record: price, volume, counts, commitments."""
        return self.call("GetClearing", interval_start)

    def clearing_detail(self, interval_start: str) -> Any:
        """The clearing with its trades and fills (the utility's and community's staff)."""
        return self.call("GetClearingDetail", interval_start)

    def clearing_disclosure(self, interval_start: str) -> Any:
        """The orders of a cleared interval, for the regulator's audit."""
        return self.call("GetClearingDisclosure", interval_start)

    def audit_clearing(self, interval_start: str, orders: Sequence[Mapping[str, Any]]) -> Any:
        """Check disclosed *orders* against the public clearing record, on this org's peer."""
        payload = json.dumps([dict(order) for order in orders]).encode()
        return self.call("AuditClearing", interval_start, transient={"orders": payload})

    def my_orders(self, start: str, end: str) -> Any:
        """The signed-in household's own orders of [start, end), a day at most."""
        return self.call("ListMyOrders", start, end)

    def trades(self, start: str, end: str) -> Any:
        """A household's own trades, or every trade for the market's staff."""
        return self.call("ListTrades", start, end)

    # billing --------------------------------------------------------------------------

    def generate_invoice(self, household_id: str, period_start: str, period_end: str) -> Any:
        """Issue the invoice, then read it: the transaction answers with its evidence only,
        since a submit's answer is written into every peer's blocks."""
        self.call("GenerateInvoice", household_id, period_start, period_end)
        return self.invoice(household_id, period_start, period_end)

    def invoice(self, household_id: str, period_start: str, period_end: str) -> Any:
        self._own_household(household_id, "GetInvoice", "invoices")
        access = invoice_access(household_id, period_start, period_end)
        return self._read("GetInvoice", (household_id, period_start, period_end), access)

    def invoice_evidence(self, household_id: str, period_start: str, period_end: str) -> Any:
        return self.call("GetInvoiceEvidence", household_id, period_start, period_end)

    def invoices_issued(self, start: str, end: str) -> Any:
        """The public evidence of the invoices whose period starts in [start, end)."""
        return self.call("ListInvoiceEvidence", start, end)

    # access records -------------------------------------------------------------------

    def accesses(self, household_id: str, start: str, end: str) -> Any:
        """The household's own access records recorded in [start, end), newest first."""
        self._own_household(household_id, "ListAccesses", "accesses")
        return self.call("ListAccesses", household_id, start, end)

    def access_counts(self, start: str, end: str) -> Any:
        """Accesses recorded in [start, end) by reader org, role and kind (the regulator)."""
        return self.call("CountAccesses", start, end)

    # grid events ----------------------------------------------------------------------

    def report_grid_event(self, event: Mapping[str, Any]) -> Any:
        return self.call("ReportGridEvent", json.dumps(dict(event)))

    def end_grid_event(self, event_id: str, end: str) -> Any:
        return self.call("EndGridEvent", event_id, end)

    def grid_event(self, event_id: str) -> Any:
        return self.call("GetGridEvent", event_id)

    def grid_events(self, start: str, end: str) -> Any:
        return self.call("ListGridEvents", start, end)
