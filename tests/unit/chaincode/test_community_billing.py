"""BillingContract over the in-memory ledger: invoices from readings, trades and the tariff.

FakeLedger stamps its n-th transaction T0 + n minutes (2026-03-01T09:30Z + n), so the
billing period is the day 2026-02-28, which has ended (a period that has not ended by
the transaction's date is refused). The invoice maths is tested in
tests/unit/community; here the contract: access, what it gathers from the ledger,
where the invoice and its evidence go, idempotency, events and exact messages.
"""

import hashlib
import json
import secrets

import pytest
from ccfakes import identity
from ccommunity import (
    BILLING,
    HEAD_END,
    HOUSEHOLD1,
    HOUSEHOLD2,
    HOUSEHOLD3,
    OPERATOR,
    REGULATOR,
    TOU,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    community_ledger,
    household,
    invoke,
    keyed,
    member,
    ok,
    recorded_read,
    register,
    snapshot,
    submit_readings,
)

from chaincode.community.domain import IntervalReading, SettledTrade, Tariff, compute_invoice
from network.scenario import community

H1, H2, H3 = community()[:3]
DAY, NEXT_DAY = "2026-02-28", "2026-03-01"
INTERVAL = "2026-02-28T08:15:00Z"
TRADE_ID = "t-20260228T0815Z-00001"
# (start, minutes, import_wh, export_wh) per meter; h-002's 5-minute readings make one quarter
READINGS = {
    H1: [
        ("2026-02-28T08:00:00Z", 15, 200, 0),
        (INTERVAL, 15, 0, 1000),
        ("2026-02-28T18:00:00Z", 15, 400, 0),
    ],
    H2: [("2026-02-28T10:00:00Z", 5, 40, 0), ("2026-02-28T10:05:00Z", 5, 60, 0)],
    H3: [(INTERVAL, 15, 900, 0)],
}
# what billing should make of them: per household, per 15-minute interval
INTERVAL_READINGS = {
    "h-001": [
        ("2026-02-28T08:00:00Z", 200, 0),
        (INTERVAL, 0, 1000),
        ("2026-02-28T18:00:00Z", 400, 0),
    ],
    "h-002": [("2026-02-28T10:00:00Z", 100, 0)],
    "h-003": [(INTERVAL, 900, 0)],
}


def place(ledger, cc, creator, order_id, side, price):
    """A sealed order of INTERVAL; the household has a registered meter (see market())."""
    order = {
        "order_id": order_id,
        "side": side,
        "interval_start": INTERVAL,
        "energy_wh": 800,
        "price_per_kwh": price,
        "salt": secrets.token_urlsafe(18),
    }
    transient = {"order": canonical(order)}
    return ok(invoke(ledger, cc, creator, "MarketContract:PlaceOrder", transient=transient))


def market(cc, *, settle=True):
    """H1-H3 registered with READINGS, tou-1 approved; h-001 sold h-003 800 Wh at 15 in
    INTERVAL, a trade that is settled (delivered) or, with settle=False, still matched."""
    ledger = community_ledger()
    for meter in (H1, H2, H3):
        ok(register(ledger, cc, meter))
    ok(invoke(ledger, cc, OPERATOR, "TariffContract:ProposeTariff", json.dumps(TOU)))
    ok(invoke(ledger, cc, REGULATOR, "TariffContract:ApproveTariff", "tou-1"))
    place(ledger, cc, HOUSEHOLD1, "o-1", "offer", 10)
    place(ledger, cc, HOUSEHOLD3, "b-1", "bid", 20)
    ok(invoke(ledger, cc, OPERATOR, "MarketContract:ClearInterval", INTERVAL))
    for meter, readings in READINGS.items():
        submit_readings(ledger, cc, meter, *readings)
    if settle:
        ok(invoke(ledger, cc, OPERATOR, "MarketContract:SettleInterval", INTERVAL))
    return ledger


@pytest.fixture
def settled(cc):
    return market(cc)


def generate(ledger, cc, household_id="h-001", start=DAY, end=NEXT_DAY, creator=BILLING):
    return invoke(ledger, cc, creator, "BillingContract:GenerateInvoice", household_id, start, end)


def invoice_key(household_id="h-001", start=DAY, end=NEXT_DAY):
    return keyed("invoice", household_id, start, end)


def evidence_key(household_id="h-001", start=DAY, end=NEXT_DAY):
    return f"invoicerec~{household_id}~{start}~{end}"


def trades(ledger, cc):
    """The trades of INTERVAL as the utility's operator lists them."""
    end = "2026-02-28T08:30:00Z"
    return ok(invoke(ledger, cc, OPERATOR, "MarketContract:ListTrades", INTERVAL, end)).json()


def invoice_access(household_id="h-001", start=DAY, end=NEXT_DAY):
    """What billing records before reading the invoice of [start, end)."""
    return ("invoice", household_id, f"{start}T00:00:00Z", f"{end}T00:00:00Z")


def get_invoice(ledger, cc, creator, household_id="h-001", start=DAY, end=NEXT_DAY):
    """GetInvoice as *creator*, after recording the access (refused for a household,
    which reads its own without a record, and for whoever may not read it)."""
    access = invoice_access(household_id, start, end)
    args = (household_id, start, end)
    return recorded_read(ledger, cc, creator, access, "BillingContract:GetInvoice", *args)


def issued(ledger, cc, household_id="h-001"):
    """The invoice of the day, as billing reads it (after recording the access)."""
    return ok(get_invoice(ledger, cc, BILLING, household_id)).json()


def access_keys(ledger):
    """The households collection's access records (keyed, :mod:`.access_records`)."""
    return {k for k in ledger.private.get("households", {}) if k.startswith("accessof~")}


def expected_invoice(ledger, cc, household_id):
    """The domain's invoice of the day from the same inputs, as the ledger holds them."""
    readings = [IntervalReading(household_id, *r) for r in INTERVAL_READINGS[household_id]]
    (listed,) = trades(ledger, cc)
    trade = SettledTrade.from_record({**listed, "status": "delivered"})
    carried = [trade] if household_id in (trade.seller, trade.buyer) else []
    tariff = Tariff.from_record(TOU)
    return compute_invoice(household_id, DAY, NEXT_DAY, tariff, readings, carried)


# --- GenerateInvoice -------------------------------------------------------------------


def test_billing_issues_the_invoice_privately_and_publishes_only_its_evidence(cc, settled):
    result = generate(settled, cc)
    assert result.status == 200, result.message
    record = issued(settled, cc)
    # day import 200 Wh at 30 + peak 400 Wh at 45 - p2p sale 800 Wh at 15
    # - feed-in 200 Wh at 8 + fixed 25 = 6 + 18 - 12 - 2 + 25
    assert record["total"] == 35
    assert [line["code"] for line in record["lines"]] == [
        "grid_import",
        "grid_import",
        "grid_import",
        "p2p_sale",
        "feed_in",
        "fixed_charge",
    ]
    invoice = expected_invoice(settled, cc, "h-001")
    issued_at = result.stub.get_tx_timestamp().ToJsonString()
    assert record == {**invoice.to_record(), "issued_at": issued_at}

    # the invoice only in the households collection, and the mark that settles the
    # seller's side of its trade in the orders collection ...
    # (and billing's record of reading the readings, checked in test_community_accesses)
    mark = keyed("tradeinvoiced", TRADE_ID, "seller")
    (generated, _) = sorted(access_keys(settled))  # the invoice's read recorded the other
    assert result.stub.private_writes.keys() == {
        ("households", invoice_key()),
        ("households", generated),
        ("orders", mark),
    }
    assert settled.private["households"].keys() - access_keys(settled) == {
        "keysalt",
        invoice_key(),
    }
    assert settled.private["households"][invoice_key()] == canonical(record)
    # ... and in public state only its evidence
    evidence = {
        "household_id": "h-001",
        "period_start": DAY,
        "period_end": NEXT_DAY,
        "invoice_sha256": hashlib.sha256(canonical(record)).hexdigest(),
        "inputs_hash": invoice.inputs_hash,
        "tx_id": result.stub.tx_id,
    }
    recorded_at = result.stub.get_tx_timestamp().ToJsonString()
    access = f"access~{recorded_at}~{result.stub.tx_id}"
    assert result.stub.writes.keys() == {evidence_key(), access}
    assert result.stub.writes[evidence_key()] == canonical(evidence)
    assert settled.private["orders"][mark] == canonical(
        {"invoice_sha256": evidence["invoice_sha256"], "tx_id": evidence["tx_id"]}
    )
    # ... and the answer, written into the block, is the evidence: no consumption
    assert result.json() == evidence
    assert result.stub.events[-1] == ("InvoiceGenerated", canonical(evidence))

    for creator in (REGULATOR, HOUSEHOLD2, OPERATOR):
        read = invoke(
            settled, cc, creator, "BillingContract:GetInvoiceEvidence", "h-001", DAY, NEXT_DAY
        )
        assert (read.status, read.payload) == (200, canonical(evidence))


@pytest.mark.parametrize(
    ("household_id", "codes"),
    [
        ("h-002", ["grid_import"] * 3 + ["feed_in", "fixed_charge"]),
        (
            "h-003",
            ["grid_import"] * 3 + ["p2p_purchase", "p2p_grid_fee", "feed_in", "fixed_charge"],
        ),
    ],
    ids=["5-minute-readings", "buyer"],
)
def test_the_invoice_is_computed_from_the_households_readings_and_settled_trades(
    cc, settled, household_id, codes
):
    ok(generate(settled, cc, household_id))
    record = issued(settled, cc, household_id)
    assert [line["code"] for line in record["lines"]] == codes
    invoice = expected_invoice(settled, cc, household_id)
    assert {k: v for k, v in record.items() if k != "issued_at"} == invoice.to_record()


def test_a_trade_is_settled_once_both_of_its_invoices_are_issued(cc, settled):
    (delivered,) = trades(settled, cc)
    assert (delivered["status"], delivered["invoiced"]) == ("delivered", [])
    ok(generate(settled, cc, "h-003"))  # the buyer's invoice first
    (half,) = trades(settled, cc)
    assert half == {**delivered, "invoiced": ["buyer"]}
    ok(generate(settled, cc, "h-002"))  # no trade: changes nothing
    assert trades(settled, cc) == [half]
    ok(generate(settled, cc, "h-001"))
    (done,) = trades(settled, cc)
    assert done == {**delivered, "status": "settled", "invoiced": ["seller", "buyer"]}
    # an invoice generated again sees the inputs it was issued from, not the new status
    again = generate(settled, cc, "h-003")
    assert (again.status, again.stub.private_writes) == (200, {})


def test_generating_the_same_invoice_again_is_a_no_op(cc, settled):
    first = ok(generate(settled, cc))
    before = snapshot(settled)
    again = generate(settled, cc)
    assert (again.status, again.payload) == (200, first.payload)
    assert (again.stub.writes, again.stub.private_writes, again.stub.events) == ({}, {}, [])
    assert snapshot(settled) == before


@pytest.mark.parametrize(
    "late",
    [("2026-02-28T20:00:00Z", 15, 100, 0), ("2026-02-28T23:45:00Z", 15, 0, 50)],
    ids=["import", "export"],
)
def test_an_invoice_whose_inputs_changed_is_refused(cc, settled, late):
    ok(generate(settled, cc))
    submit_readings(settled, cc, H1, late)  # a late reading of the billed day
    before = snapshot(settled)
    result = generate(settled, cc)
    assert (result.status, result.message) == (
        500,
        f"invoice of household h-001 for {DAY}/{NEXT_DAY} was issued from other inputs; "
        "correct it with a credit note",
    )
    assert snapshot(settled) == before


@pytest.mark.parametrize("household_id", ["h-001", "h-003"], ids=["seller", "buyer"])
def test_a_household_with_a_trade_not_yet_settled_is_not_billed(cc, household_id):
    ledger = market(cc, settle=False)
    before = snapshot(ledger)
    result = generate(ledger, cc, household_id)
    assert (result.status, result.message) == (
        500,
        f"trade {TRADE_ID} of household {household_id} is not settled yet; "
        f"settle interval {INTERVAL} first",
    )
    assert snapshot(ledger) == before
    # a household with no trade in the period is billed meanwhile
    assert generate(ledger, cc, "h-002").status == 200


@pytest.mark.parametrize(
    ("household_id", "start", "end", "message"),
    [
        (
            "x-1",
            DAY,
            NEXT_DAY,
            "household id 'x-1' is invalid: use h- and up to 62 letters, digits, '.', '_' or '-'",
        ),
        (
            "h-001",
            "2026-2-28",
            NEXT_DAY,
            "period_start '2026-2-28' is not an iso-8601 date like 2026-03-01",
        ),
        (
            "h-001",
            DAY,
            "2026-02-30",
            "period_end '2026-02-30' is not an iso-8601 date like 2026-03-01",
        ),
        ("h-001", DAY, DAY, "a billing period is 1 to 62 days, end exclusive"),
        ("h-001", DAY, "2026-02-27", "a billing period is 1 to 62 days, end exclusive"),
        ("h-001", "2025-12-27", DAY, "a billing period is 1 to 62 days, end exclusive"),
        # 62 days pass the length check and meet the next one
        ("h-001", "2025-12-28", DAY, "no approved tariff is in force on 2025-12-28"),
        ("h-001", "2025-12-31", "2026-01-01", "no approved tariff is in force on 2025-12-31"),
        ("h-009", DAY, NEXT_DAY, "household h-009 has no meter"),
    ],
    ids=[
        "household-id",
        "start",
        "end",
        "empty",
        "reversed",
        "63-days",
        "62-days",
        "no-tariff",
        "no-meter",
    ],
)
def test_invoice_arguments_are_validated(cc, settled, household_id, start, end, message):
    before = snapshot(settled)
    result = generate(settled, cc, household_id, start, end)
    assert (result.status, result.message) == (500, message)
    assert snapshot(settled) == before


@pytest.mark.parametrize(
    ("household_id", "start", "end"),
    [
        ("h-001", NEXT_DAY, "2026-03-02"),
        ("h-001", DAY, "2026-03-02"),
        ("h-001", "2026-02-01", "2026-03-31"),
        ("h-001", "2026-03-02", "2026-03-03"),
        ("h-002", NEXT_DAY, "2026-03-02"),
        ("h-009", NEXT_DAY, "2026-03-02"),  # no meter: the period is checked first
    ],
    ids=["today", "until-tomorrow", "month", "future", "other-household", "no-meter"],
)
def test_a_period_that_has_not_ended_is_not_billed(cc, settled, household_id, start, end):
    # An issued invoice is never rewritten, so one issued before the period is over
    # would be contradicted by every later reading of the period. Transactions here
    # run on 2026-03-01: a period ending (exclusive) on that day is over, a later one not.
    before = snapshot(settled)
    result = generate(settled, cc, household_id, start, end)
    assert (result.status, result.message) == (
        500,
        f"billing period {start}/{end} has not ended yet",
    )
    assert snapshot(settled) == before


def test_a_period_ending_on_the_transactions_day_is_billed(cc, settled):
    result = generate(settled, cc, "h-002", "2026-02-27", NEXT_DAY)
    assert result.status == 200, result.message
    assert result.stub.get_tx_timestamp().ToJsonString()[:10] == NEXT_DAY
    assert result.json()["period_end"] == NEXT_DAY


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (OPERATOR, "caller role 'operator' may not call GenerateInvoice; allowed: billing"),
        (HEAD_END, "caller role 'meter' may not call GenerateInvoice; allowed: billing"),
        (
            identity("CommunityMSP", "billing", cn="billing2"),
            "caller from CommunityMSP (community) may not call GenerateInvoice; allowed: utility",
        ),
        (
            HOUSEHOLD1,
            "caller from CommunityMSP (community) may not call GenerateInvoice; allowed: utility",
        ),
        (
            REGULATOR,
            "caller from RegulatorMSP (regulator) may not call GenerateInvoice; allowed: utility",
        ),
    ],
    ids=["operator", "head-end", "community-billing", "household", "regulator"],
)
def test_only_the_utilitys_billing_generates_invoices(cc, settled, creator, message):
    before = snapshot(settled)
    result = generate(settled, cc, creator=creator)
    assert (result.status, result.message) == (500, message)
    assert snapshot(settled) == before


# --- GetInvoice, GetInvoiceEvidence ----------------------------------------------------


@pytest.fixture
def invoiced(cc, settled):
    ok(generate(settled, cc))
    return settled


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (HOUSEHOLD1, None),
        (BILLING, None),
        (HOUSEHOLD2, "household h-002 may not read the invoices of household h-001"),
        (
            household(1, "UtilityMSP"),
            "household h-001 may not read the invoices of household h-001",
        ),
        (
            identity("CommunityMSP", "household", cn="household1"),
            "caller has no household_id attribute",
        ),
        # the billing role is the utility's (GenerateInvoice and GetReadings admit only the
        # utility's billing), though the community's CA can issue a 'billing' certificate
        (
            identity("CommunityMSP", "billing", cn="billing2"),
            "only the utility's billing may read invoices",
        ),
        (
            member("CommunityMSP", "billing2", "billing", household_id="h-001"),
            "only the utility's billing may read invoices",
        ),
        (OPERATOR, "caller role 'operator' may not call GetInvoice; allowed: household, billing"),
        (
            identity("UtilityMSP", None, cn="nobody"),
            "caller without a role may not call GetInvoice; allowed: household, billing",
        ),
        (
            REGULATOR,
            "caller from RegulatorMSP (regulator) may not call GetInvoice; "
            "allowed: utility, community",
        ),
    ],
    ids=[
        "own-household",
        "utility-billing",
        "other-household",
        "household-role-outside-the-community",
        "household-without-household-id",
        "community-billing",
        "community-billing-with-household-id",
        "operator",
        "no-role",
        "regulator",
    ],
)
def test_who_reads_an_invoice(cc, invoiced, creator, message):
    result = get_invoice(invoiced, cc, creator)
    if message is None:
        assert (result.status, result.payload) == (
            200,
            invoiced.private["households"][invoice_key()],
        )
    else:
        assert (result.status, result.message, result.payload) == (500, message, b"")


@pytest.mark.parametrize(
    "transaction", ["GetInvoice", "GetInvoiceEvidence"], ids=["invoice", "evidence"]
)
@pytest.mark.parametrize(
    ("household_id", "start", "end"),
    [("h-001", DAY, "2026-03-02"), ("h-002", DAY, NEXT_DAY)],
    ids=["other-period", "other-household"],
)
def test_an_invoice_not_issued_is_not_found(cc, invoiced, transaction, household_id, start, end):
    if transaction == "GetInvoice":
        result = get_invoice(invoiced, cc, BILLING, household_id, start, end)
    else:
        args = (household_id, start, end)
        result = invoke(invoiced, cc, REGULATOR, "BillingContract:GetInvoiceEvidence", *args)
    assert (result.status, result.message) == (
        500,
        f"no invoice of household {household_id} for {start}/{end}",
    )


def test_issuing_an_invoice_records_billings_read_of_the_readings(cc, settled):
    result = ok(generate(settled, cc))
    recorded_at = result.stub.get_tx_timestamp().ToJsonString()
    key = f"{keyed('accessof', 'h-001')}~{recorded_at}~{result.stub.tx_id}"
    record = json.loads(settled.private["households"][key])
    assert record == {
        "household_id": "h-001",
        "reader": "UtilityMSP:billing1",
        "reader_role": "billing",
        "reader_org": "UtilityMSP",
        "kind": "readings",
        "subject": "h-001",
        "start": f"{DAY}T00:00:00Z",
        "end": f"{NEXT_DAY}T00:00:00Z",
        "consent_id": None,
        "recorded_at": recorded_at,
        "tx_id": result.stub.tx_id,
    }
    listed = invoke(
        settled,
        cc,
        HOUSEHOLD1,
        "AccessContract:ListAccesses",
        "h-001",
        f"{DAY}T00:00:00Z",
        f"{NEXT_DAY}T23:59:59Z",
    )
    assert ok(listed).json() == [record]
