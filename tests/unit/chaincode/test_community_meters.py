"""MeterContract over the in-memory ledger: the registry, access, erasure.

The meters and readings are those of the simulated community (``network.scenario``),
their device keys drawn at random for the run (``ccommunity.KEYS``). FakeLedger stamps
its n-th transaction T0 + n minutes (2026-03-01T09:30Z + n), so full days of readings
are taken from 2026-02-27. Readings themselves: ``test_community_readings.py``.
"""

import copy
import dataclasses
import json
from datetime import timedelta

import pytest
from ccfakes import FakeLedger, identity, make_cert_pem
from ccommunity import (
    AUDITOR,
    BILLING,
    DAY,
    DAY_END,
    DAY_START,
    HEAD_END,
    HOUSEHOLD1,
    HOUSEHOLD2,
    KEYS,
    NO_ROLE,
    OPERATOR,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    day_batch,
    invoke,
    keyed,
    next_tx_time,
    recorded_read,
    register,
    salted,
    stamp,
    submit,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from network.scenario import community

H1, H2, H3 = community()[:3]
PERSONAL = {"name": "Ada Lovelace", "address": "1 Sunnyside Row", "email": "ada@example.org"}
DEEP = "[" * 100_000 + "]" * 100_000  # nested deeper than the JSON decoder can recurse

ALL_ROLES = "household, operator, billing, third_party"
DENIED = {
    "community": "caller from CommunityMSP (community) may not call {tx}; allowed: utility",
    "regulator": "caller from RegulatorMSP (regulator) may not call {tx}; allowed: utility",
}


@pytest.fixture
def registered(cc):
    """H1 and H2 registered with personal details, no readings yet (the key salt set)."""
    ledger = salted(FakeLedger())
    for household in (H1, H2):
        assert register(ledger, cc, household, PERSONAL).status == 200
    return ledger


@pytest.fixture
def metered(cc, registered):
    """As `registered`, with one full day (DAY) of readings of each meter."""
    for household in (H1, H2):
        assert submit(registered, cc, day_batch(household)).status == 200
    return registered


def get_readings(ledger, cc, creator, household_id="h-001", start=DAY_START, end=DAY_END):
    """GetReadings as its client calls it: anyone but a household records the access first."""
    args = ("ReadingContract:GetReadings", household_id, start, end)
    return recorded_read(ledger, cc, creator, ("readings", household_id, start, end), *args)


def stored(household, readings, salt):
    """The records the readings collection keeps (and GetReadings returns) for *readings*."""
    return [{**r, "meter_id": household.meter_id, "salt": salt} for r in readings]


def snapshot(ledger):
    return copy.deepcopy(
        (ledger.state, ledger.private, ledger.private_hashes, ledger.private_history)
    )


def public_pem(private_key):
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


# --- RegisterMeter ---------------------------------------------------------------------


def test_an_operator_registers_a_meter_and_personal_details_stay_in_the_collection(cc):
    ledger = FakeLedger()
    result = register(ledger, cc, H1, PERSONAL)
    assert result.status == 200, result.message
    record = result.json()
    assert record == {
        "meter_id": "m-001",
        "household_id": "h-001",
        "feeder": H1.feeder,
        "device_public_key": KEYS.public_pem(H1.meter_id),
        "status": "active",
        "registered_at": "2026-03-01T09:31:00Z",
        "registered_by": "operator1",
        "tx_id": "tx-1",
    }
    assert ledger.state == {
        "meter~m-001": canonical(record),
        "hhmeter~h-001~m-001": canonical({"meter_id": "m-001"}),
    }
    assert ledger.private == {"households": {"household~h-001": canonical(PERSONAL)}}
    event = canonical({"meter_id": "m-001", "household_id": "h-001", "feeder": H1.feeder})
    assert ledger.events == [("MeterRegistered", event)]
    public = [*ledger.state.values(), *(payload for _, payload in ledger.events)]
    for detail in PERSONAL.values():
        assert not any(detail.encode() in value for value in public), detail

    read = invoke(ledger, cc, AUDITOR, "MeterContract:GetMeter", "m-001")
    assert read.json() == record


def test_personal_details_are_optional(cc):
    ledger = FakeLedger()
    assert register(ledger, cc, H1).status == 200
    assert ledger.private == {}


def test_registering_the_same_meter_again_writes_nothing_public(cc, registered):
    first = invoke(registered, cc, AUDITOR, "MeterContract:GetMeter", "m-001")
    again = register(registered, cc, H1)
    assert (again.status, again.payload) == (200, first.payload)
    assert (again.stub.writes, again.stub.private_writes) == ({}, {})


@pytest.mark.parametrize(
    "changes",
    [
        {"household_id": "h-002"},
        {"feeder": "F-9"},
        {"device_public_key": KEYS.public_pem(H2.meter_id)},
    ],
    ids=["household", "feeder", "device-key"],
)
def test_registering_a_meter_again_with_other_values_is_refused(cc, registered, changes):
    before = snapshot(registered)
    result = register(registered, cc, H1, **changes)
    assert (result.status, result.message) == (500, "meter m-001 is already registered")
    assert snapshot(registered) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"meter_id": "m 001"},
            "meter id 'm 001' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        ({"meter_id": ""}, "meter id '' is invalid: use 1-64 letters, digits, '.', '_' or '-'"),
        (
            {"meter_id": "m" * 65},
            f"meter id '{'m' * 65}' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        (
            {"meter_id": "-m1"},
            "meter id '-m1' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        (
            {"household_id": "001"},
            "household id '001' is invalid: use h- and up to 62 letters, digits, '.', '_' or '-'",
        ),
        (
            {"household_id": "h-"},
            "household id 'h-' is invalid: use h- and up to 62 letters, digits, '.', '_' or '-'",
        ),
        (
            {"household_id": "h-a~b"},
            "household id 'h-a~b' is invalid: use h- and up to 62 letters, digits, '.', '_' or '-'",
        ),
        ({"feeder": "F 1"}, "meter m-001: feeder 'F 1' is invalid"),
        ({"feeder": ""}, "meter m-001: feeder '' is invalid"),
        ({"device_public_key": "not a key"}, "device public key must be a PEM public key"),
        (
            {"device_public_key": make_cert_pem().decode()},
            "device public key must be a PEM public key",
        ),
        (
            {"device_public_key": public_pem(ec.generate_private_key(ec.SECP384R1()))},
            "device public key must be an ECDSA P-256 key",
        ),
        (
            {"device_public_key": public_pem(ed25519.Ed25519PrivateKey.generate())},
            "device public key must be an ECDSA P-256 key",
        ),
    ],
    ids=[
        "meter-space",
        "meter-empty",
        "meter-too-long",
        "meter-leading-dash",
        "household-no-prefix",
        "household-empty-suffix",
        "household-tilde",
        "feeder-space",
        "feeder-empty",
        "key-not-pem",
        "key-is-a-certificate",
        "key-p384",
        "key-ed25519",
    ],
)
def test_invalid_registrations_are_refused_with_the_exact_reason(cc, changes, message):
    ledger = FakeLedger()
    result = register(ledger, cc, H1, PERSONAL, **changes)
    assert (result.status, result.message) == (500, message)
    assert (ledger.state, ledger.private) == ({}, {})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "transient 'household' must be a JSON object"),
        (b"\xff\xfe", "transient 'household' must be a JSON object"),
        (b"{}", "transient 'household' must be a non-empty JSON object"),
        (b'["Ada"]', "transient 'household' must be a non-empty JSON object"),
        (
            canonical({"name": "Ada", "iban": "X", "birthday": "1815"}),
            "household h-001: unknown personal fields birthday, iban",
        ),
        (canonical({"name": ""}), "household h-001: name must be text of 1 to 200 characters"),
        (
            canonical({"phone": 5551234}),
            "household h-001: phone must be text of 1 to 200 characters",
        ),
        (
            canonical({"name": "Ada", "address": "x" * 201}),
            "household h-001: address must be text of 1 to 200 characters",
        ),
        (DEEP.encode(), "transient 'household' is nested too deeply"),
    ],
    ids=[
        "not-json",
        "not-utf8",
        "empty",
        "list",
        "unknown-fields",
        "empty-name",
        "number",
        "too-long",
        "nested-100000-deep",
    ],
)
def test_personal_details_are_validated(cc, raw, message):
    ledger = FakeLedger()
    args = (H1.meter_id, H1.household_id, H1.feeder, KEYS.public_pem(H1.meter_id))
    result = invoke(
        ledger, cc, OPERATOR, "MeterContract:RegisterMeter", *args, transient={"household": raw}
    )
    assert (result.status, result.message) == (500, message)
    assert (ledger.state, ledger.private) == ({}, {})


# --- access: role x transaction ----------------------------------------------------------


def call(ledger, cc, creator, transaction):
    """Call *transaction* with arguments that are valid, so only access can refuse it."""
    if transaction == "RegisterMeter":
        return register(ledger, cc, H3, PERSONAL, creator=creator)
    if transaction == "SubmitReadings":
        return submit(ledger, cc, day_batch(H1, DAY - timedelta(days=1)), creator=creator)
    if transaction == "PurgeHousehold":
        args = ("h-001", "household request")
        return invoke(ledger, cc, creator, "MeterContract:PurgeHousehold", *args)
    return get_readings(ledger, cc, creator)


CREATORS = {  # name: (creator, its role attribute)
    "household": (HOUSEHOLD1, "household"),
    "community-operator": (identity("CommunityMSP", "operator"), "operator"),
    "community-meter": (identity("CommunityMSP", "meter"), "meter"),
    "regulator": (AUDITOR, "regulator"),
    "regulator-operator": (identity("RegulatorMSP", "operator"), "operator"),
    "regulator-meter": (identity("RegulatorMSP", "meter"), "meter"),
    "operator": (OPERATOR, "operator"),
    "billing": (BILLING, "billing"),
    "head-end": (HEAD_END, "meter"),
    "no-role": (NO_ROLE, None),
}
ROLE = "caller role '{role}' may not call {tx}; allowed: {allowed}"
NO_ROLE_MESSAGE = "caller without a role may not call {tx}; allowed: {allowed}"
REFUSED = [
    ("household", "RegisterMeter", DENIED["community"]),
    ("community-operator", "RegisterMeter", DENIED["community"]),
    ("regulator-operator", "RegisterMeter", DENIED["regulator"]),
    ("billing", "RegisterMeter", ROLE),
    ("head-end", "RegisterMeter", ROLE),
    ("no-role", "RegisterMeter", NO_ROLE_MESSAGE),
    ("operator", "SubmitReadings", ROLE),
    ("billing", "SubmitReadings", ROLE),
    ("no-role", "SubmitReadings", NO_ROLE_MESSAGE),
    ("household", "SubmitReadings", DENIED["community"]),
    ("community-meter", "SubmitReadings", DENIED["community"]),
    ("regulator-meter", "SubmitReadings", DENIED["regulator"]),
    ("head-end", "PurgeHousehold", ROLE),
    ("billing", "PurgeHousehold", ROLE),
    ("household", "PurgeHousehold", DENIED["community"]),
    ("regulator", "PurgeHousehold", DENIED["regulator"]),
    ("regulator", "GetReadings", ROLE),
    ("head-end", "GetReadings", ROLE),
    ("no-role", "GetReadings", NO_ROLE_MESSAGE),
]
ALLOWED = {
    "RegisterMeter": "operator",
    "SubmitReadings": "meter",
    "PurgeHousehold": "operator",
    "GetReadings": ALL_ROLES,
}


@pytest.mark.parametrize(
    ("who", "transaction", "message"),
    [pytest.param(*row, id=f"{row[0]}-{row[1]}") for row in REFUSED],
)
def test_callers_outside_the_role_table_are_refused(cc, metered, who, transaction, message):
    creator, role = CREATORS[who]
    expected = message.format(tx=transaction, role=role, allowed=ALLOWED[transaction])
    before = snapshot(metered)
    result = call(metered, cc, creator, transaction)
    assert (result.status, result.message) == (500, expected)
    assert snapshot(metered) == before


# --- PurgeHousehold --------------------------------------------------------------------


def purge(ledger, cc, household_id="h-001", reason="household request", creator=OPERATOR):
    return invoke(ledger, cc, creator, "MeterContract:PurgeHousehold", household_id, reason)


H1_CONSENT_KEYS = {keyed("consent", "h-001", "c-1"), keyed("consentidx", "h-001")}


def of_h1(collection_key):
    """Whether a (collection, key) belongs to household h-001 or its meter m-001 (the
    consent's keyed names included)."""
    _, key = collection_key
    return "h-001" in key or "m-001" in key or key in H1_CONSENT_KEYS


def disclose(ledger, cc, start, creator=HOUSEHOLD1, meter_id="m-001"):
    return invoke(ledger, cc, creator, "ReadingContract:DiscloseReading", meter_id, start)


def verify(ledger, cc, disclosure, creator=AUDITOR):
    return invoke(ledger, cc, creator, "ReadingContract:VerifyReading", json.dumps(disclosure))


def test_purging_a_household_erases_its_private_data_and_keeps_the_commitments(cc, metered):
    assert submit(metered, cc, day_batch(H1, DAY - timedelta(days=1))).status == 200
    grant = (
        "c-1",
        "CommunityMSP:advisor1",
        "energy advice",
        DAY_START,
        DAY_END,
        "2026-04-01T00:00:00Z",
    )
    assert invoke(metered, cc, HOUSEHOLD1, "ConsentContract:GrantConsent", *grant).status == 200
    disclosed = disclose(metered, cc, "2026-02-27T10:00:00Z").json()
    earlier = get_readings(metered, cc, OPERATOR, start="2026-02-26T00:00:00Z").json()
    assert len(earlier) == 192
    roots = {k: v for k, v in metered.private["readings"].items() if k.startswith("roots~m-001")}
    assert sorted(roots) == ["roots~m-001~2026-02-26", "roots~m-001~2026-02-27"]
    h2_before = {
        (collection, key): value
        for collection, values in metered.private.items()
        for key, value in values.items()
        if not of_h1((collection, key))
    }
    history = {key for (_, key) in filter(of_h1, metered.private_history)}
    assert history >= {"household~h-001", *H1_CONSENT_KEYS}
    assert history >= {"meterday~m-001~2026-02-26", "meterday~m-001~2026-02-27"}

    result = purge(metered, cc)
    assert result.status == 200, result.message
    record = {
        "household_id": "h-001",
        "reason": "household request",
        "meter_days_purged": 2,
        "erased_at": stamp(next_tx_time(metered) - timedelta(minutes=1)),
        "erased_by": "operator1",
        "tx_id": result.stub.tx_id,
    }
    assert result.json() == record
    assert metered.state["erasure~h-001"] == canonical(record)
    assert metered.events[-1] == ("HouseholdErased", canonical(record))

    # gone from the collections and their history, but for the day roots
    remaining = {
        (collection, key) for collection, values in metered.private.items() for key in values
    }
    assert set(filter(of_h1, remaining)) == {("readings", key) for key in roots}
    assert all(metered.private["readings"][k] == v for k, v in roots.items())
    left = {key for (_, key) in filter(of_h1, metered.private_history)}
    assert left == set(roots)
    assert remaining - {("readings", key) for key in roots} == set(h2_before)
    assert all(metered.private[c][k] == v for (c, k), v in h2_before.items())
    meter = json.loads(metered.state["meter~m-001"])
    assert meter["status"] == "erased"
    assert json.loads(metered.state["meter~m-002"])["status"] == "active"

    # a reading disclosed before the erasure still verifies, a changed one does not
    verdict = verify(metered, cc, disclosed).json()
    assert verdict["verified"] is True
    forged = {**disclosed, "reading": {**disclosed["reading"], "import_wh": 1}}
    forged["reading"]["import_wh"] += disclosed["reading"]["import_wh"]
    assert verify(metered, cc, forged).json()["verified"] is False

    assert get_readings(metered, cc, OPERATOR).json() == []
    assert len(get_readings(metered, cc, HOUSEHOLD2, "h-002").json()) == 96
    listed = invoke(metered, cc, HOUSEHOLD1, "ConsentContract:ListConsents")
    assert listed.json() == []


def test_an_erased_household_takes_no_more_readings_and_cannot_be_registered_again(cc, metered):
    assert purge(metered, cc, reason="retention").status == 200
    before = snapshot(metered)

    late = submit(metered, cc, day_batch(H1, DAY + timedelta(days=1)))
    assert (late.status, late.message) == (500, "meter m-001 is erased")
    erased = "household h-001 was erased and cannot be registered again"
    again = register(metered, cc, H1, PERSONAL)
    assert (again.status, again.message) == (500, erased)
    new_meter = register(metered, cc, dataclasses.replace(H1, meter_id="m-101"))
    assert (new_meter.status, new_meter.message) == (500, erased)
    assert snapshot(metered) == before


@pytest.mark.parametrize(
    ("household_id", "reason", "message"),
    [
        ("h-001", "because", "reason must be 'household request' or 'retention'"),
        ("h-001", "", "reason must be 'household request' or 'retention'"),
        (
            "household-1",
            "retention",
            "household id 'household-1' is invalid: "
            "use h- and up to 62 letters, digits, '.', '_' or '-'",
        ),
    ],
    ids=["unknown-reason", "no-reason", "household-id"],
)
def test_a_purge_is_validated(cc, metered, household_id, reason, message):
    before = snapshot(metered)
    result = purge(metered, cc, household_id, reason)
    assert (result.status, result.message) == (500, message)
    assert snapshot(metered) == before
