"""ReadingContract over the in-memory ledger: signed meter-day bundles in; readings, proofs out.

FakeLedger stamps its n-th transaction ``epoch + n minutes`` (2026-03-01T09:30Z + n by
default), so full days of readings are taken from 2026-02-27. The format rules of a
payload are tested in ``tests/unit/gridspec``; here, what the ledger does with them.
"""

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from ccommunity import (
    ADVISOR,
    AUDITOR,
    BILLING,
    DAY,
    DAY_END,
    DAY_START,
    HEAD_END,
    HOUSEHOLD1,
    HOUSEHOLD2,
    OPERATOR,
    chaincode,  # noqa: F401 (the cc fixture)
    community_ledger,
    day_batch,
    invoke,
    member,
    next_tx_time,
    recorded_read,
    register,
    sign,
    sign_payload,
    stamp,
    submit,
)
from cryptography.hazmat.primitives.asymmetric import ec

from gridspec import disclosure
from gridspec.merkle import leaf_hash
from gridspec.reading_bundle import ReadingBundle, encode_payload
from gridspec.signed_bundle import SignedBundle
from network.scenario import community, day_readings

H1, H2, H3 = community()[:3]
FORGED = (
    "readings of meter m-001 on 2026-02-27: signature does not verify with the meter's device key"
)


@pytest.fixture
def registered(cc):
    ledger = community_ledger()
    for household in (H1, H2):
        assert register(ledger, cc, household).status == 200
    return ledger


@pytest.fixture
def metered(cc, registered):
    """As `registered`, with one full day (DAY) of readings of each meter."""
    for household in (H1, H2):
        assert submit(registered, cc, day_batch(household)).status == 200
    return registered


def snapshot(ledger):
    return copy.deepcopy(
        (ledger.state, ledger.private, ledger.private_hashes, ledger.private_history, ledger.events)
    )


def get_readings(ledger, cc, creator, household_id="h-001", start=DAY_START, end=DAY_END):
    """GetReadings as its client calls it: anyone but a household records the access first."""
    args = ("ReadingContract:GetReadings", household_id, start, end)
    return recorded_read(ledger, cc, creator, ("readings", household_id, start, end), *args)


def disclose(ledger, cc, start="2026-02-27T10:00:00Z", creator=HOUSEHOLD1, meter_id="m-001"):
    """DiscloseReading as its client calls it (the record covers the longest interval)."""
    end = stamp(datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ") + timedelta(hours=1))
    access = ("disclosure", meter_id, start, end)
    args = ("ReadingContract:DiscloseReading", meter_id, start)
    return recorded_read(ledger, cc, creator, access, *args)


def verify(ledger, cc, disclosed, creator=AUDITOR):
    return invoke(ledger, cc, creator, "ReadingContract:VerifyReading", json.dumps(disclosed))


def commitment(ledger, cc, meter_id="m-001", day="2026-02-27"):
    return invoke(ledger, cc, AUDITOR, "ReadingContract:GetReadingCommitment", meter_id, day)


def values(readings):
    return [(r["interval_start"], r["import_wh"], r["export_wh"]) for r in readings]


def refused(ledger, cc, batch, message, creator=HEAD_END):
    before = snapshot(ledger)
    result = submit(ledger, cc, batch, creator=creator)
    assert (result.status, result.message) == (500, message)
    assert snapshot(ledger) == before


# --- SubmitReadings ----------------------------------------------------------------------


def test_a_day_is_stored_as_the_signed_bytes_with_its_root_and_nothing_public(cc, registered):
    batch = day_batch(H1)
    result = submit(registered, cc, batch)
    assert result.status == 200, result.message
    summary = {
        "bundles": 1,
        "stored": 96,
        "duplicates": 0,
        "meter_days": [{"meter_id": "m-001", "day": "2026-02-27"}],
    }
    assert result.json() == summary
    assert result.stub.writes == {}
    assert registered.events[-1] == (
        "ReadingsSubmitted",
        json.dumps(summary, sort_keys=True, separators=(",", ":")).encode(),
    )
    sent = json.loads(batch)
    stored = registered.private["readings"]
    assert sorted(stored) == ["meterday~m-001~2026-02-27", "roots~m-001~2026-02-27"]
    assert SignedBundle.unframe(stored["meterday~m-001~2026-02-27"]) == (
        SignedBundle.list_from_wire(sent)
    )
    payload = base64.b64decode(sent[0]["payload"])
    assert stored["roots~m-001~2026-02-27"] == ReadingBundle.parse(payload).root()
    assert (
        registered.private_hashes["readings"]["roots~m-001~2026-02-27"]
        == hashlib.sha256(stored["roots~m-001~2026-02-27"]).digest()
    )


def test_readings_come_back_with_a_distinct_salt_each(cc, metered):
    readings = get_readings(metered, cc, HOUSEHOLD1).json()
    expected = [
        (r["interval_start"], r["import_wh"], r["export_wh"]) for r in day_readings(H1, DAY)
    ]
    assert values(readings) == expected
    salts = [r["salt"] for r in readings]
    assert len(set(salts)) == 96
    assert all(len(base64.urlsafe_b64decode(s + "==")) == 16 for s in salts)
    assert {r["meter_id"] for r in readings} == {"m-001"}


def test_a_repeat_stores_nothing_even_with_a_fresh_secret(cc, metered):
    before = snapshot(metered)
    again = submit(metered, cc, day_batch(H1))  # same values, a new secret and signature
    assert again.status == 200, again.message
    assert again.json() == {"bundles": 1, "stored": 0, "duplicates": 96, "meter_days": []}
    assert (again.stub.writes, again.stub.private_writes) == ({}, {})
    assert snapshot(metered)[:4] == before[:4]


def test_a_day_sent_in_parts_keeps_every_bundle_and_root(cc, registered):
    readings = day_readings(H1, DAY)
    assert submit(registered, cc, sign(H1, readings[:40])).status == 200
    result = submit(registered, cc, sign(H1, readings[30:]))  # 10 repeats, 56 new
    assert result.json()["stored"] == 56
    assert result.json()["duplicates"] == 10
    stored = registered.private["readings"]
    assert len(SignedBundle.unframe(stored["meterday~m-001~2026-02-27"])) == 2
    assert len(stored["roots~m-001~2026-02-27"]) == 64
    assert values(get_readings(registered, cc, OPERATOR).json()) == values(readings)


def test_several_meters_and_days_in_one_transaction(cc, registered):
    bundles = [
        *SignedBundle.list_from_wire(json.loads(day_batch(H1))),
        *SignedBundle.list_from_wire(json.loads(day_batch(H2))),
        *SignedBundle.list_from_wire(json.loads(day_batch(H1, DAY - timedelta(days=1)))),
    ]
    result = submit(registered, cc, SignedBundle.submission(bundles))
    assert result.status == 200, result.message
    assert result.json()["stored"] == 3 * 96
    assert len(result.json()["meter_days"]) == 3
    assert len(registered.private["readings"]) == 6


def test_a_conflicting_reading_refuses_the_whole_transaction(cc, metered):
    changed = day_readings(H1, DAY)
    changed[40] = {**changed[40], "import_wh": changed[40]["import_wh"] + 1}
    fine = SignedBundle.list_from_wire(json.loads(day_batch(H2, DAY - timedelta(days=1))))
    bad = SignedBundle.list_from_wire(json.loads(sign(H1, changed)))
    refused(
        metered,
        cc,
        SignedBundle.submission([*fine, *bad]),
        f"reading of meter m-001 at {changed[40]['interval_start']} "
        "conflicts with the recorded value",
    )


def test_a_day_keeps_one_interval_length(cc, metered):
    five = [
        {
            "interval_start": "2026-02-27T23:00:00Z",
            "interval_minutes": 5,
            "import_wh": 1,
            "export_wh": 0,
        }
    ]
    refused(
        metered,
        cc,
        sign(H1, five),
        "readings of meter m-001 on 2026-02-27: the day already has 15-minute readings; "
        "a meter's day has one interval length",
    )


@pytest.mark.parametrize(
    ("transient", "message"),
    [
        (None, "readings must be sent in the transient map under 'bundles'"),
        (b"not json", "transient 'bundles' must be a JSON list"),
        (b"{}", "bundles must be a list of 1 to 1000 signed bundles"),
        (b"[]", "bundles must be a list of 1 to 1000 signed bundles"),
        (b'[{"payload": "x"}]', "bundle 0 must be an object with payload and signature"),
        (b'[{"payload": "%%", "signature": ""}]', "bundle 0: payload is not base64"),
        (
            json.dumps([{"payload": base64.b64encode(b"[1]").decode(), "signature": ""}]).encode(),
            "a bundle payload must be an object with format, meter_id, day, interval_minutes, "
            "secret and readings (and optionally local_time)",
        ),
    ],
    ids=["none", "not-json", "object", "empty", "no-signature", "bad-base64", "not-a-bundle"],
)
def test_malformed_submissions_are_refused_with_the_exact_reason(
    cc, registered, transient, message
):
    before = snapshot(registered)
    result = invoke(
        registered,
        cc,
        HEAD_END,
        "ReadingContract:SubmitReadings",
        transient=None if transient is None else {"bundles": transient},
    )
    assert (result.status, result.message) == (500, message)
    assert snapshot(registered) == before


def test_a_reading_counts_only_once_its_interval_ended_more_than_the_skew_ago(cc, registered):
    ten = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    registered.epoch = ten - timedelta(minutes=registered._count + 1)  # next tx at 10:00
    ended = {"interval_start": "2026-03-01T09:30:00Z", "interval_minutes": 15}
    assert (
        submit(registered, cc, sign(H1, [{**ended, "import_wh": 5, "export_wh": 0}])).status == 200
    )
    fresh = {"interval_start": "2026-03-01T09:45:00Z", "interval_minutes": 15}
    refused(
        registered,
        cc,
        sign(H1, [{**fresh, "import_wh": 5, "export_wh": 0}]),
        "readings of meter m-001 on 2026-03-01: the interval ending 2026-03-01T10:00:00Z is "
        "accepted from 2026-03-01T10:15:00Z (15 minutes of clock tolerance)",
    )


def test_a_day_past_retention_is_refused(cc, registered):
    old = [
        {
            "interval_start": "2024-02-27T00:00:00Z",
            "interval_minutes": 60,
            "import_wh": 1,
            "export_wh": 0,
        }
    ]
    refused(
        registered,
        cc,
        sign(H1, old),
        "readings of meter m-001 on 2024-02-27: "
        "the day is older than the 24-month retention period",
    )


def test_unregistered_meters_forged_signatures_and_foreign_head_ends_are_refused(cc, registered):
    refused(registered, cc, day_batch(H3), "meter m-003 is not registered")
    forger = ec.generate_private_key(ec.SECP256R1())
    payload = encode_payload("m-001", "2026-02-27", 15, [[0, 1, 0]])
    refused(
        registered,
        cc,
        sign_payload(H1, payload, key=forger),
        FORGED,
    )
    signed = json.loads(sign_payload(H1, payload))
    altered = payload.replace(b"[[0,1,0]]", b"[[0,2,0]]")
    signed[0]["payload"] = base64.b64encode(altered).decode()
    refused(
        registered,
        cc,
        json.dumps(signed).encode(),
        FORGED,
    )
    other = member("UtilityMSP", "headend2", "meter", meter_ids="m-002,m-003")
    refused(
        registered, cc, day_batch(H1), "head-end headend2 does not serve meter m-001", creator=other
    )


# --- who reads ---------------------------------------------------------------------------


def grant(ledger, cc, expires_at, data_from=DAY_START, data_to=DAY_END):
    terms = ("c-1", "CommunityMSP:advisor1", "advice", data_from, data_to, expires_at)
    return invoke(ledger, cc, HOUSEHOLD1, "ConsentContract:GrantConsent", *terms)


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (HOUSEHOLD1, None),
        (OPERATOR, None),
        (BILLING, None),
        (HOUSEHOLD2, "household h-002 may not read household h-001"),
        (
            ADVISOR,
            "no live consent of household h-001 lets CommunityMSP:advisor1 read readings "
            f"from {DAY_START} to {DAY_END}",
        ),
        (
            AUDITOR,
            "caller role 'regulator' may not call GetReadings; "
            "allowed: household, operator, billing, third_party",
        ),
    ],
    ids=["household", "operator", "billing", "other-household", "no-consent", "regulator"],
)
def test_who_reads_a_households_readings(cc, metered, creator, message):
    result = get_readings(metered, cc, creator)
    if message is None:
        assert len(result.json()) == 96
    else:
        assert (result.status, result.message) == (500, message)


def test_a_consent_counts_only_while_it_outlives_the_clock_skew(cc, metered):
    expires = next_tx_time(metered) + timedelta(minutes=20)
    assert grant(metered, cc, stamp(expires)).status == 200
    # the read is proposed 2 minutes after the grant: 18 minutes before expiry, > skew
    assert len(get_readings(metered, cc, ADVISOR).json()) == 96
    for _ in range(3):  # three transactions later the consent expires within 15 minutes
        get_readings(metered, cc, ADVISOR)
    late = get_readings(metered, cc, ADVISOR)
    assert late.status == 500
    assert late.message.startswith("no live consent of household h-001")


def test_the_period_read_is_bounded(cc, metered):
    result = get_readings(metered, cc, OPERATOR, start="2024-01-01T00:00:00Z")
    assert (result.status, result.message) == (500, "a period spans at most 731 days")
    result = get_readings(metered, cc, OPERATOR, end=DAY_START)
    assert (result.status, result.message) == (500, "end must be after start")


# --- disclosure and verification ---------------------------------------------------------


def test_a_disclosed_reading_verifies_on_the_ledger_and_offline(cc, metered):
    disclosed = disclose(metered, cc).json()
    reading = disclosed["reading"]
    assert reading == get_readings(metered, cc, HOUSEHOLD1).json()[40]
    verdict = verify(metered, cc, disclosed).json()
    on_ledger = commitment(metered, cc).json()
    assert verdict == {
        "key": "roots~m-001~2026-02-27",
        "sha256": on_ledger["sha256"],
        "verified": True,
    }
    # offline: what the regulator's peer holds is the hash of the day's roots, nothing else
    held = metered.private_hashes["readings"]["roots~m-001~2026-02-27"].hex()
    assert disclosure.verify(disclosed, held)
    assert on_ledger == {
        "meter_id": "m-001",
        "day": "2026-02-27",
        "key": "roots~m-001~2026-02-27",
        "sha256": held,
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"import_wh": 1}, "the reading does not lead to its bundle's root"),
        ({"salt": "A" * 22}, "the reading does not lead to its bundle's root"),
        (
            {"interval_start": "2026-02-27T10:15:00Z"},
            "the reading does not lead to its bundle's root",
        ),
    ],
    ids=["value", "salt", "interval"],
)
def test_an_altered_disclosure_does_not_verify(cc, metered, change, reason):
    disclosed = disclose(metered, cc).json()
    disclosed["reading"] = {**disclosed["reading"], **change}
    verdict = verify(metered, cc, disclosed).json()
    assert (verdict["verified"], verdict["reason"]) == (False, reason)
    assert not disclosure.verify(disclosed, commitment(metered, cc).json()["sha256"])


def test_a_disclosure_naming_other_roots_does_not_verify(cc, metered):
    disclosed = disclose(metered, cc).json()
    disclosed["day_roots"] = [*disclosed["day_roots"], "00" * 32]
    verdict = verify(metered, cc, disclosed).json()
    assert verdict["verified"] is False
    assert verdict["reason"] == "the day's roots differ from those committed on the ledger"


def test_disclosing_one_reading_leaves_its_neighbours_unrecoverable(cc, metered):
    """The sibling of the disclosed leaf is in its path: enumerate every value it could
    hold, with the disclosed salt and without one, and none hashes to it."""
    disclosed = disclose(metered, cc).json()  # slot 40: its sibling is slot 41's leaf
    sibling = bytes.fromhex(disclosed["proof"]["path"][0])
    neighbour = dict(disclosed["reading"], interval_start="2026-02-27T10:15:00Z")
    for salt in (disclosed["reading"]["salt"], ""):
        for energy in range(0, 50_001):
            for field in ("import_wh", "export_wh"):
                guess = {**neighbour, "import_wh": 0, "export_wh": 0, field: energy, "salt": salt}
                data = json.dumps(guess, sort_keys=True, separators=(",", ":")).encode()
                assert leaf_hash(data) != sibling
    real = get_readings(metered, cc, HOUSEHOLD1).json()[41]
    data = json.dumps(real, sort_keys=True, separators=(",", ":")).encode()
    assert leaf_hash(data) == sibling  # the test would find it with the right salt


def test_who_may_disclose_and_what_is_not_there(cc, metered):
    other = disclose(metered, cc, creator=HOUSEHOLD2)
    assert (other.status, other.message) == (500, "household h-002 may not read household h-001")
    assert disclose(metered, cc, creator=OPERATOR).status == 200
    missing = disclose(metered, cc, start="2026-02-26T10:00:00Z")
    assert (missing.status, missing.message) == (
        500,
        "no reading of meter m-001 at 2026-02-26T10:00:00Z",
    )
    none = commitment(metered, cc, day="2026-02-26")
    assert (none.status, none.message) == (
        500,
        "no readings are committed under roots~m-001~2026-02-26",
    )
    bad = verify(metered, cc, {"format": "x"})
    assert (bad.status, bad.message) == (
        500,
        "a disclosure must be an object with format 'gridledger-disclosure/1'",
    )


# --- retention ---------------------------------------------------------------------------


def test_retention_purges_old_days_and_keeps_their_commitments(cc, metered):
    two_years_later = datetime(2028, 2, 28, 12, 0, tzinfo=UTC)
    metered.epoch = two_years_later
    recent = day_readings(H1, two_years_later.date() - timedelta(days=1))
    assert submit(metered, cc, sign(H1, recent)).status == 200
    before = dict(metered.private["readings"])
    result = invoke(metered, cc, OPERATOR, "ReadingContract:PurgeExpiredReadings", '["m-001"]')
    assert result.status == 200, result.message
    assert result.json()["meters"] == [{"meter_id": "m-001", "meter_days_purged": 1}]
    assert result.json()["keep_from"] == "2026-02-28"
    kept = metered.private["readings"]
    assert "meterday~m-001~2026-02-27" not in kept
    assert kept["roots~m-001~2026-02-27"] == before["roots~m-001~2026-02-27"]
    assert "meterday~m-001~2028-02-27" in kept
    assert "meterday~m-002~2026-02-27" in kept  # another meter, not asked for
    again = invoke(metered, cc, OPERATOR, "ReadingContract:PurgeExpiredReadings", '["m-001"]')
    assert again.json()["meters"] == [{"meter_id": "m-001", "meter_days_purged": 0}]
    refused_call = invoke(
        metered, cc, HEAD_END, "ReadingContract:PurgeExpiredReadings", '["m-001"]'
    )
    assert refused_call.status == 500
