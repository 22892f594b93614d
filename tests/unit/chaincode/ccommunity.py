"""Shared by the test_community_* files: the community chaincode over ``ccfakes.FakeLedger``.

Creators (Fabric CA identities), the TOU tariff, the ``cc`` fixture and the steps many
tests take before the one they test: registering meters, submitting signed readings.
Test files import the fixture with ``from ccommunity import chaincode  # noqa: F401``
and ask for it as ``cc``.
"""

import asyncio
import copy
import hashlib
import hmac
import json
import secrets
from datetime import date, timedelta

import pytest
from ccfakes import FakeLedger, identity, make_cert_pem
from cryptography import x509

from chaincode.community import build_chaincode
from chaincode.runtime.identity import fabric_attributes
from client.bundles import MeterKeys, sign_bundle, sign_readings
from gridspec.signed_bundle import SignedBundle
from network.scenario import day_readings, signed_days

DAY = date(2026, 2, 27)
DAY_START, DAY_END = "2026-02-27T00:00:00Z", "2026-02-28T00:00:00Z"
#: the simulated meters' device keys, drawn at random for this test run
KEYS = MeterKeys()
#: the channel's key salt (chaincode/community/keyed.py), drawn at random for this test run
KEY_SALT = secrets.token_bytes(32)

OPERATOR = identity("UtilityMSP", "operator", cn="operator1")
BILLING = identity("UtilityMSP", "billing", cn="billing1")
HEAD_END = identity("UtilityMSP", "meter", cn="headend1")
REGULATOR = identity("RegulatorMSP", "regulator", cn="rita")
AUDITOR = identity("RegulatorMSP", "regulator", cn="auditor1")
ADVISOR = identity("CommunityMSP", "third_party", cn="advisor1")
NO_ROLE = identity("UtilityMSP", None, cn="nobody")

TOU = {
    "tariff_id": "tou-1",
    "currency": "EUR",
    "bands": [
        ["night", "22:00", "06:00", 20],
        ["day", "06:00", "17:00", 30],
        ["peak", "17:00", "22:00", 45],
    ],
    "feed_in_price_per_kwh": 8,
    "p2p_grid_fee_per_kwh": 3,
    "daily_fixed_charge": 25,
    "valid_from": "2026-01-01",
}


def member(msp_id, cn, role, **attrs):
    """A creator whose certificate carries extra Fabric CA attributes (household_id, meter_ids)."""
    fabric = {"hf.EnrollmentID": cn, "hf.Type": "client", "role": role, **attrs}
    return {"mspid": msp_id, "idBytes": make_cert_pem(cn, fabric)}


def household(n, msp_id="CommunityMSP"):
    return member(msp_id, f"household{n}", "household", household_id=f"h-{n:03d}")


HOUSEHOLD1, HOUSEHOLD2, HOUSEHOLD3 = household(1), household(2), household(3)


@pytest.fixture(scope="module", name="cc")
def chaincode():
    """The contracts hold no state between transactions; building them takes a while."""
    return build_chaincode()


def community_ledger(**fields):
    """A FakeLedger of a community channel whose key salt is set, as deploy leaves it."""
    return salted(FakeLedger(**fields))


def salted(ledger):
    """*ledger* with the channel's key salt set (a seed, not a transaction)."""
    ledger.seed_private("households", "keysalt", KEY_SALT)
    return ledger


def keyed(kind, *parts):
    """The private key name the chaincode gives a *kind* record of *parts*."""
    digest = hmac.new(KEY_SALT, "|".join(parts).encode(), hashlib.sha256).hexdigest()
    return f"{kind}~{digest}"


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def invoke(ledger, cc, creator, function, *args, transient=None):
    return asyncio.run(ledger.invoke(cc, creator, function, *args, transient=transient))


def record_access(ledger, cc, creator, kind, subject, start, end):
    """RecordAccess as *creator*: what it will read (kind, subject, [start, end))."""
    return invoke(ledger, cc, creator, "AccessContract:RecordAccess", kind, subject, start, end)


def access_transient(recorded):
    """The read's transient map naming a RecordAccess's record."""
    return {"access": recorded.json()["access_id"].encode()}


def role_of(creator):
    """The role attribute in a creator's certificate."""
    return fabric_attributes(x509.load_pem_x509_certificate(creator["idBytes"])).get("role")


def recorded_read(ledger, cc, creator, access, function, *args):
    """*function* as its client calls it: a household reads at once; anyone else first
    records *access* (kind, subject, start, end) with RecordAccess, and reads stamped the
    record's minute (a client reads within seconds of recording). Refused, the record
    leaves the read without one."""
    if role_of(creator) == "household":
        return invoke(ledger, cc, creator, function, *args)
    recorded = record_access(ledger, cc, creator, *access)
    ledger.epoch -= timedelta(minutes=1)
    transient = access_transient(recorded) if recorded.status == 200 else None
    return invoke(ledger, cc, creator, function, *args, transient=transient)


def ok(result):
    assert result.status == 200, result.message
    return result


def snapshot(ledger):
    return copy.deepcopy((ledger.state, ledger.private, ledger.events))


def next_tx_time(ledger):
    """The timestamp FakeLedger will give its next transaction (epoch + n minutes)."""
    return ledger.epoch + timedelta(minutes=ledger._count + 1)


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def register(ledger, cc, household, personal=None, creator=OPERATOR, **changes):
    """Register the meter of *household* (a ``network.scenario`` household)."""
    args = {
        "meter_id": household.meter_id,
        "household_id": household.household_id,
        "feeder": household.feeder,
        "device_public_key": KEYS.public_pem(household.meter_id),
        **changes,
    }
    transient = None if personal is None else {"household": canonical(personal)}
    return invoke(
        ledger, cc, creator, "MeterContract:RegisterMeter", *args.values(), transient=transient
    )


def sign(household, readings, *, key=None):
    """Readings signed like the head-end does, one bundle per day: the transient value."""
    device_key = key or KEYS.provision(household.meter_id)
    return SignedBundle.submission(sign_readings(device_key, household.meter_id, readings))


def sign_payload(household, payload, *, key=None):
    """A payload of the test's making, signed by the meter (or *key*): the transient value."""
    device_key = key or KEYS.provision(household.meter_id)
    return SignedBundle.submission([sign_bundle(device_key, payload)])


def day_batch(household, day=DAY):
    return SignedBundle.submission(signed_days(KEYS, household, day_readings(household, day)))


def submit(ledger, cc, batch, creator=HEAD_END):
    transient = None if batch is None else {"bundles": batch}
    return invoke(ledger, cc, creator, "ReadingContract:SubmitReadings", transient=transient)


def submit_readings(ledger, cc, meter, *readings):
    """The head-end submits *readings* ((start, minutes, import_wh, export_wh)) of *meter*."""
    items = [
        {"interval_start": s, "interval_minutes": m, "import_wh": i, "export_wh": e}
        for s, m, i, e in readings
    ]
    return ok(submit(ledger, cc, sign(meter, items)))


def order_salt():
    """A salt as a household's app draws it: random, never derived."""
    return secrets.token_urlsafe(18)
