"""The Green Button Alliance's published sample files, through the utility's API, on the
real network: the head-end turns a feed into day payloads, signs them with its meters'
keys, posts them, and the household's readings match the file interval by interval.

The samples (``tests/unit/client/data/greenbutton``, see its SOURCE.md) date from 2012,
long past the 24-month retention, so the ledger refuses them as they are, with a message
saying why; shifted by a whole number of days into last week (which keeps every
interval's alignment) they import, with equal totals.
"""

from __future__ import annotations

import base64
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_client import ROLES, SUNNYSIDE, Api, api_session, assert_error
from community_fixtures import KEYS

from client.bundles import sign_bundle
from network.scenario import Household, community

pytestmark = pytest.mark.usefixtures("fabric_network")

OPERATOR, METER = ROLES["operator"], ROLES["meter"]
SAMPLES = Path(__file__).parents[1] / "unit" / "client" / "data" / "greenbutton"
ESPI = "{http://naesb.org/espi}"
XML = "application/atom+xml"
FMT = "%Y-%m-%dT%H:%M:%SZ"


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


def registered(api: Api) -> Household:
    tag = uuid.uuid4().hex[:8]
    household = replace(community()[3], household_id=f"h-gb{tag}", meter_id=f"m-gb{tag}")
    meter = {
        "meter_id": household.meter_id,
        "household_id": household.household_id,
        "feeder": household.feeder,
        "device_public_key": KEYS.public_pem(household.meter_id),
    }
    api.ok("POST", f"{SUNNYSIDE}/meters", OPERATOR, 201, json=meter)
    return household


def shifted(xml: bytes, days: int) -> bytes:
    """The feed with every time moved by `days` whole days (times are epoch seconds)."""
    delta = days * 86400
    return re.sub(
        rb"<start>(\d+)</start>",
        lambda m: b"<start>%d</start>" % (int(m.group(1)) + delta),
        xml,
    )


def expected_imports(xml: bytes) -> dict[str, int]:
    """{interval start: Wh} straight from the file: each IntervalReading's value times
    10^powerOfTenMultiplier (Wh files), independent of the importer."""
    root = ET.fromstring(xml)
    multiplier = int(root.findtext(f".//{ESPI}ReadingType/{ESPI}powerOfTenMultiplier") or "0")
    assert root.findtext(f".//{ESPI}ReadingType/{ESPI}uom") == "72"  # Wh
    found = {}
    for reading in root.iter(f"{ESPI}IntervalReading"):
        start = int(reading.findtext(f"{ESPI}timePeriod/{ESPI}start") or "")
        moment = datetime.fromtimestamp(start, UTC).strftime(FMT)
        found[moment] = int(reading.findtext(f"{ESPI}value") or "") * 10**multiplier
    return found


def payloads(api: Api, xml: bytes, meter_id: str) -> list[dict[str, Any]]:
    body = api.ok(
        "POST",
        f"{SUNNYSIDE}/readings/green-button/payloads",
        METER,
        200,
        query_string={"meter": meter_id, "ignore": "cost"},
        data=xml,
        content_type=XML,
    )
    found: list[dict[str, Any]] = body["payloads"]
    return found


def signed(meter_id: str, made: list[dict[str, Any]]) -> dict[str, Any]:
    """What the head-end posts: each payload exactly as the API made it, signed."""
    key = KEYS.provision(meter_id)
    return {"bundles": [sign_bundle(key, base64.b64decode(p["payload"])).wire() for p in made]}


@pytest.mark.parametrize("sample", ["test_usage_data_01.xml", "test_usage_data_11.xml"])
def test_a_sample_file_is_refused_as_too_old_then_imports_with_equal_totals(
    api: Api, sample: str
) -> None:
    household = registered(api)
    original = (SAMPLES / sample).read_bytes()
    old = payloads(api, original, household.meter_id)
    assert_error(
        api.post(f"{SUNNYSIDE}/readings", METER, json=signed(household.meter_id, old)),
        400,
        "older than the 24-month retention period",
    )

    first = min(expected_imports(original))
    days = (datetime.now(UTC) - datetime.strptime(first, FMT).replace(tzinfo=UTC)).days - 7
    recent = shifted(original, days)
    expected = expected_imports(recent)
    made = payloads(api, recent, household.meter_id)
    assert sum(p["readings"] for p in made) == len(expected)
    stored = api.ok(
        "POST", f"{SUNNYSIDE}/readings", METER, 201, json=signed(household.meter_id, made)
    )
    assert (stored["stored"], stored["duplicates"]) == (len(expected), 0)

    last = datetime.strptime(max(expected), FMT) + timedelta(hours=1)
    query = {"start": min(expected), "end": last.strftime(FMT), "per_page": 500}
    page = api.ok(
        "GET",
        f"{SUNNYSIDE}/households/{household.household_id}/readings",
        OPERATOR,
        200,
        query_string=query,
    )
    assert {r["interval_start"]: r["import_wh"] for r in page["items"]} == expected
    assert sum(r["import_wh"] for r in page["items"]) == sum(expected.values())
