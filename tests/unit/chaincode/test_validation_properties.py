"""Properties of the chaincode's boundary: whatever arrives, a clean 4xx refusal or a clean write.

Every transaction that parses input (its arguments or the transient map), of the
community and the consortium chaincode, runs through the real Contract API dispatcher
over ``ccfakes.FakeLedger``, and for every generated input:

(a) the call succeeds, or it is refused by one of the runtime's own errors with a 4xx
    status (the status ``GridLedgerHandler`` gives the response: ``ValidationError``
    400, and where the input names a record, ``NotFound``, ``Conflict`` or
    ``AccessDenied``). Any other exception (``KeyError``, ``TypeError``,
    ``ValueError``, ``OverflowError``...) leaves the response at the Contract API's
    500, which a peer reports as a chaincode failure and the API as a 502;
(b) a refused call changes nothing: committed state, private data and their hashes,
    key metadata and events are as before, it set no event, and a ``ValidationError``
    comes before the transaction staged any write (validation at the boundary);
(c) what an accepted call stored reads back equal, through the contract's own reads.

Inputs are valid values, valid values with one field broken (dropped, added, or
replaced by any JSON value: wrong types, huge or negative numbers, NaN, edge strings,
misaligned or impossible times), arbitrary JSON and arbitrary text.

The inputs these properties found crashing the chaincode (fixed since) are kept at the
end of this file as tests of their own, with the exact input and the 400 it now gets;
the generators still draw them like any other input.
"""

import asyncio
import base64
import copy
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from ccfakes import FakeLedger, Result, identity
from ccommunity import (
    HEAD_END,
    HOUSEHOLD1,
    KEYS,
    OPERATOR,
    REGULATOR,
    TOU,
    chaincode,  # noqa: F401 (the cc fixture)
    community_ledger,
    keyed,
    register,
    submit_readings,
)
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chaincode.community.domain import Tariff
from chaincode.consortium import build_chaincode as build_consortium
from chaincode.runtime.errors import (
    LAST_ERROR,
    AccessDenied,
    ChaincodeError,
    Conflict,
    NotFound,
    ValidationError,
)
from gridspec.signed_bundle import SignedBundle
from network.scenario import community

PROPERTIES = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FEW = settings(PROPERTIES, max_examples=25)

H1, H2 = community()[:2]  # h-001 and h-002, whose meters m-001 and m-002 are registered
H1_KEY = KEYS.provision(H1.meter_id)
BASE_DAY = "2026-02-27"  # H1 has four readings that day in the base ledger
FMT = "%Y-%m-%dT%H:%M:%SZ"
UTILITY_ADMIN = identity("UtilityMSP", "admin", cn="alice")
COMMUNITY_ADMIN = identity("CommunityMSP", "admin", cn="carol")
REGULATOR_ADMIN = identity("RegulatorMSP", "admin", cn="rita")
NEW_ADMIN = identity("NewMSP", "admin", cn="nina")
CONSORTIUM_OPERATOR = identity("UtilityMSP", "operator", cn="olga")
CONSORTIUM_REGULATOR = identity("RegulatorMSP", "regulator", cn="reg")


# -- running a transaction -----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A transaction's result and the chaincode error it raised on purpose, if any."""

    result: Result
    error: ChaincodeError | None

    @property
    def status(self) -> int:
        """The status the server answers with, as ``GridLedgerHandler`` decides it."""
        if self.result.status == 200:
            return 200
        if self.error is not None and self.result.message == str(self.error):
            return self.error.status
        return self.result.status


def call(ledger, cc, creator, function, *args, transient=None) -> Outcome:
    async def run():
        LAST_ERROR.set(None)
        result = await ledger.invoke(cc, creator, function, *args, transient=transient)
        return result, LAST_ERROR.get()

    return Outcome(*asyncio.run(run()))


def snapshot(ledger: FakeLedger):
    return copy.deepcopy(
        (ledger.state, ledger.private, ledger.private_hashes, ledger.metadata, ledger.events)
    )


def accepted(outcome: Outcome, ledger: FakeLedger, before, refusals=(ValidationError,)) -> bool:
    """True for a success; else check (a) and (b) of the module docstring and say False."""
    result = outcome.result
    event("accepted" if result.status == 200 else f"refused: {type(outcome.error).__name__}")
    if result.status == 200:
        return True
    assert outcome.error is not None and result.message == str(outcome.error), (
        f"an exception that is not a chaincode error (status 500): {result.message!r}"
    )
    assert isinstance(outcome.error, refusals), (type(outcome.error).__name__, result.message)
    assert 400 <= outcome.status < 500, (outcome.status, result.message)
    assert snapshot(ledger) == before, f"a refused call changed the ledger: {result.message}"
    assert result.stub.events == [], result.message
    if isinstance(outcome.error, ValidationError):
        staged = result.stub.simulation
        assert (staged.writes, staged.metadata_writes) == ({}, {}), result.message
    return False


def read(ledger, cc, creator, function, *args):
    outcome = call(ledger, cc, creator, function, *args)
    assert outcome.result.status == 200, outcome.result.message
    return outcome.result.json()


def stamp(moment: datetime) -> str:
    """RFC 3339 UTC, zero-padded for any year (strftime does not pad years before 1000)."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


# -- generators ------------------------------------------------------------------------------

IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True)
# any instant of the calendar, at any minute: misaligned, far past, far future
CALENDAR = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59))
INSTANTS = CALENDAR.map(lambda moment: stamp(moment.replace(second=0, microsecond=0)))
EDGE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "a" * 64,
        "a" * 65,
        "x y",
        "a~b",
        "\x00",
        "é",
        "²",
        "١٢",
        "0",
        "-1",
        "NaN",
        "null",
        "[]",
        "{}",
        "2026-03-01T09:15:00Z",
        "2026-03-01T09:07:00Z",
        "2026-02-30T00:00:00Z",
        "2026-03-01 09:15:00",
        "2026-03-01T09:15:00.5Z",
        "2026-03-01T09:15:00+01:00",
        "0001-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:45:00Z",
        "9999-12-31T23:59:59Z",
        "2026-03-01",
        "24:00",
    ]
)
TEXT = st.text(max_size=80) | EDGE_TEXT | IDS | INSTANTS
EDGE_NUMBERS = st.sampled_from(
    [0, -1, 1, 15, 2**31, 2**63, -(2**63), 10**30, 0.5, -0.0, 15.0, 1e308, math.inf, math.nan]
)
NUMBERS = st.integers() | st.floats() | EDGE_NUMBERS
JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=10,
)


@st.composite
def broken(draw, valid):
    """A valid record with one field dropped, one unknown field added, or one replaced."""
    record = dict(draw(valid))
    how = draw(st.sampled_from(("drop", "add", "replace", "replace")))
    if how == "add" or not record:
        record[draw(st.text(max_size=12))] = draw(JSON)
        return record
    name = draw(st.sampled_from(sorted(record)))
    if how == "drop":
        del record[name]
    else:
        record[name] = draw(JSON)
    return record


def documents(valid):
    """JSON text of a valid record, a broken one or any JSON value; or any text at all."""
    return st.one_of(valid, broken(valid), JSON).map(json.dumps) | TEXT


def transient_values(valid):
    """What a client may put in the transient map: those documents, or any bytes."""
    return documents(valid).map(str.encode) | st.binary(max_size=64)


@st.composite
def some_broken(draw, **valid):
    """A valid value for every argument, then none, one or two of them replaced by any text."""
    values = {name: draw(strategy) for name, strategy in valid.items()}
    for name in draw(st.sets(st.sampled_from(sorted(values)), max_size=2)):
        values[name] = draw(TEXT)
    return values


def aligned_times(start: datetime, stop: datetime, minutes: int = 15):
    slots = int((stop - start) / timedelta(minutes=minutes))
    return st.integers(0, slots - 1).map(lambda n: stamp(start + timedelta(minutes=minutes * n)))


# -- the ledgers the properties start from -------------------------------------------------


@pytest.fixture(scope="module")
def base(cc):
    """Meters m-001 (h-001) and m-002 (h-002), four readings of m-001, tariff tou-1 approved."""
    ledger = community_ledger()
    for household in (H1, H2):
        assert register(ledger, cc, household).status == 200
    submit_readings(
        ledger, cc, H1, *[(f"{BASE_DAY}T0{h}:00:00Z", 15, 100 * h, 10 * h) for h in range(4)]
    )
    for creator, function, arg in (
        (OPERATOR, "TariffContract:ProposeTariff", json.dumps(TOU)),
        (REGULATOR, "TariffContract:ApproveTariff", "tou-1"),
    ):
        assert call(ledger, cc, creator, function, arg).result.status == 200
    return ledger


@pytest.fixture(scope="module")
def consortium():
    return build_consortium()


@pytest.fixture(scope="module")
def members(consortium):
    """The three founding members registered, as their admins do it."""
    ledger = FakeLedger()
    for admin, msp_id, kind in (
        (UTILITY_ADMIN, "UtilityMSP", "utility"),
        (COMMUNITY_ADMIN, "CommunityMSP", "community"),
        (REGULATOR_ADMIN, "RegulatorMSP", "regulator"),
    ):
        args = (msp_id, f"{kind} org", kind)
        outcome = call(ledger, consortium, admin, "MemberContract:RegisterMember", *args)
        assert outcome.result.status == 200, outcome.result.message
    return ledger


# -- (1) identifiers and other plain arguments ----------------------------------------------

# (function, creator, number of arguments, refusals besides ValidationError)
COMMUNITY_ARGUMENTS = [
    ("MeterContract:GetMeter", REGULATOR, 1, (NotFound,)),
    ("ReadingContract:GetReadingCommitment", REGULATOR, 2, (NotFound,)),
    # without an access record the operator's valid reads are refused (AccessDenied)
    ("ReadingContract:DiscloseReading", OPERATOR, 2, (NotFound, AccessDenied)),
    ("ReadingContract:GetReadings", OPERATOR, 3, (AccessDenied,)),
    ("AccessContract:RecordAccess", OPERATOR, 4, (NotFound, AccessDenied)),
    ("AccessContract:ListAccesses", HOUSEHOLD1, 3, (AccessDenied,)),
    ("AccessContract:CountAccesses", REGULATOR, 2, ()),
    ("ReadingContract:PurgeExpiredReadings", OPERATOR, 1, (NotFound,)),
    ("MeterContract:PurgeHousehold", OPERATOR, 2, (NotFound, Conflict)),
    ("ConsentContract:RevokeConsent", HOUSEHOLD1, 1, (NotFound,)),
    ("TariffContract:GetTariff", REGULATOR, 1, (NotFound,)),
    ("TariffContract:ApproveTariff", REGULATOR, 1, (NotFound,)),
    ("TariffContract:TariffInForce", REGULATOR, 1, (NotFound,)),
    ("MarketContract:GetOrderBook", REGULATOR, 1, ()),
    ("MarketContract:GetClearing", REGULATOR, 1, (NotFound,)),
    ("MarketContract:ClearInterval", OPERATOR, 1, (Conflict,)),
    ("MarketContract:SettleInterval", OPERATOR, 1, (NotFound, Conflict)),
    ("MarketContract:ListTrades", OPERATOR, 2, ()),
    ("MarketContract:ListTrades", HOUSEHOLD1, 2, ()),
    ("MarketContract:GetClearingDetail", OPERATOR, 1, (NotFound,)),
    ("MarketContract:GetClearingDisclosure", OPERATOR, 1, (NotFound,)),
    ("MarketContract:AuditClearing", REGULATOR, 1, (NotFound,)),
    ("BillingContract:GenerateInvoice", identity("UtilityMSP", "billing"), 3, (NotFound,)),
    ("BillingContract:GetInvoiceEvidence", REGULATOR, 3, (NotFound,)),
    ("GridEventContract:GetGridEvent", REGULATOR, 1, (NotFound,)),
    ("GridEventContract:EndGridEvent", OPERATOR, 2, (NotFound,)),
    ("GridEventContract:ListGridEvents", REGULATOR, 2, ()),
    ("DemandResponseContract:GetDemandResponseEvent", REGULATOR, 1, (NotFound,)),
    ("DemandResponseContract:ListDemandResponseEvents", REGULATOR, 1, ()),
    ("DemandResponseContract:DemandResponseHistory", REGULATOR, 1, (NotFound,)),
    ("DemandResponseContract:WithdrawDemandResponseEvent", OPERATOR, 1, (NotFound,)),
    ("DemandResponseContract:PublishDemandResponseEvent", OPERATOR, 1, ()),
]
CONSORTIUM_ARGUMENTS = [
    ("MemberContract:GetMember", CONSORTIUM_REGULATOR, 1, (NotFound,)),
    ("MemberContract:UpdateMember", UTILITY_ADMIN, 2, (AccessDenied,)),
    ("AggregateContract:GetAggregate", CONSORTIUM_REGULATOR, 2, (NotFound,)),
    ("AggregateContract:ListAggregates", CONSORTIUM_REGULATOR, 3, ()),
    ("AggregateContract:SetThreshold", CONSORTIUM_REGULATOR, 1, ()),
    ("FundingContract:GetCampaign", CONSORTIUM_REGULATOR, 1, (NotFound,)),
    ("FundingContract:Pledge", HOUSEHOLD1, 3, (NotFound,)),
    ("FundingContract:ListMyPledges", HOUSEHOLD1, 1, ()),
]
# a value that reads as one of the base ledger's records, so that some calls succeed
KNOWN = st.sampled_from(
    [
        *("m-001", "h-001", "tou-1", "2026-03-01", f"{BASE_DAY}T00:00:00Z"),
        *(f"{BASE_DAY}T01:00:00Z", "UtilityMSP", "retention", "readings", "disclosure"),
    ]
)


def arguments(count: int):
    return st.lists(TEXT | KNOWN, min_size=count, max_size=count)


@pytest.mark.parametrize(
    ("function", "creator", "count", "refusals"),
    COMMUNITY_ARGUMENTS,
    ids=[entry[0] for entry in COMMUNITY_ARGUMENTS],
)
@FEW
@given(data=st.data())
def test_any_arguments_are_accepted_or_refused_with_a_4xx(
    cc, base, function, creator, count, refusals, data
):
    args = data.draw(arguments(count), label="args")
    ledger = copy.deepcopy(base)
    before = snapshot(ledger)
    outcome = call(ledger, cc, creator, function, *args)
    accepted(outcome, ledger, before, (ValidationError, *refusals))


@pytest.mark.parametrize(
    ("function", "creator", "count", "refusals"),
    CONSORTIUM_ARGUMENTS,
    ids=[entry[0] for entry in CONSORTIUM_ARGUMENTS],
)
@FEW
@given(data=st.data())
def test_any_consortium_arguments_are_accepted_or_refused_with_a_4xx(
    consortium, members, function, creator, count, refusals, data
):
    args = data.draw(arguments(count), label="args")
    ledger = copy.deepcopy(members)
    before = snapshot(ledger)
    outcome = call(ledger, consortium, creator, function, *args)
    if accepted(outcome, ledger, before, (ValidationError, *refusals)) and function.endswith(
        "SetThreshold"
    ):
        threshold = read(ledger, consortium, CONSORTIUM_REGULATOR, "AggregateContract:GetThreshold")
        assert threshold == {"k": int(args[0])}


# -- (2) meter registrations -----------------------------------------------------------------

PEM = KEYS.public_pem(H2.meter_id)
PERSONAL = st.dictionaries(
    st.sampled_from(["name", "address", "email", "phone"]), st.text(min_size=1, max_size=200)
)


@PROPERTIES
@given(
    args=some_broken(
        meter_id=IDS,
        household_id=st.from_regex(r"h-[A-Za-z0-9._-]{1,62}", fullmatch=True),
        feeder=IDS,
        key=st.just(PEM),
    ),
    personal=st.none() | transient_values(PERSONAL),
)
def test_meter_registrations_are_refused_cleanly_or_read_back(cc, base, args, personal):
    ledger = copy.deepcopy(base)
    before = snapshot(ledger)
    transient = None if personal is None else {"household": personal}
    outcome = call(
        ledger, cc, OPERATOR, "MeterContract:RegisterMeter", *args.values(), transient=transient
    )
    if not accepted(outcome, ledger, before, (ValidationError, Conflict)):
        return
    meter = read(ledger, cc, REGULATOR, "MeterContract:GetMeter", args["meter_id"])
    assert {k: meter[k] for k in ("meter_id", "household_id", "feeder")} == {
        k: args[k] for k in ("meter_id", "household_id", "feeder")
    }
    assert meter["device_public_key"] == args["key"]
    if personal is not None:
        stored = ledger.private["households"][f"household~{args['household_id']}"]
        assert json.loads(stored) == json.loads(personal)


# -- (3) signed reading bundles in the transient map ----------------------------------------

# the week before the base day: every interval ended before any transaction's time
WEEK = datetime(2026, 2, 21, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC)
DAYS = [f"2026-02-{d}" for d in range(21, 28)]
SALTS = st.from_regex(r"[A-Za-z0-9_-]{22,86}", fullmatch=True)


@st.composite
def bundle_bodies(draw):
    """A valid payload's fields: one meter-day, rows in slot order."""
    minutes = draw(st.sampled_from([5, 15, 30, 60]))
    limit = 200_000 * minutes // 60
    slots = draw(st.lists(st.integers(0, 24 * 60 // minutes - 1), min_size=1, max_size=6))
    rows = [
        [slot, draw(st.integers(0, limit)), draw(st.integers(0, limit))]
        for slot in sorted(set(slots))
    ]
    return {
        "format": "gridledger-readings/1",
        "meter_id": H1.meter_id,
        "day": draw(st.sampled_from(DAYS)),
        "interval_minutes": minutes,
        "secret": base64.urlsafe_b64encode(draw(st.binary(min_size=32, max_size=32)))
        .rstrip(b"=")
        .decode(),
        "readings": rows,
    }


@st.composite
def broken_bodies(draw):
    """A payload with one row or one field broken (before it is signed)."""
    body = draw(bundle_bodies())
    if draw(st.booleans()):
        rows = list(body["readings"])
        index = draw(st.integers(0, len(rows) - 1))
        rows[index] = draw(broken_rows(rows[index]))
        return {**body, "readings": rows}
    return draw(broken(st.just(body)))


@st.composite
def broken_rows(draw, row):
    """A row with one element replaced by any JSON value, dropped, or one added."""
    how = draw(st.sampled_from(["replace", "drop", "add"]))
    if how == "drop":
        return row[:-1]
    if how == "add":
        return [*row, draw(JSON)]
    index = draw(st.integers(0, len(row) - 1))
    return [*row[:index], draw(JSON), *row[index + 1 :]]


def signed(body, sign: bool) -> bytes:
    """The transient value: the payload's bytes with m-001's signature (or junk)."""
    payload = json.dumps(body).encode()
    signature = H1_KEY.sign(payload, ec.ECDSA(hashes.SHA256())) if sign else b"\x30\x06junk"
    return SignedBundle.submission([SignedBundle(payload, signature)])


READING_REFUSALS = (ValidationError, NotFound, AccessDenied, Conflict)


@st.composite
def reading_submissions(draw):
    """A signed bundle, a broken one (signed or not), or anything else."""
    how = draw(st.sampled_from(["valid", "broken", "broken", "anything"]))
    if how == "anything":
        return draw(transient_values(bundle_bodies()))
    body = draw(bundle_bodies() if how == "valid" else broken_bodies())
    return signed(body, sign=how == "valid" or draw(st.booleans()))


@PROPERTIES
@given(submission=reading_submissions())
def test_reading_bundles_are_refused_cleanly_or_read_back(cc, base, submission):
    ledger = copy.deepcopy(base)
    before = snapshot(ledger)
    outcome = call(
        ledger, cc, HEAD_END, "ReadingContract:SubmitReadings", transient={"bundles": submission}
    )
    if not accepted(outcome, ledger, before, READING_REFUSALS):
        return
    body = json.loads(base64.b64decode(json.loads(submission)[0]["payload"]))
    day, minutes = body["day"], body["interval_minutes"]
    listed = read(
        ledger,
        cc,
        HOUSEHOLD1,
        "ReadingContract:GetReadings",
        "h-001",
        f"{day}T00:00:00Z",
        stamp(datetime.strptime(day, "%Y-%m-%d") + timedelta(days=1)),
    )
    by_start = {r["interval_start"]: r for r in listed}
    for slot, import_wh, export_wh in body["readings"]:
        start = stamp(datetime.strptime(day, "%Y-%m-%d") + timedelta(minutes=slot * minutes))
        reading = by_start[start]
        assert (reading["interval_minutes"], reading["import_wh"], reading["export_wh"]) == (
            minutes,
            import_wh,
            export_wh,
        )


# -- (4) disclosed readings ------------------------------------------------------------------

HASHES = st.lists(st.sampled_from(["00" * 32, "ab" * 32, "0f" * 32]), max_size=3)
DISCLOSED = st.fixed_dictionaries(
    {
        "format": st.just("gridledger-disclosure/1"),
        "reading": st.fixed_dictionaries(
            {
                "meter_id": st.just("m-001"),
                "interval_start": st.sampled_from([f"{BASE_DAY}T0{h}:00:00Z" for h in range(4)]),
                "interval_minutes": st.just(15),
                "import_wh": st.sampled_from([0, 100, 200, 300]),
                "export_wh": st.sampled_from([0, 10, 20, 30]),
                "salt": st.just("AAECAwQFBgcICQoLDA0ODw"),
            }
        ),
        "proof": st.fixed_dictionaries(
            {"index": st.integers(0, 4), "size": st.integers(1, 5), "path": HASHES}
        ),
        "day_roots": HASHES,
        "bundle": st.integers(0, 2),
    }
)


@PROPERTIES
@given(disclosed=documents(DISCLOSED))
def test_a_disclosed_reading_is_verified_or_refused_cleanly(cc, base, disclosed):
    ledger = copy.deepcopy(base)
    before = snapshot(ledger)
    outcome = call(ledger, cc, REGULATOR, "ReadingContract:VerifyReading", disclosed)
    if accepted(outcome, ledger, before, (ValidationError, NotFound)):
        assert type(outcome.result.json()["verified"]) is bool


# -- (5) orders (PlaceOrder's transient map) --------------------------------------------------

# the interval FakeLedger's next transactions may still trade (none older than 7 days)
OPEN = datetime(2026, 2, 23, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
ORDERS = st.fixed_dictionaries(
    {
        "order_id": IDS,
        "side": st.sampled_from(["offer", "bid"]),
        "interval_start": aligned_times(*OPEN),
        "energy_wh": st.integers(1, 1_000_000),
        "price_per_kwh": st.integers(0, 100_000),
        "salt": SALTS,
    }
)


@PROPERTIES
@given(order=transient_values(ORDERS))
def test_orders_are_refused_cleanly_or_stored_sealed(cc, base, order):
    ledger = copy.deepcopy(base)
    before = snapshot(ledger)
    outcome = call(ledger, cc, HOUSEHOLD1, "MarketContract:PlaceOrder", transient={"order": order})
    if not accepted(outcome, ledger, before):
        return
    sent = json.loads(order)
    interval, order_id = sent["interval_start"], sent["order_id"]
    assert outcome.result.json() == {"order_id": order_id, "interval_start": interval}
    stored = ledger.private["orders"][keyed("order", interval, order_id)]
    party, limit = ("seller", "min_price") if sent["side"] == "offer" else ("buyer", "max_price")
    record = json.loads(stored)
    assert record.pop("placed_at").startswith("2026-03-01T")
    assert record == {
        "order_id": order_id,
        "side": sent["side"],
        "interval_start": interval,
        "salt": sent["salt"],
        party: "h-001",
        "energy_wh": sent["energy_wh"],
        f"{limit}_per_kwh": sent["price_per_kwh"],
    }
    book = read(ledger, cc, REGULATOR, "MarketContract:GetOrderBook", interval)
    assert book == {"interval_start": interval, "orders": 1, "cleared": False}


# -- (6) consent grants ------------------------------------------------------------------------

CONSENT_ARGUMENTS = {
    "consent_id": IDS,
    "grantee": st.just("CommunityMSP:advisor1")
    | st.from_regex(r"[A-Za-z][A-Za-z0-9.-]{0,63}:[A-Za-z0-9@._-]{1,64}", fullmatch=True),
    "purpose": st.text(min_size=1, max_size=200).filter(str.strip),
    "data_from": aligned_times(datetime(2026, 1, 1, tzinfo=UTC), WEEK[0]),
    "data_to": aligned_times(*WEEK),
    "expires_at": aligned_times(datetime(2026, 3, 2, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
}


@PROPERTIES
@given(terms=some_broken(**CONSENT_ARGUMENTS))
def test_consent_grants_are_refused_cleanly_or_listed(cc, base, terms):
    ledger = copy.deepcopy(base)
    before = snapshot(ledger)
    outcome = call(ledger, cc, HOUSEHOLD1, "ConsentContract:GrantConsent", *terms.values())
    if not accepted(outcome, ledger, before):
        return
    consents = read(ledger, cc, HOUSEHOLD1, "ConsentContract:ListConsents")
    assert [{k: c[k] for k in terms} for c in consents] == [terms]
    assert consents[0]["household_id"] == "h-001" and consents[0]["revoked_at"] is None


# -- (7) tariffs -----------------------------------------------------------------------------


@st.composite
def tariffs(draw):
    """A valid time-of-use tariff: the day cut into 1-5 bands, as lists or as objects."""
    cuts = sorted(draw(st.sets(st.integers(0, 95), min_size=1, max_size=5)))
    shift = draw(st.integers(0, 95))
    names = draw(st.lists(IDS, min_size=len(cuts), max_size=len(cuts), unique=True))
    bands = []
    for index, cut in enumerate(cuts):
        start, end = cut, cuts[(index + 1) % len(cuts)]
        start_at, end_at = ((start + shift) % 96) * 15, ((end + shift) % 96) * 15
        clock = [f"{m // 60:02d}:{m % 60:02d}" for m in (start_at, end_at)]
        if len(cuts) == 1:  # one band all day: 00:00-24:00 (start == end is refused)
            clock = ["00:00", "24:00"]
        price = draw(st.integers(0, 100_000))
        band = [names[index], *clock, price]
        as_object = dict(zip(("name", "start", "end", "import_price_per_kwh"), band, strict=True))
        bands.append(band if draw(st.booleans()) else as_object)
    return {
        "tariff_id": draw(IDS),
        "currency": draw(st.from_regex(r"[A-Z]{3}", fullmatch=True)),
        "bands": bands,
        "feed_in_price_per_kwh": draw(st.integers(0, 100_000)),
        "p2p_grid_fee_per_kwh": draw(st.integers(0, 100_000)),
        "daily_fixed_charge": draw(st.integers(0, 1_000_000)),
        "valid_from": draw(st.dates().map(lambda d: d.isoformat()) | st.just("2026-01-01")),
    }


@st.composite
def broken_tariffs(draw):
    tariff = draw(tariffs())
    if draw(st.booleans()):
        bands = list(tariff["bands"])
        index = draw(st.integers(0, len(bands) - 1))
        band = bands[index]
        if isinstance(band, list):
            band = list(band)
            band[draw(st.integers(0, 3))] = draw(JSON)
            bands[index] = band if draw(st.booleans()) else band[:3]
        else:
            bands[index] = draw(broken(st.just(band)))
        return {**tariff, "bands": bands}
    return draw(broken(st.just(tariff)))


@PROPERTIES
@given(tariff=st.one_of(tariffs(), broken_tariffs()).map(json.dumps) | documents(tariffs()))
def test_tariffs_are_refused_cleanly_or_read_back(cc, base, tariff):
    ledger = copy.deepcopy(base)
    before = snapshot(ledger)
    outcome = call(ledger, cc, OPERATOR, "TariffContract:ProposeTariff", tariff)
    if not accepted(outcome, ledger, before, (ValidationError, Conflict)):
        return
    sent = Tariff.from_record(json.loads(tariff))
    record = read(ledger, cc, REGULATOR, "TariffContract:GetTariff", sent.tariff_id)
    assert record["tariff"] == sent.to_record()
    assert Tariff.from_record(record["tariff"]) == sent


# -- (8) grid events -------------------------------------------------------------------------

EVENTS = st.fixed_dictionaries(
    {
        "event_id": IDS,
        "event_type": st.sampled_from(["OUTAGE", "FAULT", "MAINTENANCE"]),
        "feeder": IDS,
        "start": aligned_times(WEEK[0], datetime(2026, 3, 1, tzinfo=UTC), 1),
    },
    optional={
        "cause": st.text(max_size=200),
        "affected_meters": st.integers(0, 10_000_000),
    },
)


@PROPERTIES
@given(event=documents(EVENTS))
def test_grid_events_are_refused_cleanly_or_read_back(cc, base, event):
    ledger = copy.deepcopy(base)
    before = snapshot(ledger)
    outcome = call(ledger, cc, OPERATOR, "GridEventContract:ReportGridEvent", event)
    if not accepted(outcome, ledger, before, (ValidationError, Conflict)):
        return
    sent = json.loads(event)
    # the chaincode keeps event_id and feeder as str() of what was sent
    expected = {**sent, "event_id": str(sent["event_id"]), "feeder": str(sent["feeder"])}
    recorded = read(ledger, cc, REGULATOR, "GridEventContract:GetGridEvent", expected["event_id"])
    assert {k: recorded[k] for k in expected} == expected


# -- (9) the member registry: registrations, onboarding and removal records -----------------

MSP_IDS = st.from_regex(r"[A-Za-z][A-Za-z0-9.-]{0,63}", fullmatch=True)
CHANNELS = st.from_regex(r"[a-z][a-z0-9.-]{0,40}", fullmatch=True)
TIMES = st.builds(
    lambda moment, fraction, zone: stamp(moment)[:-1] + fraction + zone,
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(["", ".5", ".123456"]),
    st.sampled_from(["Z", "+00:00", "-00:00"]),
)
SIGNATURES = st.lists(
    st.fixed_dictionaries({"msp_id": MSP_IDS, "signed_at": TIMES}),
    min_size=1,
    max_size=3,
    unique_by=lambda s: s["msp_id"],
)
APPROVAL = {
    "change_id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", fullmatch=True),
    "proposed_by": MSP_IDS,
    "proposed_at": TIMES,
    "signatures": SIGNATURES,
    "submitted_by": MSP_IDS,
    "submitted_at": TIMES,
}
BLOCKS = st.integers(1, 2**64)
ONBOARDINGS = st.fixed_dictionaries(
    {
        **APPROVAL,
        "channel": CHANNELS,
        "config_block": BLOCKS,
        "community_channel": st.none() | CHANNELS,
    }
)
ENROLLMENT_IDS = st.text(min_size=1, max_size=40).filter(
    lambda s: s == s.strip() and s.strip() and not any(ord(c) < 32 or ord(c) == 127 for c in s)
)


@st.composite
def removals(draw):
    channels = draw(st.lists(CHANNELS, min_size=1, max_size=3, unique=True))
    return {
        **draw(st.fixed_dictionaries(APPROVAL)),
        "channels": channels,
        "config_blocks": {name: draw(BLOCKS) for name in channels},
        "revoked_identities": draw(st.lists(ENROLLMENT_IDS, max_size=3, unique=True)),
        "crl_block": draw(st.none() | BLOCKS),
    }


KINDS = st.sampled_from(["community", "regulator", "utility"])
NAMES = st.text(min_size=1, max_size=130)


@PROPERTIES
@given(args=some_broken(msp_id=MSP_IDS, name=NAMES, kind=KINDS), record=documents(ONBOARDINGS))
def test_onboarding_records_are_refused_cleanly_or_stored_as_written(
    consortium, members, args, record
):
    ledger = copy.deepcopy(members)
    before = snapshot(ledger)
    outcome = call(
        ledger,
        consortium,
        UTILITY_ADMIN,
        "MemberContract:RecordOnboarding",
        *args.values(),
        record,
    )
    if not accepted(outcome, ledger, before, (ValidationError, Conflict)):
        return
    msp_id = args["msp_id"]
    member = read(ledger, consortium, CONSORTIUM_REGULATOR, "MemberContract:GetMember", msp_id)
    assert {k: member[k] for k in args} == args
    assert member["onboarding"] == json.loads(record)
    assert member["status"] == "active" and member["recorded_by_msp"] == "UtilityMSP"


@PROPERTIES
@given(
    args=some_broken(
        msp_id=st.sampled_from(["CommunityMSP", "RegulatorMSP"]), record=documents(removals())
    )
)
def test_removal_records_are_refused_cleanly_or_stored_as_written(consortium, members, args):
    ledger = copy.deepcopy(members)
    before = snapshot(ledger)
    outcome = call(
        ledger, consortium, UTILITY_ADMIN, "MemberContract:RecordRemoval", *args.values()
    )
    if not accepted(outcome, ledger, before, (ValidationError, NotFound)):
        return
    msp_id, record = args["msp_id"], args["record"]
    member = read(ledger, consortium, CONSORTIUM_REGULATOR, "MemberContract:GetMember", msp_id)
    assert member["removal"] == json.loads(record)
    assert member["status"] == "removed" and member["removed_by_msp"] == "UtilityMSP"


@PROPERTIES
@given(args=some_broken(msp_id=st.just("NewMSP"), name=NAMES, kind=KINDS))
def test_member_registrations_are_refused_cleanly_or_read_back(consortium, members, args):
    ledger = copy.deepcopy(members)
    before = snapshot(ledger)
    outcome = call(ledger, consortium, NEW_ADMIN, "MemberContract:RegisterMember", *args.values())
    if not accepted(outcome, ledger, before, (ValidationError, AccessDenied)):
        return
    member = read(
        ledger, consortium, CONSORTIUM_REGULATOR, "MemberContract:GetMember", args["msp_id"]
    )
    assert {k: member[k] for k in args} == args
    assert member["status"] == "active"


# -- (10) aggregates and funding campaigns ---------------------------------------------------

AGGREGATES = st.fixed_dictionaries(
    {
        "households": st.integers(0, 10**12),
        "import_wh": st.integers(0, 10**12),
        "export_wh": st.integers(0, 10**12),
    }
)


@PROPERTIES
@given(
    args=some_broken(
        community=st.from_regex(r"[a-z0-9][a-z0-9-]{0,62}", fullmatch=True),
        interval=aligned_times(*WEEK),
        totals=documents(AGGREGATES),
    )
)
def test_aggregates_are_refused_cleanly_or_read_back(consortium, members, args):
    ledger = copy.deepcopy(members)
    before = snapshot(ledger)
    outcome = call(
        ledger,
        consortium,
        CONSORTIUM_OPERATOR,
        "AggregateContract:PublishAggregate",
        *args.values(),
    )
    if not accepted(outcome, ledger, before):
        return
    published = read(
        ledger,
        consortium,
        CONSORTIUM_REGULATOR,
        "AggregateContract:GetAggregate",
        args["community"],
        args["interval"],
    )
    totals = json.loads(args["totals"])
    assert {k: published[k] for k in totals} == totals


CAMPAIGNS = st.fixed_dictionaries(
    {
        "campaign_id": IDS,
        "title": st.text(min_size=1, max_size=200).filter(lambda s: s == s.strip() and s),
        "goal": st.integers(1, 10**12),
        "currency": st.from_regex(r"[A-Z]{3}", fullmatch=True),
        "deadline": aligned_times(
            datetime(2026, 3, 2, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
        ),
        "contractor": st.just("VoltWorks Ltd"),
        "approvers": st.lists(MSP_IDS, min_size=1, max_size=4, unique=True),
        "milestone": st.just("battery installed"),
    }
)


@PROPERTIES
@given(campaign=documents(CAMPAIGNS))
def test_campaigns_are_refused_cleanly_or_read_back(consortium, members, campaign):
    ledger = copy.deepcopy(members)
    before = snapshot(ledger)
    outcome = call(
        ledger, consortium, CONSORTIUM_OPERATOR, "FundingContract:CreateCampaign", campaign
    )
    if not accepted(outcome, ledger, before):
        return
    sent = json.loads(campaign)
    view = read(
        ledger, consortium, CONSORTIUM_REGULATOR, "FundingContract:GetCampaign", sent["campaign_id"]
    )
    assert {k: view[k] for k in sent} == sent
    assert (view["status"], view["pledged"]) == ("open", 0)


# -- the inputs the fuzzers found crashing the chaincode, now refused with a 400 ----------


def deep(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def test_a_bundle_of_the_last_day_of_the_calendar_is_refused_with_a_400(cc, base):
    body = {
        "format": "gridledger-readings/1",
        "meter_id": H1.meter_id,
        "day": "9999-12-31",
        "interval_minutes": 15,
        "secret": "A" * 43,
        "readings": [[95, 0, 0]],
    }
    ledger = copy.deepcopy(base)
    outcome = call(
        ledger,
        cc,
        HEAD_END,
        "ReadingContract:SubmitReadings",
        transient={"bundles": signed(body, sign=True)},
    )
    assert outcome.status == 400, outcome.result.message


def test_a_threshold_of_superscript_two_is_refused_with_a_400(consortium, members):
    ledger = copy.deepcopy(members)
    outcome = call(ledger, consortium, CONSORTIUM_REGULATOR, "AggregateContract:SetThreshold", "²")
    assert outcome.status == 400, outcome.result.message


@pytest.mark.parametrize(
    ("function", "creator", "args"),
    [
        ("AggregateContract:SetThreshold", CONSORTIUM_REGULATOR, ("1" * 4301,)),
        ("FundingContract:Pledge", HOUSEHOLD1, ("battery-1", "p-1", "1" * 4301)),
    ],
    ids=["SetThreshold", "Pledge"],
)
def test_a_number_of_4301_digits_is_refused_with_a_400(
    consortium, members, function, creator, args
):
    ledger = copy.deepcopy(members)
    outcome = call(ledger, consortium, creator, function, *args)
    assert outcome.status == 400, outcome.result.message


@pytest.mark.parametrize("event_type", [[], {}], ids=["array", "object"])
def test_a_grid_event_whose_type_is_not_a_string_is_refused_with_a_400(cc, base, event_type):
    event = {"event_id": "e-1", "event_type": event_type, "feeder": "F-1"}
    event["start"] = "2026-03-01T08:00:00Z"
    ledger = copy.deepcopy(base)
    outcome = call(ledger, cc, OPERATOR, "GridEventContract:ReportGridEvent", json.dumps(event))
    assert outcome.status == 400, outcome.result.message


def test_a_disclosed_reading_with_nan_is_refused_with_a_400(cc, base):
    disclosed = {
        "format": "gridledger-disclosure/1",
        "reading": {
            "meter_id": "m-001",
            "interval_start": f"{BASE_DAY}T01:00:00Z",
            "interval_minutes": 15,
            "import_wh": math.nan,
            "export_wh": 10,
            "salt": "AAECAwQFBgcICQoLDA0ODw",
        },
        "proof": {"index": 0, "size": 1, "path": []},
        "day_roots": ["00" * 32],
        "bundle": 0,
    }
    ledger = copy.deepcopy(base)
    outcome = call(ledger, cc, REGULATOR, "ReadingContract:VerifyReading", json.dumps(disclosed))
    assert outcome.status == 400, outcome.result.message


DEEP_JSON = [
    ("community", "TariffContract:ProposeTariff", OPERATOR, "tariff"),
    ("community", "ReadingContract:VerifyReading", REGULATOR, "disclosure"),
    ("community", "GridEventContract:ReportGridEvent", OPERATOR, "event"),
    ("community", "ReadingContract:SubmitReadings", HEAD_END, "transient bundles"),
    ("community", "MarketContract:PlaceOrder", HOUSEHOLD1, "transient order"),
    ("consortium", "AggregateContract:PublishAggregate", CONSORTIUM_OPERATOR, "totals"),
    ("consortium", "FundingContract:CreateCampaign", CONSORTIUM_OPERATOR, "campaign"),
    ("consortium", "MemberContract:RecordOnboarding", UTILITY_ADMIN, "record"),
    ("consortium", "MemberContract:RecordRemoval", UTILITY_ADMIN, "record"),
]


@pytest.mark.parametrize(
    ("chaincode_name", "function", "creator", "what"),
    DEEP_JSON,
    ids=[entry[1].split(":")[1] for entry in DEEP_JSON],
)
def test_deeply_nested_json_is_refused_with_a_400(
    cc, base, consortium, members, chaincode_name, function, creator, what
):
    contract, ledger = (cc, base) if chaincode_name == "community" else (consortium, members)
    ledger = copy.deepcopy(ledger)
    args: list[str] = []
    transient = None
    if what.startswith("transient"):
        transient = {what.split()[1]: deep().encode()}
    elif function.endswith("PublishAggregate"):
        args = ["sunnyside", "2026-03-01T09:15:00Z", deep()]
    elif function.endswith("RecordOnboarding"):
        args = ["NewMSP", "New", "community", deep()]
    elif function.endswith("RecordRemoval"):
        args = ["CommunityMSP", deep()]
    else:
        args = [deep()]
    outcome = call(ledger, contract, creator, function, *args, transient=transient)
    assert outcome.status == 400, outcome.result.message
