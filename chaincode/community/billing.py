"""Invoices: the billing system bills a household for a period, once.

``GenerateInvoice`` gathers the inputs on the ledger (the tariff in force on the
period's first day, the household's readings over all its meters summed per
15-minute interval, and its settled trades) and computes the invoice with
:func:`.domain.billing.compute_invoice`. The invoice, which reveals consumption, is
kept in the households collection; public state keeps only its evidence: the SHA-256
of the invoice and of its inputs. Generating the same invoice again returns it
unchanged; if the inputs changed since (a late reading, say), it is refused, because
an issued invoice is corrected by a credit note, never rewritten.

Readings are found through the per-day private index, trades through the
per-interval one (a transaction that writes may not run private range queries). A
30- or 60-minute reading is billed in the band of its start.

Reading a household's readings leaves an access record (:mod:`.access_records`):
``GenerateInvoice`` writes one (kind ``readings``, the billing period) in the
transaction that issues the invoice (a repeat, which issues nothing, writes nothing),
and ``GetInvoice`` by the billing system needs one of its own.

An invoice settles its household's side of every trade it carries; a trade is
``settled`` once both sides' invoices are issued (:mod:`.market_trades`). The
transaction answers with the evidence only: a submit's answer is written into the
block, which every peer of the channel keeps, the regulator's too; the invoice itself
is read with ``GetInvoice``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fabric_chaincode_python.fabric_contract_api import Contract, TransactionContext

from chaincode.access import COMMUNITY, UTILITY, authorize, org_kind
from chaincode.community.access_records import Access, require_access, write_access
from chaincode.community.domain import (
    DomainError,
    compute_invoice,
    date_start,
    parse_date,
)
from chaincode.community.household_days import household_readings, household_trades
from chaincode.community.keyed import key_salt, keyed_name
from chaincode.community.market_trades import (
    TradeView,
    invoiced_key,
)
from chaincode.community.meters import (
    check_household_id,
)
from chaincode.community.tariffs import tariff_in_force
from chaincode.runtime import (
    AccessDenied,
    Caller,
    Conflict,
    NotFound,
    ValidationError,
    canonical_bytes,
    canonical_json,
    emit_event,
    get_json,
    list_json,
    prefix_range,
    put_json,
    tx_timestamp,
)
from chaincode.runtime.private import (
    get_private_json,
    put_private_json,
)
from gridspec.collections import HOUSEHOLDS, ORDERS

__all__ = ["BillingContract", "may_read_invoice", "period_access"]

MAX_PERIOD_DAYS = 62
MAX_LISTING_DAYS = 366
EVIDENCE = "invoicerec~"


async def invoice_key(ctx: Any, household_id: str, start: str, end: str) -> str:
    """Keyed (:mod:`.keyed`): the name's hash on the ledger says nothing of who was billed."""
    return await keyed_name(ctx, "invoice", household_id, start, end)


def evidence_key(household_id: str, start: str, end: str) -> str:
    return f"{EVIDENCE}{household_id}~{start}~{end}"


def period_days(start: str, end: str) -> list[str]:
    try:
        first, last = parse_date(start, "period_start"), parse_date(end, "period_end")
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc
    days = (last - first).days
    if not 0 < days <= MAX_PERIOD_DAYS:
        raise ValidationError(f"a billing period is 1 to {MAX_PERIOD_DAYS} days, end exclusive")
    return [(first + timedelta(days=n)).isoformat() for n in range(days)]


def listing_days(start: str, end: str) -> tuple[str, str]:
    """A listing's [start, end) days, checked: at most a year, end after start."""
    try:
        first, last = parse_date(start, "start"), parse_date(end, "end")
    except DomainError as exc:
        raise ValidationError(str(exc)) from exc
    if not 0 < (last - first).days <= MAX_LISTING_DAYS:
        raise ValidationError(f"a listing covers 1 to {MAX_LISTING_DAYS} days, end exclusive")
    return start, end


def may_read_invoice(who: Caller, household_id: str) -> None:
    """A household reads its own invoices; the billing system (the utility's) all of them;
    no one else any."""
    kind = org_kind(who.msp_id)
    if who.role == "household":
        own = who.attributes.get("household_id")
        if not own:
            raise AccessDenied("caller has no household_id attribute")
        if own != household_id or kind != COMMUNITY:
            raise AccessDenied(
                f"household {own} may not read the invoices of household {household_id}"
            )
    elif who.role != "billing" or kind != UTILITY:
        raise AccessDenied("only the utility's billing may read invoices")


def period_access(kind: str, household_id: str, start: str, end: str) -> Access:
    """The access to a household's *kind* of data over the billing period's days."""
    return Access(kind, household_id, date_start(start), date_start(end))


class BillingContract(Contract):
    """Invoices from readings, settled trades and the approved tariff."""

    Name = "BillingContract"

    def get_evaluate_transactions(self) -> list[str]:
        return ["GetInvoice", "GetInvoiceEvidence", "ListInvoiceEvidence"]

    async def GenerateInvoice(
        self, ctx: TransactionContext, household_id: str, period_start: str, period_end: str
    ) -> str:
        """Bill a household for [period_start, period_end) (the billing role), once;
        the answer is the invoice's public evidence."""
        who = authorize(ctx)
        check_household_id(household_id)
        days = period_days(period_start, period_end)
        if tx_timestamp(ctx)[:10] < period_end:
            raise ValidationError(f"billing period {period_start}/{period_end} has not ended yet")
        tariff = await tariff_in_force(ctx, period_start)
        readings = await household_readings(ctx, household_id, days)
        trades = await self._trades(ctx, household_id, period_start, period_end)
        settled = [view.settled() for view, _ in trades]
        try:
            invoice = compute_invoice(
                household_id, period_start, period_end, tariff, readings, settled
            )
        except DomainError as exc:
            raise ValidationError(str(exc)) from exc
        key = await invoice_key(ctx, household_id, period_start, period_end)
        existing = await get_private_json(ctx, HOUSEHOLDS, key)
        if existing is not None:
            if existing["inputs_hash"] != invoice.inputs_hash:
                raise Conflict(
                    f"invoice of household {household_id} for {period_start}/{period_end} "
                    "was issued from other inputs; correct it with a credit note"
                )
            return canonical_json(
                await get_json(ctx, evidence_key(household_id, period_start, period_end))
            )
        record = {**invoice.to_record(), "total": invoice.total, "issued_at": tx_timestamp(ctx)}
        await put_private_json(ctx, HOUSEHOLDS, key, record)
        read = period_access("readings", household_id, period_start, period_end)
        await write_access(ctx, who, read, household_id, None)
        evidence = {
            "household_id": household_id,
            "period_start": period_start,
            "period_end": period_end,
            "invoice_sha256": hashlib.sha256(canonical_bytes(record)).hexdigest(),
            "inputs_hash": invoice.inputs_hash,
            "tx_id": ctx.get_stub().get_txid(),
        }
        await put_json(ctx, evidence_key(household_id, period_start, period_end), evidence)
        await self._mark_invoiced(ctx, trades, evidence)
        emit_event(ctx, "InvoiceGenerated", evidence)
        return canonical_json(evidence)

    async def GetInvoice(
        self, ctx: TransactionContext, household_id: str, period_start: str, period_end: str
    ) -> str:
        """An invoice: to its household and, once it recorded the access, the billing system."""
        who = authorize(ctx)
        may_read_invoice(who, household_id)
        check_household_id(household_id)
        period_days(period_start, period_end)
        read = period_access("invoice", household_id, period_start, period_end)
        await require_access(ctx, who, read, household_id)
        record = await get_private_json(
            ctx, HOUSEHOLDS, await invoice_key(ctx, household_id, period_start, period_end)
        )
        if record is None:
            raise NotFound(
                f"no invoice of household {household_id} for {period_start}/{period_end}"
            )
        return canonical_json(record)

    async def GetInvoiceEvidence(
        self, ctx: TransactionContext, household_id: str, period_start: str, period_end: str
    ) -> str:
        """The hashes of an invoice and its inputs: anyone on the channel, the regulator too."""
        authorize(ctx)
        record = await get_json(ctx, evidence_key(household_id, period_start, period_end))
        if record is None:
            raise NotFound(
                f"no invoice of household {household_id} for {period_start}/{period_end}"
            )
        return canonical_json(record)

    async def ListInvoiceEvidence(self, ctx: TransactionContext, start: str, end: str) -> str:
        """The public evidence of every invoice whose period starts in [start, end) (days),
        by period and household: what billing issued, for anyone on the channel to check."""
        authorize(ctx)
        first, last = listing_days(start, end)
        found = [
            record
            for _, record in await list_json(ctx, *prefix_range(EVIDENCE))
            if first <= record["period_start"] < last
        ]
        found.sort(key=lambda r: (r["period_start"], r["period_end"], r["household_id"]))
        return canonical_json(found)

    async def _trades(
        self, ctx: Any, household_id: str, start: str, end: str
    ) -> list[tuple[TradeView, str]]:
        """The household's settled trades of the days [start, end), each with its side."""
        views = await household_trades(ctx, household_id, start, end)
        for view in views:
            if view.delivery is None:
                raise ValidationError(
                    f"trade {view.trade.trade_id} of household {household_id} is not settled "
                    f"yet; settle interval {view.trade.interval_start} first"
                )
        return [(v, "seller" if v.trade.seller == household_id else "buyer") for v in views]

    async def _mark_invoiced(
        self, ctx: Any, trades: list[tuple[TradeView, str]], evidence: dict[str, Any]
    ) -> None:
        """Settle this household's side of each trade its new invoice carries."""
        salt = await key_salt(ctx)
        mark = {"invoice_sha256": evidence["invoice_sha256"], "tx_id": evidence["tx_id"]}
        for view, side in trades:
            await put_private_json(ctx, ORDERS, invoiced_key(salt, view.trade.trade_id, side), mark)
