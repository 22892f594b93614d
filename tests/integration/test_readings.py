"""Meter readings through the real network: private to the household and the utility.

A meter's day travels as one signed bundle in the transient map, is stored in the
`readings` private collection of the utility and the community, and reaches the
regulator's peer only as the hash of the day's Merkle roots: enough to verify one
disclosed reading, never enough to recover another.
"""

from __future__ import annotations

import base64
import json
import uuid
from functools import partial

import pytest
from community_fixtures import (
    CHANNEL,
    DAY,
    DAY_END,
    DAY_START,
    HOUSEHOLDS,
    KEYS,
    contract,
    fresh_household,
    read_recorded,
    register,
    signed,
    submit_day,
)

from client import CommitError, EndorseError, GatewayError
from client.accesses import Access, disclosure_access, recorded
from gridspec import disclosure
from gridspec.merkle import leaf_hash
from gridspec.signed_bundle import SignedBundle
from network.connect import gateway
from network.scenario import day_readings
from network.topology import COMMUNITY, REGULATOR, UTILITY

pytestmark = pytest.mark.usefixtures("fabric_network")

H1, H2 = HOUSEHOLDS[0], HOUSEHOLDS[1]


@pytest.fixture(scope="module", autouse=True)
def metered_day():
    for household in (H1, H2):
        register(household, {"name": f"Household {household.household_id}"})
        submit_day(household)


def readings_of(org, user, household_id, peer_org=None, start=DAY_START, end=DAY_END):
    """A household's own read, or anyone else's read without an access record (refused
    by what the read checks first, or for the want of a record)."""
    with gateway(org, user, peer_org=peer_org) as gw:
        raw = contract(gw, "ReadingContract").evaluate(
            "GetReadings", args=(household_id, start, end)
        )
    return json.loads(raw)


def recorded_readings_of(org, user, household_id, peer_org=None):
    """A read by anyone but the household, its access recorded first."""
    period = (household_id, DAY_START, DAY_END)
    access = Access("readings", *period)
    with gateway(org, user, peer_org=peer_org) as gw:
        return read_recorded(gw, "ReadingContract", "GetReadings", period, access)


def values(readings):
    return [(r["interval_start"], r["import_wh"], r["export_wh"]) for r in readings]


def test_a_household_reads_its_own_day_of_readings():
    expected = day_readings(H1, DAY)
    readings = readings_of(COMMUNITY, "household1", H1.household_id)
    assert values(readings) == [
        (r["interval_start"], r["import_wh"], r["export_wh"]) for r in expected
    ]


def test_the_utility_reads_them_too_through_its_own_peer_after_recording_the_access():
    access = Access("readings", H1.household_id, DAY_START, DAY_END)
    with gateway(UTILITY, "billing1") as gw:
        readings = read_recorded(
            gw, "ReadingContract", "GetReadings", (H1.household_id, DAY_START, DAY_END), access
        )
    assert len(readings) == 96
    with pytest.raises(GatewayError) as unrecorded:
        readings_of(UTILITY, "billing1", H1.household_id)
    assert "reading the data of household h-001 leaves a record" in str(unrecorded.value)


@pytest.mark.parametrize(
    ("org", "user", "message"),
    [
        (COMMUNITY, "household2", "household h-002 may not read household h-001"),
        (
            REGULATOR,
            "auditor1",
            "caller role 'regulator' may not call GetReadings; "
            "allowed: household, operator, billing, third_party",
        ),
        (
            COMMUNITY,
            "advisor1",
            "no live consent of household h-001 lets CommunityMSP:advisor1 read readings",
        ),
    ],
    ids=["other-household", "regulator", "third-party-without-consent"],
)
def test_no_one_else_reads_a_households_readings(org, user, message):
    with pytest.raises(GatewayError) as refused:
        readings_of(org, user, H1.household_id, peer_org=COMMUNITY)
    assert message in str(refused.value)


def disclose(household, start, org=COMMUNITY, user="household1"):
    with gateway(org, user) as gw:
        raw = contract(gw, "ReadingContract").evaluate(
            "DiscloseReading", args=(household.meter_id, start)
        )
    return json.loads(raw)


def on_regulators_peer(function, *args):
    with gateway(REGULATOR, "auditor1") as gw:
        return json.loads(contract(gw, "ReadingContract").evaluate(function, args=args))


def test_the_regulators_peer_verifies_a_disclosed_reading_and_holds_no_plaintext():
    start = f"{DAY.isoformat()}T10:00:00Z"
    disclosed = disclose(H1, start)
    assert disclosed["reading"] == readings_of(COMMUNITY, "household1", H1.household_id)[40]
    verdict = on_regulators_peer("VerifyReading", json.dumps(disclosed))
    held = on_regulators_peer("GetReadingCommitment", H1.meter_id, DAY.isoformat())
    assert verdict == {"key": held["key"], "sha256": held["sha256"], "verified": True}
    assert disclosure.verify(disclosed, held["sha256"])  # offline, from the hash alone

    # the same query, run by the utility's operator on each peer: only members hold
    # plaintext, and the access records: the regulator's peer finds no record either
    with gateway(UTILITY, "operator1") as gw:
        access = Access("readings", H1.household_id, DAY_START, DAY_END)
        transient = recorded(contract(gw, "AccessContract"), access)
        for peer in (COMMUNITY, UTILITY, REGULATOR):
            ask = partial(
                contract(gw, "ReadingContract").evaluate,
                "GetReadings",
                args=(H1.household_id, DAY_START, DAY_END),
                transient=transient,
                endorsing_organizations=[peer.msp_id],
            )
            if peer is REGULATOR:
                with pytest.raises(GatewayError, match="chaincode response 403"):
                    ask()
            else:
                assert len(json.loads(ask())) == 96, peer.msp_id


def test_disclosing_one_reading_leaves_its_neighbours_unrecoverable():
    """Everything the regulator holds of the day is the roots' hash; the disclosure adds
    one reading, its salt and the path's hashes. Guessing the neighbour's every possible
    value with that salt (or none) never gives the neighbour's leaf in the path."""
    disclosed = disclose(H1, f"{DAY.isoformat()}T10:00:00Z")  # slot 40, its sibling is 41
    sibling = bytes.fromhex(disclosed["proof"]["path"][0])
    neighbour = {**disclosed["reading"], "interval_start": f"{DAY.isoformat()}T10:15:00Z"}
    for salt in (disclosed["reading"]["salt"], ""):
        for energy in range(50_001):
            for field in ("import_wh", "export_wh"):
                guess = {**neighbour, "import_wh": 0, "export_wh": 0, field: energy, "salt": salt}
                text = json.dumps(guess, sort_keys=True, separators=(",", ":")).encode()
                assert leaf_hash(text) != sibling


def test_a_changed_reading_does_not_verify():
    disclosed = disclose(H1, f"{DAY.isoformat()}T10:00:00Z")
    forged = {**disclosed, "reading": {**disclosed["reading"], "import_wh": 1}}
    forged["reading"]["import_wh"] += disclosed["reading"]["import_wh"]
    verdict = on_regulators_peer("VerifyReading", json.dumps(forged))
    assert (verdict["verified"], verdict["reason"]) == (
        False,
        "the reading does not lead to its bundle's root",
    )


def test_resubmitting_a_day_is_a_no_op_and_a_conflicting_reading_is_refused():
    again = submit_day(H1)
    assert (again["stored"], again["duplicates"]) == (0, 96)

    changed = day_readings(H1, DAY)
    changed[10] = {**changed[10], "import_wh": changed[10]["import_wh"] + 5}
    with pytest.raises(EndorseError) as refused:
        submit_day(H1, changed)
    assert f"reading of meter {H1.meter_id} at {changed[10]['interval_start']} conflicts" in str(
        refused.value
    )
    assert (
        values(readings_of(COMMUNITY, "household1", H1.household_id))[10][1]
        == (day_readings(H1, DAY)[10]["import_wh"])
    )


def test_a_bundle_not_signed_by_the_meters_device_key_is_refused():
    bundle = SignedBundle.list_from_wire(json.loads(signed(H1, day_readings(H1, DAY)[:4])))[0]
    altered = bundle.payload.replace(b"]]", b"],[95,1,0]]", 1)
    forged = SignedBundle.submission([SignedBundle(altered, bundle.signature)])
    with gateway(UTILITY, "headend1") as gw, pytest.raises(EndorseError) as refused:
        contract(gw, "ReadingContract").submit("SubmitReadings", transient={"bundles": forged})
    assert "signature does not verify with the meter's device key" in str(refused.value)
    assert base64.b64encode(altered) not in str(refused.value).encode()


def consent(function, *args):
    with gateway(COMMUNITY, "household1") as gw:
        return json.loads(contract(gw, "ConsentContract").submit(function, args=args))


def test_consent_lets_a_third_party_read_until_it_is_revoked():
    consent_id = f"advice-{uuid.uuid4().hex[:8]}"
    granted = consent(
        "GrantConsent",
        consent_id,
        "CommunityMSP:advisor1",
        "energy advice",
        DAY_START,
        DAY_END,
        "2030-01-01T00:00:00Z",
    )
    try:  # revoked whatever happens: other tests read as advisor1 without a consent
        assert granted["household_id"] == H1.household_id
        assert len(recorded_readings_of(COMMUNITY, "advisor1", H1.household_id)) == 96
        with pytest.raises(GatewayError) as outside:
            readings_of(COMMUNITY, "advisor1", H1.household_id, end="2026-03-03T00:00:00Z")
        assert "no live consent" in str(outside.value)
    finally:
        revoked_at = consent("RevokeConsent", consent_id)["revoked_at"]

    assert revoked_at is not None
    with pytest.raises(GatewayError) as revoked:
        readings_of(COMMUNITY, "advisor1", H1.household_id)
    assert "no live consent" in str(revoked.value)


def test_erasure_purges_the_plaintext_from_every_member_peer_and_keeps_the_commitments():
    household = fresh_household()
    register(household, {"name": "Leaving Household", "address": "1 Old Road"})
    submit_day(household)
    start = f"{DAY.isoformat()}T12:30:00Z"
    with gateway(UTILITY, "operator1") as gw:
        args = (household.meter_id, start)
        access = disclosure_access(household.meter_id, start)
        disclosed = read_recorded(gw, "ReadingContract", "DiscloseReading", args, access)

    with gateway(UTILITY, "operator1") as gw:
        purge = contract(gw, "MeterContract").new_proposal(
            "PurgeHousehold", args=(household.household_id, "household request")
        )
        transaction = purge.endorse()
        assert transaction.submit().status().successful
    assert json.loads(transaction.result)["meter_days_purged"] == 1

    for peer in (UTILITY, COMMUNITY, REGULATOR):
        with gateway(UTILITY, "operator1", peer_org=peer) as gw:
            gw.get_network(CHANNEL).get_commit(purge.transaction_id).status()
    for peer in (UTILITY, COMMUNITY):
        assert recorded_readings_of(UTILITY, "operator1", household.household_id, peer) == []
    verdict = on_regulators_peer("VerifyReading", json.dumps(disclosed))
    assert verdict["verified"] is True


def test_readings_need_only_the_utilitys_endorsement_but_the_meter_registry_needs_both():
    household = fresh_household()
    register(household)
    bundles = signed(household, day_readings(household, DAY)[:8])
    with gateway(UTILITY, "headend1") as gw:
        result = json.loads(
            contract(gw, "ReadingContract").submit(
                "SubmitReadings",
                transient={"bundles": bundles},
                endorsing_organizations=[UTILITY.msp_id],
            )
        )
    assert result["stored"] == 8

    other = fresh_household()
    with gateway(UTILITY, "operator1") as gw, pytest.raises(CommitError) as refused:
        contract(gw, "MeterContract").submit(
            "RegisterMeter",
            args=(
                other.meter_id,
                other.household_id,
                other.feeder,
                KEYS.public_pem(other.meter_id),
            ),
            endorsing_organizations=[UTILITY.msp_id],
        )
    assert refused.value.code_name == "ENDORSEMENT_POLICY_FAILURE"
