"""bench/workload.py: run-unique meters and transactions of signed meter-day bundles."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bench import workload
from bench.workload import (
    KEYS,
    READINGS_PER_DAY,
    TARIFF_START,
    Batch,
    batches,
    days_needed,
    first_day,
    households,
    meter_days,
    rows_of,
    run_tag,
    signed_day,
    write_jsonl,
)
from gridspec.reading_bundle import ReadingBundle
from gridspec.signed_bundle import MAX_BUNDLES, SignedBundle
from network.scenario import day_readings


def signed(batch: Batch) -> list[SignedBundle]:
    return SignedBundle.list_from_wire(json.loads(batch.payload))


def parsed(batch: Batch) -> list[ReadingBundle]:
    return [ReadingBundle.parse(s.payload) for s in signed(batch)]


def verify(meter_id: str, bundle: SignedBundle) -> None:
    """Raises InvalidSignature unless `meter_id`'s device key signed the bundle's payload."""
    key = load_pem_public_key(KEYS.public_pem(meter_id).encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(bundle.signature, bundle.payload, ec.ECDSA(hashes.SHA256()))


@pytest.fixture(scope="module")
def homes():
    return households(3, "btest")


@pytest.fixture
def signatures(monkeypatch) -> list[str]:
    """The meter ids of the bundles signed from here on, in order."""
    made: list[str] = []
    real = workload.sign_bundle

    def counting(key, payload):
        made.append(json.loads(payload)["meter_id"])
        return real(key, payload)

    monkeypatch.setattr(workload, "sign_bundle", counting)
    return made


# --- meters ----------------------------------------------------------------------------


def test_run_tags_are_short_and_fresh():
    tags = {run_tag() for _ in range(20)}
    assert len(tags) == 20
    assert all(len(t) == 7 and t.startswith("b") for t in tags)


def test_households_carry_the_tag_and_are_unique():
    homes = households(45, "b1a2b3c")
    assert len(homes) == 45
    assert homes[0].meter_id == "m-b1a2b3c-0000"
    assert homes[44].household_id == "h-b1a2b3c-0044"
    assert all("-b1a2b3c-" in h.meter_id and "-b1a2b3c-" in h.household_id for h in homes)
    assert len({h.meter_id for h in homes}) == 45
    assert len({h.household_id for h in homes}) == 45
    assert len({KEYS.public_pem(h.meter_id) for h in homes[:25]}) == 25  # a key per meter
    assert {h.meter_id for h in households(3, "other")}.isdisjoint(h.meter_id for h in homes)


# --- days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (date(2026, 12, 6), TARIFF_START),  # the tariff is younger than the retention
        (date(2027, 12, 31), TARIFF_START),
        (date(2028, 1, 1), date(2026, 1, 2)),  # the two meet: today - 729 days
        (date(2028, 1, 2), date(2026, 1, 3)),  # from here the retention decides
        (date(2028, 6, 30), date(2026, 7, 2)),  # across 29 February 2028
    ],
)
def test_first_day_is_the_later_of_the_tariff_start_and_the_retention(today, first):
    assert first_day(today) == first


def test_first_day_defaults_to_today():
    assert first_day() == first_day(date.today())


def test_a_bundle_of_the_first_day_is_inside_the_ledgers_retention(homes):
    today = date(2028, 6, 30)
    bundle = ReadingBundle.parse(signed_day(homes[0], first_day(today)).payload)
    bundle.check_time(datetime.combine(today, time(23, 59), UTC))  # raises if refused
    assert bundle.day == date(2026, 7, 2)


def test_meter_days_go_day_by_day_through_every_meter(homes):
    taken = [(home.meter_id, day) for home, day in islice(meter_days(homes, 5), 7)]
    assert taken == [
        ("m-btest-0000", 5),
        ("m-btest-0001", 5),
        ("m-btest-0002", 5),
        ("m-btest-0000", 6),
        ("m-btest-0001", 6),
        ("m-btest-0002", 6),
        ("m-btest-0000", 7),
    ]


@pytest.mark.parametrize(
    ("meters", "per_tx", "count", "days"),
    [
        (1000, 100, 10, 1),  # 1,000 bundles: one day of every meter
        (1000, 100, 11, 2),
        (1000, 25, 933, 24),  # 23,325 bundles
        (3, 4, 6, 8),
        (3, 1, 0, 0),
        (1, 1000, 1, 1000),
    ],
)
def test_days_needed_rounds_the_meter_days_up_to_whole_days(meters, per_tx, count, days):
    assert days_needed(meters, per_tx, count) == days


@pytest.mark.parametrize(("per_tx", "count"), [(4, 6), (5, 3), (1, 7), (3, 3)])
def test_days_needed_is_what_batches_takes(homes, per_tx, count):
    taken = {day for batch in batches(homes, per_tx, count) for _, day in batch.days}
    assert max(taken) == first_day() + timedelta(days=days_needed(3, per_tx, count) - 1)
    assert min(taken) == first_day()


# --- a household's day -----------------------------------------------------------------


def test_rows_of_is_the_households_simulated_day_and_is_computed_once(homes):
    rows = rows_of(homes[1], 3)
    simulated = day_readings(homes[1], TARIFF_START + timedelta(days=3))
    assert rows == tuple((n, r["import_wh"], r["export_wh"]) for n, r in enumerate(simulated))
    assert len(rows) == READINGS_PER_DAY
    assert rows_of(homes[1], 3) is rows
    assert rows_of(homes[2], 3) != rows


def test_signed_day_is_the_meters_whole_day_signed_by_its_key(homes):
    day = date(2026, 3, 4)  # a Wednesday
    sent = signed_day(homes[0], day)
    bundle = ReadingBundle.parse(sent.payload)
    assert (bundle.meter_id, bundle.day, bundle.interval_minutes) == ("m-btest-0000", day, 15)
    assert bundle.rows == rows_of(homes[0], 2)
    assert [r.interval_start for r in bundle.readings()][::95] == [
        "2026-03-04T00:00:00Z",
        "2026-03-04T23:45:00Z",
    ]
    verify("m-btest-0000", sent)


@pytest.fixture
def profiles(monkeypatch) -> Iterator[list[tuple[str, int]]]:
    """The (meter, weekday) of every day simulated from here on, with cheap stand-ins for
    the simulation, and rows_of's cache emptied before and after."""
    simulated: list[tuple[str, int]] = []

    def simulate(home, day):
        simulated.append((home.meter_id, day.weekday()))
        return []

    monkeypatch.setattr(workload, "day_readings", simulate)
    monkeypatch.setattr(workload, "day_rows", lambda readings: iter([("", 15, [[0, 1, 0]])]))
    rows_of.cache_clear()
    yield simulated
    rows_of.cache_clear()


def test_a_run_of_the_default_1000_meters_simulates_each_profile_once(profiles):
    """BUG (bench/workload.py, rows_of): lru_cache(maxsize=4096) holds fewer than the
    7,000 profiles of the default 1,000 meters; taken day after day through every meter
    (meter_days), the least recently used profile is always the next one wanted, so every
    bundle simulates its day again (1.2 ms, ten times its signature), inside the measured
    window now that batches sign as they are taken."""
    homes = households(1000, "bcache")
    start = first_day()
    for home, offset in islice(meter_days(homes, 0), 8 * 1000):
        rows_of(home, (start + timedelta(days=offset)).weekday())
    assert len(set(profiles)) == 7 * 1000
    assert len(profiles) == len(set(profiles))  # the eighth day is every profile again


# --- transactions ----------------------------------------------------------------------


@pytest.mark.parametrize("per_tx", [0, -1, MAX_BUNDLES + 1, 5000])
def test_bundles_per_transaction_outside_1_to_1000_are_refused(homes, per_tx):
    with pytest.raises(ValueError) as caught:
        next(batches(homes, per_tx, 1))
    assert str(caught.value) == f"bundles per transaction {per_tx} must be from 1 to 1000"


@pytest.mark.parametrize("per_tx", [0, 1001])
def test_bundles_per_transaction_are_refused_when_asked_for_not_when_taken(homes, per_tx):
    """BUG (bench/workload.py, batches): the check sits in the generator's body, so it
    runs at the first next(), not at the call; Bench.workload has by then reserved the
    days (and registered meters) for a workload that cannot be made."""
    with pytest.raises(ValueError) as caught:
        batches(homes, per_tx, 1)
    assert str(caught.value) == f"bundles per transaction {per_tx} must be from 1 to 1000"


def test_as_many_bundles_as_a_submission_holds(homes):
    [batch] = batches(homes, MAX_BUNDLES, 1)
    assert len(signed(batch)) == MAX_BUNDLES == 1000
    assert batch.readings == 96_000
    assert len(set(batch.days)) == 1000


@pytest.mark.parametrize(("per_tx", "count"), [(1, 0), (1, 5), (4, 6), (7, 2)])
def test_count_transactions_of_per_tx_bundles_of_96_readings(homes, per_tx, count):
    made = list(batches(homes, per_tx, count))
    assert len(made) == count
    assert [b.readings for b in made] == [per_tx * 96] * count
    assert [len(signed(b)) for b in made] == [per_tx] * count
    assert [len(b.days) for b in made] == [per_tx] * count
    for bundle in (bundle for b in made for bundle in parsed(b)):
        assert [r.interval_start[11:] for r in bundle.readings()][:2] == ["00:00:00Z", "00:15:00Z"]
        assert len(bundle.readings()) == 96


def test_each_bundle_is_a_distinct_meter_day_signed_by_its_meter(homes):
    made = list(batches(homes, 4, 6))  # 24 bundles: 8 days of the 3 meters
    meters = {h.household_id: h.meter_id for h in homes}
    seen = []
    for batch in made:
        assert batch.transient() == {"bundles": batch.payload}
        for (household_id, day), sent in zip(batch.days, signed(batch), strict=True):
            bundle = ReadingBundle.parse(sent.payload)
            assert (bundle.meter_id, bundle.day) == (meters[household_id], day)
            verify(bundle.meter_id, sent)
            seen.append((bundle.meter_id, bundle.day))
    assert len(seen) == len(set(seen)) == 24
    start = first_day()
    assert made[0].days == (
        ("h-btest-0000", start),
        ("h-btest-0001", start),
        ("h-btest-0002", start),
        ("h-btest-0000", start + timedelta(days=1)),
    )
    assert made[-1].days[-1] == ("h-btest-0002", start + timedelta(days=7))


def test_a_bundle_carries_the_households_profile_of_that_weekday(homes):
    [batch] = batches(homes, 3, 1, first=9)
    for home, bundle in zip(homes, parsed(batch), strict=True):
        assert bundle.day == first_day() + timedelta(days=9)
        assert bundle.rows == rows_of(home, bundle.day.weekday())


def test_a_signature_does_not_verify_for_another_meter_or_a_changed_bundle(homes):
    [sent] = signed(next(batches(homes, 1, 1)))
    with pytest.raises(InvalidSignature):
        verify(homes[1].meter_id, sent)
    changed = SignedBundle(
        sent.payload.replace(b'"readings":[[', b'"readings":[ [', 1), sent.signature
    )
    assert changed.payload != sent.payload
    with pytest.raises(InvalidSignature):
        verify(homes[0].meter_id, changed)


def test_batches_sign_only_what_is_taken(homes, signatures):
    made = batches(homes, 5, 1_000_000)
    assert iter(made) is made
    assert signatures == []
    first = next(made)
    assert len(signatures) == 5
    assert signatures == [h.meter_id for h in homes] + ["m-btest-0000", "m-btest-0001"]
    second = next(made)
    assert len(signatures) == 10
    assert set(first.days).isdisjoint(second.days)


def test_a_later_first_day_gives_other_days(homes):
    early = [d for b in batches(homes, 3, 2) for d in b.days]
    later = [d for b in batches(homes, 3, 2, first=2) for d in b.days]
    start = first_day()
    assert {day for _, day in early} == {start, start + timedelta(days=1)}
    assert {day for _, day in later} == {start + timedelta(days=2), start + timedelta(days=3)}
    assert {household for household, _ in later} == {h.household_id for h in homes}


def test_the_same_arguments_give_the_same_rows_under_fresh_secrets(homes):
    first, again = list(batches(homes, 2, 2, first=3)), list(batches(homes, 2, 2, first=3))
    assert [b.days for b in first] == [b.days for b in again]
    assert [bundle.rows for b in first for bundle in parsed(b)] == [
        bundle.rows for b in again for bundle in parsed(b)
    ]
    secrets = [bundle.secret for b in (*first, *again) for bundle in parsed(b)]
    assert len(set(secrets)) == 8


# --- the Node client's file ------------------------------------------------------------


def test_write_jsonl_writes_one_submit_readings_transaction_a_line(homes, tmp_path):
    made = list(batches(homes, 2, 5))
    path = write_jsonl(iter(made), tmp_path / "deep" / "folder" / "workload.jsonl")
    assert path == tmp_path / "deep" / "folder" / "workload.jsonl"
    lines = path.read_text().splitlines()
    assert len(lines) == 5
    for line, batch in zip(lines, made, strict=True):
        record = json.loads(line)
        assert record == {
            "function": "ReadingContract:SubmitReadings",
            "args": [],
            "transient": {"bundles": base64.b64encode(batch.payload).decode()},
            "readings": 192,
        }
        assert base64.b64decode(record["transient"]["bundles"]) == batch.payload
