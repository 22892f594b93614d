"""MeterContract over the in-memory ledger: registry, signed readings, reads, hashes, erasure.

The meters, device keys and readings are those of the simulated community
(``network.scenario``). FakeLedger stamps its n-th transaction T0 + n minutes
(2026-03-01T09:30Z + n), so full days of readings are taken from 2026-02-27.
"""

import base64
import copy
import dataclasses
import hashlib
import json
import math
import re
from datetime import timedelta

import pytest
from ccfakes import FakeLedger, identity, make_cert_pem
from ccommunity import (
    ADVISOR,
    AUDITOR,
    BILLING,
    DAY,
    DAY_END,
    DAY_START,
    HEAD_END,
    HOUSEHOLD1,
    HOUSEHOLD2,
    NO_ROLE,
    OPERATOR,
    SALT,
    canonical,
    chaincode,  # noqa: F401 (the cc fixture)
    day_batch,
    invoke,
    member,
    next_tx_time,
    register,
    sign,
    stamp,
    submit,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from network.scenario import batch_salt, community, day_readings, signed_batch

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
    """H1 and H2 registered with personal details, no readings yet."""
    ledger = FakeLedger()
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
    return invoke(ledger, cc, creator, "MeterContract:GetReadings", household_id, start, end)


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
        "device_public_key": H1.device_public_key_pem,
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
        {"device_public_key": H2.device_public_key_pem},
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
    args = (H1.meter_id, H1.household_id, H1.feeder, H1.device_public_key_pem)
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


# --- SubmitReadings --------------------------------------------------------------------


def test_readings_land_only_in_the_readings_collection_as_canonical_bytes(cc, registered):
    readings = day_readings(H1, DAY)
    salt = batch_salt(H1, readings)
    public_before = dict(registered.state)
    households_before = dict(registered.private["households"])

    result = submit(registered, cc, signed_batch(H1, readings))
    assert result.status == 200, result.message
    summary = {
        "meter_id": "m-001",
        "stored": 96,
        "duplicates": 0,
        "first": "2026-02-27T00:00:00Z",
        "last": "2026-02-27T23:45:00Z",
    }
    assert result.json() == summary

    collection = registered.private["readings"]
    for record in stored(H1, readings, salt):
        key = f"reading~m-001~{record['interval_start']}"
        assert collection[key] == canonical(record)
        assert (
            registered.private_hashes["readings"][key] == hashlib.sha256(collection[key]).digest()
        )
    starts = [r["interval_start"] for r in readings]
    assert collection["readingidx~m-001~2026-02-27"] == canonical(starts)
    assert collection["readingdays~m-001"] == canonical(["2026-02-27"])
    assert len(collection) == 96 + 2
    assert registered.private["households"] == households_before

    # public state is untouched: the utility's endorsement alone suffices for readings
    assert registered.state == public_before
    assert registered.events[-1] == ("ReadingsSubmitted", canonical(summary))
    assert not any(b"_wh" in value or salt.encode() in value for value in registered.state.values())


def test_a_batch_across_midnight_is_indexed_per_day_and_later_batches_merge(cc, registered):
    evening = day_readings(H1, DAY - timedelta(days=1))[-2:]
    morning = day_readings(H1, DAY)[:4]
    assert submit(registered, cc, sign(H1, evening + morning[:2])).status == 200
    assert submit(registered, cc, sign(H1, morning[2:])).status == 200

    collection = registered.private["readings"]
    assert json.loads(collection["readingidx~m-001~2026-02-26"]) == [
        "2026-02-26T23:30:00Z",
        "2026-02-26T23:45:00Z",
    ]
    assert json.loads(collection["readingidx~m-001~2026-02-27"]) == [
        r["interval_start"] for r in morning
    ]
    assert json.loads(collection["readingdays~m-001"]) == ["2026-02-26", "2026-02-27"]


@pytest.mark.parametrize("salt", [None, "another-salt-of-22chars"], ids=["same", "other-salt"])
def test_a_repeated_batch_stores_nothing(cc, metered, salt):
    readings = day_readings(H1, DAY)
    batch = day_batch(H1) if salt is None else sign(H1, readings, salt=salt)
    again = submit(metered, cc, batch)
    assert again.status == 200, again.message
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 96)
    assert (again.stub.private_writes, again.stub.writes) == ({}, {})
    # the stored reading keeps the salt it was first stored with
    first = json.loads(metered.private["readings"]["reading~m-001~2026-02-27T00:00:00Z"])
    assert first["salt"] == batch_salt(H1, readings)


def test_a_partly_repeated_batch_stores_only_the_new_readings(cc, metered):
    readings = day_readings(H1, DAY)[-2:] + day_readings(H1, DAY + timedelta(days=1))[:3]
    result = submit(metered, cc, sign(H1, readings))
    assert (result.json()["stored"], result.json()["duplicates"]) == (3, 2)
    written = {key for _, key in result.stub.private_writes}
    assert written == {
        "reading~m-001~2026-02-28T00:00:00Z",
        "reading~m-001~2026-02-28T00:15:00Z",
        "reading~m-001~2026-02-28T00:30:00Z",
        "readingidx~m-001~2026-02-28",
        "readingdays~m-001",
    }


CHANGES = {
    "import": lambda reading: {"import_wh": reading["import_wh"] + 1},
    "export": lambda reading: {"export_wh": reading["export_wh"] + 1},
    "interval-length": lambda reading: {"interval_minutes": 5},
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES)
def test_a_reading_that_conflicts_with_the_recorded_one_is_refused_and_nothing_written(
    cc, metered, change
):
    recorded = day_readings(H1, DAY)[0]
    changed = {**recorded, **change(recorded)}
    new = day_readings(H1, DAY + timedelta(days=1))[0]
    before = snapshot(metered)
    result = submit(metered, cc, sign(H1, [new, changed]))
    assert (result.status, result.message) == (
        500,
        "reading of meter m-001 at 2026-02-27T00:00:00Z conflicts with the recorded value",
    )
    assert snapshot(metered) == before


def batch_of(*changes):
    """A signed batch of H1's first readings of DAY, reading i changed by changes[i]."""
    readings = day_readings(H1, DAY)[: len(changes)]
    return sign(H1, [{**r, **c} for r, c in zip(readings, changes, strict=True)])


def without(field):
    reading = dict(day_readings(H1, DAY)[0])
    del reading[field]
    return reading


def raw_batch(**fields):
    body = {"meter_id": "m-001", "readings": day_readings(H1, DAY)[:1], "salt": SALT}
    body["signature"] = "c2lnbmF0dXJl"
    return json.dumps({k: v for k, v in {**body, **fields}.items() if v is not None}).encode()


AT = "reading of meter m-001 at 2026-02-27T00:00:00Z"
MINUTES = "interval_minutes must be one of 5, 15, 30, 60"
START = "reading of meter m-001: interval_start must be a UTC time like 2026-03-01T09:15:00Z"
SALT_RULE = "readings of meter m-001: salt must be 16 to 64 random bytes in base64url"
SHAPE = "transient 'readings' must be an object with meter_id, readings, salt and signature"
BATCH_SIZE = "readings of meter m-001: a batch holds 1 to 672 readings"
LAST_DAY = "reading of meter m-001 at 9999-12-31T23:{}:00Z: interval ends after the year 9999"


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (None, "readings must be sent in the transient map under 'readings'"),
        (b"not json", "transient 'readings' must be a JSON object"),
        (b"\xff", "transient 'readings' must be a JSON object"),
        (b"[]", SHAPE),
        (raw_batch(signature=None), SHAPE),
        (raw_batch(device="x"), SHAPE),
        (
            raw_batch(meter_id="m 1"),
            "meter id 'm 1' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        (sign(H1, []), BATCH_SIZE),
        (sign(H1, {"interval_start": DAY_START}), BATCH_SIZE),
        (
            sign(H1, [r for d in range(8) for r in day_readings(H1, DAY - timedelta(d))][:673]),
            BATCH_SIZE,
        ),
        (sign(H1, [7]), "readings of meter m-001: each reading must be an object"),
        (batch_of({"voltage": 230}), "readings of meter m-001: unknown fields voltage"),
        (sign(H1, [without("interval_start")]), START),
        (batch_of({"interval_start": "2026-02-27 00:00"}), START),
        (batch_of({"interval_start": "2026-02-27T00:00:30Z"}), START),
        (batch_of({"interval_start": "2026-02-27T00:00:00+01:00"}), START),
        (batch_of({"interval_start": "2026-02-27T25:00:00Z"}), START),
        (batch_of({"interval_minutes": 10}), f"{AT}: {MINUTES}"),
        (batch_of({"interval_minutes": 15.0}), f"{AT}: {MINUTES}"),
        (batch_of({"interval_minutes": "15"}), f"{AT}: {MINUTES}"),
        (
            batch_of({"interval_start": "2026-02-27T00:05:00Z"}),
            "reading of meter m-001 at 2026-02-27T00:05:00Z: interval is not aligned to 15 minutes",
        ),
        (
            batch_of({"interval_start": "2026-02-27T00:30:00Z", "interval_minutes": 60}),
            "reading of meter m-001 at 2026-02-27T00:30:00Z: interval is not aligned to 60 minutes",
        ),
        (
            batch_of({"interval_start": "2026-03-01T09:30:00Z"}),
            "reading of meter m-001 at 2026-03-01T09:30:00Z: interval has not ended yet",
        ),
        (
            batch_of({"interval_start": "2026-03-02T00:00:00Z"}),
            "reading of meter m-001 at 2026-03-02T00:00:00Z: interval has not ended yet",
        ),
        (batch_of({"import_wh": -1}), f"{AT}: import_wh must be an integer from 0 to 50000"),
        (batch_of({"import_wh": 50_001}), f"{AT}: import_wh must be an integer from 0 to 50000"),
        (batch_of({"import_wh": True}), f"{AT}: import_wh must be an integer from 0 to 50000"),
        (batch_of({"export_wh": 1.5}), f"{AT}: export_wh must be an integer from 0 to 50000"),
        (batch_of({"export_wh": "12"}), f"{AT}: export_wh must be an integer from 0 to 50000"),
        (
            sign(H1, [without("import_wh")]),
            f"{AT}: import_wh must be an integer from 0 to 50000",
        ),
        (
            batch_of({"interval_minutes": 5, "import_wh": 16_667}),
            f"{AT}: import_wh must be an integer from 0 to 16666",
        ),
        (
            batch_of({"interval_minutes": 60, "export_wh": 200_001}),
            f"{AT}: export_wh must be an integer from 0 to 200000",
        ),
        (
            sign(H1, day_readings(H1, DAY)[:2] + day_readings(H1, DAY)[1:2]),
            "readings of meter m-001: an interval appears twice",
        ),
        (raw_batch(signature="***"), "readings of meter m-001: signature is not base64"),
        (DEEP.encode(), "transient 'readings' is nested too deeply"),
        (
            raw_batch(readings=[{**day_readings(H1, DAY)[0], "import_wh": math.nan}]),
            "transient 'readings' holds NaN: numbers must be finite",
        ),
        # the last intervals of the calendar end after 9999-12-31T23:59:59, which
        # datetime cannot represent
        (batch_of({"interval_start": "9999-12-31T23:45:00Z"}), LAST_DAY.format("45")),
        (
            batch_of({"interval_start": "9999-12-31T23:00:00Z", "interval_minutes": 60}),
            LAST_DAY.format("00"),
        ),
        (
            batch_of({"interval_start": "9999-12-31T23:55:00Z", "interval_minutes": 5}),
            LAST_DAY.format("55"),
        ),
    ],
    ids=[
        "no-transient",
        "not-json",
        "not-utf8",
        "not-an-object",
        "no-signature",
        "unknown-field",
        "meter-id",
        "no-readings",
        "readings-not-a-list",
        "673-readings",
        "reading-not-an-object",
        "unknown-reading-field",
        "no-interval-start",
        "start-with-space",
        "start-with-seconds",
        "start-with-offset",
        "start-at-hour-25",
        "minutes-10",
        "minutes-float",
        "minutes-text",
        "unaligned-15",
        "unaligned-60",
        "not-ended",
        "tomorrow",
        "import-negative",
        "import-too-high",
        "import-bool",
        "export-float",
        "export-text",
        "no-import",
        "import-too-high-for-5-min",
        "export-too-high-for-60-min",
        "interval-twice",
        "signature-not-base64",
        "nested-100000-deep",
        "nan",
        "ends-after-9999-15-min",
        "ends-after-9999-60-min",
        "ends-after-9999-5-min",
    ],
)
def test_malformed_batches_are_refused_with_the_exact_reason(cc, registered, batch, message):
    before = snapshot(registered)
    result = submit(registered, cc, batch)
    assert (result.status, result.message) == (500, message)
    assert snapshot(registered) == before


@pytest.mark.parametrize(
    ("salt", "accepted"),
    [
        (base64.urlsafe_b64encode(bytes(16)).decode().rstrip("="), True),
        (base64.urlsafe_b64encode(bytes(64)).decode().rstrip("="), True),
        ("-_" * 12, True),
        (base64.urlsafe_b64encode(bytes(15)).decode().rstrip("="), False),
        (base64.urlsafe_b64encode(bytes(65)).decode().rstrip("="), False),
        ("a+b/" * 6, False),
        ("a b " * 6, False),
        ("", False),
    ],
    ids=[
        "16-bytes",
        "64-bytes",
        "url-safe-alphabet",
        "15-bytes",
        "65-bytes",
        "standard-alphabet",
        "spaces",
        "empty",
    ],
)
def test_salt_rules(cc, registered, salt, accepted):
    result = submit(registered, cc, sign(H1, day_readings(H1, DAY)[:1], salt=salt))
    if accepted:
        assert result.status == 200, result.message
    else:
        assert (result.status, result.message) == (500, SALT_RULE)


def test_an_interval_is_accepted_once_it_has_ended_at_the_transaction_time(cc, registered):
    while next_tx_time(registered).minute % 5:  # let the clock reach a 5-minute boundary
        invoke(registered, cc, AUDITOR, "MeterContract:GetMeter", "m-001")
    now = next_tx_time(registered)
    ending_now = {
        "interval_start": stamp(now - timedelta(minutes=5)),
        "interval_minutes": 5,
        "import_wh": 10,
        "export_wh": 0,
    }
    accepted = submit(registered, cc, sign(H1, [ending_now]))
    assert accepted.status == 200, accepted.message

    ending_later = {**ending_now, "interval_start": stamp(now)}  # ends at now + 5 min
    refused = submit(registered, cc, sign(H1, [ending_later]))
    assert (refused.status, refused.message) == (
        500,
        f"reading of meter m-001 at {stamp(now)}: interval has not ended yet",
    )


def test_readings_of_an_unregistered_meter_are_refused(cc, registered):
    result = submit(registered, cc, day_batch(H3))
    assert (result.status, result.message) == (500, "meter m-003 is not registered")
    assert "readings" not in registered.private


def tampered(batch, change):
    data = json.loads(batch)
    change(data)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("batch", "meter_id"),
    [
        (
            tampered(day_batch(H1), lambda d: d["readings"][40].update(import_wh=0, export_wh=0)),
            "m-001",
        ),
        (tampered(day_batch(H1), lambda d: d.update(salt=SALT)), "m-001"),
        (tampered(day_batch(H1), lambda d: d["readings"].pop()), "m-001"),
        (sign(H1, day_readings(H1, DAY), key=H2.device_key), "m-001"),
        (tampered(day_batch(H1), lambda d: d.update(meter_id="m-002")), "m-002"),
    ],
    ids=["value-changed", "salt-changed", "reading-dropped", "other-meters-key", "meter-changed"],
)
def test_a_batch_whose_signature_does_not_verify_is_refused(cc, registered, batch, meter_id):
    result = submit(registered, cc, batch)
    assert (result.status, result.message) == (
        500,
        f"readings of meter {meter_id}: signature does not verify with the meter's device key",
    )
    assert "readings" not in registered.private


def test_a_head_end_submits_only_for_the_meters_it_serves(cc, registered):
    other = member("UtilityMSP", "headend2", "meter", meter_ids="m-002,m-003")
    refused = submit(registered, cc, day_batch(H1), creator=other)
    assert (refused.status, refused.message) == (
        500,
        "head-end headend2 does not serve meter m-001",
    )
    assert "readings" not in registered.private
    assert submit(registered, cc, day_batch(H2), creator=other).status == 200


# --- GetReadings -----------------------------------------------------------------------


def h1_day():
    readings = day_readings(H1, DAY)
    return stored(H1, readings, batch_salt(H1, readings))


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (HOUSEHOLD1, None),
        (OPERATOR, None),
        (BILLING, None),
        (HOUSEHOLD2, "household h-002 may not read household h-001"),
        (
            member("UtilityMSP", "household1", "household", household_id="h-001"),
            "household h-001 may not read household h-001",
        ),
        (
            identity("CommunityMSP", "operator"),
            "only the utility's operator may read household h-001",
        ),
        (
            identity("RegulatorMSP", "billing"),
            "only the utility's billing may read household h-001",
        ),
        (
            ADVISOR,
            "no live consent of household h-001 lets CommunityMSP:advisor1 read readings "
            f"from {DAY_START} to {DAY_END}",
        ),
    ],
    ids=[
        "own-household",
        "utility-operator",
        "utility-billing",
        "other-household",
        "household-role-outside-the-community",
        "community-operator",
        "regulator-billing",
        "third-party-without-consent",
    ],
)
def test_who_reads_a_households_readings(cc, metered, creator, message):
    result = get_readings(metered, cc, creator)
    if message is None:
        assert result.status == 200, result.message
        assert result.json() == h1_day()
    else:
        assert (result.status, result.message) == (500, message)


def test_readings_are_returned_for_the_half_open_period_across_a_households_meters(cc, metered):
    second = dataclasses.replace(H1, meter_id="m-101")
    assert register(metered, cc, second).status == 200
    assert submit(metered, cc, day_batch(second)).status == 200

    result = get_readings(
        metered, cc, HOUSEHOLD1, start="2026-02-27T06:00:00Z", end="2026-02-27T06:30:00Z"
    )
    assert [(r["interval_start"], r["meter_id"]) for r in result.json()] == [
        ("2026-02-27T06:00:00Z", "m-001"),
        ("2026-02-27T06:00:00Z", "m-101"),
        ("2026-02-27T06:15:00Z", "m-001"),
        ("2026-02-27T06:15:00Z", "m-101"),
    ]
    empty = get_readings(metered, cc, HOUSEHOLD1, start="2026-02-20T00:00:00Z", end=DAY_START)
    assert empty.json() == []


@pytest.mark.parametrize(
    ("household_id", "start", "end", "message"),
    [
        (
            "001",
            DAY_START,
            DAY_END,
            "household id '001' is invalid: use h- and up to 62 letters, digits, '.', '_' or '-'",
        ),
        ("h-001", DAY_START, DAY_START, "end must be after start"),
        ("h-001", DAY_END, DAY_START, "end must be after start"),
    ],
    ids=["household-id", "empty-period", "reversed-period"],
)
def test_the_period_read_is_validated(cc, metered, household_id, start, end, message):
    result = get_readings(metered, cc, OPERATOR, household_id, start, end)
    assert (result.status, result.message) == (500, message)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("yesterday", DAY_END, "start"),
        ("2026-02-27", DAY_END, "start"),
        (DAY_START, "2026-02-30T00:00:00Z", "end"),
    ],
    ids=["words", "date-only", "no-such-day"],
)
def test_a_malformed_period_is_refused_with_a_message_naming_the_argument(
    cc, metered, start, end, field
):
    result = get_readings(metered, cc, OPERATOR, "h-001", start, end)
    assert result.status == 500
    assert re.fullmatch(rf"{field} must be a UTC time like \S+", result.message), result.message


# --- GetReadingHash / VerifyReading ----------------------------------------------------


def test_the_hash_of_a_reading_is_the_sha256_of_its_stored_bytes(cc, metered):
    reading = get_readings(metered, cc, HOUSEHOLD1).json()[40]
    start = reading["interval_start"]
    raw = metered.private["readings"][f"reading~m-001~{start}"]
    assert raw == canonical(reading)
    result = invoke(metered, cc, AUDITOR, "MeterContract:GetReadingHash", "m-001", start)
    assert result.json() == {
        "meter_id": "m-001",
        "interval_start": start,
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


def verify(ledger, cc, reading, creator=AUDITOR):
    text = reading if isinstance(reading, str) else json.dumps(reading)
    return invoke(ledger, cc, creator, "MeterContract:VerifyReading", text)


@pytest.mark.parametrize(
    ("change", "verified"),
    [
        (lambda reading: {}, True),
        *((change, False) for change in CHANGES.values()),
        (lambda reading: {"salt": SALT}, False),
    ],
    ids=["as-stored", *CHANGES, "salt"],
)
def test_a_disclosed_reading_verifies_only_as_stored(cc, metered, change, verified):
    reading = get_readings(metered, cc, BILLING).json()[40]
    disclosed = {**reading, **change(reading)}
    # the regulator's peer holds no plaintext, only hashes
    metered.private.pop("readings")
    result = verify(metered, cc, disclosed)
    assert result.status == 200, result.message
    assert result.json() == {
        "meter_id": "m-001",
        "interval_start": reading["interval_start"],
        "sha256": hashlib.sha256(canonical(reading)).hexdigest(),
        "verified": verified,
    }


FIELDS = "export_wh, import_wh, interval_minutes, interval_start, meter_id, salt"


@pytest.mark.parametrize(
    ("transaction", "args", "message"),
    [
        (
            "GetReadingHash",
            ("m-001", "2026-02-26T00:00:00Z"),
            "no reading of meter m-001 at 2026-02-26T00:00:00Z",
        ),
        (
            "GetReadingHash",
            ("m-003", DAY_START),
            f"no reading of meter m-003 at {DAY_START}",
        ),
        (
            "GetReadingHash",
            ("m 1", DAY_START),
            "meter id 'm 1' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        (
            "VerifyReading",
            (json.dumps({**h1_day()[0], "interval_start": "2026-02-26T00:00:00Z"}),),
            "no reading of meter m-001 at 2026-02-26T00:00:00Z",
        ),
        ("VerifyReading", ("not json",), "reading must be a JSON object"),
        ("VerifyReading", ("[]",), f"reading must be a JSON object with {FIELDS}"),
        (
            "VerifyReading",
            (json.dumps({k: v for k, v in h1_day()[0].items() if k != "salt"}),),
            f"reading must be a JSON object with {FIELDS}",
        ),
        (
            "VerifyReading",
            (json.dumps({**h1_day()[0], "meter_id": "m 1"}),),
            "meter id 'm 1' is invalid: use 1-64 letters, digits, '.', '_' or '-'",
        ),
        (
            "VerifyReading",
            (json.dumps({**h1_day()[0], "import_wh": math.nan}),),
            "reading holds NaN: numbers must be finite",
        ),
        (
            "VerifyReading",
            (json.dumps({**h1_day()[0], "export_wh": -math.inf}),),
            "reading holds -Infinity: numbers must be finite",
        ),
        (
            "VerifyReading",
            (json.dumps({**h1_day()[0], "export_wh": "X"}).replace('"X"', "1e400"),),
            "reading holds 1e400: numbers must be finite",
        ),
        (
            "VerifyReading",
            (json.dumps({**h1_day()[0], "import_wh": 10.0}),),
            "reading of meter m-001: import_wh must be an integer",
        ),
        (
            "VerifyReading",
            (json.dumps({**h1_day()[0], "interval_minutes": "15"}),),
            "reading of meter m-001: interval_minutes must be an integer",
        ),
        ("VerifyReading", (DEEP,), "reading is nested too deeply"),
    ],
    ids=[
        "hash-no-reading",
        "hash-no-meter",
        "hash-bad-meter-id",
        "verify-no-reading",
        "verify-not-json",
        "verify-not-object",
        "verify-missing-field",
        "verify-bad-meter-id",
        "verify-nan",
        "verify-minus-infinity",
        "verify-beyond-float",
        "verify-float",
        "verify-minutes-text",
        "verify-nested-100000-deep",
    ],
)
def test_hash_and_verification_errors(cc, metered, transaction, args, message):
    result = invoke(metered, cc, AUDITOR, f"MeterContract:{transaction}", *args)
    assert (result.status, result.message) == (500, message)


# --- PurgeHousehold --------------------------------------------------------------------


def purge(ledger, cc, household_id="h-001", reason="household request", creator=OPERATOR):
    return invoke(ledger, cc, creator, "MeterContract:PurgeHousehold", household_id, reason)


def of_h1(collection_key):
    """Whether a (collection, key) belongs to household h-001 or its meter m-001."""
    _, key = collection_key
    return "h-001" in key or "m-001" in key


def test_purging_a_household_erases_its_private_data_and_keeps_the_hashes_as_evidence(cc, metered):
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
    disclosed = get_readings(metered, cc, HOUSEHOLD1).json()
    earlier = get_readings(metered, cc, OPERATOR, start="2026-02-26T00:00:00Z").json()
    assert len(earlier) == 192
    hashes_before = {
        f"reading~m-001~{r['interval_start']}": hashlib.sha256(canonical(r)).hexdigest()
        for r in earlier
    }
    h2_before = {
        (collection, key): value
        for collection, values in metered.private.items()
        for key, value in values.items()
        if not of_h1((collection, key))
    }
    history = {key for (_, key) in filter(of_h1, metered.private_history)}
    assert history >= {"household~h-001", "consent~h-001~c-1", "consentidx~h-001"}
    assert history >= {"readingidx~m-001~2026-02-26", "readingidx~m-001~2026-02-27"}
    assert history >= set(hashes_before)

    result = purge(metered, cc)
    assert result.status == 200, result.message
    record = {
        "household_id": "h-001",
        "reason": "household request",
        "readings_purged": 192,
        "erased_at": stamp(next_tx_time(metered) - timedelta(minutes=1)),
        "erased_by": "operator1",
        "tx_id": result.stub.tx_id,
    }
    assert result.json() == record
    assert metered.state["erasure~h-001"] == canonical(record)
    assert metered.events[-1] == ("HouseholdErased", canonical(record))

    # gone from the collections, their history and the hashes in private state
    remaining = {
        (collection, key) for collection, values in metered.private.items() for key in values
    }
    assert not any(of_h1(ck) for ck in remaining), sorted(filter(of_h1, remaining))
    assert not any(of_h1(ck) for ck in metered.private_history)
    hashed = {(c, k) for c, values in metered.private_hashes.items() for k in values}
    assert not any(of_h1(ck) for ck in hashed)
    assert remaining == set(h2_before)
    assert all(metered.private[c][k] == v for (c, k), v in h2_before.items())

    # public evidence: each purged reading's sha256
    evidence = {
        key.replace("erased~", "reading~"): json.loads(value)
        for key, value in metered.state.items()
        if key.startswith("erased~")
    }
    assert {key: e["sha256"] for key, e in evidence.items()} == hashes_before
    assert {e["purged_by_tx"] for e in evidence.values()} == {result.stub.tx_id}
    meter = json.loads(metered.state["meter~m-001"])
    assert meter["status"] == "erased"
    assert json.loads(metered.state["meter~m-002"])["status"] == "active"

    # a reading disclosed before the erasure still verifies, a changed one does not
    verdict = verify(metered, cc, disclosed[40]).json()
    assert verdict == {
        "meter_id": "m-001",
        "interval_start": disclosed[40]["interval_start"],
        "sha256": hashlib.sha256(canonical(disclosed[40])).hexdigest(),
        "verified": True,
    }
    forged = {**disclosed[40], "import_wh": disclosed[40]["import_wh"] + 1}
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
