"""Disclosures: one reading and its proof, checked against the commitment without the ledger."""

from __future__ import annotations

import copy

import pytest

from gridspec.disclosure import disclose, implied_commitment, verify
from gridspec.reading_bundle import ReadingBundle, commitment_of, encode_payload
from gridspec.readings import ReadingError

ROWS = [[slot, 100 + slot, slot % 7] for slot in range(0, 96, 3)]
FIRST = ReadingBundle.parse(encode_payload("m-1", "2026-03-01", 15, ROWS))
SECOND = ReadingBundle.parse(encode_payload("m-1", "2026-03-01", 15, [[1, 5, 0], [2, 6, 0]]))
BUNDLES = [FIRST, SECOND]
COMMITMENT = commitment_of([FIRST.root(), SECOND.root()])


@pytest.mark.parametrize(
    "start", ["2026-03-01T00:00:00Z", "2026-03-01T23:15:00Z", "2026-03-01T00:30:00Z"]
)
def test_every_reading_of_every_bundle_is_proven_by_the_days_commitment(start):
    disclosed = disclose(BUNDLES, start)
    claim = implied_commitment(disclosed)
    assert (claim.key, claim.commitment, claim.mismatch) == (
        "roots~m-1~2026-03-01",
        COMMITMENT,
        None,
    )
    assert verify(disclosed, COMMITMENT)
    assert verify(disclosed, COMMITMENT.upper())
    assert not verify(disclosed, commitment_of([FIRST.root()]))


def test_a_disclosure_reveals_one_salt_and_no_other_reading():
    disclosed = disclose(BUNDLES, "2026-03-01T00:45:00Z")
    text = repr(disclosed)
    others = [r for r in FIRST.readings() if r.interval_start != "2026-03-01T00:45:00Z"]
    assert not any(r.salt in text for r in others)
    assert disclosed["reading"]["salt"] == FIRST.readings()[1].salt


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["reading"].update(import_wh=d["reading"]["import_wh"] + 1),
        lambda d: d["reading"].update(export_wh=99),
        lambda d: d["reading"].update(salt="A" * 22),
        lambda d: d["reading"].update(interval_start="2026-03-01T00:15:00Z"),
        lambda d: d["reading"].update(meter_id="m-2"),
        lambda d: d["reading"].update(interval_minutes=5),
        lambda d: d["reading"].update(quality=0),
        lambda d: d["proof"].update(index=d["proof"]["index"] + 1),
        lambda d: d["proof"].update(size=d["proof"]["size"] + 1),
        lambda d: d["proof"]["path"].reverse(),
        lambda d: d["proof"]["path"].pop(),
        lambda d: d.update(bundle=1),
        lambda d: d["day_roots"].reverse(),
    ],
)
def test_any_change_breaks_the_proof(change):
    disclosed = copy.deepcopy(disclose(BUNDLES, "2026-03-01T00:45:00Z"))
    change(disclosed)
    assert not verify(disclosed, COMMITMENT)


@pytest.mark.parametrize(
    ("disclosed", "message"),
    [
        ([], "a disclosure must be an object with format 'gridledger-disclosure/1'"),
        ({"format": "gridledger-disclosure/1"}, "a disclosure's reading must hold"),
        (
            {"format": "gridledger-disclosure/1", "reading": {"meter_id": "m-1"}},
            "a disclosure's reading must hold",
        ),
    ],
)
def test_malformed_disclosures_are_errors(disclosed, message):
    with pytest.raises(ReadingError, match=message):
        implied_commitment(disclosed)
    assert not verify(disclosed, COMMITMENT)


def test_an_interval_not_in_the_bundles_cannot_be_disclosed():
    with pytest.raises(ReadingError, match="no reading at 2026-03-01T00:15:00Z"):
        disclose([FIRST], "2026-03-01T00:15:00Z")
