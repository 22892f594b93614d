"""CertificateContract over the in-memory ledger: issuance from the readings, carrying
with settled trades (whichever comes first), cancellation against consumption, and the
audit of a disclosed certificate against the readings' commitments.

h-001 sells to h-002 in an interval of 2026-02-27 (the readings of the simulated
community, ``ccommunity.day_batch``); FakeLedger's clock is 2026-03-01, so that day is over.
"""

import json
from collections import defaultdict

import pytest
from ccommunity import (
    DAY,
    HOUSEHOLD1,
    HOUSEHOLD2,
    OPERATOR,
    REGULATOR,
    TOU,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    community_ledger,
    day_batch,
    invoke,
    register,
    submit,
)

from network.scenario import community, day_readings

H1, H2 = community()[:2]
DAY_TEXT = DAY.isoformat()
TRADE_WH = 50  # h-001 exports and h-002 imports that much at once on DAY (11:15)


def ok(result):
    assert result.status == 200, result.message
    return result.json()


def exported_per_hour(household):
    hours = defaultdict(int)
    for reading in day_readings(household, DAY):
        hours[str(reading["interval_start"])[:13] + ":00:00Z"] += int(reading["export_wh"])
    return {hour: wh for hour, wh in hours.items() if wh}


def imported_per_hour(household):
    hours = defaultdict(int)
    for reading in day_readings(household, DAY):
        hours[str(reading["interval_start"])[:13] + ":00:00Z"] += int(reading["import_wh"])
    return hours


def trading_interval():
    """The first interval where h-001 exports and h-002 imports enough for the trade."""
    sold = {str(r["interval_start"]): r["export_wh"] for r in day_readings(H1, DAY)}
    bought = {str(r["interval_start"]): r["import_wh"] for r in day_readings(H2, DAY)}
    return next(i for i in sorted(sold) if sold[i] >= TRADE_WH and bought[i] >= TRADE_WH)


INTERVAL = trading_interval()
HOUR = INTERVAL[:13] + ":00:00Z"
CERT = f"gc-h-001-{HOUR[:4]}{HOUR[5:7]}{HOUR[8:10]}{HOUR[11:13]}"


@pytest.fixture
def ledger(cc):
    """h-001 and h-002 with a day of readings, a tariff; h-001 offers, h-002 bids."""
    ledger = community_ledger()
    for household in (H1, H2):
        ok(register(ledger, cc, household))
        ok(submit(ledger, cc, day_batch(household)))
    ok(invoke(ledger, cc, OPERATOR, "TariffContract:ProposeTariff", json.dumps(TOU)))
    ok(invoke(ledger, cc, REGULATOR, "TariffContract:ApproveTariff", "tou-1"))
    for n, (creator, side, price) in enumerate(((HOUSEHOLD1, "offer", 5), (HOUSEHOLD2, "bid", 40))):
        order = {
            "order_id": f"o-{n}",
            "side": side,
            "interval_start": INTERVAL,
            "energy_wh": TRADE_WH,
            "price_per_kwh": price,
            "salt": f"certificate-test-salt-{n}-0123456789",
        }
        transient = {"order": canonical(order)}
        ok(invoke(ledger, cc, creator, "MarketContract:PlaceOrder", transient=transient))
    ok(invoke(ledger, cc, OPERATOR, "MarketContract:ClearInterval", INTERVAL))
    return ledger


def issue(ledger, cc, household="h-001", day=DAY_TEXT, creator=OPERATOR):
    return invoke(ledger, cc, creator, "CertificateContract:IssueCertificates", household, day)


def settle(ledger, cc):
    return ok(invoke(ledger, cc, OPERATOR, "MarketContract:SettleInterval", INTERVAL))


def listed(ledger, cc, creator):
    following = DAY.replace(day=DAY.day + 1).isoformat()
    return ok(
        invoke(
            ledger, cc, creator, "CertificateContract:ListCertificates", DAY.isoformat(), following
        )
    )


def holding(ledger, cc, creator, hour=HOUR):
    found = [h for h in listed(ledger, cc, creator)["holdings"] if h["hour"] == hour]
    return found[0] if found else None


def test_the_operator_issues_a_households_certificates_from_its_readings(cc, ledger):
    expected = exported_per_hour(H1)
    summary = ok(issue(ledger, cc))
    assert (summary["issued"], summary["volume_wh"]) == (len(expected), sum(expected.values()))
    issued = listed(ledger, cc, HOUSEHOLD1)["issued"]
    assert {c["hour"]: c["volume_wh"] for c in issued} == expected
    assert all(c["meters"] == [H1.meter_id] and "salt" not in c for c in issued)
    # the producer holds every certificate until energy carries it away
    assert holding(ledger, cc, HOUSEHOLD1)["parts"] == {CERT: expected[HOUR]}


def test_issuing_again_issues_nothing_and_writes_nothing(cc, ledger):
    ok(issue(ledger, cc))
    again = issue(ledger, cc)
    assert again.json()["issued"] == 0
    assert not again.stub.private_writes and not again.stub.writes


@pytest.mark.parametrize(
    ("creator", "day", "message"),
    [
        (HOUSEHOLD1, DAY.isoformat(), "may not call IssueCertificates"),
        (OPERATOR, "2026-03-01", "day 2026-03-01 is not over yet"),
        (OPERATOR, "2026-02-30", "2026-02-30"),
    ],
)
def test_only_the_operator_issues_and_only_for_days_that_are_over(
    cc, ledger, creator, day, message
):
    result = issue(ledger, cc, day=day, creator=creator)
    assert result.status != 200 and message in result.message


def test_a_trade_settled_before_issuance_carries_its_certificate_at_issuance(cc, ledger):
    settle(ledger, cc)
    ok(issue(ledger, cc))
    assert holding(ledger, cc, HOUSEHOLD2)["parts"] == {CERT: TRADE_WH}
    produced = exported_per_hour(H1)[HOUR]
    assert holding(ledger, cc, HOUSEHOLD1)["parts"] == {CERT: produced - TRADE_WH}


def test_a_trade_settled_after_issuance_carries_its_certificate_at_settlement(cc, ledger):
    ok(issue(ledger, cc))
    settle(ledger, cc)
    assert holding(ledger, cc, HOUSEHOLD2)["parts"] == {CERT: TRADE_WH}
    # issuing again carries nothing twice
    ok(issue(ledger, cc))
    assert holding(ledger, cc, HOUSEHOLD2)["parts"] == {CERT: TRADE_WH}


def test_the_buyer_cancels_what_it_holds_against_its_consumption_once(cc, ledger):
    settle(ledger, cc)
    ok(issue(ledger, cc))
    done = ok(invoke(ledger, cc, HOUSEHOLD2, "CertificateContract:CancelCertificates", str(DAY)))
    consumed = imported_per_hour(H2)[HOUR]
    [hour] = done["hours"]
    assert (hour["hour"], hour["consumed_wh"]) == (HOUR, consumed)
    assert hour["cancelled_wh"] == min(consumed, TRADE_WH)
    assert hour["parts"] == [[CERT, min(consumed, TRADE_WH)]]
    kept = holding(ledger, cc, HOUSEHOLD2)
    assert kept["cancellation"]["cancelled_wh"] == hour["cancelled_wh"]
    assert kept["parts"] == ({CERT: TRADE_WH - consumed} if consumed < TRADE_WH else {})
    again = ok(invoke(ledger, cc, HOUSEHOLD2, "CertificateContract:CancelCertificates", str(DAY)))
    assert again["hours"] == []
    assert holding(ledger, cc, HOUSEHOLD2) == kept


def test_a_household_lists_only_its_own_certificates(cc, ledger):
    settle(ledger, cc)
    ok(issue(ledger, cc))
    mine = listed(ledger, cc, HOUSEHOLD2)
    assert mine["household_id"] == "h-002" and mine["issued"] == []
    assert [h["hour"] for h in mine["holdings"]] == [HOUR]
    refused = invoke(ledger, cc, OPERATOR, "CertificateContract:ListCertificates", "a", "b")
    assert "may not call ListCertificates" in refused.message


def disclosures(ledger, cc):
    """h-001's readings of HOUR, each disclosed with its proof (DiscloseReading)."""
    starts = [str(r["interval_start"]) for r in day_readings(H1, DAY)]
    return [
        ok(invoke(ledger, cc, HOUSEHOLD1, "ReadingContract:DiscloseReading", H1.meter_id, s))
        for s in starts
        if s.startswith(HOUR[:13])
    ]


def audit(ledger, cc, certificate, readings):
    body = json.dumps({"certificate": certificate, "readings": readings})
    return ok(invoke(ledger, cc, REGULATOR, "CertificateContract:AuditCertificate", body))


def test_the_regulator_audits_a_disclosed_certificate_against_the_readings(cc, ledger):
    ok(issue(ledger, cc))
    disclosed = ok(invoke(ledger, cc, HOUSEHOLD1, "CertificateContract:DiscloseCertificate", CERT))
    readings = disclosures(ledger, cc)
    verdict = audit(ledger, cc, disclosed, readings)
    assert verdict == {
        "certificate_id": CERT,
        "verified": True,
        "exported_wh": exported_per_hour(H1)[HOUR],
        "readings": len(readings),
    }
    short = audit(ledger, cc, disclosed, readings[1:])
    assert not short["verified"] and "the readings prove" in short["reason"]
    inflated = {**disclosed, "certificate": {**disclosed["certificate"], "volume_wh": 10**6}}
    assert audit(ledger, cc, inflated, readings)["reason"] == (
        "the certificate is not one the ledger issued"
    )
    twice = audit(ledger, cc, disclosed, [*readings, readings[0]])
    assert not twice["verified"]


def test_only_its_producer_or_the_operator_discloses_a_certificate(cc, ledger):
    ok(issue(ledger, cc))
    refused = invoke(ledger, cc, HOUSEHOLD2, "CertificateContract:DiscloseCertificate", CERT)
    assert refused.message.endswith(f"household h-002 may not disclose {CERT}")
    assert ok(invoke(ledger, cc, OPERATOR, "CertificateContract:DiscloseCertificate", CERT))
    missing = invoke(ledger, cc, HOUSEHOLD1, "CertificateContract:DiscloseCertificate", "gc-x")
    assert "is not gc-<household>-<YYYYMMDDHH>" in missing.message
