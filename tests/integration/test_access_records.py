"""Access records on the real network, through each org's API: who read h-001's data.

The utility's operator and billing read h-001's readings and billing its invoice, and
advisor1 reads them under a consent, all through their org's API (which records each
access before the read). Then household1 lists its access records and finds each
read (reader, kind, period) and no reading value in any; household2 may not list them;
the regulator's counts rose by exactly the reads made. A raw evaluation of GetReadings
by the operator with no record is refused by the peer.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_client import ROLES, SUNNYSIDE, Api, api_session, assert_error
from community_fixtures import (
    DAY_END,
    DAY_START,
    HOUSEHOLDS,
    approved_tariff,
    contract,
    register,
    submit_day,
)

from client import GatewayError
from network.connect import gateway
from network.topology import REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

H1 = HOUSEHOLDS[0]  # h-001
HOUSEHOLD, HOUSEHOLD2 = ROLES["household"], ROLES["household2"]
OPERATOR, BILLING, AUDITOR = ROLES["operator"], ROLES["billing"], ROLES["regulator"]
ADVISOR = ROLES["third_party"]
# a day no other test bills h-001 for (the access matrix bills 2026-02-14 from its own
# readings, and would find an invoice of other inputs)
INVOICE_DAY, INVOICE_END = "2026-02-09", "2026-02-10"
FMT = "%Y-%m-%dT%H:%M:%SZ"
RECORD_FIELDS = {
    "household_id",
    "reader",
    "reader_role",
    "reader_org",
    "kind",
    "subject",
    "start",
    "end",
    "consent_id",
    "recorded_at",
    "tx_id",
}


def around_now() -> dict[str, str]:
    """A period of recorded_at holding this run's records: yesterday to tomorrow."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "start": (today - timedelta(days=1)).strftime(FMT),
        "end": (today + timedelta(days=2)).strftime(FMT),
    }


def counts(api: Api) -> Counter[tuple[str, str, str]]:
    body = api.ok("GET", f"{SUNNYSIDE}/accesses/counts", AUDITOR, 200, query_string=around_now())
    assert "h-001" not in json.dumps(body)
    tally = Counter(
        {(c["reader_msp"], c["reader_role"], c["kind"]): c["count"] for c in body["counts"]}
    )
    assert sum(tally.values()) == body["total"]
    return tally


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with api_session() as session:
        yield session


@pytest.fixture(scope="module")
def reads(api: Api) -> Iterator[dict[str, Any]]:
    """h-001 metered on DAY, its invoice of INVOICE_DAY issued, advisor1's consent live;
    then the four reads, with the regulator's counts taken before and after."""
    register(H1)
    submit_day(H1)
    with gateway(REGULATOR, "auditor1") as gw:
        evidence = contract(gw, "BillingContract")
        try:
            evidence.evaluate("GetInvoiceEvidence", args=("h-001", INVOICE_DAY, INVOICE_END))
        except GatewayError:
            approved_tariff()
            with gateway(UTILITY, "billing1") as billing:
                contract(billing, "BillingContract").submit(
                    "GenerateInvoice", args=("h-001", INVOICE_DAY, INVOICE_END)
                )
    consent_id = f"access-records-{uuid.uuid4().hex[:8]}"
    expires = (datetime.now(UTC) + timedelta(minutes=30)).strftime(FMT)
    consent = {
        "consent_id": consent_id,
        "grantee": ADVISOR.grantee,
        "purpose": "access records test",
        "data_from": DAY_START,
        "data_to": DAY_END,
        "expires_at": expires,
    }
    api.ok("POST", f"{SUNNYSIDE}/consents", HOUSEHOLD, 201, json=consent)
    try:  # the consent goes, whatever happens: other tests read as advisor1 without one
        before = counts(api)
        window = {"start": DAY_START, "end": DAY_END}
        readings = f"{SUNNYSIDE}/households/h-001/readings"
        invoice = f"{SUNNYSIDE}/households/h-001/invoices/{INVOICE_DAY}/{INVOICE_END}"
        read = {
            "operator": api.ok("GET", readings, OPERATOR, 200, query_string=window),
            "billing": api.ok("GET", readings, BILLING, 200, query_string=window),
            "invoice": api.ok("GET", invoice, BILLING, 200),
            "advisor": api.ok("GET", readings, ADVISOR, 200, query_string=window),
        }
        yield {"before": before, "after": counts(api), "read": read, "consent_id": consent_id}
    finally:
        api.ok("DELETE", f"{SUNNYSIDE}/consents/{consent_id}", HOUSEHOLD, 200)


def listed(api: Api, role: Any = HOUSEHOLD) -> Any:
    return api.call(
        "GET",
        f"{SUNNYSIDE}/households/h-001/accesses",
        role,
        query_string={**around_now(), "per_page": 500},
    )


def test_every_reader_read_through_its_api(reads: dict[str, Any]) -> None:
    for who in ("operator", "billing", "advisor"):
        assert reads["read"][who]["total"] == 96, who
    assert reads["read"]["invoice"]["period_start"] == INVOICE_DAY


def test_the_household_lists_each_read_and_no_reading_value(
    api: Api, reads: dict[str, Any]
) -> None:
    response = listed(api)
    assert response.status_code == 200, response.get_json()
    records = response.get_json()["items"]
    seen = {(r["reader"], r["kind"], r["start"], r["end"], r["consent_id"]) for r in records}
    invoice_period = (f"{INVOICE_DAY}T00:00:00Z", f"{INVOICE_END}T00:00:00Z")
    assert {
        (OPERATOR.grantee, "readings", DAY_START, DAY_END, None),
        (BILLING.grantee, "readings", DAY_START, DAY_END, None),
        (BILLING.grantee, "invoice", *invoice_period, None),
        (ADVISOR.grantee, "readings", DAY_START, DAY_END, reads["consent_id"]),
    } <= seen
    assert [r["recorded_at"] for r in records] == sorted(
        (r["recorded_at"] for r in records), reverse=True
    )
    for record in records:
        assert set(record) == RECORD_FIELDS, record
        assert record["household_id"] == "h-001"
    text = json.dumps(records)
    assert "import_wh" not in text and "export_wh" not in text and "salt" not in text


def test_another_household_may_not_list_them(api: Api, reads: dict[str, Any]) -> None:
    assert_error(
        listed(api, HOUSEHOLD2), 403, "household h-002 may not read the accesses of household h-001"
    )


def test_the_regulators_counts_rose_by_exactly_the_reads_made(reads: dict[str, Any]) -> None:
    rose = reads["after"] - reads["before"]
    assert rose == Counter(
        {
            ("UtilityMSP", "operator", "readings"): 1,
            ("UtilityMSP", "billing", "readings"): 1,
            ("UtilityMSP", "billing", "invoice"): 1,
            ("CommunityMSP", "third_party", "readings"): 1,
        }
    )


def test_the_peer_refuses_a_read_without_a_record(reads: dict[str, Any]) -> None:
    with gateway(UTILITY, "operator1") as gw, pytest.raises(GatewayError) as refused:
        contract(gw, "ReadingContract").evaluate("GetReadings", args=("h-001", DAY_START, DAY_END))
    assert "chaincode response 403" in str(refused.value)
    assert "reading the data of household h-001 leaves a record" in str(refused.value)
