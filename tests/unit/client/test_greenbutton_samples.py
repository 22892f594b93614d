"""Real and generated Green Button feeds, imported end to end.

The Green Button Alliance's samples (``data/greenbutton/SOURCE.md``) are checked
against totals computed here with a plain XPath walk, not with the importer's code;
the generated feeds cover what no sample has: a year of hourly data, a month of
15-minute data, kWh with a multiplier, both flow directions, several UsagePoints.
"""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from client.bundles import day_rows
from client.greenbutton import GreenButtonError, export_readings, import_readings
from gridspec.reading_bundle import ReadingBundle, encode_payload

SAMPLES = Path(__file__).parent / "data" / "greenbutton"
NS = {"a": "http://www.w3.org/2005/Atom", "e": "http://naesb.org/espi"}
NORTH_AMERICA = {
    "tz_offset": -18000,
    "dst_offset": 3600,
    "dst_start_rule": "360E2000",
    "dst_end_rule": "B40E2000",
}


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def file_values(xml: bytes) -> dict[str, tuple[int, int]]:
    """interval start -> (duration s, sum of values) over every IntervalReading."""
    found: dict[str, tuple[int, int]] = {}
    root = ET.fromstring(xml)
    for reading in root.iterfind(".//e:IntervalBlock/e:IntervalReading", NS):
        start = int(reading.findtext("e:timePeriod/e:start", namespaces=NS) or "")
        duration = int(reading.findtext("e:timePeriod/e:duration", namespaces=NS) or "")
        value = int(reading.findtext("e:value", namespaces=NS) or "")
        key = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found[key] = (duration, found.get(key, (duration, 0))[1] + value)
    return found


@pytest.mark.parametrize("name", ["test_usage_data_01.xml", "test_usage_data_11.xml"])
def test_each_sample_imports_with_the_files_values(name: str) -> None:
    xml = sample(name)
    (meter,) = import_readings(xml, "m-1", ignore_cost=True)
    expected = file_values(xml)
    assert {
        r["interval_start"]: (r["interval_minutes"] * 60, r["import_wh"]) for r in meter.readings
    } == expected
    assert all(r["export_wh"] == 0 for r in meter.readings)  # forward only
    assert meter.meter_id == "m-1"
    assert meter.title == "Front Electric Meter"
    assert meter.usage_point.endswith("/UsagePoint/5446AF3F")
    assert meter.local_time == NORTH_AMERICA


def test_the_samples_reading_quality_is_kept() -> None:
    (meter,) = import_readings(sample("test_usage_data_01.xml"), "m-1", ignore_cost=True)
    qualities = {r["interval_start"]: r["quality"] for r in meter.readings if "quality" in r}
    assert qualities == {"2012-03-01T05:00:00Z": 8, "2012-03-01T05:15:00Z": 7}


def test_a_samples_cost_is_refused_unless_ignored() -> None:
    with pytest.raises(GreenButtonError) as caught:
        import_readings(sample("test_usage_data_01.xml"), "m-1")
    assert str(caught.value) == (
        "IntervalReading 1: has a cost (974), which GridLedger does not store; import with "
        "ignore_cost (--ignore-cost, ignore=cost) to take the energy without it"
    )


def test_the_dst_start_day_is_just_utc_intervals() -> None:
    # 11 March 2012, 23 local hours (its IntervalBlock lasts 82,800 s): UTC bundles
    xml = sample("test_usage_data_11.xml")
    (meter,) = import_readings(xml, "m-1", ignore_cost=True)
    starts = [r["interval_start"] for r in meter.readings]
    assert starts[0] == "2012-03-11T05:00:00Z"
    assert len(starts) == len(set(starts)) == 92
    days = {day: rows for day, _, rows in day_rows(meter.readings)}
    assert sorted(days) == ["2012-03-11", "2012-03-12"]
    for day, rows in days.items():
        ReadingBundle.parse(encode_payload("m-1", day, 15, rows, local_time=meter.local_time))


# -- generated feeds -------------------------------------------------------------------

BASE = "https://utility.example/espi/1_1/resource"


def feed(
    points: list[tuple[str, str, list[tuple[int, int, list[tuple[int, int, int]]]]]],
    local_time: dict[str, Any] | None = None,
) -> bytes:
    """A feed of UsagePoints ``(id, title, [(flowDirection, multiplier, [(start,
    duration, value)])])``; one IntervalBlock per MeterReading."""
    entries = []

    def entry(self_path: str, up: str, related: list[str], title: str, body: str) -> None:
        links = "".join(f'<link rel="related" href="{BASE}/{r}"/>' for r in related)
        entries.append(
            f'<entry><id>urn:uuid:{len(entries)}</id><link rel="self" href="{BASE}/{self_path}"/>'
            f'<link rel="up" href="{BASE}/{up}"/>{links}<title>{title}</title>'
            f"<content>{body}</content><updated>2026-01-01T00:00:00Z</updated></entry>"
        )

    for ident, title, readings in points:
        point = f"RetailCustomer/1/UsagePoint/{ident}"
        related = [f"{point}/MeterReading"] + (["LocalTimeParameters/1"] if local_time else [])
        entry(
            point,
            "RetailCustomer/1/UsagePoint",
            related,
            title,
            '<UsagePoint xmlns="http://naesb.org/espi"><ServiceCategory><kind>0</kind>'
            "</ServiceCategory></UsagePoint>",
        )
        for direction, multiplier, values in readings:
            reading = f"{point}/MeterReading/{direction}"
            kind = f"ReadingType/{ident}-{direction}"
            entry(
                reading,
                f"{point}/MeterReading",
                [f"{reading}/IntervalBlock", kind],
                "",
                '<MeterReading xmlns="http://naesb.org/espi"/>',
            )
            entry(
                kind,
                "ReadingType",
                [],
                "",
                f'<ReadingType xmlns="http://naesb.org/espi"><flowDirection>{direction}'
                f"</flowDirection><powerOfTenMultiplier>{multiplier}</powerOfTenMultiplier>"
                "<uom>72</uom></ReadingType>",
            )
            body = "".join(
                f"<IntervalReading><timePeriod><duration>{d}</duration><start>{s}</start>"
                f"</timePeriod><value>{v}</value></IntervalReading>"
                for s, d, v in values
            )
            entry(
                f"{reading}/IntervalBlock/1",
                f"{reading}/IntervalBlock",
                [],
                "",
                f'<IntervalBlock xmlns="http://naesb.org/espi">{body}</IntervalBlock>',
            )
    if local_time:
        entry(
            "LocalTimeParameters/1",
            "LocalTimeParameters",
            [],
            "local",
            '<LocalTimeParameters xmlns="http://naesb.org/espi">'
            f"<dstEndRule>{local_time['dst_end_rule']}</dstEndRule>"
            f"<dstOffset>{local_time['dst_offset']}</dstOffset>"
            f"<dstStartRule>{local_time['dst_start_rule']}</dstStartRule>"
            f"<tzOffset>{local_time['tz_offset']}</tzOffset></LocalTimeParameters>",
        )
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:uuid:f</id><title>t</title>'
        f"<updated>2026-01-01T00:00:00Z</updated>{''.join(entries)}</feed>"
    ).encode()


JAN_1 = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())


def series(count: int, minutes: int, value: Any = lambda n: n % 997) -> list[tuple[int, int, int]]:
    return [(JAN_1 + n * minutes * 60, minutes * 60, value(n)) for n in range(count)]


def test_a_year_of_hourly_data_is_365_day_bundles() -> None:
    (meter,) = import_readings(feed([("1", "house", [(1, 0, series(8760, 60))])]), "m-1")
    assert len(meter.readings) == 8760
    assert sum(r["import_wh"] for r in meter.readings) == sum(n % 997 for n in range(8760))
    days = list(day_rows(meter.readings))
    assert len(days) == 365 and all(len(rows) == 24 for _, _, rows in days)


def test_a_month_of_15_minute_data() -> None:
    (meter,) = import_readings(feed([("1", "house", [(1, 0, series(31 * 96, 15))])]), "m-1")
    assert len(meter.readings) == 2976
    assert [len(rows) for _, _, rows in day_rows(meter.readings)] == [96] * 31


def test_kwh_with_a_power_of_ten_multiplier_is_exact_whole_wh() -> None:
    xml = feed([("1", "house", [(1, 3, [(JAN_1, 900, 2), (JAN_1 + 900, 900, 50)])])])
    (meter,) = import_readings(xml, "m-1")
    assert [r["import_wh"] for r in meter.readings] == [2000, 50_000]


@pytest.mark.parametrize(
    ("multiplier", "value", "message"),
    [
        (
            3,
            51,
            "IntervalReading 1: value 51 at powerOfTenMultiplier 3 is 51000 Wh, more than "
            "a meter can measure in 15 minutes (50000 Wh)",
        ),
        (
            -3,
            1500,
            "IntervalReading 1: value 1500 at powerOfTenMultiplier -3 is not a whole number of Wh",
        ),
    ],
)
def test_kwh_values_that_are_not_whole_or_too_big_are_refused(
    multiplier: int, value: int, message: str
) -> None:
    with pytest.raises(GreenButtonError) as caught:
        import_readings(feed([("1", "h", [(1, multiplier, [(JAN_1, 900, value)])])]), "m-1")
    assert str(caught.value) == message


def test_forward_and_reverse_combine_per_interval() -> None:
    forward = [(JAN_1, 900, 100), (JAN_1 + 900, 900, 200)]
    reverse = [(JAN_1 + 900, 900, 30), (JAN_1 + 1800, 900, 40)]
    (meter,) = import_readings(feed([("1", "pv", [(1, 0, forward), (19, 0, reverse)])]), "m-1")
    assert [(r["import_wh"], r["export_wh"]) for r in meter.readings] == [
        (100, 0),
        (200, 30),
        (0, 40),
    ]
    (only_export,) = import_readings(feed([("1", "pv", [(19, 0, reverse)])]), "m-1")
    assert [(r["import_wh"], r["export_wh"]) for r in only_export.readings] == [(0, 30), (0, 40)]


SEVERAL = feed(
    [
        ("A1", "Main house", [(1, 0, [(JAN_1, 900, 1)])]),
        ("B2", "Granny flat", [(1, 0, [(JAN_1, 900, 2)]), (19, 0, [(JAN_1, 900, 3)])]),
    ]
)


def test_several_usage_points_map_by_id_or_title() -> None:
    meters = import_readings(SEVERAL, {"A1": "m-house", "Granny flat": "m-flat"})
    assert [(m.meter_id, m.title) for m in meters] == [
        ("m-house", "Main house"),
        ("m-flat", "Granny flat"),
    ]
    assert [(r["import_wh"], r["export_wh"]) for m in meters for r in m.readings] == [
        (1, 0),
        (2, 3),
    ]


@pytest.mark.parametrize(
    ("meters", "message"),
    [
        (
            "m-1",
            "feed has 2 UsagePoints (A1 (Main house), B2 (Granny flat)): map each to a "
            "meter (usage point=meter id)",
        ),
        ({"A1": "m-1"}, "UsagePoints without a meter: B2 (Granny flat)"),
        (
            {"A1": "m-1", "B2": "m-2", "C3": "m-3"},
            "no UsagePoint of the feed is 'C3' (the feed has A1 (Main house), B2 (Granny flat))",
        ),
        ({"A1": "m-1", "Main house": "m-2"}, "UsagePoint A1 (Main house) is mapped twice"),
        (
            {"A1": "m 1", "B2": "m-2"},
            "meter id for 'A1' 'm 1' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
    ],
)
def test_unmapped_or_unknown_usage_points_are_named(meters: Any, message: str) -> None:
    with pytest.raises(GreenButtonError) as caught:
        import_readings(SEVERAL, meters)
    assert str(caught.value) == message


def test_local_time_parameters_survive_import_bundle_export_import() -> None:
    xml = feed([("1", "house", [(1, 0, series(96, 15))])], local_time=NORTH_AMERICA)
    (meter,) = import_readings(xml, "m-1")
    assert meter.local_time == NORTH_AMERICA
    ((day, minutes, rows),) = day_rows(meter.readings)
    bundle = ReadingBundle.parse(
        encode_payload("m-1", day, minutes, rows, local_time=meter.local_time)
    )
    records = [r.record() for r in bundle.readings()]
    exported = export_readings(
        records, household_id="h-1", meter_id="m-1", title="m-1", local_time=bundle.local_time
    )
    (again,) = import_readings(exported, "m-1")
    assert again.local_time == NORTH_AMERICA
    assert again.readings == meter.readings


def test_local_time_parameters_out_of_range_are_refused() -> None:
    xml = feed(
        [("1", "h", [(1, 0, series(1, 15))])], local_time={**NORTH_AMERICA, "tz_offset": 90000}
    )
    with pytest.raises(GreenButtonError) as caught:
        import_readings(xml, "m-1")
    assert (
        str(caught.value)
        == "LocalTimeParameters 1: local_time.tz_offset must be seconds within 50400"
    )


# -- hostile input -----------------------------------------------------------------------

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE feed [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&d;</title></feed>"""
ONE = [("1", "h", [(1, 0, [(JAN_1, 900, 5)])])]


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (LAUGHS, "feed has a DTD (<!DOCTYPE feed>): DTDs and entities are refused"),
        (
            feed(ONE).replace(b"<value>5</value>", b"<value>" + b"9" * 5000 + b"</value>"),
            "IntervalReading 1: value '9999999999999999999999999999999999999999' is not an "
            "integer of at most 19 digits",
        ),
        (
            feed(ONE).replace(b"<value>5</value>", b"<value>99999999999999</value>"),
            "IntervalReading 1: value 99999999999999 at powerOfTenMultiplier 0 is "
            "99999999999999 Wh, more than a meter can measure in 15 minutes (50000 Wh)",
        ),
        (
            feed(ONE).replace(f"<start>{JAN_1}</start>".encode(), b"<start>-900</start>"),
            "IntervalReading 1: start -900 is not a time from 1970 to 9999",
        ),
        (
            feed(ONE).replace(f"<start>{JAN_1}</start>".encode(), b"<start>253402300800</start>"),
            "IntervalReading 1: start 253402300800 is not a time from 1970 to 9999",
        ),
        (
            feed(ONE).replace(f"<start>{JAN_1}</start>".encode(), b"<start>2025-01-01</start>"),
            "IntervalReading 1: timePeriod start '2025-01-01' is not an integer of at most "
            "19 digits",
        ),
        (
            b"\xff\xfe<feed",
            "feed is not well-formed XML: syntax error: line 1, column 1",
        ),
    ],
    ids=[
        "billion-laughs",
        "5000-digits",
        "huge-value",
        "before-1970",
        "after-9999",
        "iso-date",
        "garbage",
    ],
)
def test_hostile_input_is_a_green_button_error(xml: bytes, message: str) -> None:
    with pytest.raises(GreenButtonError) as caught:
        import_readings(xml, "m-1")
    assert str(caught.value) == message
