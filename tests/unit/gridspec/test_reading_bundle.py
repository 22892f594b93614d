"""The reading rules and the bundle format of gridspec: every rule refused with its message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridspec.merkle import tree_root
from gridspec.reading_bundle import ReadingBundle, commitment_of, encode_payload
from gridspec.readings import ReadingError, household_max_wh, max_wh
from gridspec.signed_bundle import MAX_BUNDLES, MAX_RECORD_BYTES, SignedBundle

SECRET = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()
WHERE = "readings of meter m-1 on 2026-03-01"


def body(**changes):
    fields = {
        "format": "gridledger-readings/1",
        "meter_id": "m-1",
        "day": "2026-03-01",
        "interval_minutes": 15,
        "secret": SECRET,
        "readings": [[0, 100, 0], [1, 90, 5], [95, 0, 50000]],
    }
    return json.dumps({**fields, **changes}).encode()


def test_a_payload_reads_back_with_one_derived_salt_per_reading():
    bundle = ReadingBundle.parse(body())
    readings = bundle.readings()
    assert [r.interval_start for r in readings] == [
        "2026-03-01T00:00:00Z",
        "2026-03-01T00:15:00Z",
        "2026-03-01T23:45:00Z",
    ]
    assert [(r.import_wh, r.export_wh) for r in readings] == [(100, 0), (90, 5), (0, 50000)]
    for reading in readings:
        mac = hmac.new(bytes(range(32)), f"m-1|{reading.interval_start}".encode(), "sha256")
        expected = base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode()
        assert reading.salt == expected
    assert len({r.salt for r in readings}) == 3
    assert bundle.payload == body()


def test_the_root_depends_on_every_value_and_on_the_secret():
    root = ReadingBundle.parse(body()).root()
    assert ReadingBundle.parse(body()).root() == root
    other_secret = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    assert ReadingBundle.parse(body(secret=other_secret)).root() != root
    changed = [[0, 101, 0], [1, 90, 5], [95, 0, 50000]]
    assert ReadingBundle.parse(body(readings=changed)).root() != root
    assert commitment_of([root]) == hashlib.sha256(root).hexdigest()


def test_encode_payload_draws_a_fresh_secret_and_checks_what_it_builds():
    first = ReadingBundle.parse(encode_payload("m-1", "2026-03-01", 60, [[0, 1, 2]]))
    second = ReadingBundle.parse(encode_payload("m-1", "2026-03-01", 60, [[0, 1, 2]]))
    assert first.secret != second.secret
    with pytest.raises(ReadingError, match="export_wh must be an integer from 0 to 200000 Wh"):
        encode_payload("m-1", "2026-03-01", 60, [[0, 1, 200_001]])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\xff", "a bundle payload must be UTF-8 JSON"),
        (b"[1]", "a bundle payload must be an object with format, meter_id, day, "),
        (body(extra=1), "a bundle payload must be an object with format, meter_id, day, "),
        (body(format="v2"), "a bundle payload's format must be 'gridledger-readings/1'"),
        (body(meter_id="m 1"), "meter id 'm 1' is invalid"),
        (body(day="2026-02-30"), "readings of meter m-1: day must be a date like 2026-03-01"),
        (body(day="9999-12-31"), "readings of meter m-1: day must be before 9999-12-31"),
        (body(interval_minutes=10), f"{WHERE}: interval_minutes must be one of 5, 15, 30, 60"),
        (body(interval_minutes=15.0), f"{WHERE}: interval_minutes must be one of 5, 15, 30, 60"),
        (body(secret="short"), f"{WHERE}: secret must be 32 random bytes in unpadded base64url"),
        (body(secret=SECRET[:-1] + "="), f"{WHERE}: secret must be 32 random bytes"),
        (body(readings=[]), f"{WHERE}: readings must be a list of 1 to 96 rows"),
        (
            body(readings=[[n, 0, 0] for n in range(97)]),
            f"{WHERE}: readings must be a list of 1 to 96",
        ),
        (body(readings=[[0, 1]]), f"{WHERE}: each reading must be [slot, import_wh, export_wh]"),
        (
            body(readings=[[1, 0, 0], [1, 0, 0]]),
            f"{WHERE}: slots must be integers from 0 to 95 in increasing order",
        ),
        (body(readings=[[96, 0, 0]]), f"{WHERE}: slots must be integers from 0 to 95"),
        (body(readings=[[True, 0, 0]]), f"{WHERE}: slots must be integers from 0 to 95"),
        (
            body(readings=[[0, -1, 0]]),
            f"{WHERE}, slot 0: import_wh must be an integer from 0 to 50000 Wh",
        ),
        (
            body(readings=[[0, 0, 50001]]),
            f"{WHERE}, slot 0: export_wh must be an integer from 0 to 50000 Wh",
        ),
        (body(readings=[[0, 0, 1.5]]), f"{WHERE}, slot 0: export_wh must be an integer"),
        (
            body(readings=[[0, 0, 0, 3]]),
            f"{WHERE}, slot 0: quality must be an ESPI QualityOfReading code",
        ),
        (body(local_time={"tz_offset": 0}), f"{WHERE}: local_time must hold tz_offset, dst_offset"),
        (
            body(
                local_time={
                    "tz_offset": 99999,
                    "dst_offset": 0,
                    "dst_start_rule": "0" * 8,
                    "dst_end_rule": "0" * 8,
                }
            ),
            f"{WHERE}: local_time.tz_offset must be seconds within 50400",
        ),
        (
            body(
                local_time={
                    "tz_offset": 0,
                    "dst_offset": 0,
                    "dst_start_rule": "xyz",
                    "dst_end_rule": "0" * 8,
                }
            ),
            f"{WHERE}: local_time.dst_start_rule must be 8 hex digits",
        ),
        (b" " * (64 * 1024 + 1), "a bundle payload holds at most 65536 bytes"),
    ],
)
def test_every_rule_is_refused_with_its_message(payload, message):
    with pytest.raises(ReadingError) as refused:
        ReadingBundle.parse(payload)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("minutes", "limit"), [(5, 16666), (15, 50000), (30, 100000), (60, 200000)]
)
def test_the_energy_bound_follows_the_interval_length(minutes, limit):
    assert max_wh(minutes) == limit
    assert household_max_wh(minutes) == 16 * limit
    ReadingBundle.parse(body(interval_minutes=minutes, readings=[[0, limit, limit]]))
    with pytest.raises(ReadingError, match=f"from 0 to {limit} Wh"):
        ReadingBundle.parse(body(interval_minutes=minutes, readings=[[0, limit + 1, 0]]))


def test_quality_and_local_time_are_kept():
    local = {
        "tz_offset": -18000,
        "dst_offset": 3600,
        "dst_start_rule": "360E2000",
        "dst_end_rule": "B40E2000",
    }
    bundle = ReadingBundle.parse(body(readings=[[4, 1, 0, 8]], local_time=local))
    assert bundle.local_time == local
    assert bundle.readings()[0].quality == 8
    assert bundle.readings()[0].record()["quality"] == 8


def test_time_rules_wait_out_the_clock_skew_and_refuse_what_retention_dropped():
    bundle = ReadingBundle.parse(body(readings=[[40, 1, 0]]))  # 10:00-10:15
    bundle.check_time(datetime(2026, 3, 1, 10, 30, tzinfo=UTC))
    with pytest.raises(ReadingError, match="accepted from 2026-03-01T10:30:00Z"):
        bundle.check_time(datetime(2026, 3, 1, 10, 29, 59, tzinfo=UTC))
    later = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=731)
    with pytest.raises(ReadingError, match="older than the 24-month retention period"):
        bundle.check_time(later)
    bundle.check_time(later - timedelta(days=1))
    assert bundle.day == date(2026, 3, 1)


def test_signed_bundles_travel_as_base64_and_come_back_equal():
    signed = SignedBundle(body(), b"\x30\x02sig")
    wire = json.loads(SignedBundle.submission([signed, signed]))
    assert SignedBundle.list_from_wire(wire) == [signed, signed]


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ({}, f"bundles must be a list of 1 to {MAX_BUNDLES} signed bundles"),
        ([], f"bundles must be a list of 1 to {MAX_BUNDLES} signed bundles"),
        ([{"payload": ""}] * (MAX_BUNDLES + 1), f"bundles must be a list of 1 to {MAX_BUNDLES}"),
        (
            [{"payload": "", "signature": "", "x": 1}],
            "bundle 0 must be an object with payload and signature",
        ),
        ([{"payload": 1, "signature": ""}], "bundle 0: payload must be base64 text"),
        ([{"payload": "", "signature": "!!"}], "bundle 0: signature is not base64"),
    ],
)
def test_malformed_wire_forms_are_refused(wire, message):
    with pytest.raises(ReadingError) as refused:
        SignedBundle.list_from_wire(wire)
    assert str(refused.value).startswith(message)


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 50_000), st.integers(0, 50_000), st.sampled_from([None, 0, 8])),
        min_size=1,
        max_size=96,
    ),
    meter_id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True),
)
def test_leaves_are_the_sha256_of_the_records_canonical_json(rows, meter_id):
    """The leaf bytes written out directly are json.dumps' canonical JSON, and the root
    computed from the rows is the root over the readings' own leaves."""
    payload = encode_payload(
        meter_id,
        "2026-03-01",
        15,
        [[n, i, e] if q is None else [n, i, e, q] for n, (i, e, q) in enumerate(rows)],
    )
    bundle = ReadingBundle.parse(payload)
    for reading in bundle.readings():
        canonical = json.dumps(reading.record(), sort_keys=True, separators=(",", ":")).encode()
        assert reading.leaf() == hashlib.sha256(b"\x00" + canonical).digest()
    assert bundle.root() == tree_root([r.leaf() for r in bundle.readings()])


def test_a_meter_days_record_frames_its_bundles_and_refuses_a_cut_one():
    bundles = [SignedBundle(body(), b"\x30\x02s1"), SignedBundle(b"\n{}\n", b"sig-2")]
    framed = SignedBundle.frames(bundles)
    assert SignedBundle.unframe(framed) == bundles
    raw = zlib.decompress(framed)
    assert len(raw) == sum(len(b.payload) + len(b.signature) + 6 for b in bundles)
    assert raw.startswith(len(bundles[0].payload).to_bytes(4, "big") + bundles[0].payload)
    for cut in (1, 7, len(framed) - 1):
        with pytest.raises(ReadingError, match="a stored meter-day record is"):
            SignedBundle.unframe(framed[:cut])
    with pytest.raises(ReadingError, match="cut short or too long"):
        SignedBundle.unframe(framed + b"more")
    for inner in (raw[:-1], raw[:5]):  # a framing cut short inside valid compression
        with pytest.raises(ReadingError, match="a stored meter-day record is cut short"):
            SignedBundle.unframe(zlib.compress(inner))


def test_a_stored_record_that_would_inflate_past_the_bound_is_refused():
    bomb = zlib.compress(b"\0" * (MAX_RECORD_BYTES + 1), 9)
    assert len(bomb) < 20_000
    with pytest.raises(ReadingError, match="cut short or too long"):
        SignedBundle.unframe(bomb)


def test_a_days_record_is_stored_at_about_half_its_size():
    payload = json.dumps({"readings": [[n, 100 + n % 17, 0] for n in range(96)]}).encode()
    stored = SignedBundle.frames([SignedBundle(payload, b"s" * 71)])
    assert len(stored) < 0.6 * (len(payload) + 71)
