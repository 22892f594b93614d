"""Green Button (NAESB ESPI) XML: import of hand-written feeds, export, round trips, refusals."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.community.domain.billing import Invoice, InvoiceLine
from client.greenbutton import (
    ATOM_NAMESPACE,
    ESPI_NAMESPACE,
    GreenButtonError,
    export_invoice,
    export_readings,
    import_readings,
)
from gridspec.readings import max_wh

DATA = Path(__file__).parent / "data"
TWO_WAY = (DATA / "greenbutton_two_way.xml").read_bytes()
KWH = (DATA / "greenbutton_kwh.xml").read_bytes()
A = f"{{{ATOM_NAMESPACE}}}"
E = f"{{{ESPI_NAMESPACE}}}"
BASE = "https://utility.example/DataCustodian/espi/1_1/resource"
MR = f"{BASE}/RetailCustomer/9B6C7066/UsagePoint/5446AF3F/MeterReading"
MARCH_1 = datetime(2026, 3, 1, tzinfo=UTC)


def reading(start: str, minutes: int, import_wh: int, export_wh: int) -> dict[str, Any]:
    return {
        "interval_start": start,
        "interval_minutes": minutes,
        "import_wh": import_wh,
        "export_wh": export_wh,
    }


def readings_of(feed: bytes) -> list[dict[str, Any]]:
    """The readings of a one-UsagePoint feed, its costs ignored."""
    (meter,) = import_readings(feed, "m-17", ignore_cost=True)
    return meter.readings


def export(readings: list[dict[str, Any]], **options: Any) -> bytes:
    return export_readings(
        readings, household_id="h-1", meter_id="m-17", title="Meter m-17", **options
    )


def text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return found.text or ""


def entries(feed: bytes, kind: str) -> list[tuple[ET.Element, ET.Element]]:
    """(Atom entry, ESPI resource) of every *kind* resource, in document order."""
    root = ET.fromstring(feed)
    return [
        (entry, resource)
        for entry in root.findall(f"{A}entry")
        for resource in entry.findall(f"{A}content/{E}{kind}")
    ]


def links(entry: ET.Element, rel: str) -> list[str]:
    return [link.get("href", "") for link in entry.findall(f"{A}link") if link.get("rel") == rel]


# -- import of hand-written samples -----------------------------------------------------


def test_import_both_flow_directions() -> None:
    # forward (1) is import, reverse (19) export; a direction without the interval is 0;
    # the first reading's ReadingQuality (0: valid) is kept
    assert readings_of(TWO_WAY) == [
        {**reading("2026-03-01T23:30:00Z", 15, 410, 0), "quality": 0},
        reading("2026-03-01T23:45:00Z", 15, 380, 120),
        reading("2026-03-02T00:00:00Z", 15, 350, 95),
        reading("2026-03-02T00:15:00Z", 15, 300, 0),
        reading("2026-03-02T00:30:00Z", 15, 0, 40),
    ]


def test_import_kwh_values_scaled_by_power_of_ten() -> None:
    # uom 72 (Wh) with powerOfTenMultiplier 3: values in kWh; espi: prefix; hourly
    assert readings_of(KWH) == [
        reading("2026-03-03T10:00:00Z", 60, 1000, 0),
        reading("2026-03-03T11:00:00Z", 60, 2000, 0),
        reading("2026-03-03T12:00:00Z", 60, 0, 0),
        reading("2026-03-03T13:00:00Z", 60, 3000, 0),
    ]


def test_import_milli_wh_values_that_are_whole_wh() -> None:
    feed = TWO_WAY.replace(
        b"<powerOfTenMultiplier>0</powerOfTenMultiplier>",
        b"<powerOfTenMultiplier>-1</powerOfTenMultiplier>",
        1,
    )
    assert [r["import_wh"] for r in readings_of(feed)] == [41, 38, 35, 30, 0]


def test_import_without_multiplier_means_wh() -> None:
    feed = KWH.replace(b"<espi:powerOfTenMultiplier>3</espi:powerOfTenMultiplier>", b"")
    assert [r["import_wh"] for r in readings_of(feed)] == [1, 2, 0, 3]


# -- refusals ------------------------------------------------------------------------------

UP_02 = f'<link rel="up" href="{MR}/02/IntervalBlock"/>'.encode()
TIME_PERIOD_3 = (
    b"<timePeriod>\n            <duration>900</duration>\n"
    b"            <start>1772409600</start>\n          </timePeriod>\n"
    b"          <value>350</value>"
)
PERIOD_6 = (
    b"<duration>900</duration>\n            <start>1772409600</start>\n"
    b"          </timePeriod>\n          <value>95</value>"
)
PERIOD_7 = b"<duration>900</duration>\n            <start>1772411400</start>"
REFUSALS: dict[str, tuple[bytes, bytes, str]] = {
    # name: (old, new: the first occurrence in the two-way sample replaced, exact message)
    "unknown uom": (b"<uom>72</uom>", b"<uom>38</uom>", "ReadingType 1: uom 38 is not Wh (72)"),
    "missing uom": (b"<uom>72</uom>", b"", "ReadingType 1: uom is missing"),
    "negative value": (
        b"<value>380</value>",
        b"<value>-5</value>",
        "IntervalReading 2: value -5 is negative",
    ),
    "value not an integer": (
        b"<value>95</value>",
        b"<value>9.5</value>",
        "IntervalReading 6: value '9.5' is not an integer of at most 19 digits",
    ),
    "missing value": (b"<value>300</value>", b"", "IntervalReading 4: value is missing"),
    "missing timePeriod": (
        TIME_PERIOD_3,
        b"<value>350</value>",
        "IntervalReading 3: timePeriod is missing",
    ),
    "missing start": (
        b"<start>1772410500</start>",
        b"",
        "IntervalReading 4: timePeriod start is missing",
    ),
    "bad duration": (
        PERIOD_7,
        PERIOD_7.replace(b">900<", b">600<"),
        "IntervalReading 7: duration 600 s is not 5, 15, 30 or 60 minutes",
    ),
    "daily duration": (
        PERIOD_7,
        PERIOD_7.replace(b">900<", b">86400<"),
        "IntervalReading 7: duration 86400 s is not 5, 15, 30 or 60 minutes",
    ),
    "unaligned start": (
        b"<start>1772411400</start>",
        b"<start>1772411460</start>",
        "IntervalReading 7: start 1772411460 (2026-03-02T00:31:00Z) is not aligned to 15 minutes",
    ),
    "fraction of a wh": (
        b"<powerOfTenMultiplier>0</powerOfTenMultiplier>",
        b"<powerOfTenMultiplier>-2</powerOfTenMultiplier>",
        "IntervalReading 1: value 410 at powerOfTenMultiplier -2 is not a whole number of Wh",
    ),
    "odd multiplier": (
        b"<powerOfTenMultiplier>0</powerOfTenMultiplier>",
        b"<powerOfTenMultiplier>5</powerOfTenMultiplier>",
        "ReadingType 1: powerOfTenMultiplier 5 is not an ESPI multiplier",
    ),
    "net flow": (
        b"<flowDirection>19</flowDirection>",
        b"<flowDirection>4</flowDirection>",
        "ReadingType 2: flowDirection 4 is neither 1 (forward, import) nor 19 (reverse, export)",
    ),
    "two forward readings": (
        b"<flowDirection>19</flowDirection>",
        b"<flowDirection>1</flowDirection>",
        "MeterReading 2: MeterReading 1 of UsagePoint 5446AF3F (Rooftop PV household) already "
        "has flowDirection 1; a UsagePoint has one MeterReading per direction",
    ),
    "register reads": (
        b"<accumulationBehaviour>4</accumulationBehaviour>",
        b"<accumulationBehaviour>1</accumulationBehaviour>",
        "ReadingType 1: accumulationBehaviour 1 is not deltaData (4)",
    ),
    "gas": (
        b"<commodity>1</commodity>",
        b"<commodity>7</commodity>",
        "ReadingType 1: commodity 7 is not electricity",
    ),
    "gas service": (
        b"<kind>0</kind>",
        b"<kind>1</kind>",
        "UsagePoint 1: ServiceCategory kind 1 is not electricity (0)",
    ),
    "interval twice in one direction": (
        b"<start>1772410500</start>",
        b"<start>1772409600</start>",
        "IntervalReading 4: interval 2026-03-02T00:00:00Z is already given for flowDirection 1 "
        "(IntervalReading 3)",
    ),
    "directions disagree on the length": (
        PERIOD_6,
        PERIOD_6.replace(b">900<", b">1800<"),
        "IntervalReading 6: interval 2026-03-02T00:00:00Z lasts 30 minutes but 15 in "
        "IntervalReading 3",
    ),
    "two lengths on one UTC day": (
        PERIOD_7,
        b"<duration>3600</duration>\n            <start>1772406000</start>",
        "IntervalReading 1: interval 2026-03-01T23:30:00Z lasts 15 minutes but IntervalReading 7 "
        "on the same UTC day lasts 60; a meter's day has one interval length",
    ),
    "no reading type link": (
        f'<link rel="related" href="{BASE}/ReadingType/08"/>'.encode(),
        b"",
        "MeterReading 2: no related link names a ReadingType of the feed",
    ),
    "no self link": (
        f'<link rel="self" href="{MR}/01"/>'.encode(),
        b"",
        "MeterReading 1: its entry has no self link",
    ),
    "orphan block": (
        UP_02,
        UP_02.replace(b"/02/", b"/03/"),
        f"IntervalBlock 3: its up link {MR}/03/IntervalBlock names no MeterReading of the feed",
    ),
    "block without up link": (UP_02, b"", "IntervalBlock 3: its entry has no up link"),
    "resource in another namespace": (
        b'<MeterReading xmlns="http://naesb.org/espi"/>',
        b'<MeterReading xmlns="http://naesb.org/espi/2"/>',
        "entry 3: <MeterReading> (namespace http://naesb.org/espi/2) is not in the ESPI "
        "namespace http://naesb.org/espi",
    ),
    "resource in the atom namespace": (
        b'<ReadingType xmlns="http://naesb.org/espi">',
        b"<ReadingType>",
        "entry 4: <ReadingType> (namespace http://www.w3.org/2005/Atom) is not in the ESPI "
        "namespace http://naesb.org/espi",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_import_refuses(name: str) -> None:
    old, new, message = REFUSALS[name]
    assert TWO_WAY.count(old) >= 1, "the sample no longer has the text this case replaces"
    with pytest.raises(GreenButtonError) as caught:
        readings_of(TWO_WAY.replace(old, new, 1))
    assert str(caught.value) == message


USAGE_POINT_ENTRY = TWO_WAY[TWO_WAY.index(b"<entry>") : TWO_WAY.index(b"</entry>") + 8]
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE feed [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE feed SYSTEM "file:///etc/passwd">
<feed xmlns="http://www.w3.org/2005/Atom"/>"""


@pytest.mark.parametrize(
    ("feed", "message"),
    [
        (BOMB, "feed has a DTD (<!DOCTYPE feed>): DTDs and entities are refused"),
        (EXTERNAL, "feed has a DTD (<!DOCTYPE feed>): DTDs and entities are refused"),
        (
            TWO_WAY.replace(b"<feed ", b"<!DOCTYPE feed>\n<feed ", 1),
            "feed has a DTD (<!DOCTYPE feed>): DTDs and entities are refused",
        ),
        (
            b'<entry xmlns="http://www.w3.org/2005/Atom"/>',
            "root element is <entry> (namespace http://www.w3.org/2005/Atom), not an Atom feed",
        ),
        (b"<feed/>", "root element is <feed> (no namespace), not an Atom feed"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', "feed has no UsagePoint"),
        (
            TWO_WAY.replace(b"<entry>", USAGE_POINT_ENTRY + b"<entry>", 1),
            "UsagePoint 2: its self link is UsagePoint 1's",
        ),
    ],
    ids=[
        "entity-bomb",
        "external-dtd",
        "plain-dtd",
        "entry-root",
        "no-namespace",
        "empty",
        "same-point-twice",
    ],
)
def test_import_refuses_the_document(feed: bytes, message: str) -> None:
    with pytest.raises(GreenButtonError) as caught:
        readings_of(feed)
    assert str(caught.value) == message


def test_import_refuses_broken_xml_and_wrong_arguments() -> None:
    with pytest.raises(GreenButtonError, match=r"^feed is not well-formed XML: "):
        readings_of(TWO_WAY[:500])
    with pytest.raises(TypeError, match="xml must be bytes, got str"):
        readings_of(TWO_WAY.decode())  # type: ignore[arg-type]
    with pytest.raises(GreenButtonError) as caught:
        import_readings(TWO_WAY, "m 17")
    assert str(caught.value) == (
        "meter id 'm 17' is invalid: use 1-64 letters, digits, '.', '_' or '-'"
    )


# -- export and round trips ------------------------------------------------------------------


def quarter_hours() -> st.SearchStrategy[list[dict[str, Any]]]:
    """Sorted 15-minute readings over three days, some import-only, some export-only."""
    values = st.integers(0, max_wh(15))
    return st.dictionaries(
        st.integers(0, 3 * 96 - 1), st.tuples(values, values), min_size=1, max_size=60
    ).map(
        lambda slots: [
            reading(
                (MARCH_1 + timedelta(minutes=15 * slot)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                15,
                *slots[slot],
            )
            for slot in sorted(slots)
        ]
    )


@settings(max_examples=60, deadline=None, database=None)
@given(quarter_hours())
def test_round_trip(readings: list[dict[str, Any]]) -> None:
    assert readings_of(export(readings)) == readings


@pytest.mark.parametrize("minutes", [5, 15, 30, 60])
def test_round_trip_of_every_interval_length(minutes: int) -> None:
    readings = [
        reading(
            (MARCH_1 + timedelta(minutes=minutes * k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            minutes,
            k * 7,
            k % 3,
        )
        for k in range(0, 24 * 60 // minutes + 5, 3)
    ]
    assert readings_of(export(readings)) == readings


def test_export_sorts_and_accepts_readings_without_meter_id() -> None:
    readings = [
        reading("2026-03-01T09:15:00Z", 15, 5, 0),
        reading("2026-03-01T09:00:00Z", 15, 7, 1),
    ]
    bare = [{k: v for k, v in r.items() if k != "meter_id"} for r in readings]
    assert readings_of(export(bare)) == readings[::-1]


TWO_DAYS = [
    reading("2026-03-01T23:45:00Z", 15, 410, 0),
    reading("2026-03-02T00:00:00Z", 15, 0, 95),
    reading("2026-03-02T00:15:00Z", 15, 300, 20),
]


def test_export_is_a_namespaced_atom_feed_of_espi_resources() -> None:
    feed = export(TWO_DAYS)
    assert feed.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns=")
    root = ET.fromstring(feed)  # well-formed
    assert root.tag == f"{A}feed"
    for child in root:
        assert child.tag.startswith(A), child.tag
    kinds = []
    for entry in root.findall(f"{A}entry"):
        for child in entry:
            assert child.tag.startswith(A), child.tag
        assert {child.tag for child in entry} >= {
            f"{A}{n}" for n in ("id", "title", "updated", "published", "content")
        }
        content = entry.find(f"{A}content")
        assert content is not None
        (resource,) = list(content)
        kinds.append(resource.tag.removeprefix(E))
        for element in resource.iter():
            assert element.tag.startswith(E), element.tag
    # no LocalTimeParameters: the readings did not say (test_greenbutton_samples has them)
    assert kinds == [
        "UsagePoint",
        "MeterReading",
        "ReadingType",
        "IntervalBlock",
        "IntervalBlock",
        "MeterReading",
        "ReadingType",
        "IntervalBlock",
        "IntervalBlock",
    ]


def test_export_links_follow_espi_resource_uris() -> None:
    feed = export(TWO_DAYS, base_url="https://gridledger.example/espi/1_1/resource")
    base = "https://gridledger.example/espi/1_1/resource"
    point = f"{base}/RetailCustomer/h-1/UsagePoint/m-17"
    root = ET.fromstring(feed)
    assert links(root, "self") == [f"{base}/Batch/RetailCustomer/h-1/UsagePoint/m-17"]
    ((usage_point, _),) = entries(feed, "UsagePoint")
    assert links(usage_point, "self") == [point]
    assert links(usage_point, "up") == [f"{base}/RetailCustomer/h-1/UsagePoint"]
    assert links(usage_point, "related") == [f"{point}/MeterReading"]
    reading_types = {links(entry, "self")[0]: rt for entry, rt in entries(feed, "ReadingType")}
    blocks = entries(feed, "IntervalBlock")
    for name, direction in (("import", "1"), ("export", "19")):
        ((meter_reading, _),) = [
            (entry, mr)
            for entry, mr in entries(feed, "MeterReading")
            if links(entry, "self") == [f"{point}/MeterReading/{name}"]
        ]
        assert links(meter_reading, "up") == [f"{point}/MeterReading"]
        collection, reading_type = links(meter_reading, "related")
        assert collection == f"{point}/MeterReading/{name}/IntervalBlock"
        assert reading_type == f"{base}/ReadingType/m-17-{name}-15min"
        assert text(reading_types[reading_type], f"{E}flowDirection") == direction
        mine = [entry for entry, _ in blocks if links(entry, "up") == [collection]]
        assert [links(entry, "self")[0] for entry in mine] == [
            f"{collection}/2026-03-01",
            f"{collection}/2026-03-02",
        ]


def test_export_reading_types_and_interval_blocks() -> None:
    feed = export(TWO_DAYS)
    for _, reading_type in entries(feed, "ReadingType"):
        assert [
            (child.tag.removeprefix(E), child.text)
            for child in reading_type
            if child.tag != f"{E}flowDirection"
        ] == [
            ("accumulationBehaviour", "4"),
            ("commodity", "1"),
            ("dataQualifier", "12"),
            ("intervalLength", "900"),
            ("kind", "12"),
            ("powerOfTenMultiplier", "0"),
            ("timeAttribute", "0"),
            ("uom", "72"),
            ("measuringPeriod", "2"),
        ]
    blocks = [block for _, block in entries(feed, "IntervalBlock")]
    day_1 = int(MARCH_1.timestamp())
    assert [
        (text(b, f"{E}interval/{E}start"), text(b, f"{E}interval/{E}duration")) for b in blocks
    ] == [
        (str(day_1), "86400"),
        (str(day_1 + 86400), "86400"),
    ] * 2
    values = [
        [
            (
                text(r, f"{E}timePeriod/{E}start"),
                text(r, f"{E}timePeriod/{E}duration"),
                text(r, f"{E}value"),
            )
            for r in b.findall(f"{E}IntervalReading")
        ]
        for b in blocks
    ]
    at = day_1 + 86400
    assert values == [
        [(str(at - 900), "900", "410")],
        [(str(at), "900", "0"), (str(at + 900), "900", "300")],
        [(str(at - 900), "900", "0")],
        [(str(at), "900", "95"), (str(at + 900), "900", "20")],
    ]


def test_export_is_deterministic_with_stable_ids() -> None:
    feed = export(TWO_DAYS)
    assert feed == export(list(reversed(TWO_DAYS)))
    root = ET.fromstring(feed)
    # no clock: the feed is as of the end of its last interval unless told otherwise
    assert text(root, f"{A}updated") == "2026-03-02T00:30:00Z"
    assert {e.text for e in root.iter(f"{A}updated")} == {"2026-03-02T00:30:00Z"}
    stamped = ET.fromstring(export(TWO_DAYS, updated="2026-03-03T06:00:00Z"))
    assert {e.text for e in stamped.iter(f"{A}published")} == {"2026-03-03T06:00:00Z"}
    ids = [e.text or "" for e in root.iter(f"{A}id")]
    assert len(set(ids)) == len(ids) == 10
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", i) for i in ids)
    assert [e.text for e in stamped.iter(f"{A}id")] == ids
    # the same resources keep their ids in a later export; the feed (another period) does not
    later = ET.fromstring(export(TWO_DAYS[1:]))
    later_ids = [e.text for e in later.iter(f"{A}id")]
    assert later_ids[0] != ids[0]
    assert later_ids[1:4] == ids[1:4]
    other = ET.fromstring(
        export_readings(TWO_DAYS[1:], household_id="h-2", meter_id="m-17", title="m-17")
    )
    assert not {e.text for e in other.iter(f"{A}id")} & set(later_ids[:2])


EXPORT_REFUSALS: dict[str, tuple[list[dict[str, Any]], str]] = {
    "nothing": ([], "no readings to export"),
    "another meter": (
        [{**TWO_DAYS[0], "meter_id": "m-18"}],
        "reading 1: meter_id 'm-18' is not meter m-17",
    ),
    "unknown field": ([{**TWO_DAYS[0], "cost": 1}], "reading 1: unknown fields cost"),
    "missing field": (
        [{k: v for k, v in TWO_DAYS[0].items() if k != "export_wh"}],
        "reading 1: export_wh is missing",
    ),
    "bad time": (
        [{**TWO_DAYS[0], "interval_start": "2026-03-01 23:45"}],
        "reading 1: interval_start '2026-03-01 23:45' is not a UTC time like 2026-03-01T09:15:00Z",
    ),
    "unaligned": (
        [reading("2026-03-01T09:10:00Z", 15, 1, 1)],
        "reading 1 (2026-03-01T09:10:00Z): interval is not aligned to 15 minutes",
    ),
    "odd length": (
        [reading("2026-03-01T09:00:00Z", 10, 1, 1)],
        "reading 1 (2026-03-01T09:00:00Z): interval_minutes must be one of 5, 15, 30, 60",
    ),
    "mixed lengths": (
        [reading("2026-03-01T09:00:00Z", 15, 1, 1), reading("2026-03-01T10:00:00Z", 60, 1, 1)],
        "reading 2 (2026-03-01T10:00:00Z): interval_minutes 60 differs from the first "
        "reading's 15; a feed has one interval length",
    ),
    "negative": (
        [reading("2026-03-01T09:00:00Z", 15, -1, 1)],
        "reading 1 (2026-03-01T09:00:00Z): import_wh must be an integer from 0 to 50000 Wh",
    ),
    "float": (
        [reading("2026-03-01T09:00:00Z", 15, 1, 1.5)],  # type: ignore[arg-type]
        "reading 1 (2026-03-01T09:00:00Z): export_wh must be an integer from 0 to 50000 Wh",
    ),
    "twice": (
        [TWO_DAYS[0], TWO_DAYS[1], TWO_DAYS[0]],
        "reading 3 (2026-03-01T23:45:00Z): interval is given twice (reading 1)",
    ),
}


@pytest.mark.parametrize("name", sorted(EXPORT_REFUSALS))
def test_export_refuses(name: str) -> None:
    readings, message = EXPORT_REFUSALS[name]
    with pytest.raises(GreenButtonError) as caught:
        export(readings)
    assert str(caught.value) == message


def test_export_refuses_bad_options() -> None:
    with pytest.raises(GreenButtonError, match=r"^updated 'now' is not a UTC time like"):
        export(TWO_DAYS, updated="now")
    with pytest.raises(GreenButtonError, match=r"^title has a character XML cannot carry"):
        export_readings(TWO_DAYS, household_id="h-1", meter_id="m-17", title="a\x00b")
    with pytest.raises(GreenButtonError, match=r"^household_id 'h/1' is invalid"):
        export_readings(TWO_DAYS, household_id="h/1", meter_id="m-17", title="t")


# -- invoices ------------------------------------------------------------------------------------

LINES = (
    InvoiceLine("grid_import", "grid import, band night 22:00-06:00 utc", 41_250, 18, 743),
    InvoiceLine("grid_import", "grid import, band day 06:00-22:00 utc", 120_500, 27, 3254),
    InvoiceLine(
        "p2p_purchase", "p2p purchase t-9 from h-2, interval 2026-03-04T12:00:00Z", 800, 20, 16
    ),
    InvoiceLine("p2p_grid_fee", "grid fee on p2p purchases", 800, 4, 3),
    InvoiceLine("p2p_sale", "p2p sale t-12 to h-3, interval 2026-03-09T11:00:00Z", 1500, 21, -32),
    InvoiceLine("feed_in", "feed-in of export not sold p2p", 20_000, 8, -160),
    InvoiceLine("fixed_charge", "fixed charge, 31 days at 30 per day", 0, None, 930),
)


OWNER = "invoice h-1 2026-03-01/2026-04-01"


def invoice(currency: str = "EUR", lines: tuple[InvoiceLine, ...] = LINES) -> dict[str, Any]:
    return Invoice(
        "h-1", "2026-03-01", "2026-04-01", "tou-1", currency, lines, "9f" * 32
    ).to_record()


def usage_summary(feed: bytes) -> tuple[ET.Element, ET.Element]:
    ((entry, summary),) = entries(feed, "UsageSummary")
    return entry, summary


def test_invoice_usage_summary() -> None:
    record = invoice()
    assert record["total"] == 4754
    feed = export_invoice(record, household_id="h-1")
    entry, summary = usage_summary(feed)
    march_1, april_1 = int(MARCH_1.timestamp()), int(datetime(2026, 4, 1, tzinfo=UTC).timestamp())
    assert text(summary, f"{E}billingPeriod/{E}start") == str(march_1)
    assert text(summary, f"{E}billingPeriod/{E}duration") == str(april_1 - march_1)
    # hundred-thousandths of the currency: 47.54 EUR
    assert text(summary, f"{E}billLastPeriod") == "4754000"
    assert text(summary, f"{E}costAdditionalLastPeriod") == "4754000"
    assert text(summary, f"{E}currency") == "978"
    assert text(summary, f"{E}statusTimeStamp") == str(april_1)
    assert text(summary, f"{E}tariffProfile") == "tou-1"
    assert text(summary, f"{E}overallConsumptionLastPeriod/{E}value") == str(41_250 + 120_500 + 800)
    assert text(summary, f"{E}overallConsumptionLastPeriod/{E}uom") == "72"
    items = summary.findall(f"{E}costAdditionalDetailLastPeriod")
    assert [
        (
            text(i, f"{E}amount"),
            text(i, f"{E}itemKind"),
            i.findtext(f"{E}unitCost"),
            i.findtext(f"{E}measurement/{E}value"),
        )
        for i in items
    ] == [
        ("743000", "3", "18", "41250"),
        ("3254000", "3", "27", "120500"),
        ("16000", "1", "20", "800"),
        ("3000", "2", "4", "800"),
        ("-32000", "6", "21", "1500"),
        ("-160000", "6", "8", "20000"),
        ("930000", "4", None, None),
    ]
    assert sum(int(text(i, f"{E}amount")) for i in items) == 4754000
    assert [text(i, f"{E}note") for i in items] == [
        f"{line.code}: {line.description}" for line in LINES
    ]
    assert {text(i, f"{E}measurement/{E}uom") for i in items[:-1]} == {"72"}
    assert "inputs_hash " + "9f" * 32 in text(entry, f"{A}summary")
    assert links(entry, "self") == [
        "/espi/1_1/resource/RetailCustomer/h-1/UsagePoint/h-1/UsageSummary/2026-03-01_2026-04-01"
    ]
    assert links(entry, "up") == [
        "/espi/1_1/resource/RetailCustomer/h-1/UsagePoint/h-1/UsageSummary"
    ]
    ((point, _),) = entries(feed, "UsagePoint")
    assert links(entry, "up")[0] in links(point, "related")


def test_invoice_elements_are_in_espi_schema_order() -> None:
    _, summary = usage_summary(export_invoice(invoice(), household_id="h-1"))
    tags = [child.tag.removeprefix(E) for child in summary]
    assert tags == [
        "billingPeriod",
        "billLastPeriod",
        "costAdditionalLastPeriod",
        *["costAdditionalDetailLastPeriod"] * len(LINES),
        "currency",
        "overallConsumptionLastPeriod",
        "statusTimeStamp",
        "commodity",
        "tariffProfile",
    ]
    first = summary.find(f"{E}costAdditionalDetailLastPeriod")
    assert first is not None
    assert [c.tag.removeprefix(E) for c in first] == [
        "amount",
        "note",
        "measurement",
        "itemKind",
        "unitCost",
    ]


@pytest.mark.parametrize(
    ("currency", "code", "bill", "unit_cost"),
    [
        ("EUR", "978", "4754000", "18"),
        ("USD", "840", "4754000", "18"),
        ("GBP", "826", "4754000", "18"),
        ("JPY", "392", "475400000", "1800"),
    ],
)
def test_invoice_currencies(currency: str, code: str, bill: str, unit_cost: str) -> None:
    _, summary = usage_summary(export_invoice(invoice(currency), household_id="h-1"))
    assert text(summary, f"{E}currency") == code
    assert text(summary, f"{E}billLastPeriod") == bill
    assert text(summary, f"{E}costAdditionalDetailLastPeriod/{E}unitCost") == unit_cost


def test_invoice_export_is_deterministic_and_well_formed() -> None:
    feed = export_invoice(invoice(), household_id="h-1")
    assert feed == export_invoice(invoice(), household_id="h-1")
    root = ET.fromstring(feed)
    assert root.tag == f"{A}feed"
    assert {e.text for e in root.iter(f"{A}updated")} == {"2026-04-01T00:00:00Z"}
    assert [resource.tag for _, resource in entries(feed, "UsageSummary")] == [f"{E}UsageSummary"]
    credit = invoice(lines=(LINES[5],))
    assert credit["total"] == -160
    _, summary = usage_summary(
        export_invoice(credit, household_id="h-1", updated="2026-04-02T08:00:00Z")
    )
    assert text(summary, f"{E}billLastPeriod") == "-160000"
    assert text(summary, f"{E}statusTimeStamp") == str(
        int(datetime(2026, 4, 2, 8, tzinfo=UTC).timestamp())
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"household": "h-2"}, "invoice is for household 'h-2', not h-1"),
        (
            {"currency": "XAU"},
            f"{OWNER}: currency 'XAU' has no ISO 4217 numeric code here "
            "(known: AUD, CAD, CHF, CNY, DKK, EUR, GBP, INR, JPY, NOK, SEK, USD)",
        ),
        (
            {"total": 1},
            f"{OWNER}: total 1 is not the sum of the lines' amounts (4754)",
        ),
        (
            {"period_end": "2026-02-01"},
            "invoice h-1 2026-03-01/2026-02-01: period must end after it starts",
        ),
        (
            {"period_start": "2026-3-1"},
            "invoice h-1 2026-3-1/2026-04-01: period_start '2026-3-1' is not a date like "
            "2026-03-01",
        ),
        (
            {"lines": [{**LINES[0].to_record(), "code": "rebate"}]},
            f"{OWNER}: line 1: code 'rebate' has no Green Button itemKind",
        ),
        (
            {"lines": [{**LINES[0].to_record(), "amount": 1.5}]},
            f"{OWNER}: line 1 (grid_import): amount must be an integer",
        ),
        (
            {"lines": [{**LINES[0].to_record(), "description": "x" * 250}]},
            f"{OWNER}: line 1 (grid_import): note is 263 characters, ESPI allows 256",
        ),
    ],
)
def test_invoice_refusals(change: dict[str, Any], message: str) -> None:
    record = {**invoice(), **change}
    if "lines" in change and "total" not in change:
        del record["total"]
    with pytest.raises(GreenButtonError) as caught:
        export_invoice(record, household_id="h-1")
    assert str(caught.value) == message
