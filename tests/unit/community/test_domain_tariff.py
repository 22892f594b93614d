"""Time-of-use tariffs: bands cover the UTC day exactly once."""

import pytest
from domain_builders import tou_tariff

from chaincode.community.domain import Band, Tariff, TariffError

NIGHT = ("night", "22:00", "06:00", 20)
DAY = ("day", "06:00", "17:00", 30)
PEAK = ("peak", "17:00", "22:00", 45)


@pytest.mark.parametrize(
    ("interval", "band"),
    [
        ("2026-03-01T00:00:00Z", "night"),
        ("2026-03-01T05:45:00Z", "night"),
        ("2026-03-01T06:00:00Z", "day"),
        ("2026-03-01T16:45:00Z", "day"),
        ("2026-03-01T17:00:00Z", "peak"),
        ("2026-03-01T21:45:00Z", "peak"),
        ("2026-03-01T22:00:00Z", "night"),
        ("2026-03-01T23:45:00Z", "night"),
    ],
)
def test_each_interval_falls_in_one_band(interval, band):
    tariff = tou_tariff()
    assert tariff.band_at(interval).name == band
    assert tariff.import_price_at(interval) == {"night": 20, "day": 30, "peak": 45}[band]


def test_flat_and_midnight_spellings():
    flat = tou_tariff(bands=[("flat", "00:00", "24:00", 28)])
    assert flat.import_price_at("2026-03-01T13:30:00Z") == 28
    evening = tou_tariff(bands=[("day", "00:00", "22:00", 30), ("late", "22:00", "00:00", 15)])
    assert evening.band_at("2026-03-01T23:45:00Z").name == "late"


def test_bands_are_normalised_and_round_trip_through_records():
    tariff = tou_tariff(
        bands=[
            Band(*NIGHT),
            list(DAY),
            dict(zip(("name", "start", "end", "import_price_per_kwh"), PEAK, strict=True)),
        ]
    )
    assert tariff.bands == (Band(*NIGHT), Band(*DAY), Band(*PEAK))
    record = tariff.to_record()
    assert record == {
        "tariff_id": "tou-1",
        "currency": "EUR",
        "bands": [
            {"name": "night", "start": "22:00", "end": "06:00", "import_price_per_kwh": 20},
            {"name": "day", "start": "06:00", "end": "17:00", "import_price_per_kwh": 30},
            {"name": "peak", "start": "17:00", "end": "22:00", "import_price_per_kwh": 45},
        ],
        "feed_in_price_per_kwh": 8,
        "p2p_grid_fee_per_kwh": 3,
        "daily_fixed_charge": 25,
        "valid_from": "2026-01-01",
    }
    assert Tariff.from_record(record) == tariff


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([NIGHT, ("day", "07:00", "17:00", 30), PEAK], "bands leave 06:00-07:00 uncovered"),
        ([("night", "23:00", "06:00", 20), DAY, PEAK], "bands leave 22:00-23:00 uncovered"),
        ([("day", "01:00", "23:00", 30)], "bands leave 23:00-01:00 uncovered"),
        ([NIGHT, DAY, ("peak", "16:00", "22:00", 45)], "bands day and peak overlap at 16:00"),
        (
            [("night", "21:00", "07:00", 20), DAY, PEAK],
            "bands day and night overlap at 06:00",
        ),
        ([NIGHT, DAY, PEAK, ("all", "00:00", "24:00", 1)], "bands all and night overlap at 00:00"),
        ([NIGHT, DAY, ("day", "17:00", "22:00", 45)], "band name day is used more than once"),
        ([], "bands must not be empty"),
        ("night", "bands must be a list"),
        (
            [NIGHT, ("day", "06:10", "17:00", 30), PEAK],
            "band day: start 06:10 is not aligned to 15 minutes",
        ),
        (
            [NIGHT, ("day", "6:00", "17:00", 30), PEAK],
            "band day: start '6:00' is not a time like 07:00",
        ),
        ([("x", "24:00", "06:00", 1)], "band x: start '24:00' is not a time like 07:00"),
        ([("x", "00:00", "24:15", 1)], "band x: end '24:15' is not a time like 07:00"),
        ([("x", "00:00", "12:60", 1)], "band x: end '12:60' is not a time like 07:00"),
        ([("x", "06:00", "06:00", 1)], "band x is empty: start and end are both 06:00"),
        ([("x", "00:00", "00:00", 1)], "band x is empty: start and end are both 00:00"),
        (
            [("x", "00:00", "24:00", -1)],
            "band x: import_price_per_kwh must be between 0 and 100000",
        ),
        (
            [("x y", "00:00", "24:00", 1)],
            "band id 'x y' is invalid: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        ),
        (
            [("x", "00:00", "24:00")],
            "band record must have 4 items: name, start, end, import_price_per_kwh",
        ),
        (
            [{"name": "x", "start": "00:00", "end": "24:00"}],
            "band x: field import_price_per_kwh is missing",
        ),
    ],
)
def test_band_validation_messages(bands, message):
    with pytest.raises(TariffError) as caught:
        tou_tariff(bands=bands)
    assert str(caught.value) == f"tariff tou-1: {message}"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"currency": "eur"}, "tariff tou-1: currency 'eur' is not an iso 4217 code like EUR"),
        ({"currency": 978}, "tariff tou-1: currency must be a string"),
        ({"feed_in_price_per_kwh": 8.5}, "tariff tou-1: feed_in_price_per_kwh must be an integer"),
        (
            {"p2p_grid_fee_per_kwh": -1},
            "tariff tou-1: p2p_grid_fee_per_kwh must be between 0 and 100000",
        ),
        (
            {"daily_fixed_charge": 1_000_001},
            "tariff tou-1: daily_fixed_charge must be between 0 and 1000000",
        ),
        (
            {"valid_from": "2026-1-1"},
            "tariff tou-1: valid_from '2026-1-1' is not an iso-8601 date like 2026-03-01",
        ),
        (
            {"tariff_id": "tou 1"},
            "tariff id 'tou 1' is invalid: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        ),
    ],
)
def test_tariff_validation_messages(changes, message):
    with pytest.raises(TariffError) as caught:
        tou_tariff(**changes)
    assert str(caught.value) == message


def test_a_tariff_record_with_a_missing_field_is_refused():
    record = tou_tariff().to_record()
    del record["valid_from"]
    with pytest.raises(TariffError) as caught:
        Tariff.from_record(record)
    assert str(caught.value) == "tariff tou-1: field valid_from is missing"
