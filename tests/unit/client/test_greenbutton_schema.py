"""client.greenbutton's export validates against the official ESPI 3.3 and 4.0 schemas.

The schemas are NAESB's, as the Green Button Alliance publishes them
(``data/espi/SOURCE.md``). Their ``atom.xsd`` imports the ``xml:`` namespace from the
W3C's site; a wrapper schema imports the local copy of it first, so nothing is
fetched.
"""

from pathlib import Path

import pytest
from lxml import etree

from client.greenbutton import export_invoice, export_readings, import_readings

DATA = Path(__file__).parent / "data"
ESPI = DATA / "espi"
VERSIONS = ["3.3", "4.0"]


def schema(version: str) -> etree.XMLSchema:
    imports = [
        ("http://www.w3.org/XML/1998/namespace", ESPI / "xml.xsd"),
        ("http://www.w3.org/2005/Atom", ESPI / version / "atom.xsd"),
        ("http://naesb.org/espi", ESPI / version / "espi.xsd"),
    ]
    wrapper = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{}</xs:schema>'.format(
        "".join(
            f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>'
            for ns, path in imports
        )
    )
    return etree.XMLSchema(etree.fromstring(wrapper, etree.XMLParser(no_network=True)))


SCHEMAS = {version: schema(version) for version in VERSIONS}


def assert_valid(xml: bytes, version: str) -> None:
    checker = SCHEMAS[version]
    ok = checker.validate(etree.fromstring(xml))
    assert ok, [f"{e.line}: {e.message}" for e in checker.error_log][:5]


def sample_readings(name: str) -> tuple[list[dict[str, object]], dict[str, object] | None]:
    (meter,) = import_readings((DATA / "greenbutton" / name).read_bytes(), "m-1", ignore_cost=True)
    return meter.readings, meter.local_time


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["test_usage_data_01.xml", "test_usage_data_11.xml"])
def test_an_export_of_a_samples_readings_is_valid(version: str, name: str) -> None:
    # quality (ReadingQuality) and LocalTimeParameters included
    readings, local_time = sample_readings(name)
    feed = export_readings(
        readings, household_id="h-1", meter_id="m-1", title="m-1", local_time=local_time
    )
    assert_valid(feed, version)
    assert (b"<ReadingQuality>" in feed) == any("quality" in r for r in readings)
    assert b"<LocalTimeParameters" in feed


@pytest.mark.parametrize("version", VERSIONS)
def test_an_export_without_local_time_or_quality_is_valid(version: str) -> None:
    readings = [
        {
            "interval_start": "2026-03-01T00:00:00Z",
            "interval_minutes": 60,
            "import_wh": 5,
            "export_wh": 7,
            "salt": "s",
            "meter_id": "m-1",
        },
    ]
    assert_valid(
        export_readings(readings, household_id="h-1", meter_id="m-1", title="m-1"), version
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_link_has_a_type_and_the_33_schema_would_say_so(version: str) -> None:
    readings, _ = sample_readings("test_usage_data_01.xml")
    feed = export_readings(readings, household_id="h-1", meter_id="m-1", title="m-1")
    stripped = feed.replace(b' type="espi-entry/UsagePoint"', b"", 1)
    assert SCHEMAS[version].validate(etree.fromstring(stripped)) is (version == "4.0")


@pytest.mark.parametrize("version", VERSIONS)
def test_an_invoice_export_is_valid(version: str) -> None:
    invoice = {
        "household": "h-1",
        "period_start": "2026-03-01",
        "period_end": "2026-04-01",
        "tariff_id": "t-1",
        "currency": "EUR",
        "inputs_hash": "abc",
        "lines": [
            {
                "code": "grid_import",
                "description": "grid energy",
                "quantity_wh": 120_000,
                "unit_price_per_kwh": 25,
                "amount": 300,
            },
            {
                "code": "fixed_charge",
                "description": "standing charge",
                "quantity_wh": 0,
                "unit_price_per_kwh": None,
                "amount": 500,
            },
        ],
    }
    assert_valid(export_invoice(invoice, household_id="h-1"), version)
