"""AccessContract over the in-memory ledger, and the access records the reads require.

FakeLedger stamps its n-th transaction T0 + n minutes (2026-03-01T09:30Z + n): a record
stays fresh for ACCESS_TTL (10 minutes), so "stale" is 11 transactions later. Readers
other than the household record the access (RecordAccess) and read with its id in
transient ``access``; the household reads its own without any record.
"""

import copy
import json
from datetime import timedelta

import pytest
from ccfakes import identity
from ccommunity import (
    ADVISOR,
    AUDITOR,
    BILLING,
    DAY_END,
    DAY_START,
    HOUSEHOLD1,
    HOUSEHOLD2,
    OPERATOR,
    REGULATOR,
    access_transient,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    community_ledger,
    day_batch,
    invoke,
    keyed,
    next_tx_time,
    ok,
    record_access,
    register,
    stamp,
    submit,
)

from network.scenario import community

H1, H2 = community()[:2]
READINGS = ("readings", "h-001", DAY_START, DAY_END)
INTERVAL = "2026-02-27T10:00:00Z"
DISCLOSURE = ("disclosure", "m-001", INTERVAL, "2026-02-27T11:00:00Z")
RECORD_FIRST = (
    "record the access first with RecordAccess and send its transaction id in transient 'access'"
)
CONSENT = ("c-1", "CommunityMSP:advisor1", "advice", DAY_START, DAY_END, "2026-04-01T00:00:00Z")


@pytest.fixture
def metered(cc):
    """h-001 and h-002 registered with a day of readings each; h-001's consent c-1 lets
    advisor1 read that day."""
    ledger = community_ledger()
    for household in (H1, H2):
        ok(register(ledger, cc, household))
        ok(submit(ledger, cc, day_batch(household)))
    ok(invoke(ledger, cc, HOUSEHOLD1, "ConsentContract:GrantConsent", *CONSENT))
    return ledger


def snapshot(ledger):
    return copy.deepcopy((ledger.state, ledger.private, ledger.private_hashes, ledger.events))


def read(ledger, cc, creator, recorded=None, household_id="h-001", start=DAY_START, end=DAY_END):
    """GetReadings naming the record of *recorded* (a RecordAccess result), if any."""
    transient = access_transient(recorded) if recorded is not None else None
    args = (household_id, start, end)
    return invoke(ledger, cc, creator, "ReadingContract:GetReadings", *args, transient=transient)


def disclose(ledger, cc, creator, recorded=None, start=INTERVAL):
    transient = access_transient(recorded) if recorded is not None else None
    args = ("m-001", start)
    return invoke(
        ledger, cc, creator, "ReadingContract:DiscloseReading", *args, transient=transient
    )


def listed(ledger, cc, creator=HOUSEHOLD1, household_id="h-001", start=DAY_START, end=None):
    end = end or "2026-03-02T00:00:00Z"
    args = (household_id, start, end)
    return invoke(ledger, cc, creator, "AccessContract:ListAccesses", *args)


def counted(ledger, cc, creator=AUDITOR, start="2026-03-01T00:00:00Z", end="2026-03-02T00:00:00Z"):
    return invoke(ledger, cc, creator, "AccessContract:CountAccesses", start, end)


# --- record, then read ---------------------------------------------------------------------


@pytest.mark.parametrize("reader", [OPERATOR, BILLING, ADVISOR], ids=["operator", "billing", "tp"])
def test_a_reader_records_the_access_then_reads(cc, metered, reader):
    recorded = record_access(metered, cc, reader, *READINGS)
    assert recorded.status == 200, recorded.message
    recorded_at = stamp(next_tx_time(metered) - timedelta(minutes=1))
    assert recorded.json() == {"access_id": recorded.stub.tx_id, "recorded_at": recorded_at}
    result = read(metered, cc, reader, recorded)
    assert result.status == 200, result.message
    assert len(result.json()) == 96


def test_the_household_reads_its_own_without_any_record(cc, metered):
    before = snapshot(metered)
    assert len(read(metered, cc, HOUSEHOLD1).json()) == 96
    assert disclose(metered, cc, HOUSEHOLD1).status == 200
    assert snapshot(metered) == before


def test_what_each_record_holds_privately_and_publicly(cc, metered):
    recorded = record_access(metered, cc, ADVISOR, *READINGS)
    tx_id, recorded_at = recorded.stub.tx_id, recorded.json()["recorded_at"]
    private_key = f"{keyed('accessof', 'h-001')}~{recorded_at}~{tx_id}"
    record = {
        "household_id": "h-001",
        "reader": "CommunityMSP:advisor1",
        "reader_role": "third_party",
        "reader_org": "CommunityMSP",
        "kind": "readings",
        "subject": "h-001",
        "start": DAY_START,
        "end": DAY_END,
        "consent_id": "c-1",
        "recorded_at": recorded_at,
        "tx_id": tx_id,
    }
    assert recorded.stub.private_writes.keys() == {("households", private_key)}
    assert metered.private["households"][private_key] == canonical(record)
    public = {
        "reader_msp": "CommunityMSP",
        "reader_role": "third_party",
        "kind": "readings",
        "recorded_at": recorded_at,
        "tx_id": tx_id,
    }
    assert recorded.stub.writes == {f"access~{recorded_at}~{tx_id}": canonical(public)}
    assert metered.events[-1] == ("AccessRecorded", canonical(public))


PUBLIC_FIELDS = {"reader_msp", "reader_role", "kind", "recorded_at", "tx_id"}


@pytest.mark.parametrize("access", [READINGS, DISCLOSURE], ids=["readings", "disclosure"])
def test_nothing_public_names_the_household_and_no_write_holds_a_reading(cc, metered, access):
    """The public record, the event and the answer are in every peer's blocks."""
    result = record_access(metered, cc, OPERATOR, *access)
    public = [json.loads(value) for value in result.stub.writes.values()]
    public += [json.loads(payload) for _, payload in result.stub.events]
    assert [set(value) for value in public] == [PUBLIC_FIELDS, PUBLIC_FIELDS]
    assert set(result.json()) == {"access_id", "recorded_at"}
    shown = json.dumps([*public, result.json(), *result.stub.writes])
    assert "h-001" not in shown and "m-001" not in shown
    written = [w.value for w in result.stub.private_writes.values()]
    written += list(result.stub.writes.values())
    assert not any(b"import_wh" in v or b"export_wh" in v or b"salt" in v for v in written)
    # the private name's hash, on every peer, links to no household either
    assert not any("h-001" in key for _, key in result.stub.private_writes)


# --- reads refused without a fitting, fresh record of the reader's own -------------------


def test_a_read_without_a_record_is_refused_saying_what_to_do(cc, metered):
    for result in (read(metered, cc, OPERATOR), disclose(metered, cc, BILLING)):
        assert (result.status, result.message) == (
            500,
            f"reading the data of household h-001 leaves a record: {RECORD_FIRST}",
        )


def no_record(access_id, reader="UtilityMSP:operator1", household_id="h-001"):
    return (
        f"no access record {access_id} of {reader} for household {household_id} "
        f"from the last 10 minutes: {RECORD_FIRST}"
    )


def test_a_read_with_someone_elses_record_is_refused(cc, metered):
    recorded = record_access(metered, cc, BILLING, *READINGS)
    result = read(metered, cc, OPERATOR, recorded)
    assert (result.status, result.message) == (500, no_record(recorded.stub.tx_id))


def test_a_record_of_another_household_does_not_open_this_one(cc, metered):
    recorded = record_access(metered, cc, OPERATOR, "readings", "h-002", DAY_START, DAY_END)
    result = read(metered, cc, OPERATOR, recorded)
    assert (result.status, result.message) == (500, no_record(recorded.stub.tx_id))
    assert len(read(metered, cc, OPERATOR, recorded, household_id="h-002").json()) == 96


def test_a_wider_period_or_another_kind_is_refused(cc, metered):
    part = record_access(metered, cc, OPERATOR, "readings", "h-001", DAY_START, INTERVAL)
    wider = read(metered, cc, OPERATOR, part)
    announced = f"readings of h-001 from {DAY_START} to {INTERVAL}"
    assert (wider.status, wider.message) == (
        500,
        f"access record {part.stub.tx_id} covers {announced}, not readings of h-001 "
        f"from {DAY_START} to {DAY_END}: {RECORD_FIRST}",
    )
    assert len(read(metered, cc, OPERATOR, part, end=INTERVAL).json()) == 40
    readings = record_access(metered, cc, OPERATOR, *READINGS)
    other_kind = disclose(metered, cc, OPERATOR, readings)
    assert other_kind.status == 500
    assert other_kind.message.startswith(
        f"access record {readings.stub.tx_id} covers readings of h-001"
    )


def test_a_disclosure_record_names_the_reading_it_discloses(cc, metered):
    recorded = record_access(metered, cc, OPERATOR, *DISCLOSURE)
    assert disclose(metered, cc, OPERATOR, recorded).status == 200
    later = disclose(metered, cc, OPERATOR, recorded, start="2026-02-27T10:15:00Z")
    assert (later.status, later.message) == (
        500,
        f"access record {recorded.stub.tx_id} covers disclosure of m-001 from {INTERVAL} to "
        "2026-02-27T11:00:00Z, not disclosure of m-001 from 2026-02-27T10:15:00Z to "
        f"2026-02-27T10:30:00Z: {RECORD_FIRST}",
    )


def test_a_record_serves_for_ten_minutes_and_not_before_it_was_made(cc, metered):
    recorded = record_access(metered, cc, OPERATOR, *READINGS)
    metered.epoch += timedelta(minutes=9)  # the next read is 10 minutes after the record
    assert read(metered, cc, OPERATOR, recorded).status == 200
    stale = read(metered, cc, OPERATOR, recorded)  # 11 minutes after
    assert (stale.status, stale.message) == (500, no_record(recorded.stub.tx_id))
    # a read dated more than the clock skew before its record: the record is in its future
    early = record_access(metered, cc, OPERATOR, *READINGS)
    metered.epoch -= timedelta(minutes=17)  # the next read is 16 minutes before the record
    future = read(metered, cc, OPERATOR, early)
    assert (future.status, future.message) == (500, no_record(early.stub.tx_id))
    assert read(metered, cc, OPERATOR, early).status == 200  # 15 minutes: within the skew


def test_a_third_partys_record_does_not_outlive_its_consent(cc, metered):
    recorded = record_access(metered, cc, ADVISOR, *READINGS)
    ok(invoke(metered, cc, HOUSEHOLD1, "ConsentContract:RevokeConsent", "c-1"))
    result = read(metered, cc, ADVISOR, recorded)
    assert (result.status, result.message) == (
        500,
        "no live consent of household h-001 lets CommunityMSP:advisor1 read readings "
        f"from {DAY_START} to {DAY_END}",
    )


# --- RecordAccess refuses what the read would refuse ------------------------------------


def no_consent(grantee="CommunityMSP:advisor1"):
    return (
        f"no live consent of household h-001 lets {grantee} "
        f"read readings from {DAY_START} to {DAY_END}"
    )


@pytest.mark.parametrize(
    ("creator", "access", "message"),
    [
        pytest.param(
            identity("CommunityMSP", "third_party", cn="advisor2"),
            READINGS,
            no_consent("CommunityMSP:advisor2"),
            id="no-consent",
        ),
        pytest.param(
            ADVISOR,
            ("readings", "h-001", DAY_START, "2026-02-28T01:00:00Z"),
            "no live consent of household h-001 lets CommunityMSP:advisor1 read readings "
            f"from {DAY_START} to 2026-02-28T01:00:00Z",
            id="beyond-the-consent",
        ),
        pytest.param(
            HOUSEHOLD1,
            READINGS,
            "a household reads its own data without recording it; "
            "RecordAccess is for the utility and third parties",
            id="household",
        ),
        pytest.param(
            HOUSEHOLD2,
            READINGS,
            "a household reads its own data without recording it; "
            "RecordAccess is for the utility and third parties",
            id="other-household",
        ),
        pytest.param(
            AUDITOR,
            READINGS,
            "caller from RegulatorMSP (regulator) may not call RecordAccess; "
            "allowed: utility, community",
            id="regulator",
        ),
        pytest.param(
            identity("CommunityMSP", "operator", cn="op2"),
            READINGS,
            "only the utility's operator may read household h-001",
            id="community-operator",
        ),
        pytest.param(
            OPERATOR,
            ("invoice", "h-001", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
            "only the utility's billing may read invoices",
            id="operator-invoice",
        ),
        pytest.param(
            ADVISOR,
            ("invoice", "h-001", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
            "only the utility's billing may read invoices",
            id="third-party-invoice",
        ),
        pytest.param(
            OPERATOR,
            ("orders", "h-001", DAY_START, DAY_END),
            "kind must be one of readings, disclosure, invoice",
            id="kind",
        ),
        pytest.param(
            OPERATOR,
            ("readings", "x-1", DAY_START, DAY_END),
            "household id 'x-1' is invalid: use h- and up to 62 letters, digits, '.', '_' or '-'",
            id="household-id",
        ),
        pytest.param(
            OPERATOR,
            ("disclosure", "m 1", INTERVAL, DAY_END),
            "meter id 'm 1' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
            id="meter-id",
        ),
        pytest.param(
            OPERATOR,
            ("disclosure", "m-009", INTERVAL, "2026-02-27T10:15:00Z"),
            "meter m-009 is not registered",
            id="unknown-meter",
        ),
        pytest.param(
            OPERATOR,
            ("disclosure", "m-001", INTERVAL, "2026-02-27T11:05:00Z"),
            "a disclosure's period is one interval: at most 60 minutes",
            id="disclosure-period",
        ),
        pytest.param(
            OPERATOR,
            ("readings", "h-001", "2024-01-01T00:00:00Z", DAY_END),
            "a period spans at most 731 days",
            id="period-length",
        ),
        pytest.param(
            OPERATOR,
            ("readings", "h-001", DAY_END, DAY_START),
            "end must be after start",
            id="reversed",
        ),
        pytest.param(
            OPERATOR,
            ("readings", "h-001", "2026-02-27", DAY_END),
            "start must be a UTC time like 2026-03-01T00:00:00Z",
            id="start",
        ),
    ],
)
def test_record_access_refuses_what_the_read_would_refuse(cc, metered, creator, access, message):
    before = snapshot(metered)
    result = record_access(metered, cc, creator, *access)
    assert (result.status, result.message) == (500, message)
    assert snapshot(metered) == before


def test_a_revoked_consent_records_nothing(cc, metered):
    ok(invoke(metered, cc, HOUSEHOLD1, "ConsentContract:RevokeConsent", "c-1"))
    before = snapshot(metered)
    result = record_access(metered, cc, ADVISOR, *READINGS)
    assert (result.status, result.message) == (500, no_consent())
    assert snapshot(metered) == before


# --- ListAccesses and CountAccesses ---------------------------------------------------------


def test_a_household_lists_its_own_records_newest_first(cc, metered):
    by_advisor = record_access(metered, cc, ADVISOR, *READINGS)
    by_operator = record_access(metered, cc, OPERATOR, *DISCLOSURE)
    ok(record_access(metered, cc, BILLING, "readings", "h-002", DAY_START, DAY_END))
    mine = listed(metered, cc).json()
    assert [(r["tx_id"], r["reader"], r["kind"], r["consent_id"]) for r in mine] == [
        (by_operator.stub.tx_id, "UtilityMSP:operator1", "disclosure", None),
        (by_advisor.stub.tx_id, "CommunityMSP:advisor1", "readings", "c-1"),
    ]
    assert {r["household_id"] for r in mine} == {"h-001"}
    theirs = listed(metered, cc, HOUSEHOLD2, "h-002").json()
    assert [(r["reader"], r["start"], r["end"]) for r in theirs] == [
        ("UtilityMSP:billing1", DAY_START, DAY_END)
    ]
    # the period is over the records' time
    recorded_at = by_operator.json()["recorded_at"]
    assert [r["tx_id"] for r in listed(metered, cc, start=recorded_at).json()] == [
        by_operator.stub.tx_id
    ]
    assert listed(metered, cc, end=recorded_at).json()[0]["tx_id"] == by_advisor.stub.tx_id


@pytest.mark.parametrize(
    ("creator", "household_id", "message"),
    [
        (HOUSEHOLD2, "h-001", "household h-002 may not read the accesses of household h-001"),
        (
            OPERATOR,
            "h-001",
            "caller from UtilityMSP (utility) may not call ListAccesses; allowed: community",
        ),
        (
            ADVISOR,
            "h-001",
            "caller role 'third_party' may not call ListAccesses; allowed: household",
        ),
        (
            HOUSEHOLD1,
            "h 1",
            "household id 'h 1' is invalid: use h- and up to 62 letters, digits, '.', '_' or '-'",
        ),
    ],
    ids=["other-household", "operator", "third-party", "household-id"],
)
def test_no_one_else_lists_a_households_records(cc, metered, creator, household_id, message):
    ok(record_access(metered, cc, OPERATOR, *READINGS))
    result = listed(metered, cc, creator, household_id)
    assert (result.status, result.message) == (500, message)


def test_the_regulator_counts_the_public_records_without_private_data(cc, metered):
    for reader, access in (
        (OPERATOR, READINGS),
        (OPERATOR, DISCLOSURE),
        (ADVISOR, READINGS),
        (OPERATOR, ("readings", "h-002", DAY_START, DAY_END)),
    ):
        ok(record_access(metered, cc, reader, *access))
    metered.refuse["households"] = "tx is not authorized to read private data"
    metered.refuse["readings"] = "tx is not authorized to read private data"
    result = counted(metered, cc)
    assert result.status == 200, result.message
    assert result.json() == {
        "start": "2026-03-01T00:00:00Z",
        "end": "2026-03-02T00:00:00Z",
        "total": 4,
        "counts": [
            {
                "reader_msp": "CommunityMSP",
                "reader_role": "third_party",
                "kind": "readings",
                "count": 1,
            },
            {
                "reader_msp": "UtilityMSP",
                "reader_role": "operator",
                "kind": "disclosure",
                "count": 1,
            },
            {"reader_msp": "UtilityMSP", "reader_role": "operator", "kind": "readings", "count": 2},
        ],
    }
    assert counted(metered, cc, end="2026-03-01T09:30:00Z").json()["total"] == 0


@pytest.mark.parametrize(
    ("creator", "end", "message"),
    [
        (
            OPERATOR,
            DAY_END,
            "caller from UtilityMSP (utility) may not call CountAccesses; allowed: regulator",
        ),
        (REGULATOR, "2028-03-02T00:00:00Z", "a period spans at most 731 days"),
        (REGULATOR, "tomorrow", "end must be a UTC time like 2026-03-01T00:00:00Z"),
    ],
    ids=["operator", "too-long", "end"],
)
def test_counts_are_the_regulators_over_a_bounded_period(cc, metered, creator, end, message):
    result = counted(metered, cc, creator, end=end)
    assert (result.status, result.message) == (500, message)
