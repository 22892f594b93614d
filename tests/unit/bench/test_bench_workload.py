"""bench/workload.py: run-unique meters and their signed reading bundles."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import datetime, timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bench.workload import (
    FIRST_DAY,
    KEYS,
    READINGS_PER_DAY,
    Batch,
    batches,
    households,
    run_tag,
    write_jsonl,
)
from gridspec.reading_bundle import ReadingBundle
from gridspec.signed_bundle import SignedBundle
from network.scenario import day_readings

DIVISORS = [d for d in range(1, READINGS_PER_DAY + 1) if READINGS_PER_DAY % d == 0]


def signed(batch: Batch) -> list[SignedBundle]:
    return SignedBundle.list_from_wire(json.loads(batch.payload))


def decoded(batch: Batch) -> dict:
    """The batch's meter and readings, read back from its bundles."""
    bundles = [ReadingBundle.parse(s.payload) for s in signed(batch)]
    readings = [r.record() for bundle in bundles for r in bundle.readings()]
    return {"meter_id": bundles[0].meter_id, "readings": readings}


def public_key(meter_id: str):
    return load_pem_public_key(KEYS.public_pem(meter_id).encode())


def intervals(made: list[Batch]) -> list[tuple[str, str]]:
    return [(b.meter_id, r["interval_start"]) for b in made for r in decoded(b)["readings"]]


@pytest.fixture(scope="module")
def homes():
    return households(3, "btest")


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


@pytest.mark.parametrize("size", [0, -1, 5, 7, 10, 97, 192])
def test_batch_sizes_that_do_not_divide_96_are_refused(homes, size):
    with pytest.raises(ValueError) as caught:
        batches(homes, size, 1)
    assert str(caught.value) == f"batch size {size} must divide 96"


@pytest.mark.parametrize("size", DIVISORS)
def test_every_divisor_of_96_gives_batches_of_that_size(homes, size):
    made = batches(homes, size, 4)
    assert len(made) == 4
    assert [b.readings for b in made] == [size] * 4
    assert [len(decoded(b)["readings"]) for b in made] == [size] * 4


@pytest.mark.parametrize("count", [0, 1, 7, 20])
def test_count_batches_with_the_meters_taking_turns(homes, count):
    made = batches(homes, 32, count)
    assert len(made) == count
    assert [b.meter_id for b in made] == [homes[n % 3].meter_id for n in range(count)]


def test_each_payload_is_a_bundle_signed_by_its_meter(homes):
    for batch in batches(homes, 16, 9):
        for bundle in signed(batch):
            assert ReadingBundle.parse(bundle.payload).meter_id == batch.meter_id
            public_key(batch.meter_id).verify(
                bundle.signature, bundle.payload, ec.ECDSA(hashes.SHA256())
            )
        assert batch.transient() == {"bundles": batch.payload}


def test_a_signature_does_not_verify_for_another_meter_or_a_changed_bundle(homes):
    bundle = signed(batches(homes, 16, 1)[0])[0]
    with pytest.raises(InvalidSignature):
        public_key(homes[1].meter_id).verify(
            bundle.signature, bundle.payload, ec.ECDSA(hashes.SHA256())
        )
    changed = bundle.payload.replace(b"[[", b"[[ ", 1)
    with pytest.raises(InvalidSignature):
        public_key(homes[0].meter_id).verify(bundle.signature, changed, ec.ECDSA(hashes.SHA256()))


def test_a_batch_holds_consecutive_readings_of_the_simulated_day(homes):
    made = batches(homes, 32, 12)  # 3 meters x 4 turns: 3 batches a day, into the 2nd day
    day1, day2 = FIRST_DAY, FIRST_DAY + timedelta(days=1)
    expected = {
        0: (homes[0], day1, 0),
        4: (homes[1], day1, 1),
        8: (homes[2], day1, 2),
        9: (homes[0], day2, 0),
        11: (homes[2], day2, 0),
    }
    for n, (home, day, part) in expected.items():
        sent = [
            {k: r[k] for k in ("interval_start", "interval_minutes", "import_wh", "export_wh")}
            for r in decoded(made[n])["readings"]
        ]
        assert sent == day_readings(home, day)[32 * part : 32 * part + 32]
    for batch in made:
        starts = [
            datetime.fromisoformat(r["interval_start"].replace("Z", "+00:00"))
            for r in decoded(batch)["readings"]
        ]
        assert all(b - a == timedelta(minutes=15) for a, b in itertools.pairwise(starts))


@pytest.mark.parametrize(("size", "count"), [(1, 300), (16, 50), (32, 40), (96, 10)])
def test_no_two_batches_share_a_meter_and_interval(homes, size, count):
    made = batches(homes, size, count)
    seen = intervals(made)
    assert len(seen) == size * count
    assert len(set(seen)) == len(seen)
    secrets = {ReadingBundle.parse(s.payload).secret for b in made for s in signed(b)}
    assert len(secrets) == count


def test_different_first_days_give_disjoint_intervals(homes):
    first = batches(homes, 48, 12)  # 4 turns of 2 a day: days 0 and 1
    later = batches(homes, 48, 12, first_day=2)
    assert set(intervals(first)).isdisjoint(intervals(later))
    days = {start[:10] for _, start in intervals(later)}
    assert days == {"2026-01-04", "2026-01-05"}
    assert {b.day.isoformat() for b in later} == days
    assert {b.household_id for b in later} == {h.household_id for h in homes}


def test_the_same_arguments_give_the_same_readings_under_fresh_secrets(homes):
    def values(made):
        return [
            [(r["interval_start"], r["import_wh"], r["export_wh"]) for r in decoded(b)["readings"]]
            for b in made
        ]

    first, again = batches(homes, 24, 5, first_day=3), batches(homes, 24, 5, first_day=3)
    assert values(first) == values(again)
    assert {decoded(b)["readings"][0]["salt"] for b in first}.isdisjoint(
        decoded(b)["readings"][0]["salt"] for b in again
    )


def test_write_jsonl_writes_one_submit_readings_transaction_a_line(homes, tmp_path):
    made = batches(homes, 24, 5)
    path = write_jsonl(made, tmp_path / "deep" / "folder" / "workload.jsonl")
    assert path == tmp_path / "deep" / "folder" / "workload.jsonl"
    lines = path.read_text().splitlines()
    assert len(lines) == 5
    for line, batch in zip(lines, made, strict=True):
        record = json.loads(line)
        assert record["function"] == "SubmitReadings"
        assert record["args"] == []
        assert base64.b64decode(record["transient"]["bundles"]) == batch.payload
        assert record["readings"] == 24
        assert set(record) == {"function", "args", "transient", "readings"}
